// Package modsvc is the module manager task: the seeds' module pipeline as a service
// on the kernel's IPC, written against the user library so that the same code runs in
// the simulation and on the machine.
//
// Loading a module (load NAME [VERSION]) follows the load protocol: find the version in
// the signed repository index (pipeline/repo), fetch the package from the store, check
// the package and manifest signatures, have the compression service (compress/service)
// decompress the binary into a region shared with it by capability, check the binary
// signature and the manifest's digest on what came back, put the image into the
// kernel's image cache (which checks the digest again), and start it with the
// capabilities the manifest requests and the policy allows — nothing more. A load whose
// image the kernel still holds skips fetching, decompressing and verifying. A predictor
// learned from the load sequence (pipeline/manager) warms the kernel cache with what is
// likely to be loaded next.
//
// Modules whose manifest requests "service" run under a service registry
// (pipeline/registry): clients hold a stable endpoint, and update NAME VERSION swaps
// the version serving it without losing a call, with state hand-over when the manifest
// declares it and rollback when the new version fails to initialise.
//
// A load into a container (LabelLoadInto, LoadInto: a container image's entry module,
// for ctr run) comes with the container's own System object: the module, exactly the
// package the image pins, goes through the same chain and is started through that
// System, so it runs inside the container, under its limits and namespaces; what it
// may be given is the policy's grant within the container boundary.
//
// Every load, refusal, update and rollback is an audit record (pipeline/audit),
// hash-chained and sealed in batches with a signature the key vault (pqc/vault) makes;
// the manager never holds the key.
package modsvc

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/compress"
	compsvc "github.com/skyscope-os/skyscope/compress/service"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/pipeline/audit"
	"github.com/skyscope-os/skyscope/pipeline/manager"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pipeline/registry"
	"github.com/skyscope-os/skyscope/pipeline/repo"
	"github.com/skyscope-os/skyscope/pqc"
	"github.com/skyscope-os/skyscope/pqc/vault"
)

// Request labels on the manager's endpoint.
const (
	// LabelCommand: MR0 the command line's length, the line from word NumRegMRs.
	// Reply: MR0 Status, MR1 the output's length, MR2 the bytes of it in this reply
	// (from word NumRegMRs).
	LabelCommand = 0xc0
	// LabelOutput: MR0 an offset in the last command's output. Reply as LabelCommand.
	LabelOutput = 0xc1
)

// Reply statuses (MR0).
const (
	StatusOK     = 0
	StatusFailed = 1 // the output says why
)

// BadgeAdmin on a capability to the manager allows load and update; without it only
// the commands that read (modules, services, audit) are answered.
const BadgeAdmin abi.Badge = 1

// CapService is the capability name a module's manifest requests to run as a service
// version under a registry.
const CapService = "service"

// ServiceCap returns the capability name that endows a client with a service's
// endpoint ("svc-NAME").
func ServiceCap(name string) string { return "svc-" + name }

// CapConsole is the capability name of the console.
const CapConsole = "console"

// Region sizes: the decompression region holds a package's compressed binary and the
// plain binary; the vault's holds a seal's message and a signature.
const (
	inPages    = 256 // 1 MiB of compressed binary
	outPages   = user.MaxRegionPages - inPages
	vaultIn    = 1 // the vault maps exactly the pages a request needs: seals are small
	vaultOut   = 2
	auditBatch = 8
)

// Config is what the manager task holds and is given.
type Config struct {
	System, Endpoint, Reply   abi.CPtr // machine System; requests (Read); a Reply object
	CSpace, AS, Untyped       abi.CPtr // its own capability space, address space, memory
	Slots                     *user.Slots
	RegionVA                  uint64   // where its regions are mapped: MaxRegionPages+vaultIn+vaultOut pages
	Compress, Vault, Registry abi.CPtr // the services it calls (Registry with BadgeUpdater)
	VaultKey                  int      // the vault's signing key for audit seals
	Store                     manager.Store
	Index                     []byte
	Trust                     *modpkg.TrustRoot
	Policy                    manager.Policy
	Now                       func() time.Time
	Log                       func(string)
	ConsoleFromSystem         bool // fetch a console capability (SystemConsole) to endow modules with
	LoadMemory, ServiceMemory uint64
}

// image is a module version whose binary the kernel's image cache holds (or held).
type image struct {
	manifest modpkg.Manifest
	binary   user.Digest
}

// service is a module running under the registry task.
type service struct {
	name    string
	version modpkg.Version
	client  abi.CPtr // the service endpoint, Write: what clients are endowed with
}

// Stats are the manager's counters.
type Stats struct {
	Loads, Cold, Cached, Refusals, Prefetches, PrefetchHits uint64
	ColdTime, CachedTime                                    time.Duration
}

// Server is the running manager.
type Server struct {
	e         *user.Env
	c         Config
	client    *repo.Client
	region    *user.Region
	vaultR    *user.Region
	log       *audit.Log
	vaultKey  *pqc.PublicKey
	images    map[[64]byte]*image // by package digest
	installed map[string]modpkg.Version
	services  map[string]*service
	pred      *manager.Predictor
	warm      map[user.Digest]bool // images prefetched and not yet used
	stats     Stats
	console   abi.CPtr
	out       []byte
	tasks     map[uint64]string // task id → "name version" of modules started
	spare     []abi.CPtr        // slots free again
	recent    []audit.Record    // the newest records, for the audit command
	recvSys   abi.CPtr          // where a LabelLoadInto request's container System arrives
	recvNote  abi.CPtr          // and its exit notification; both emptied after each request
}

// slot returns a free slot of the manager's capability space.
func (s *Server) slot() (abi.CPtr, error) {
	if n := len(s.spare); n > 0 {
		c := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return c, nil
	}
	return s.c.Slots.Take()
}

// record appends an audit record; a failure to seal is reported in the log of the
// task (the record itself is kept: the log is append-only).
func (s *Server) record(kind audit.Kind, subject, version, detail string) {
	r, err := s.log.Append(kind, subject, version, clip(detail, audit.MaxDetail))
	if err != nil {
		s.logf("audit: %v", err)
	}
	if r.Kind != 0 {
		s.recent = append(s.recent, r)
		if len(s.recent) > 12 {
			s.recent = s.recent[1:]
		}
	}
}

// New prepares the manager: the index verified against the trust root, its regions,
// the audit log whose seals the vault signs.
func New(e *user.Env, c Config) (*Server, error) {
	if c.Now == nil {
		c.Now = time.Now
	}
	s := &Server{e: e, c: c, images: map[[64]byte]*image{}, installed: map[string]modpkg.Version{},
		services: map[string]*service{}, pred: manager.NewPredictor(), warm: map[user.Digest]bool{},
		tasks: map[uint64]string{}}
	s.client = repo.NewClient(c.Trust)
	s.client.Now = c.Now
	s.client.Decode = s.decode
	if _, err := s.client.LoadIndex(c.Index); err != nil {
		return nil, fmt.Errorf("repository index: %w", err)
	}
	var err error
	if s.region, err = e.NewRegion(c.Slots, c.Untyped, c.CSpace, c.AS, c.RegionVA, inPages, outPages); err != nil {
		return nil, fmt.Errorf("decompression region: %w", err)
	}
	vaultVA := c.RegionVA + user.MaxRegionPages*abi.PageSize
	if s.vaultR, err = e.NewRegion(c.Slots, c.Untyped, c.CSpace, c.AS, vaultVA, vaultIn, vaultOut); err != nil {
		return nil, fmt.Errorf("vault region: %w", err)
	}
	if s.vaultKey, err = vault.PublicKey(e, c.Vault, s.vaultR, c.VaultKey); err != nil {
		return nil, fmt.Errorf("the vault's audit key: %w", err)
	}
	if s.log, err = audit.NewLog(vaultSigner{s}, auditBatch, c.Now); err != nil {
		return nil, err
	}
	if c.ConsoleFromSystem {
		if s.console, err = c.Slots.Take(); err != nil {
			return nil, err
		}
		if err := e.Console(c.System, c.CSpace, s.console); err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
	}
	if s.recvSys, err = c.Slots.Take(); err != nil {
		return nil, err
	}
	if s.recvNote, err = c.Slots.Take(); err != nil {
		return nil, err
	}
	s.logf("index serial %d verified: %d module versions; audit seals signed by the vault's key %s",
		s.client.Index().Serial, len(s.client.Index().Entries), s.vaultKey.ID().Short())
	return s, nil
}

// vaultSigner signs audit seals through the key vault.
type vaultSigner struct{ s *Server }

// Sign implements audit.Signer.
func (v vaultSigner) Sign(domain string, msg []byte) ([]byte, error) {
	return vault.Sign(v.s.e, v.s.c.Vault, v.s.vaultR, v.s.c.VaultKey, domain, msg)
}

// ID implements audit.Signer.
func (v vaultSigner) ID() pqc.KeyID { return v.s.vaultKey.ID() }

// AuditKey returns the public key that verifies the audit log's seals.
func (s *Server) AuditKey() *pqc.PublicKey { return s.vaultKey }

// AuditLog returns the audit log's bytes (the file `skyctl audit verify` checks).
func (s *Server) AuditLog() []byte { return s.log.Bytes() }

// Stats returns the manager's counters.
func (s *Server) Stats() Stats { return s.stats }

func (s *Server) logf(format string, args ...any) {
	if s.c.Log != nil {
		s.c.Log(fmt.Sprintf(format, args...))
	}
}

// decode is the repository client's decompression: a request to the compression
// service through the shared region. The plain binary stays in the region's output
// pages, from where the kernel's image cache takes it.
func (s *Server) decode(blob []byte, lim compress.Limits) ([]byte, error) {
	h, err := compress.ParseHeader(blob)
	if err != nil {
		return nil, err
	}
	if h.PlainSize > lim.MaxPlainSize {
		return nil, fmt.Errorf("plain size %d exceeds the limit %d", h.PlainSize, lim.MaxPlainSize)
	}
	if h.PlainSize > s.region.OutPages*abi.PageSize {
		return nil, fmt.Errorf("binary of %d bytes does not fit the decompression region (%d bytes)", h.PlainSize, s.region.OutPages*abi.PageSize)
	}
	return compsvc.Decode(s.e, s.c.Compress, s.region, blob)
}

// Serve answers requests forever. Only LabelLoadInto takes capabilities; whatever a
// request brought is deleted once it is answered, so the manager keeps no authority
// over a container after loading into it.
func (s *Server) Serve() {
	e, c := s.e, s.c
	e.SetRecvSlot(0, s.recvSys)
	e.SetRecvSlot(1, s.recvNote)
	badge, info, err := e.Recv(c.Endpoint, c.Reply)
	for {
		st, off, pid := uint64(StatusFailed), uint64(0), uint64(0)
		switch {
		case err != nil:
			s.out = []byte("malformed request\n")
		case info.Label() == LabelCommand && e.MR(0) <= user.MaxPayload:
			line := string(e.Payload(int(e.MR(0))))
			out, cerr := s.exec(line, badge&BadgeAdmin != 0)
			s.out = []byte(out)
			if cerr == nil {
				st = StatusOK
			} else {
				s.out = append(s.out, cerr.Error()+"\n"...)
			}
		case info.Label() == LabelLoadInto && e.MR(0) <= user.MaxPayload:
			line := string(e.Payload(int(e.MR(0))))
			sys, note := abi.CPtr(0), abi.CPtr(0)
			if info.ExtraCaps() > 0 {
				sys = s.recvSys
			}
			if info.ExtraCaps() > 1 {
				note = s.recvNote
			}
			s.reap()
			out, p, cerr := s.loadIntoRequest(line, badge&BadgeAdmin != 0, sys, note)
			s.out = []byte(out)
			if cerr == nil {
				st, pid = StatusOK, p
			} else {
				s.out = append(s.out, cerr.Error()+"\n"...)
			}
		case info.Label() == LabelOutput:
			st, off = StatusOK, min(e.MR(0), uint64(len(s.out)))
		default:
			s.out = []byte("unknown request\n")
		}
		// Capabilities that came with any request are not kept.
		e.Delete(c.CSpace, s.recvSys)
		e.Delete(c.CSpace, s.recvNote)
		chunk := s.out[off:min(off+user.MaxPayload, uint64(len(s.out)))]
		e.SetMR(0, st)
		e.SetMR(1, uint64(len(s.out)))
		e.SetMR(2, uint64(len(chunk)))
		e.SetMR(3, pid)
		words := e.SetPayload(chunk)
		e.SetRecvSlot(0, s.recvSys)
		e.SetRecvSlot(1, s.recvNote)
		badge, info, err = e.ReplyRecv(c.Endpoint, c.Reply, abi.NewMsgInfo(0, max(words, 4), 0))
	}
}

// Command sends a command line to the manager at ep and returns its output; a failed
// command's error holds the output.
func Command(e *user.Env, ep abi.CPtr, line string) (string, error) {
	if len(line) > user.MaxPayload {
		return "", errors.New("command too long")
	}
	e.SetMR(0, uint64(len(line)))
	words := e.SetPayload([]byte(line))
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelCommand, max(words, 1), 0)); err != nil {
		return "", err
	}
	st, total := e.MR(0), e.MR(1)
	out := e.Payload(int(e.MR(2)))
	for uint64(len(out)) < total {
		e.SetMR(0, uint64(len(out)))
		if _, err := e.Call(ep, abi.NewMsgInfo(LabelOutput, 1, 0)); err != nil {
			return string(out), err
		}
		n := e.MR(2)
		if n == 0 {
			break
		}
		out = append(out, e.Payload(int(n))...)
	}
	if st != StatusOK {
		return "", errors.New(strings.TrimRight(string(out), "\n"))
	}
	return string(out), nil
}

// Exec runs a command line as an administrator would, for tests and the task's own
// start-up.
func (s *Server) Exec(line string) (string, error) { return s.exec(line, true) }

func (s *Server) exec(line string, admin bool) (string, error) {
	s.reap()
	f := strings.Fields(line)
	if len(f) == 0 {
		return "", errors.New("empty command")
	}
	switch f[0] {
	case "modules":
		return s.modules(), nil
	case "services":
		return s.servicesText(), nil
	case "audit":
		switch {
		case len(f) == 1:
			return s.auditText()
		case len(f) == 2 && f[1] == "log":
			// The log file itself, sealed first, for `skyctl audit verify`.
			if err := s.log.Seal(); err != nil {
				return "", fmt.Errorf("sealing the audit log: %w", err)
			}
			return string(s.log.Bytes()), nil
		case len(f) == 2 && f[1] == "key":
			b, err := pqc.EncodePublicKeyFile(s.vaultKey)
			return string(b), err
		}
		return "", errors.New("usage: audit [log|key]")
	case "load", "update":
		if !admin {
			return "", s.refuse(strings.Join(f[1:min(2, len(f))], ""), "", fmt.Errorf("%s: the capability used does not allow it", f[0]))
		}
		if len(f) < 2 || len(f) > 3 || f[0] == "update" && len(f) != 3 {
			return "", fmt.Errorf("usage: load NAME [VERSION] | update NAME VERSION")
		}
		var v *modpkg.Version
		if len(f) == 3 {
			pv, err := modpkg.ParseVersion(f[2])
			if err != nil {
				return "", err
			}
			v = &pv
		}
		if f[0] == "load" {
			return s.Load(f[1], v)
		}
		return s.Update(f[1], *v)
	}
	return "", fmt.Errorf("unknown command %q: modules, load NAME [VERSION], update NAME VERSION, services, audit [log|key]", f[0])
}

// reap reads the status of the plain modules that ended, so that the kernel forgets
// them (services' versions are their registries' to reap).
func (s *Server) reap() {
	for id := range s.tasks {
		if st, _, err := s.e.TaskStatus(s.c.System, id); err != nil || st != abi.TaskLive {
			delete(s.tasks, id)
		}
	}
}

// version picks the version of name to load: v if given (it must be listed), else the
// newest the index lists. It returns the package digest the index lists for it.
func (s *Server) version(name string, v *modpkg.Version) (modpkg.Version, [64]byte, error) {
	var d [64]byte
	idx := s.client.Index()
	var ver modpkg.Version
	if v != nil {
		ver = *v
	} else {
		latest, ok := idx.Latest(name)
		if !ok {
			return ver, d, fmt.Errorf("%w: %s", manager.ErrNotInIndex, name)
		}
		ver = latest
	}
	want, ok := idx.Lookup(name, ver)
	if !ok {
		return ver, d, fmt.Errorf("%w: %s %s is not listed in index serial %d", repo.ErrNotListed, name, ver, idx.Serial)
	}
	copy(d[:], want)
	if cur, ok := s.installed[name]; ok && ver.Compare(cur) < 0 {
		return ver, d, fmt.Errorf("%w: %s %s is older than the installed %s", repo.ErrRollback, name, ver, cur)
	}
	return ver, d, nil
}

// prepare makes sure the kernel caches the image of name at version v (nil: newest)
// and returns it, and whether it was cached already. Nothing is started.
func (s *Server) prepare(name string, v *modpkg.Version) (*image, bool, error) {
	ver, pkgDigest, err := s.version(name, v)
	if err != nil {
		return nil, false, err
	}
	if img := s.images[pkgDigest]; img != nil && s.cached(img.binary) {
		return img, true, nil
	}
	pkg, err := s.c.Store.Fetch(name, ver)
	if err != nil {
		return nil, false, fmt.Errorf("fetching %s %s: %w", name, ver, err)
	}
	verified, err := s.client.VerifyPackage(pkg)
	if err != nil {
		return nil, false, fmt.Errorf("%s %s refused: %w", name, ver, err)
	}
	m := verified.Manifest()
	img := &image{manifest: m}
	copy(img.binary[:], m.BinaryDigest)
	// The plain binary is still in the region's output pages, where decode left it:
	// the kernel copies it from there, checks its digest, and checks the binary
	// signature (put in the input pages, free again) against its own trust root.
	sig := verified.BinarySignature()
	s.e.Store(s.region.InputVA(), sig)
	if err := s.e.PutImage(s.c.System, s.region.OutputVA(), m.BinarySize, img.binary, m.Entry, m.Sharable, false,
		s.region.InputVA(), uint64(len(sig))); err != nil {
		return nil, false, fmt.Errorf("%s %s: the kernel's image cache: %w", name, ver, err)
	}
	s.images[pkgDigest] = img
	return img, false, nil
}

// cached reports whether the kernel's image cache holds digest d.
func (s *Server) cached(d user.Digest) bool {
	imgs, err := s.e.Images(s.c.System)
	if err != nil {
		return false
	}
	for _, i := range imgs {
		if i.Digest == d {
			return true
		}
	}
	return false
}

// refuse records a refusal and returns err.
func (s *Server) refuse(name, version string, err error) error {
	s.stats.Refusals++
	s.record(audit.KindRefuse, name, version, err.Error())
	return err
}

func clip(t string, n int) string {
	if len(t) > n {
		return t[:n]
	}
	return t
}

// Load loads module name (version v, or the newest) and starts it: a plain module as
// a task endowed by the policy, a service module under a new registry.
func (s *Server) Load(name string, v *modpkg.Version) (string, error) {
	vs := "newest"
	if v != nil {
		vs = v.String()
	}
	if _, running := s.services[name]; running {
		return "", s.refuse(name, vs, fmt.Errorf("%s already runs as a service: update it instead", name))
	}
	start := s.c.Now()
	img, hit, err := s.prepare(name, v)
	if err != nil {
		return "", s.refuse(name, vs, err)
	}
	m := img.manifest
	grants, refused := s.c.Policy.Endow(m.Name, m.Caps)
	var b strings.Builder
	var id uint64
	if has(grants, CapService) {
		id, err = s.startService(img)
	} else {
		id, err = s.startPlain(img, grants)
	}
	if err != nil {
		return "", s.refuse(m.Name, m.Version.String(), fmt.Errorf("starting %s %s: %w", m.Name, m.Version, err))
	}
	took := s.c.Now().Sub(start)
	s.stats.Loads++
	how := "verified and decompressed by the compression service"
	if hit {
		s.stats.Cached++
		s.stats.CachedTime += took
		how = "from the kernel's image cache"
		if s.warm[img.binary] {
			s.stats.PrefetchHits++
			how += ", prefetched"
		}
	} else {
		s.stats.Cold++
		s.stats.ColdTime += took
	}
	delete(s.warm, img.binary)
	s.installed[m.Name] = m.Version
	s.client.Installed(m.Name, m.Version)
	if !has(grants, CapService) {
		s.tasks[id] = m.Name + " " + m.Version.String()
	}
	s.record(audit.KindLoad, m.Name, m.Version.String(), clip(fmt.Sprintf("task %d, binary %x…, %s", id, img.binary[:6], how), audit.MaxDetail))
	fmt.Fprintf(&b, "loaded %s %s as task %d (%s, %v)\n", m.Name, m.Version, id, how, took.Round(time.Microsecond))
	for _, g := range grants {
		fmt.Fprintf(&b, "  endowed: %s (%s)\n", g.Name, g.Rights)
	}
	for _, r := range refused {
		fmt.Fprintf(&b, "  refused by the policy: %s\n", r)
	}
	s.pred.Observe(m.Name)
	s.prefetch(m.Name, &b)
	return b.String(), nil
}

func has(grants []manager.Grant, name string) bool {
	for _, g := range grants {
		if g.Name == name {
			return true
		}
	}
	return false
}

// prefetch warms the kernel's cache with the modules predicted to follow name.
func (s *Server) prefetch(name string, b *strings.Builder) {
	for _, next := range s.pred.Next(name) {
		img, hit, err := s.prepare(next, nil)
		if err != nil || hit {
			continue
		}
		s.stats.Prefetches++
		s.warm[img.binary] = true
		fmt.Fprintf(b, "  prefetched %s %s into the image cache\n", img.manifest.Name, img.manifest.Version)
	}
}

// startPlain starts a module as a task with its endowment: at most two capabilities,
// at InitFirstFree and the slot after it, in name order.
func (s *Server) startPlain(img *image, grants []manager.Grant) (uint64, error) {
	return s.startEndowed(img, grants, s.c.System, min(img.manifest.MemoryLimit, s.c.LoadMemory), 0)
}

// startEndowed starts img's module through the System object sys with mem bytes of
// memory, notify signalled at its end, and the grants copied into slots of the
// manager's own for the start and deleted after it (the task keeps its copies).
func (s *Server) startEndowed(img *image, grants []manager.Grant, sys abi.CPtr, mem uint64, notify abi.CPtr) (uint64, error) {
	var caps, made []abi.CPtr
	defer func() {
		for _, c := range made {
			s.e.Delete(s.c.CSpace, c)
			s.spare = append(s.spare, c)
		}
	}()
	for _, g := range grants {
		src, ok := s.source(g.Name)
		if !ok {
			return 0, fmt.Errorf("%s: nothing to endow %s with (is the service loaded?)", img.manifest.Name, g.Name)
		}
		slot, err := s.slot()
		if err != nil {
			return 0, err
		}
		made = append(made, slot)
		if err := s.e.Copy(s.c.CSpace, slot, s.c.CSpace, src, g.Rights); err != nil {
			return 0, fmt.Errorf("endowing %s: %w", g.Name, err)
		}
		caps = append(caps, slot)
	}
	if len(caps) > 2 {
		return 0, fmt.Errorf("%s: %d capabilities endowed; a task starts with at most 2", img.manifest.Name, len(caps))
	}
	return s.e.StartImage(sys, img.binary, []string{img.manifest.Entry}, mem, 0, notify, caps...)
}

// source returns the capability a grant name stands for.
func (s *Server) source(name string) (abi.CPtr, bool) {
	if name == CapConsole && s.console != 0 {
		return s.console, true
	}
	if svc, ok := strings.CutPrefix(name, "svc-"); ok {
		if x := s.services[svc]; x != nil {
			return x.client, true
		}
	}
	return 0, false
}

// startService registers a service module with the registry task, which starts its
// first version from the image the kernel caches; the manager keeps the capability to
// call the service, to endow clients with.
func (s *Server) startService(img *image) (uint64, error) {
	m := img.manifest
	client, err := s.slot()
	if err != nil {
		return 0, err
	}
	mem := min(m.MemoryLimit, s.c.ServiceMemory)
	out, id, err := registry.Register(s.e, s.c.Registry, client, m.Name, img.binary, m.Entry, mem)
	if err == nil && out != registry.Updated {
		err = errors.New(registry.OutcomeText(out))
	}
	if err != nil {
		s.e.Delete(s.c.CSpace, client)
		s.spare = append(s.spare, client)
		return 0, fmt.Errorf("registering the service: %w", err)
	}
	s.services[m.Name] = &service{name: m.Name, version: m.Version, client: client}
	return id, nil
}

// serving returns the task serving service name and its registry's phase.
func (s *Server) serving(name string) (uint64, registry.Phase) {
	id, phase, _, _ := registry.Status(s.e, s.c.Registry, name)
	return id, phase
}

// Update replaces the version serving module name with version v, through its
// registry: no call is lost; if v fails to initialise, the serving version goes on.
func (s *Server) Update(name string, v modpkg.Version) (string, error) {
	svc := s.services[name]
	if svc == nil {
		return "", s.refuse(name, v.String(), fmt.Errorf("%s is not a running service: load it first", name))
	}
	img, _, err := s.prepare(name, &v)
	if err != nil {
		return "", s.refuse(name, v.String(), err)
	}
	from := svc.version
	if !has(grantsOf(s.c.Policy, img), CapService) {
		return "", s.refuse(name, v.String(), fmt.Errorf("%s %s is not a service module", name, v))
	}
	s.record(audit.KindUpdateStart, name, v.String(), "from "+from.String())
	mem := min(img.manifest.MemoryLimit, s.c.ServiceMemory)
	out, id, err := registry.UpdateImage(s.e, s.c.Registry, name, img.binary, img.manifest.Entry, mem, img.manifest.StateHandover)
	if err != nil {
		return "", s.refuse(name, v.String(), fmt.Errorf("the registry task: %w", err))
	}
	if out != registry.Updated {
		kind := audit.KindRollback
		if out == registry.NoProgram || out == registry.NotAllowed {
			kind = audit.KindRefuse
		}
		s.record(kind, name, v.String(), registry.OutcomeText(out))
		s.stats.Refusals++
		return "", fmt.Errorf("update %s %s → %s: %s; %s %s (task %d) serves", name, from, v, registry.OutcomeText(out), name, from, id)
	}
	svc.version = v
	s.installed[name] = v
	s.client.Installed(name, v)
	handover := ""
	if img.manifest.StateHandover {
		handover = ", state handed over"
	}
	s.record(audit.KindUpdateCommit, name, v.String(), fmt.Sprintf("from %s, task %d%s", from, id, handover))
	return fmt.Sprintf("updated %s %s → %s: task %d serves%s\n", name, from, v, id, handover), nil
}

// grantsOf returns what the policy endows img's module with.
func grantsOf(p manager.Policy, img *image) []manager.Grant {
	g, _ := p.Endow(img.manifest.Name, img.manifest.Caps)
	return g
}

// modules lists the repository's modules: version, whether the kernel caches the
// image and what runs; then the manager's and the cache's figures.
func (s *Server) modules() string {
	var b strings.Builder
	idx := s.client.Index()
	fmt.Fprintf(&b, "repository index serial %d (expires %s), %d versions\n", idx.Serial,
		time.Unix(idx.Expires, 0).UTC().Format("2006-01-02"), len(idx.Entries))
	fmt.Fprintf(&b, "%-16s %-8s %-10s %s\n", "MODULE", "VERSION", "IMAGE", "STATE")
	imgs, _ := s.e.Images(s.c.System)
	inKernel := map[user.Digest]bool{}
	for _, i := range imgs {
		inKernel[i.Digest] = true
	}
	for _, en := range idx.Entries {
		var d [64]byte
		copy(d[:], en.Digest)
		state, cached := "", "-"
		if img := s.images[d]; img != nil && inKernel[img.binary] {
			cached = "cached"
		}
		if cur, ok := s.installed[en.Name]; ok && cur == en.Version {
			state = "installed"
			if svc := s.services[en.Name]; svc != nil {
				id, _ := s.serving(en.Name)
				state = fmt.Sprintf("serving (task %d)", id)
			}
		}
		fmt.Fprintf(&b, "%-16s %-8s %-10s %s\n", en.Name, en.Version, cached, state)
	}
	st := s.stats
	fmt.Fprintf(&b, "loads %d (%d cold, %d from the image cache), refusals %d, prefetches %d (%d used)\n",
		st.Loads, st.Cold, st.Cached, st.Refusals, st.Prefetches, st.PrefetchHits)
	if st.Cold > 0 && st.Cached > 0 {
		fmt.Fprintf(&b, "mean load: cold %v, cached %v\n", (st.ColdTime / time.Duration(st.Cold)).Round(time.Microsecond),
			(st.CachedTime / time.Duration(st.Cached)).Round(time.Microsecond))
	}
	if cs, err := s.e.ImageStats(s.c.System); err == nil {
		fmt.Fprintf(&b, "kernel image cache: %d images, %d of %d KiB, %d hits, %d misses, %d evictions\n",
			cs.Images, cs.Bytes>>10, cs.Limit>>10, cs.Hits, cs.Misses, cs.Evictions)
	}
	return b.String()
}

// servicesText lists the services and who serves each.
func (s *Server) servicesText() string {
	if len(s.services) == 0 {
		return "no services (load a service module: load NAME)\n"
	}
	names := make([]string, 0, len(s.services))
	for n := range s.services {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %-8s %-6s %s\n", "SERVICE", "VERSION", "TASK", "REGISTRY")
	for _, n := range names {
		svc := s.services[n]
		id, phase := s.serving(n)
		fmt.Fprintf(&b, "%-16s %-8s %-6d %s\n", n, svc.version, id, phase)
	}
	return b.String()
}

// auditText seals the log, verifies it with the vault's public key and summarises it
// with its newest records.
func (s *Server) auditText() (string, error) {
	if err := s.log.Seal(); err != nil {
		return "", fmt.Errorf("sealing the audit log: %w", err)
	}
	data := s.log.Bytes()
	rep, err := audit.Verify(data, audit.NewTrustRoot(s.vaultKey), audit.Strict())
	if err != nil {
		return "", fmt.Errorf("the audit log does not verify: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "audit log: %d records, %d seals, %d bytes; hash chain and seals verify with the vault's key %s (ML-DSA-87, NIST level 5)\n",
		rep.Records, rep.Seals, len(data), s.vaultKey.ID().Short())
	for _, r := range s.recent {
		fmt.Fprintf(&b, "  #%-3d %-13s %s %s %s\n", r.Seq, r.Kind, r.Subject, r.Version, r.Detail)
	}
	return b.String(), nil
}
