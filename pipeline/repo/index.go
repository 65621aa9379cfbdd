// Package repo is the signed repository index: which module versions exist and the
// SHA3-512 digest of each version's package, signed with ML-DSA-87 (NIST level 5),
// with a serial number and an expiry. As in TUF, it defends what package signatures
// alone cannot:
//
//   - rollback: an index with a lower serial than one already seen is refused, and a
//     package older than the installed version of its module is refused;
//   - indefinite freeze: an expired index is refused, so an attacker cannot keep
//     serving an old, validly signed index forever;
//   - mix and match: a package is accepted only if its digest is the one the index
//     lists for its name and version.
//
// docs/PACKAGES.md describes the encoding.
package repo

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/pipeline/canon"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

// FormatVersion is the index encoding this package reads and writes.
const FormatVersion = 1

// DomainIndex is the signature domain of an index.
const DomainIndex = "skyscope/index/v1"

// MaxEntries bounds an index.
const MaxEntries = 4096

// Errors; match with errors.Is.
var (
	ErrMalformed = errors.New("malformed index")
	ErrSignature = errors.New("index signature does not verify")
	ErrExpired   = errors.New("index expired")
	ErrRollback  = errors.New("rollback refused")
	ErrNotListed = errors.New("package not in the index")
	ErrMismatch  = errors.New("package does not match the index")
)

// Entry lists one module version and its package's SHA3-512 digest.
type Entry struct {
	_       struct{} `cbor:",toarray"`
	Name    string
	Version modpkg.Version
	Digest  []byte
}

// Index is a repository's signed list of packages.
type Index struct {
	Format  int     `cbor:"1,keyasint"`
	Serial  uint64  `cbor:"2,keyasint"` // grows with every new index
	Expires int64   `cbor:"3,keyasint"` // Unix seconds
	Entries []Entry `cbor:"4,keyasint"` // sorted by name, then version
}

type signed struct {
	Index  []byte `cbor:"1,keyasint"`
	Signer []byte `cbor:"2,keyasint"`
	Sig    []byte `cbor:"3,keyasint"`
}

var codec = canon.New(canon.Limits{MaxNesting: 6, MaxArray: MaxEntries, MaxMapPairs: 16})

func decodeCanonical(b []byte, v any) error { return codec.Unmarshal(b, v) }

// Sign returns the signed encoding of an index listing entries (sorted here), with
// serial and expiry, signed by key.
func Sign(key *pqc.PrivateKey, serial uint64, expires time.Time, entries []Entry) ([]byte, error) {
	es := append([]Entry(nil), entries...)
	sort.Slice(es, func(i, j int) bool {
		if es[i].Name != es[j].Name {
			return es[i].Name < es[j].Name
		}
		return es[i].Version.Compare(es[j].Version) < 0
	})
	idx := Index{Format: FormatVersion, Serial: serial, Expires: expires.Unix(), Entries: es}
	if err := idx.check(); err != nil {
		return nil, err
	}
	body, err := canon.Marshal(&idx)
	if err != nil {
		return nil, err
	}
	sig, err := key.Sign(DomainIndex, body)
	if err != nil {
		return nil, err
	}
	id := key.ID()
	return canon.Marshal(&signed{Index: body, Signer: id[:], Sig: sig})
}

func (idx *Index) check() error {
	if idx.Format != FormatVersion {
		return fmt.Errorf("%w: format %d; this build reads format %d", ErrMalformed, idx.Format, FormatVersion)
	}
	if len(idx.Entries) > MaxEntries {
		return fmt.Errorf("%w: %d entries; at most %d", ErrMalformed, len(idx.Entries), MaxEntries)
	}
	for i, e := range idx.Entries {
		if len(e.Digest) != 64 || e.Name == "" || e.Version == (modpkg.Version{}) {
			return fmt.Errorf("%w: entry %d (%s %s) is incomplete", ErrMalformed, i, e.Name, e.Version)
		}
		if i > 0 {
			p := idx.Entries[i-1]
			if p.Name > e.Name || p.Name == e.Name && p.Version.Compare(e.Version) >= 0 {
				return fmt.Errorf("%w: entries not sorted or duplicated at %s %s", ErrMalformed, e.Name, e.Version)
			}
		}
	}
	return nil
}

// Lookup returns the digest listed for name at version.
func (idx *Index) Lookup(name string, v modpkg.Version) ([]byte, bool) {
	for _, e := range idx.Entries {
		if e.Name == name && e.Version == v {
			return e.Digest, true
		}
	}
	return nil, false
}

// Latest returns the newest version listed for name.
func (idx *Index) Latest(name string) (modpkg.Version, bool) {
	var best modpkg.Version
	found := false
	for _, e := range idx.Entries {
		if e.Name == name && (!found || e.Version.Compare(best) > 0) {
			best, found = e.Version, true
		}
	}
	return best, found
}

// Client verifies indexes and packages for one system: it remembers the highest index
// serial it has accepted and the version installed of each module, which is what makes
// rollbacks detectable.
type Client struct {
	Trust  *modpkg.TrustRoot
	Limits compress.Limits
	Now    func() time.Time
	// Decode decompresses package binaries (nil: compress.Decode in this process); the
	// module manager task sets it to a request to the compression service.
	Decode    modpkg.Decoder
	serial    uint64
	index     *Index
	installed map[string]modpkg.Version
}

// NewClient returns a client trusting trust, with no index yet.
func NewClient(trust *modpkg.TrustRoot) *Client {
	return &Client{Trust: trust, Limits: compress.DefaultLimits, Now: time.Now, installed: map[string]modpkg.Version{}}
}

// Index returns the index the client accepted last, or nil.
func (c *Client) Index() *Index { return c.index }

// LoadIndex verifies a signed index and makes it current: the signer is in the trust
// root, the signature verifies, the index has not expired, and its serial is not lower
// than any index accepted before.
func (c *Client) LoadIndex(b []byte) (*Index, error) {
	var s signed
	if err := decodeCanonical(b, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	key, err := c.Trust.Key(s.Signer)
	if err != nil {
		return nil, err
	}
	if key.Verify(DomainIndex, s.Index, s.Sig) != nil {
		return nil, fmt.Errorf("%w with key %s", ErrSignature, key.ID().Short())
	}
	var idx Index
	if err := decodeCanonical(s.Index, &idx); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := idx.check(); err != nil {
		return nil, err
	}
	now := c.Now()
	if exp := time.Unix(idx.Expires, 0); !now.Before(exp) {
		return nil, fmt.Errorf("%w: index serial %d expired at %s (now %s); refusing a frozen index",
			ErrExpired, idx.Serial, exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if idx.Serial < c.serial {
		return nil, fmt.Errorf("%w: index serial %d is older than serial %d already accepted", ErrRollback, idx.Serial, c.serial)
	}
	c.serial, c.index = idx.Serial, &idx
	return &idx, nil
}

// VerifyPackage checks a package against the current index and the trust root: its
// digest must be the one listed for its name and version (no mixing packages and
// indexes), it must verify completely (modpkg.Verify), and it must not be older than
// the version installed. It does not record the version; Installed does, once the
// module runs.
func (c *Client) VerifyPackage(pkg []byte) (*modpkg.Verified, error) {
	if c.index == nil {
		return nil, fmt.Errorf("%w: no index loaded", ErrNotListed)
	}
	m, _, err := modpkg.Inspect(pkg)
	if err != nil {
		return nil, err
	}
	want, ok := c.index.Lookup(m.Name, m.Version)
	if !ok {
		return nil, fmt.Errorf("%w: %s %s is not listed in index serial %d", ErrNotListed, m.Name, m.Version, c.index.Serial)
	}
	if d := pqc.Sum512(pkg); !bytes.Equal(d[:], want) {
		return nil, fmt.Errorf("%w: %s %s has digest %x…, the index lists %x…", ErrMismatch, m.Name, m.Version, d[:6], want[:6])
	}
	decode := c.Decode
	if decode == nil {
		decode = func(blob []byte, l compress.Limits) ([]byte, error) { return compress.Decode(blob, l) }
	}
	v, err := modpkg.VerifyWith(pkg, c.Trust, c.Limits, decode)
	if err != nil {
		return nil, err
	}
	if cur, ok := c.installed[m.Name]; ok && m.Version.Compare(cur) < 0 {
		return nil, fmt.Errorf("%w: %s %s is older than the installed %s", ErrRollback, m.Name, m.Version, cur)
	}
	return v, nil
}

// Installed records that version v of module name now runs.
func (c *Client) Installed(name string, v modpkg.Version) { c.installed[name] = v }
