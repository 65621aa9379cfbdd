package modsvc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/pipeline/audit"
	"github.com/skyscope-os/skyscope/pipeline/manager"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
)

// LabelLoadInto asks the manager to load a module inside a container (a container
// image's entry module): MR0 the length of the line "NAME VERSION DIGEST" (DIGEST the
// package's SHA3-512 in hex, as the image pins it) from word NumRegMRs; cap0 the
// container's System object (Write: abi.ContainerSystem gives it), cap1 (optional) a
// notification the module's task signals when it ends. The sender's capability needs
// BadgeAdmin and Grant. Reply as LabelCommand, and MR3 the task's pid inside the
// container.
const LabelLoadInto = 0xc2

// ErrBoundary is returned for a module that cannot run inside a container because
// what it asks for lives outside it: a service (the registry runs on the machine) or
// a capability to a service outside the container (only a link crosses).
var ErrBoundary = errors.New("crosses the container boundary")

// LoadInto asks the manager at ep (an administrator capability with Grant) to load
// module name at version v, whose package must have digest (the image's pin), into the
// container whose System object is in slot sys; notify (0: none) is signalled when
// the module's task ends. It returns the manager's output and the task's pid inside
// the container.
func LoadInto(e *user.Env, ep, sys, notify abi.CPtr, name string, v modpkg.Version, digest []byte) (string, uint64, error) {
	if len(digest) != 64 {
		return "", 0, fmt.Errorf("digest of %d bytes; want 64", len(digest))
	}
	line := fmt.Sprintf("%s %s %x", name, v, digest)
	if len(line) > user.MaxPayload {
		return "", 0, errors.New("module name too long")
	}
	e.SetMR(0, uint64(len(line)))
	words := e.SetPayload([]byte(line))
	e.SetCap(0, sys)
	ncaps := 1
	if notify != 0 {
		e.SetCap(1, notify)
		ncaps = 2
	}
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelLoadInto, max(words, 1), ncaps)); err != nil {
		return "", 0, err
	}
	st, total, pid := e.MR(0), e.MR(1), e.MR(3)
	out := string(e.Payload(int(min(e.MR(2), total))))
	if st != StatusOK {
		return "", 0, errors.New(strings.TrimRight(out, "\n"))
	}
	return out, pid, nil
}

// parseLoadInto reads a LabelLoadInto line.
func parseLoadInto(line string) (string, modpkg.Version, [64]byte, error) {
	var d [64]byte
	f := strings.Fields(line)
	if len(f) != 3 {
		return "", modpkg.Version{}, d, errors.New("malformed load-into request: want NAME VERSION DIGEST")
	}
	v, err := modpkg.ParseVersion(f[1])
	if err != nil {
		return "", v, d, err
	}
	b, err := hex.DecodeString(f[2])
	if err != nil || len(b) != len(d) {
		return "", v, d, errors.New("malformed load-into request: the digest is not 128 hex digits")
	}
	copy(d[:], b)
	return f[0], v, d, nil
}

// loadIntoRequest answers a LabelLoadInto request whose capabilities arrived in sys
// and notify (0: not sent).
func (s *Server) loadIntoRequest(line string, admin bool, sys, notify abi.CPtr) (string, uint64, error) {
	name, v, d, err := parseLoadInto(line)
	if err != nil {
		return "", 0, err
	}
	if !admin {
		return "", 0, s.refuse(name, v.String(), errors.New("load into a container: the capability used does not allow it"))
	}
	if sys == 0 {
		return "", 0, s.refuse(name, v.String(), errors.New("load into a container: no container System capability came with the request"))
	}
	return s.LoadInto(name, v, d, sys, notify)
}

// LoadInto loads module name at version v into the container whose System object is
// in slot sys of the manager's space (notify: signalled when its task ends; 0 none),
// as Load does — the repository index must list exactly the package digest pin, the
// package goes through the whole signature chain and the kernel's image cache — but
// the task is started through the container's System (SystemImageSpawn), so it runs
// in the container's budget, pid namespace, id maps and IPC names. The manifest's
// capability requests meet the policy as for Load, and then the container boundary: a
// service module is refused (its registry runs on the machine) and a service
// capability is not given (only a link crosses). The load is an audit record naming
// the container's task; a refusal is one too, and starts nothing. It returns the
// output and the task's pid inside the container.
func (s *Server) LoadInto(name string, v modpkg.Version, pin [64]byte, sys, notify abi.CPtr) (string, uint64, error) {
	start := s.c.Now()
	_, listed, err := s.version(name, &v)
	if err != nil {
		return "", 0, s.refuse(name, v.String(), fmt.Errorf("load into a container: %w", err))
	}
	if listed != pin {
		return "", 0, s.refuse(name, v.String(), fmt.Errorf("load into a container: the image pins package %x…, the repository index lists %x… for %s %s",
			pin[:8], listed[:8], name, v))
	}
	img, hit, err := s.prepare(name, &v)
	if err != nil {
		return "", 0, s.refuse(name, v.String(), fmt.Errorf("load into a container: %w", err))
	}
	m := img.manifest
	grants, refused := s.c.Policy.Endow(m.Name, m.Caps)
	if has(grants, CapService) {
		return "", 0, s.refuse(m.Name, m.Version.String(), fmt.Errorf("%s %s is a service module: %w (its registry runs on the machine); load it outside containers", m.Name, m.Version, ErrBoundary))
	}
	kept := grants[:0:0]
	for _, g := range grants {
		if g.Name == CapConsole {
			kept = append(kept, g)
		} else {
			refused = append(refused, g.Name+" ("+ErrBoundary.Error()+")")
		}
	}
	pid, err := s.startInContainer(img, kept, sys, notify)
	if err != nil {
		return "", 0, s.refuse(m.Name, m.Version.String(), fmt.Errorf("starting %s %s in the container: %w", m.Name, m.Version, err))
	}
	took := s.c.Now().Sub(start)
	s.stats.Loads++
	how := "verified and decompressed by the compression service"
	if hit {
		s.stats.Cached++
		s.stats.CachedTime += took
		how = "from the kernel's image cache"
	} else {
		s.stats.Cold++
		s.stats.ColdTime += took
	}
	delete(s.warm, img.binary)
	s.record(audit.KindLoad, m.Name, m.Version.String(), clip(fmt.Sprintf("into a container, its pid %d, binary %x…, %s", pid, img.binary[:6], how), audit.MaxDetail))
	var b strings.Builder
	fmt.Fprintf(&b, "loaded %s %s into the container as pid %d (%s, %v)\n", m.Name, m.Version, pid, how, took.Round(time.Microsecond))
	for _, g := range kept {
		fmt.Fprintf(&b, "  endowed: %s (%s)\n", g.Name, g.Rights)
	}
	for _, r := range refused {
		fmt.Fprintf(&b, "  refused: %s\n", r)
	}
	return b.String(), pid, nil
}

// startInContainer starts img's module through the container's System object sys
// with its endowment (at most two capabilities). The container's limits bound the
// task; the manifest's memory bounds it within them.
func (s *Server) startInContainer(img *image, grants []manager.Grant, sys, notify abi.CPtr) (uint64, error) {
	return s.startEndowed(img, grants, sys, img.manifest.MemoryLimit, notify)
}
