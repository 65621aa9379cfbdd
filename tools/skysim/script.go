package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/container/ctr"
	"github.com/skyscope-os/skyscope/container/netsup"
	"github.com/skyscope-os/skyscope/container/netsup/netdemo"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/kernel/usersim/demo"
)

// Scripted mode: when standard input is a pipe or a file, skysim reads command lines
// from it instead of running the demo, runs them in order on the simulated machine
// and powers off at the end of input. The commands are the shell's container
// commands (ctr ...) and a few of its own:
//
//	ctr SUBCOMMAND ...   as in the shell (ctr help lists them)
//	sleep DURATION       let DURATION of machine time pass (e.g. 500ms, 2s)
//	echo WORDS           print the words
//	log                  show the kernel log written since the last log
//	help                 list these
//	# ...                a comment
//
// The demo images hello, spin, memhog and pingpong (kernel/usersim/demo) and the
// network demos udpecho, udpping and nethostile (container/netsup/netdemo; ctr run
// --net NAME starts the NIC supervisor, netsup, first) are the programs ctr run can
// start.

// scriptMode reports whether standard input is not a terminal (a pipe or a file).
func scriptMode() bool {
	fi, err := os.Stdin.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice == 0
}

// Slots of the scripted init's capability space.
const (
	sTimerNtfn  abi.CPtr = abi.InitFirstFree + iota // the sleep timer's notification
	sTimerBadge                                     // its badged capability, bound to the interrupt
	sTimerIRQ                                       // the timer's IRQ handler
)

// timerIRQ is the interrupt line the scripted init uses as its sleep timer: the
// simulated machine raises it at the deadline sleep asks for.
const timerIRQ = 5

// ctrSlots are the slots of init's capability space ctr may use.
var ctrSlots = [2]uint64{100, 250}

// script is the scripted mode's init: the command lines and where output goes.
type script struct {
	lines   []string
	out     io.Writer
	m       *usersim.Machine // set after boot, before the machine runs
	logNext uint64
	ok      bool  // every line ran (errors in commands are reported, not fatal)
	disk    *disk // -disk: the filesystem fs lines use (nil without one)
}

// readScript reads every line of r.
func readScript(r io.Reader) ([]string, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// programs returns the scripted machine's programs and the loader entries naming
// them: the demo images, the NIC supervisor and the network demos (whose clock is
// now).
func scriptPrograms(now func() time.Duration) (map[uint64]usersim.Program, map[string]uint64) {
	programs := map[uint64]usersim.Program{}
	entries := demo.Install(programs, 0x100_0000)
	netdemo.Install(programs, entries, 0x180_0000, now)
	return programs, entries
}

// Slots of the scripted init's capability space for the NIC supervisor.
const (
	sNetEP   abi.CPtr = 60
	sNetRecv abi.CPtr = 61
	sNetCtl  abi.CPtr = 62
)

// init runs the script as the machine's init task.
func (s *script) init(e *user.Env) {
	fail := func(what string, err error) bool {
		if err != nil {
			fmt.Fprintf(s.out, "skysim: %s: %v\n", what, err)
			return true
		}
		return false
	}
	if fail("timer notification", e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, sTimerNtfn, 1)) ||
		fail("timer interrupt", e.IRQHandler(abi.InitSlotIRQControl, timerIRQ, abi.InitSlotCSpace, sTimerIRQ)) ||
		fail("timer badge", e.Mint(abi.InitSlotCSpace, sTimerBadge, abi.InitSlotCSpace, sTimerNtfn, abi.RightWrite, 1)) ||
		fail("timer binding", e.IRQSetNotification(sTimerIRQ, sTimerBadge)) {
		_ = e.PowerOff(abi.InitSlotSystem, 1)
		return
	}
	c := &ctr.Ctl{E: e, Sys: abi.InitSlotSystem, Untyped: abi.InitSlotUntyped, CSpace: abi.InitSlotCSpace,
		Console: abi.InitSlotConsole, Slots: ctrSlots, Out: s.out, Now: func() time.Duration { return time.Duration(s.m.Now()) },
		Sleep: func(d time.Duration) { _ = s.pause(e, d) }}
	var netCtl *netsup.Control
	c.Net = func() (*netsup.Control, error) {
		if netCtl == nil {
			_, ctl, err := netsup.Start(e, abi.InitSlotSystem, abi.InitSlotUntyped, abi.InitSlotCSpace, sNetEP, sNetRecv, sNetCtl, "netsup", 2<<20)
			if err != nil {
				return nil, err
			}
			netCtl = ctl
		}
		return netCtl, nil
	}
	for _, line := range s.lines {
		words := strings.Fields(line)
		if len(words) == 0 || strings.HasPrefix(words[0], "#") {
			continue
		}
		fmt.Fprintf(s.out, "sky> %s\n", line)
		var err error
		switch words[0] {
		case "ctr":
			err = c.Run(words[1:])
		case "fs":
			err = s.disk.run(s.out, words[1:])
		case "sleep":
			err = s.sleep(e, words[1:])
		case "echo":
			fmt.Fprintln(s.out, strings.Join(words[1:], " "))
		case "log":
			err = s.log(e)
		case "help":
			fmt.Fprintln(s.out, "commands: ctr SUBCOMMAND ... (ctr help), fs SUBCOMMAND ... (with -disk), sleep DURATION, echo WORDS, log, help; # starts a comment")
		default:
			err = fmt.Errorf("unknown command; skysim scripts take ctr, fs, sleep, echo, log and help")
		}
		if err != nil {
			fmt.Fprintf(s.out, "%s: %v\n", words[0], err)
		}
	}
	s.ok = true
	_ = e.PowerOff(abi.InitSlotSystem, 0)
}

// sleep waits for the timer interrupt, raised DURATION of machine time from now.
func (s *script) sleep(e *user.Env, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: sleep DURATION (e.g. 500ms)")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil || d <= 0 || d > time.Hour {
		return fmt.Errorf("%q: want a duration above 0 and at most 1h, e.g. 500ms", args[0])
	}
	return s.pause(e, d)
}

// pause lets d of machine time pass: it waits for the timer interrupt raised then.
func (s *script) pause(e *user.Env, d time.Duration) error {
	s.m.Sim.RaiseIRQ(timerIRQ, s.m.Now()+hal.Time(d))
	if _, err := e.Wait(sTimerNtfn); err != nil {
		return err
	}
	return e.IRQAck(sTimerIRQ)
}

// log prints the kernel log written since the last log.
func (s *script) log(e *user.Env) error {
	b := make([]byte, user.MaxPayload)
	for {
		n, next, err := e.ReadLog(abi.InitSlotSystem, s.logNext, b)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		s.out.Write(b[:n])
		s.logNext = next
	}
}
