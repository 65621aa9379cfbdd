package registry

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// The registry task: one task holding the registries of every service (service name →
// its stable endpoint and the version serving it). The module manager prepares a
// version's image in the kernel's image cache and asks the registry task to register
// a service with it, or to update a service to another image; the registry task
// starts versions itself (SystemImageSpawn), so it never calls back into the manager.

// Labels of requests to the registry task (from a capability with BadgeUpdater).
const (
	// LabelRegister: MR0 name length, MR1 memory, MR2 entry length; from word
	// NumRegMRs the image digest, the name, the entry. Reply: MR0 outcome, MR1 task id
	// of version 1; on Updated, cap0 a capability to call the service (Write), which
	// the caller receives in its receive slot.
	LabelRegister = 0x5e01
	// LabelUpdateImage: as LabelRegister, MR3 1 for state hand-over. Reply: MR0
	// outcome, MR1 the serving version's task id.
	LabelUpdateImage = 0x5e02
	// LabelStatus: MR0 name length, the name from word NumRegMRs. Reply: MR0 1 if the
	// service exists, MR1 the serving task id, MR2 its registry's Phase.
	LabelStatus = 0x5e03
)

// Exists is the outcome of registering a name already taken.
const Exists = 6

// ServerConfig is what the registry task holds.
type ServerConfig struct {
	System, Endpoint, Reply, CSpace, Untyped abi.CPtr
	Slots                                    *user.Slots // free slots for each service's objects
	Timeout                                  int         // polls a new version has to report ready
	PollNanos                                int64
	Log                                      func(string)
}

// Server is the running registry task.
type Server struct {
	e        *user.Env
	c        ServerConfig
	services map[string]*hosted
}

type hosted struct {
	reg    *Registry
	client abi.CPtr
}

// NewServer returns a registry task's server.
func NewServer(e *user.Env, c ServerConfig) *Server {
	return &Server{e: e, c: c, services: map[string]*hosted{}}
}

// image names a version the way the Start hook reads it: the digest in hex, the
// entry and the memory budget.
func image(d user.Digest, entry string, mem uint64) string {
	return fmt.Sprintf("%x %s %d", d[:], entry, mem)
}

// start is every service registry's Start hook: it starts the cached image a program
// string names.
func (s *Server) start(program string, exit, service, report abi.CPtr) (uint64, error) {
	var hexd, entry string
	var mem uint64
	if _, err := fmt.Sscanf(program, "%s %s %d", &hexd, &entry, &mem); err != nil {
		return 0, fmt.Errorf("bad version %q", program)
	}
	var d user.Digest
	if b, err := hex.DecodeString(hexd); err != nil || len(b) != len(d) {
		return 0, fmt.Errorf("bad digest in %q", program)
	} else {
		copy(d[:], b)
	}
	return s.e.StartImage(s.c.System, d, []string{entry}, mem, 0, exit, service, report)
}

// Serve answers requests forever.
func (s *Server) Serve() {
	e, c := s.e, s.c
	badge, info, err := e.Recv(c.Endpoint, c.Reply)
	for {
		words, caps := s.handle(badge, info, err)
		badge, info, err = e.ReplyRecv(c.Endpoint, c.Reply, abi.NewMsgInfo(0, words, caps))
	}
}

// handle serves one request and sets the reply's words; it returns their count and
// the number of capabilities.
func (s *Server) handle(badge abi.Badge, info abi.MsgInfo, err error) (int, int) {
	e := s.e
	fail := func(out uint64) (int, int) { e.SetMR(0, out); e.SetMR(1, 0); e.SetMR(2, 0); return 3, 0 }
	if err != nil || badge&BadgeUpdater == 0 {
		return fail(NotAllowed)
	}
	switch info.Label() {
	case LabelRegister, LabelUpdateImage:
		nameLen, mem, entryLen, handover := e.MR(0), e.MR(1), e.MR(2), e.MR(3) == 1
		if nameLen == 0 || entryLen == 0 || abi.ImageDigestBytes+nameLen+entryLen > user.MaxPayload {
			return fail(NoProgram)
		}
		p := e.Payload(int(abi.ImageDigestBytes + nameLen + entryLen))
		var d user.Digest
		copy(d[:], p)
		name := string(p[abi.ImageDigestBytes : abi.ImageDigestBytes+nameLen])
		entry := string(p[abi.ImageDigestBytes+nameLen:])
		if strings.ContainsAny(name+entry, " \x00") {
			return fail(NoProgram)
		}
		if info.Label() == LabelRegister {
			return s.register(name, image(d, entry, mem))
		}
		h := s.services[name]
		if h == nil {
			return fail(NoProgram)
		}
		out := h.reg.Update(image(d, entry, mem), handover)
		id, _ := h.reg.Current()
		e.SetMR(0, out)
		e.SetMR(1, id)
		return 2, 0
	case LabelStatus:
		n := e.MR(0)
		if n == 0 || n > user.MaxPayload {
			return fail(NoProgram)
		}
		h := s.services[string(e.Payload(int(n)))]
		if h == nil {
			e.SetMR(0, 0)
			return 1, 0
		}
		id, _ := h.reg.Current()
		e.SetMR(0, 1)
		e.SetMR(1, id)
		e.SetMR(2, uint64(h.reg.Phase()))
		return 3, 0
	}
	return fail(NotAllowed)
}

// register makes a service's endpoints and registry, starts version 1 and answers
// with a capability to call the service.
func (s *Server) register(name, program string) (int, int) {
	e, c := s.e, s.c
	fail := func(out uint64) (int, int) { e.SetMR(0, out); e.SetMR(1, 0); return 2, 0 }
	if s.services[name] != nil {
		return fail(Exists)
	}
	var slots [10]abi.CPtr
	for i := range slots {
		x, err := c.Slots.Take() // consecutive: the last five are the registry's Free
		if err != nil {
			return fail(NoProgram)
		}
		slots[i] = x
	}
	regEP, svcEP, reply, exit, client := slots[0], slots[1], slots[2], slots[3], slots[4]
	for _, o := range []struct {
		slot abi.CPtr
		typ  abi.ObjectType
	}{{regEP, abi.ObjEndpoint}, {svcEP, abi.ObjEndpoint}, {reply, abi.ObjReply}, {exit, abi.ObjNotification}} {
		if err := e.Retype(c.Untyped, o.typ, 0, c.CSpace, o.slot, 1); err != nil {
			return fail(NoProgram)
		}
	}
	if err := e.Copy(c.CSpace, client, c.CSpace, svcEP, abi.RightWrite); err != nil {
		return fail(NoProgram)
	}
	reg, err := Start(e, Config{System: c.System, Endpoint: regEP, Service: svcEP, Reply: reply, Exit: exit,
		CSpace: c.CSpace, Free: slots[5], Initial: program, Timeout: c.Timeout, PollNanos: c.PollNanos,
		Log: c.Log, Start: s.start, AwaitFirst: true})
	if err != nil {
		var a errAbort
		out := uint64(NoProgram)
		if errors.As(err, &a) {
			out = uint64(a)
		}
		for _, x := range slots[:5] {
			e.Delete(c.CSpace, x)
		}
		return fail(out)
	}
	s.services[name] = &hosted{reg: reg, client: client}
	id, _ := reg.Current()
	if c.Log != nil {
		c.Log(fmt.Sprintf("service %s registered: task %d serves", name, id))
	}
	e.SetMR(0, Updated)
	e.SetMR(1, id)
	e.SetCap(0, client)
	return 2, 1
}

// setImageRequest writes a Register or UpdateImage request's words.
func setImageRequest(e *user.Env, name string, d user.Digest, entry string, mem uint64, handover bool) (int, error) {
	if abi.ImageDigestBytes+len(name)+len(entry) > user.MaxPayload {
		return 0, errors.New("service name and entry too long")
	}
	e.SetMR(0, uint64(len(name)))
	e.SetMR(1, mem)
	e.SetMR(2, uint64(len(entry)))
	e.SetMR(3, 0)
	if handover {
		e.SetMR(3, 1)
	}
	return e.SetPayload(append(append(d[:], name...), entry...)), nil
}

// Register asks the registry task at ep (with BadgeUpdater) to make service name
// with the cached image d (program entry, memory bytes) as version 1. On Updated the
// capability to call the service arrives in slot recv of the caller's capability
// space. It returns the outcome and the task id of version 1.
func Register(e *user.Env, ep, recv abi.CPtr, name string, d user.Digest, entry string, mem uint64) (uint64, uint64, error) {
	words, err := setImageRequest(e, name, d, entry, mem, false)
	if err != nil {
		return 0, 0, err
	}
	e.SetRecvSlot(0, recv)
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelRegister, words, 0)); err != nil {
		return 0, 0, err
	}
	return e.MR(0), e.MR(1), nil
}

// UpdateImage asks the registry task to replace service name's version with the
// cached image d, handing state over if handover. It returns the outcome and the
// serving version's task id.
func UpdateImage(e *user.Env, ep abi.CPtr, name string, d user.Digest, entry string, mem uint64, handover bool) (uint64, uint64, error) {
	words, err := setImageRequest(e, name, d, entry, mem, handover)
	if err != nil {
		return 0, 0, err
	}
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelUpdateImage, words, 0)); err != nil {
		return 0, 0, err
	}
	return e.MR(0), e.MR(1), nil
}

// Status asks the registry task which task serves service name and where its
// registry is in an update; ok is false for an unknown service.
func Status(e *user.Env, ep abi.CPtr, name string) (id uint64, phase Phase, ok bool, err error) {
	if name == "" || len(name) > user.MaxPayload {
		return 0, 0, false, errors.New("bad service name")
	}
	e.SetMR(0, uint64(len(name)))
	words := e.SetPayload([]byte(name))
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelStatus, words, 0)); err != nil {
		return 0, 0, false, err
	}
	if e.MR(0) != 1 {
		return 0, 0, false, nil
	}
	return e.MR(1), Phase(e.MR(2)), true, nil
}

// Task slots of the registry task as the module manager starts it.
const (
	TaskSlotSystem   = abi.InitFirstFree     // the machine's System object
	TaskSlotEndpoint = abi.InitFirstFree + 1 // requests, receive only (with GrantReply)
	taskSlotReply    = abi.InitFirstFree + 2
	taskSlotFirst    = abi.InitFirstFree + 8 // services' objects from here up
)

// RunTask is the registry task's life: it makes its Reply object and serves the
// module manager's requests forever.
func RunTask(e *user.Env, timeout int, pollNanos int64, log func(string)) error {
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, taskSlotReply, 1); err != nil {
		return err
	}
	NewServer(e, ServerConfig{System: TaskSlotSystem, Endpoint: TaskSlotEndpoint, Reply: taskSlotReply,
		CSpace: abi.InitSlotCSpace, Untyped: abi.InitSlotUntyped,
		Slots: &user.Slots{Next: taskSlotFirst, Limit: 1 << abi.ProcessCSpaceRadix}, Timeout: timeout,
		PollNanos: pollNanos, Log: log}).Serve()
	return nil
}
