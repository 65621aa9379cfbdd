package manager

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pipeline/repo"
)

// Store fetches package bytes by module name and version (a repository folder, the
// boot bundle, a network source). What it returns is untrusted until verified.
type Store interface {
	Fetch(name string, v modpkg.Version) ([]byte, error)
}

// MapStore is a Store over package bytes in memory, keyed by "name version".
type MapStore map[string][]byte

// Fetch implements Store.
func (s MapStore) Fetch(name string, v modpkg.Version) ([]byte, error) {
	b, ok := s[name+" "+v.String()]
	if !ok {
		return nil, fmt.Errorf("store has no %s %s", name, v)
	}
	return b, nil
}

// Loaded is a module ready to become a process: its verified image and the
// capabilities it is endowed with.
type Loaded struct {
	Image     *modpkg.Verified
	Grants    []Grant
	Refused   []string // requested capabilities the policy does not allow
	FromCache bool
}

// Manager loads modules.
type Manager struct {
	client *repo.Client
	store  Store
	cache  *Cache
	pred   *Predictor
	policy Policy
	stats  Stats
	// prefetched remembers digests the predictor brought in, to credit hits to it.
	prefetched map[Digest]bool
}

// Stats counts the manager's loads.
type Stats struct {
	Loads, Refusals, CacheHits, PrefetchHits, Prefetches uint64
}

// New returns a manager that verifies with client (whose index must be loaded),
// fetches from store, caches up to cacheBytes of images and endows by policy.
func New(client *repo.Client, store Store, cacheBytes uint64, policy Policy) *Manager {
	return &Manager{client: client, store: store, cache: NewCache(cacheBytes), pred: NewPredictor(),
		policy: policy, prefetched: map[Digest]bool{}}
}

// Cache returns the manager's image cache.
func (m *Manager) Cache() *Cache { return m.cache }

// Stats returns the manager's counters.
func (m *Manager) Stats() Stats { return m.stats }

// ErrNotInIndex is returned for a module the current index does not list.
var ErrNotInIndex = errors.New("module not in the repository index")

// Load returns the newest indexed version of module name, verified, with its
// endowment. A cached image is returned without fetching or verifying again; anything
// else passes every check of repo.Client.VerifyPackage before it is cached or
// returned. Then it prefetches the predicted next modules.
func (m *Manager) Load(name string) (*Loaded, error) {
	l, err := m.load(name, true)
	if err != nil {
		m.stats.Refusals++
		return nil, err
	}
	m.stats.Loads++
	m.pred.Observe(name)
	for _, next := range m.pred.Next(name) {
		m.prefetch(next)
	}
	return l, nil
}

func (m *Manager) load(name string, counted bool) (*Loaded, error) {
	if m.client.Index() == nil {
		return nil, fmt.Errorf("%w: no index loaded", ErrNotInIndex)
	}
	v, d, ok := m.newest(name)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotInIndex, name)
	}
	if img, ok := m.cache.Get(d); ok {
		if counted {
			m.stats.CacheHits++
			if m.prefetched[d] {
				m.stats.PrefetchHits++
				delete(m.prefetched, d)
			}
		}
		return m.endow(img, true), nil
	}
	pkg, err := m.store.Fetch(name, v)
	if err != nil {
		return nil, fmt.Errorf("fetching %s %s: %w", name, v, err)
	}
	img, err := m.client.VerifyPackage(pkg)
	if err != nil {
		return nil, fmt.Errorf("%s %s refused: %w", name, v, err)
	}
	if err := m.cache.Put(img); err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, v, err)
	}
	return m.endow(img, false), nil
}

// newest returns the newest version of name the current index lists, with its
// package digest.
func (m *Manager) newest(name string) (modpkg.Version, Digest, bool) {
	var d Digest
	idx := m.client.Index()
	if idx == nil {
		return modpkg.Version{}, d, false
	}
	v, ok := idx.Latest(name)
	if !ok {
		return v, d, false
	}
	want, _ := idx.Lookup(name, v)
	copy(d[:], want)
	return v, d, true
}

func (m *Manager) endow(img *modpkg.Verified, cached bool) *Loaded {
	man := img.Manifest()
	g, r := m.policy.Endow(man.Name, man.Caps)
	return &Loaded{Image: img, Grants: g, Refused: r, FromCache: cached}
}

// prefetch warms the cache with module name, quietly: a failure only means no warm-up.
func (m *Manager) prefetch(name string) {
	_, d, ok := m.newest(name)
	if !ok || m.cache.Contains(d) {
		return
	}
	if _, err := m.load(name, false); err == nil {
		m.stats.Prefetches++
		m.prefetched[d] = true
	}
}

// DirStore is a Store over a repository folder: package NAME VERSION is the file
// NAME-VERSION.skypkg in it (the layout skyctl repo add writes).
type DirStore string

// Fetch implements Store.
func (d DirStore) Fetch(name string, v modpkg.Version) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), name+"-"+v.String()+".skypkg"))
}
