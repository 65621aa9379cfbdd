package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/pipeline/modsvc"
)

// Slots of the shell's capability space for the module manager: its endpoint, the
// receive-only copy it is started with, the badged capability the shell calls it
// through, and its exit notification.
const (
	mgrEndpointSlot abi.CPtr = 90
	mgrRecvSlot     abi.CPtr = 91
	mgrAdminSlot    abi.CPtr = 92
	mgrExitSlot     abi.CPtr = 93
)

// managerProgram is the module manager's program in the boot bundle.
const managerProgram = "modmgr"

// managerMemory is the budget the shell gives the module manager when it can.
const managerMemory = 128 << 20

// manager returns the capability to call the module manager, starting it first if it
// does not run: the shell starts it on the first module command, with the System
// object and a receive-only capability to its endpoint, and half the shell's free
// memory for it and the modules it loads.
func (s *shell) manager() (abi.CPtr, error) {
	if s.mgrTask != 0 {
		if st, _, err := s.e.TaskStatus(s.sys, s.mgrTask); err == nil && st == abi.TaskLive {
			return mgrAdminSlot, nil
		}
		fmt.Fprintf(s.out, "the module manager (task %d) ended; starting it again (the modules it loaded keep running)\n", s.mgrTask)
		s.mgrTask = 0
	}
	const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
	for _, c := range []abi.CPtr{mgrEndpointSlot, mgrRecvSlot, mgrAdminSlot, mgrExitSlot} {
		s.e.Delete(cs, c)
	}
	if err := s.e.Retype(ut, abi.ObjEndpoint, 0, cs, mgrEndpointSlot, 1); err != nil {
		return 0, explain(err)
	}
	if err := s.e.Retype(ut, abi.ObjNotification, 0, cs, mgrExitSlot, 1); err != nil {
		return 0, explain(err)
	}
	if err := s.e.Copy(cs, mgrRecvSlot, cs, mgrEndpointSlot, abi.RightRead); err != nil {
		return 0, err
	}
	// Grant: a load into a container sends the container's System object along.
	if err := s.e.Mint(cs, mgrAdminSlot, cs, mgrEndpointSlot, abi.RightWrite|abi.RightGrant, modsvc.BadgeAdmin); err != nil {
		return 0, err
	}
	// The manager's budget holds the key vault's, the compression service's and the
	// modules' it loads: 128 MiB if the shell has twice that free, else half its free.
	mem := uint64(managerMemory)
	if capacity, used, err := s.e.UntypedInfo(ut); err == nil && capacity > used && (capacity-used)/2 < mem {
		mem = (capacity - used) / 2 &^ (abi.PageSize - 1)
	}
	id, err := s.e.StartProgram(s.sys, []string{managerProgram}, mem, 0, mgrExitSlot, s.sys, mgrRecvSlot)
	if err != nil {
		return 0, fmt.Errorf("starting the module manager: %w", explain(err))
	}
	s.mgrTask = id
	fmt.Fprintf(s.out, "started the module manager as task %d\n", id)
	return mgrAdminSlot, nil
}

// managerCommand sends the command line to the module manager and prints its answer.
func (s *shell) managerCommand(line string) error {
	mgr, err := s.manager()
	if err != nil {
		return err
	}
	out, err := modsvc.Command(s.e, mgr, line)
	fmt.Fprint(s.out, out)
	return err
}

// modules lists what the kernel verified in the boot bundle, then the module
// manager's repository.
func (s *shell) modules(args []string) error {
	b, err := os.ReadFile(modulesFile)
	if err != nil {
		return fmt.Errorf("no module list (%v): this kernel did not boot from a signed bundle", err)
	}
	fmt.Fprintf(s.out, "boot bundle (verified by the kernel): %s", b)
	fmt.Fprintln(s.out, "module repository (the module manager):")
	return s.managerCommand("modules")
}

// moduleCommand forwards a module command (load, update, services, audit) with its
// arguments to the module manager.
func moduleCommand(name string) func(s *shell, args []string) error {
	return func(s *shell, args []string) error {
		return s.managerCommand(strings.Join(append([]string{name}, args...), " "))
	}
}

// audit shows and verifies the module manager's audit log; `audit save DIR` also writes
// the log and the vault's public key to the disk, for `skyctl audit verify` on the host.
func (s *shell) audit(args []string) error {
	if len(args) == 0 {
		return s.managerCommand("audit")
	}
	if len(args) != 2 || args[0] != "save" {
		return errors.New("usage: audit [save DIR]")
	}
	mgr, err := s.manager()
	if err != nil {
		return err
	}
	log, err := modsvc.Command(s.e, mgr, "audit log")
	if err != nil {
		return err
	}
	key, err := modsvc.Command(s.e, mgr, "audit key")
	if err != nil {
		return err
	}
	files, err := s.disk()
	if err != nil {
		return err
	}
	dir := strings.TrimRight(args[1], "/")
	for _, f := range []struct{ name, data string }{{dir + "/audit.log", log}, {dir + "/audit-key.pub", key}} {
		if err := files.WriteFile(f.name, []byte(f.data), false); err != nil {
			return err
		}
	}
	fmt.Fprintf(s.out, "wrote %s/audit.log (%d bytes) and %s/audit-key.pub (the vault's key); on the host:\n"+
		"  skyctl fs cat IMAGE %s/audit.log > audit.log; skyctl fs cat IMAGE %s/audit-key.pub > vault.pub\n"+
		"  skyctl audit verify --pub vault.pub audit.log\n", dir, len(log), dir, dir, dir)
	return nil
}
