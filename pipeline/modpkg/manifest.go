// Package modpkg is the module package format: a signed manifest plus a compressed
// program binary, with three ML-DSA-87 signatures (NIST level 5) — over the package,
// over the manifest and over the plain binary — that Verify checks, in that order,
// before anything of the package is used. docs/PACKAGES.md describes the encoding byte
// by byte.
//
// The only way to get a usable module out of package bytes is Verify, whose result
// (Verified) has unexported fields: code that starts processes takes a *Verified, so a
// package whose checks did not all pass cannot reach process creation.
package modpkg

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// FormatVersion is the version of the package and manifest encodings this package
// writes and reads.
const FormatVersion = 1

// ABIVersion is the kernel ABI this build provides; a manifest's MinABI above it is
// refused.
const ABIVersion = 1

// Manifest describes a module: what it is, what it asks for, and how it must be run.
// Its canonical encoding (deterministic CBOR, integer keys) is what the manifest
// signature covers.
type Manifest struct {
	Format  int     `cbor:"1,keyasint"`
	Name    string  `cbor:"2,keyasint"`
	Version Version `cbor:"3,keyasint"`
	// Entry is the program's name as argv[0].
	Entry string `cbor:"4,keyasint"`
	// Caps are the capabilities the module requests, by name (see Policy); the module
	// manager grants the intersection with the system's policy, nothing more.
	Caps []string `cbor:"5,keyasint"`
	// MemoryLimit is the size of the module's memory budget in bytes.
	MemoryLimit uint64 `cbor:"6,keyasint"`
	// CPUBudget and CPUPeriod (nanoseconds; both 0 for unlimited) bound its CPU time.
	CPUBudget uint64 `cbor:"7,keyasint"`
	CPUPeriod uint64 `cbor:"8,keyasint"`
	// Sharable modules' code is mapped read-only and shared between processes.
	Sharable bool `cbor:"9,keyasint"`
	// RollbackOnInitFailure: a live update to this module is undone if the new version
	// fails to initialise.
	RollbackOnInitFailure bool `cbor:"10,keyasint"`
	// Signer is the key id (SHA3-256 of the ML-DSA-87 public key) that signs the
	// package; it must be in the verifier's trust root.
	Signer []byte `cbor:"11,keyasint"`
	// MinABI is the lowest kernel ABI version the module runs on.
	MinABI uint32 `cbor:"12,keyasint"`
	// BinarySize and BinaryDigest (SHA3-512) identify the plain program binary, binding
	// it to this manifest.
	BinarySize   uint64 `cbor:"13,keyasint"`
	BinaryDigest []byte `cbor:"14,keyasint"`
	// StateHandover: in a live update to this module, the serving version hands its
	// state (at most one message's payload) to the new one (pipeline/registry).
	// Omitted from the encoding when false, so manifests without it keep theirs.
	StateHandover bool `cbor:"15,keyasint,omitempty"`
}

// Limits on manifests: a manifest is untrusted input until its signature verifies.
const (
	MaxNameLen   = 64
	MaxCaps      = 32
	MaxBinary    = 256 << 20
	maxCapName   = 32
	maxEntryLen  = 64
	digestLength = 64
	keyIDLength  = 32
)

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// Check reports the first way m is not a well-formed manifest.
func (m *Manifest) Check() error {
	switch {
	case m.Format != FormatVersion:
		return fmt.Errorf("manifest format %d; this build reads format %d", m.Format, FormatVersion)
	case len(m.Name) == 0 || len(m.Name) > MaxNameLen || !nameRE.MatchString(m.Name):
		return fmt.Errorf("module name %q: want 1–%d characters of a–z, 0–9 and -, starting with a letter", m.Name, MaxNameLen)
	case m.Version == (Version{}):
		return fmt.Errorf("module %s has no version", m.Name)
	case len(m.Entry) == 0 || len(m.Entry) > maxEntryLen || strings.ContainsAny(m.Entry, "/\x00"):
		return fmt.Errorf("entry %q: want a program name of 1–%d bytes without / or NUL", m.Entry, maxEntryLen)
	case len(m.Caps) > MaxCaps:
		return fmt.Errorf("%d capabilities requested; at most %d", len(m.Caps), MaxCaps)
	case m.MemoryLimit == 0:
		return fmt.Errorf("module %s has no memory limit", m.Name)
	case (m.CPUBudget == 0) != (m.CPUPeriod == 0) || m.CPUBudget > m.CPUPeriod:
		return fmt.Errorf("CPU budget %d ns per %d ns: want both 0, or 0 < budget ≤ period", m.CPUBudget, m.CPUPeriod)
	case len(m.Signer) != keyIDLength:
		return fmt.Errorf("signer key id of %d bytes; want %d", len(m.Signer), keyIDLength)
	case m.MinABI > ABIVersion:
		return fmt.Errorf("module %s needs kernel ABI %d; this kernel has %d", m.Name, m.MinABI, ABIVersion)
	case m.BinarySize == 0 || m.BinarySize > MaxBinary:
		return fmt.Errorf("binary of %d bytes; want 1–%d", m.BinarySize, MaxBinary)
	case len(m.BinaryDigest) != digestLength:
		return fmt.Errorf("binary digest of %d bytes; want %d (SHA3-512)", len(m.BinaryDigest), digestLength)
	}
	seen := map[string]bool{}
	for _, c := range m.Caps {
		if len(c) == 0 || len(c) > maxCapName || !nameRE.MatchString(c) {
			return fmt.Errorf("capability name %q: want 1–%d characters of a–z, 0–9 and -", c, maxCapName)
		}
		if seen[c] {
			return fmt.Errorf("capability %q requested twice", c)
		}
		seen[c] = true
	}
	return nil
}

// Version is a module version, major.minor.patch; versions order numerically.
type Version struct {
	_     struct{} `cbor:",toarray"`
	Major uint32
	Minor uint32
	Patch uint32
}

// ParseVersion parses "1.2.3".
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("version %q: want MAJOR.MINOR.PATCH, e.g. 1.0.0", s)
	}
	var n [3]uint32
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil || (len(p) > 1 && p[0] == '0') {
			return Version{}, fmt.Errorf("version %q: %q is not a number without leading zeros", s, p)
		}
		n[i] = uint32(v)
	}
	v := Version{Major: n[0], Minor: n[1], Patch: n[2]}
	if v == (Version{}) {
		return Version{}, fmt.Errorf("version 0.0.0 is not allowed")
	}
	return v, nil
}

// String returns "major.minor.patch".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Compare returns -1, 0 or +1 as v is older than, the same as, or newer than w.
func (v Version) Compare(w Version) int {
	for _, d := range [3][2]uint32{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		switch {
		case d[0] < d[1]:
			return -1
		case d[0] > d[1]:
			return 1
		}
	}
	return 0
}
