package pqc

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// Key file format (docs/KEYFILES.md describes it byte by byte): one CBOR map with
// five integer keys, encoded with the RFC 8949 core deterministic encoding, so that a
// key has exactly one key file encoding and every file begins with the bytes a5 01 01.
const (
	// KeyFileVersion is the key file format version this build writes and reads.
	KeyFileVersion = 1

	// MaxKeyFileSize bounds the size of a key file. The largest valid file (an
	// ML-DSA-87 private key) is under 5 KiB; the bound stops a huge or endless file
	// from being read into memory.
	MaxKeyFileSize = 16 << 10

	kindPublic  = "public"
	kindPrivate = "private"
)

// keyFile is the key file map. The field numbers are part of the format: never
// renumber or reuse them.
type keyFile struct {
	Version uint64 `cbor:"1,keyasint"`
	Alg     string `cbor:"2,keyasint"`
	Kind    string `cbor:"3,keyasint"`
	ID      []byte `cbor:"4,keyasint"`
	Key     []byte `cbor:"5,keyasint"`
}

// keyFileVersion is the part of the map read first, leniently, so that a file from a
// newer format is reported as such rather than as having unknown fields.
type keyFileVersion struct {
	Version *uint64 `cbor:"1,keyasint"`
}

var (
	encMode    cbor.EncMode
	decMode    cbor.DecMode // strict: the full map, nothing else
	decVersion cbor.DecMode // as strict, but unknown fields are skipped
)

func init() {
	var err error
	if encMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err) // constant options; fails only if the library changes
	}
	strict := cbor.DecOptions{
		DupMapKey:           cbor.DupMapKeyEnforcedAPF,
		IndefLength:         cbor.IndefLengthForbidden,
		TagsMd:              cbor.TagsForbidden,
		MaxNestedLevels:     4,
		MaxArrayElements:    16,
		MaxMapPairs:         16,
		UTF8:                cbor.UTF8RejectInvalid,
		FieldNameMatching:   cbor.FieldNameMatchingCaseSensitive,
		ByteStringToString:  cbor.ByteStringToStringForbidden,
		FieldNameByteString: cbor.FieldNameByteStringForbidden,
		ExtraReturnErrors:   cbor.ExtraDecErrorUnknownField,
	}
	if decMode, err = strict.DecMode(); err != nil {
		panic(err)
	}
	lenient := strict
	lenient.ExtraReturnErrors = cbor.ExtraDecErrorNone
	if decVersion, err = lenient.DecMode(); err != nil {
		panic(err)
	}
}

// algorithm describes what a key file of one algorithm holds.
type algorithm struct {
	name        string
	publicSize  int
	privateSize int
}

var (
	algMLDSA = algorithm{SignatureAlgorithm, PublicKeySize, PrivateKeySize}
	algMLKEM = algorithm{KEMAlgorithm, KEMPublicKeySize, KEMPrivateKeySize}
)

func (a algorithm) size(kind string) int {
	if kind == kindPrivate {
		return a.privateSize
	}
	return a.publicSize
}

// article returns "a" or "an" to go before an algorithm name, which is read letter by
// letter: "an ML-KEM-1024 key".
func article(name string) string {
	if name != "" && strings.ContainsRune("AEFHILMNORSX", rune(name[0])) {
		return "an"
	}
	return "a"
}

func encodeKeyFile(alg algorithm, kind string, id KeyID, key []byte) ([]byte, error) {
	b, err := encMode.Marshal(keyFile{Version: KeyFileVersion, Alg: alg.name, Kind: kind, ID: id[:], Key: key})
	if err != nil {
		return nil, fmt.Errorf("encoding %s %s key file: %w", alg.name, kind, err)
	}
	return b, nil
}

// decodeKeyFile checks everything about a key file that does not need the key
// itself: structure, canonical encoding, version, algorithm, kind and lengths. name
// names the file in messages ("x.pub", or "key file" when there is no path).
func decodeKeyFile(name string, data []byte, want algorithm, wantKind string) (*keyFile, error) {
	if len(data) > MaxKeyFileSize {
		return nil, errorf(ErrMalformedKeyFile, "%s is %d bytes, more than any key file (at most %d); it is not a key file", name, len(data), MaxKeyFileSize)
	}
	var v keyFileVersion
	rest, err := decVersion.UnmarshalFirst(data, &v)
	if err != nil {
		return nil, malformed(name, err)
	}
	if len(rest) > 0 {
		unit := "bytes"
		if len(rest) == 1 {
			unit = "byte"
		}
		return nil, errorf(ErrMalformedKeyFile, "%s has %d trailing %s after the key file map; the file is corrupted", name, len(rest), unit)
	}
	if v.Version == nil {
		return nil, errorf(ErrMalformedKeyFile, "%s is not a skyscope key file: it has no format version (field 1)", name)
	}
	if *v.Version != KeyFileVersion {
		return nil, errorf(ErrUnsupportedVersion, "%s has key file format version %d; this build reads only version %d (use a newer skyscope)", name, *v.Version, KeyFileVersion)
	}
	var f keyFile
	if err := decMode.Unmarshal(data, &f); err != nil {
		return nil, malformed(name, err)
	}

	var alg algorithm
	switch f.Alg {
	case algMLDSA.name:
		alg = algMLDSA
	case algMLKEM.name:
		alg = algMLKEM
	default:
		return nil, errorf(ErrWrongAlgorithm, "%s holds a key for unknown algorithm %q; %s %s key is needed", name, f.Alg, article(want.name), want.name)
	}
	if alg != want {
		return nil, errorf(ErrWrongAlgorithm, "%s holds %s %s key; %s %s key is needed", name, article(alg.name), alg.name, article(want.name), want.name)
	}
	if f.Kind != kindPublic && f.Kind != kindPrivate {
		return nil, errorf(ErrWrongKind, "%s holds a key of unknown kind %q; a %s key is needed", name, f.Kind, wantKind)
	}
	if f.Kind != wantKind {
		hint := "load the .pub file"
		if wantKind == kindPrivate {
			hint = "load the matching .key file"
		}
		return nil, errorf(ErrWrongKind, "%s holds a %s %s key; a %s key is needed (%s)", name, f.Kind, alg.name, wantKind, hint)
	}
	if len(f.ID) != len(KeyID{}) {
		return nil, errorf(ErrMalformedKeyFile, "%s: key id is %d bytes; it must be %d bytes (the file is corrupted)", name, len(f.ID), len(KeyID{}))
	}
	if n := alg.size(f.Kind); len(f.Key) != n {
		return nil, errorf(ErrMalformedKey, "%s: %s %s key is %d bytes; it must be %d bytes (the file is truncated or corrupted)", name, alg.name, f.Kind, len(f.Key), n)
	}

	// Only one encoding of each key file is accepted, so a file's bytes (and any
	// digest of them) identify the key: a re-encoded file must be the file.
	canon, err := encodeKeyFile(alg, f.Kind, KeyID(f.ID), f.Key)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canon, data) {
		return nil, errorf(ErrMalformedKeyFile, "%s is not in canonical (deterministic CBOR) encoding; it was altered or written by another tool — rewrite it with skyscope", name)
	}
	return &f, nil
}

func malformed(name string, err error) error {
	var dup *cbor.DupMapKeyError
	if errors.As(err, &dup) {
		return errorf(ErrMalformedKeyFile, "%s has a duplicated field (%w); the file is corrupted or forged", name, err)
	}
	var unknown *cbor.UnknownFieldError
	if errors.As(err, &unknown) {
		return errorf(ErrMalformedKeyFile, "%s has a field that version %d key files do not have (%w)", name, KeyFileVersion, err)
	}
	return errorf(ErrMalformedKeyFile, "%s is not a valid skyscope key file: %w", name, err)
}

// checkID compares the id recorded in a key file with the id of the key it holds.
func checkID(name string, f *keyFile, computed KeyID) error {
	if KeyID(f.ID) != computed {
		return errorf(ErrKeyIDMismatch, "%s records key id %s but holds key %s; the file is corrupted or was edited — restore it from a backup or regenerate it",
			name, KeyID(f.ID).Short(), computed.Short())
	}
	return nil
}

const bytesName = "key file"

// EncodePublicKeyFile returns the key file encoding of pub (see docs/KEYFILES.md), the
// contents of a .pub file. The encoding is deterministic: the same key always gives
// the same bytes.
func EncodePublicKeyFile(pub *PublicKey) ([]byte, error) {
	if pub == nil || pub.k == nil {
		return nil, errorf(ErrUninitialized, "encoding a nil or zero-value %s public key", SignatureAlgorithm)
	}
	return encodeKeyFile(algMLDSA, kindPublic, pub.id, pub.b)
}

// EncodePrivateKeyFile returns the key file encoding of priv, the contents of a .key
// file. It is secret. The recorded key id is that of priv's public key.
func EncodePrivateKeyFile(priv *PrivateKey) ([]byte, error) {
	if priv == nil || priv.k == nil || priv.pub == nil {
		return nil, errorf(ErrUninitialized, "encoding a nil or zero-value %s private key", SignatureAlgorithm)
	}
	return encodeKeyFile(algMLDSA, kindPrivate, priv.pub.id, priv.Bytes())
}

// DecodePublicKeyFile parses the contents of an ML-DSA-87 public key file. It accepts
// only what [EncodePublicKeyFile] produces: anything it accepts re-encodes to exactly
// data. Errors wrap one of [ErrMalformedKeyFile], [ErrUnsupportedVersion],
// [ErrWrongAlgorithm], [ErrWrongKind], [ErrMalformedKey] and [ErrKeyIDMismatch].
func DecodePublicKeyFile(data []byte) (*PublicKey, error) {
	return decodePublicKeyFile(bytesName, data)
}

func decodePublicKeyFile(name string, data []byte) (*PublicKey, error) {
	f, err := decodeKeyFile(name, data, algMLDSA, kindPublic)
	if err != nil {
		return nil, err
	}
	pub, err := ParsePublicKey(f.Key)
	if err != nil {
		return nil, errorf(ErrMalformedKey, "%s: %w", name, err)
	}
	if err := checkID(name, f, pub.id); err != nil {
		return nil, err
	}
	return pub, nil
}

// DecodePrivateKeyFile parses the contents of an ML-DSA-87 private key file, checking
// the key as [ParsePrivateKey] does and that the recorded id is its public key's. It
// accepts only what [EncodePrivateKeyFile] produces. Errors are as for
// [DecodePublicKeyFile].
func DecodePrivateKeyFile(data []byte) (*PrivateKey, error) {
	return decodePrivateKeyFile(bytesName, data, nil)
}

// decodePrivateKeyFile decodes a private key file, calling check (if not nil) once the
// file is known to hold a private key of the right algorithm, before the key itself is
// parsed: a loader checks file permissions there, so that loading a .pub file by
// mistake is reported as that, not as a permission problem.
func decodePrivateKeyFile(name string, data []byte, check func() error) (*PrivateKey, error) {
	f, err := decodeKeyFile(name, data, algMLDSA, kindPrivate)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	priv, err := ParsePrivateKey(f.Key)
	if err != nil {
		return nil, errorf(ErrMalformedKey, "%s: %w", name, err)
	}
	if err := checkID(name, f, priv.ID()); err != nil {
		return nil, err
	}
	return priv, nil
}

// EncodeKEMPublicKeyFile returns the key file encoding of an ML-KEM-1024 public key.
func EncodeKEMPublicKeyFile(pub *KEMPublicKey) ([]byte, error) {
	if pub == nil || pub.k == nil {
		return nil, errorf(ErrUninitialized, "encoding a nil or zero-value %s public key", KEMAlgorithm)
	}
	return encodeKeyFile(algMLKEM, kindPublic, pub.id, pub.Bytes())
}

// EncodeKEMPrivateKeyFile returns the key file encoding of an ML-KEM-1024 private key
// (its 64-byte seed). It is secret.
func EncodeKEMPrivateKeyFile(priv *KEMPrivateKey) ([]byte, error) {
	if priv == nil || priv.k == nil {
		return nil, errorf(ErrUninitialized, "encoding a nil or zero-value %s private key", KEMAlgorithm)
	}
	return encodeKeyFile(algMLKEM, kindPrivate, priv.ID(), priv.Bytes())
}

// DecodeKEMPublicKeyFile parses the contents of an ML-KEM-1024 public key file, as
// [DecodePublicKeyFile] does for ML-DSA-87.
func DecodeKEMPublicKeyFile(data []byte) (*KEMPublicKey, error) {
	return decodeKEMPublicKeyFile(bytesName, data)
}

func decodeKEMPublicKeyFile(name string, data []byte) (*KEMPublicKey, error) {
	f, err := decodeKeyFile(name, data, algMLKEM, kindPublic)
	if err != nil {
		return nil, err
	}
	pub, err := ParseKEMPublicKey(f.Key)
	if err != nil {
		return nil, errorf(ErrMalformedKey, "%s: %w", name, err)
	}
	if err := checkID(name, f, pub.id); err != nil {
		return nil, err
	}
	return pub, nil
}

// DecodeKEMPrivateKeyFile parses the contents of an ML-KEM-1024 private key file, as
// [DecodePrivateKeyFile] does for ML-DSA-87.
func DecodeKEMPrivateKeyFile(data []byte) (*KEMPrivateKey, error) {
	return decodeKEMPrivateKeyFile(bytesName, data, nil)
}

func decodeKEMPrivateKeyFile(name string, data []byte, check func() error) (*KEMPrivateKey, error) {
	f, err := decodeKeyFile(name, data, algMLKEM, kindPrivate)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	priv, err := ParseKEMPrivateKey(f.Key)
	if err != nil {
		return nil, errorf(ErrMalformedKey, "%s: %w", name, err)
	}
	if err := checkID(name, f, priv.ID()); err != nil {
		return nil, err
	}
	return priv, nil
}
