package manager

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pipeline/repo"
	"github.com/skyscope-os/skyscope/pqc"
	"pgregory.net/rapid"
)

var (
	once  sync.Once
	key   *pqc.PrivateKey
	store MapStore
	index []byte
)

// binary returns n bytes that compress like program text.
func binary(seed uint64, n int) []byte {
	r := mathrand.New(mathrand.NewPCG(seed, 1))
	words := []string{"MOVQ ", "CALL ", "runtime.", "main.", "\x00\x00", "RET\n", "fmt."}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(byte(r.IntN(256)))
	}
	return b.Bytes()[:n]
}

func setup(t testing.TB) {
	once.Do(func() {
		var err error
		if key, err = pqc.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
		store = MapStore{}
		var es []repo.Entry
		for i, m := range []struct {
			name, version string
			caps          []string
		}{
			{"hello", "1.0.0", []string{"console"}},
			{"hello", "1.1.0", []string{"console", "system"}},
			{"shell", "2.0.0", []string{"console", "system"}},
			{"ls", "1.0.0", []string{"console", "fs"}},
			{"cat", "1.0.0", []string{"console", "fs"}},
		} {
			v, _ := modpkg.ParseVersion(m.version)
			p, err := modpkg.Pack(key, modpkg.Manifest{Name: m.name, Version: v, Entry: m.name, Caps: m.caps, MemoryLimit: 1 << 20},
				binary(uint64(i), 2<<20), compress.LevelFastest)
			if err != nil {
				panic(err)
			}
			store[m.name+" "+m.version] = p
			d := pqc.Sum512(p)
			es = append(es, repo.Entry{Name: m.name, Version: v, Digest: d[:]})
		}
		if index, err = repo.Sign(key, 1, time.Now().Add(time.Hour), es); err != nil {
			panic(err)
		}
	})
}

var policy = Policy{
	Global:    map[string]abi.Rights{"console": abi.RightWrite},
	PerModule: map[string]map[string]abi.Rights{"shell": {"system": abi.AllRights}, "ls": {"fs": abi.RightRead}},
}

// newManager returns a manager over s (nil: the test store) with a cache of
// cacheBytes.
func newManager(t testing.TB, s Store, cacheBytes uint64) *Manager {
	t.Helper()
	setup(t)
	if s == nil {
		s = store
	}
	c := repo.NewClient(modpkg.NewTrustRoot(key.Public()))
	if _, err := c.LoadIndex(index); err != nil {
		t.Fatal(err)
	}
	return New(c, s, cacheBytes, policy)
}

func TestLoad(t *testing.T) {
	m := newManager(t, nil, 64<<20)
	l, err := m.Load("hello")
	if err != nil {
		t.Fatal(err)
	}
	if man := l.Image.Manifest(); man.Version.String() != "1.1.0" || l.FromCache {
		t.Fatalf("loaded %s, from cache %v", man.Version, l.FromCache)
	}
	// hello asks for console and system; the policy gives everyone console (write).
	if fmt.Sprint(l.Grants) != "[{console -W--}]" || fmt.Sprint(l.Refused) != "[system]" {
		t.Fatalf("grants %v refused %v", l.Grants, l.Refused)
	}
	again, err := m.Load("hello")
	if err != nil || !again.FromCache || again.Image != l.Image {
		t.Fatalf("second load: %v from cache %v", err, again.FromCache)
	}
	s, err := m.Load("shell")
	if err != nil || fmt.Sprint(s.Grants) != "[{console -W--} {system RWGP}]" {
		t.Fatalf("shell: %v %v", err, s.Grants)
	}
	if _, err := m.Load("nonesuch"); !errors.Is(err, ErrNotInIndex) {
		t.Fatalf("unknown module: %v", err)
	}
}

// TestRefusedIsNotCached: a package that fails verification is refused, creates no
// image, and is not cached, so fixing the store makes the next load succeed.
func TestRefusedIsNotCached(t *testing.T) {
	setup(t)
	bad := MapStore{}
	for k, v := range store {
		bad[k] = v
	}
	p := append([]byte(nil), store["shell 2.0.0"]...)
	p[len(p)/2] ^= 1
	bad["shell 2.0.0"] = p
	m := newManager(t, bad, 64<<20)
	if l, err := m.Load("shell"); err == nil || l != nil || !errors.Is(err, repo.ErrMismatch) {
		t.Fatalf("tampered package: %v %v", l, err)
	}
	if m.Cache().Len() != 0 || m.Stats().Refusals != 1 {
		t.Fatalf("cache %d, stats %+v", m.Cache().Len(), m.Stats())
	}
	bad["shell 2.0.0"] = store["shell 2.0.0"]
	if _, err := m.Load("shell"); err != nil {
		t.Fatal(err)
	}
}

func TestCacheEvictsLeastRecentlyUsedUnpinned(t *testing.T) {
	m := newManager(t, nil, 5<<20) // room for two 2 MiB images
	for _, n := range []string{"hello", "shell"} {
		if _, err := m.Load(n); err != nil {
			t.Fatal(err)
		}
	}
	hello := digestOf(t, m, "hello")
	m.Cache().Pin(hello, true)
	m.Load("ls") // evicts shell, not the pinned hello
	if !m.Cache().Contains(hello) || m.Cache().Contains(digestOf(t, m, "shell")) || !m.Cache().Contains(digestOf(t, m, "ls")) {
		t.Fatalf("cache after eviction: hello %v shell %v ls %v", m.Cache().Contains(hello),
			m.Cache().Contains(digestOf(t, m, "shell")), m.Cache().Contains(digestOf(t, m, "ls")))
	}
	if m.Cache().Size() > 5<<20 || m.Cache().Stats().Evictions == 0 {
		t.Fatalf("size %d stats %+v", m.Cache().Size(), m.Cache().Stats())
	}
}

func digestOf(t *testing.T, m *Manager, name string) Digest {
	_, d, _ := m.newest(name)
	return d
}

// TestPrefetch: a workload that always runs ls then cat teaches the predictor, whose
// prefetching then turns the cat loads into hits even with a cache too small to keep
// everything.
func TestPrefetch(t *testing.T) {
	m := newManager(t, nil, 5<<20)
	seq := []string{"shell", "ls", "cat", "hello"}
	for range 10 {
		for _, n := range seq {
			if _, err := m.Load(n); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := m.Stats()
	rate := float64(st.PrefetchHits) / float64(st.Loads)
	t.Logf("loads %d, cache hits %d, of which prefetched %d (hit rate from prefetch %.0f%%), prefetches %d",
		st.Loads, st.CacheHits, st.PrefetchHits, 100*rate, st.Prefetches)
	if st.PrefetchHits < 20 {
		t.Fatalf("prefetch hits %d of %d loads; the predictor should have learned the cycle", st.PrefetchHits, st.Loads)
	}
}

// TestEndowIsIntersection (seed verification target 9): over random manifests and
// policies, a module gets exactly the requested capabilities the policy allows it,
// with exactly the policy's rights — never a capability it did not ask for, never
// wider rights than the policy's, never another module's per-module rights. Requests
// may repeat a name or name one no policy mentions; policy rights are arbitrary bytes,
// bits beyond abi.AllRights included. Granted and refused are sorted, without
// repeats, disjoint, and together exactly the requested names.
func TestEndowIsIntersection(t *testing.T) {
	names := []string{"console", "system", "fs", "net", "irq", "vault"}
	requestable := append([]string{"gpu", ""}, names...) // no policy names these two
	modules := []string{"a", "b", "c"}
	rapid.Check(t, func(t *rapid.T) {
		module := rapid.SampledFrom(modules).Draw(t, "module")
		p := Policy{Global: map[string]abi.Rights{}, PerModule: map[string]map[string]abi.Rights{}}
		for _, n := range names {
			if rapid.Bool().Draw(t, "g"+n) {
				p.Global[n] = abi.Rights(rapid.Uint8().Draw(t, "gr"+n))
			}
			for _, mod := range modules {
				if rapid.Bool().Draw(t, mod+n) {
					if p.PerModule[mod] == nil {
						p.PerModule[mod] = map[string]abi.Rights{}
					}
					p.PerModule[mod][n] = abi.Rights(rapid.Uint8().Draw(t, mod+"r"+n))
				}
			}
		}
		req := rapid.SliceOfN(rapid.SampledFrom(requestable), 0, 10).Draw(t, "req")
		granted, refused := p.Endow(module, req)

		// The oracle: the intersection, computed from the definition.
		want := map[string]abi.Rights{}
		requested := map[string]bool{}
		for _, n := range req {
			requested[n] = true
			g, gok := p.Global[n]
			m, mok := p.PerModule[module][n]
			if r := (g | m) & abi.AllRights; (gok || mok) && r != 0 {
				want[n] = r
			}
		}
		got := map[string]abi.Rights{}
		for i, g := range granted {
			if i > 0 && granted[i-1].Name >= g.Name {
				t.Fatalf("granted not sorted or repeated: %v", granted)
			}
			if !requested[g.Name] {
				t.Fatalf("granted %q, which was not requested (%v)", g.Name, req)
			}
			if !g.Rights.Valid() || g.Rights == 0 {
				t.Fatalf("granted %q with rights %#x", g.Name, uint8(g.Rights))
			}
			if wider := g.Rights &^ (p.Global[g.Name] | p.PerModule[module][g.Name]); wider != 0 {
				t.Fatalf("granted %q rights %v wider than the policy's (extra %v)", g.Name, g.Rights, wider)
			}
			got[g.Name] = g.Rights
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("granted %v, want %v", got, want)
		}
		for i, n := range refused {
			if i > 0 && refused[i-1] >= n {
				t.Fatalf("refused not sorted or repeated: %v", refused)
			}
			if _, ok := got[n]; ok {
				t.Fatalf("%q both granted and refused", n)
			}
			if !requested[n] {
				t.Fatalf("refused %q, which was not requested", n)
			}
		}
		if len(got)+len(refused) != len(requested) {
			t.Fatalf("granted %v + refused %v ≠ requested %v", got, refused, req)
		}
	})
}

func BenchmarkLoadCold(b *testing.B) {
	for b.Loop() {
		m := newManager(b, nil, 64<<20)
		if _, err := m.Load("shell"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadCached(b *testing.B) {
	m := newManager(b, nil, 64<<20)
	if _, err := m.Load("shell"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if l, err := m.Load("shell"); err != nil || !l.FromCache {
			b.Fatal(err)
		}
	}
}
