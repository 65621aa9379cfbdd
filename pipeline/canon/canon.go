// Package canon is the one canonical CBOR encoding the pipeline's signed formats use
// (packages, manifests, indexes, audit records): RFC 8949 core deterministic encoding,
// and a strict decoder that refuses duplicate or unknown map keys, indefinite lengths,
// tags, and any input that is not exactly the canonical encoding of what it decodes
// to — so a signed structure has one byte form and its digest identifies it.
package canon

import (
	"bytes"
	"errors"

	"github.com/fxamacker/cbor/v2"
)

// Limits bound what a decoder accepts: untrusted input cannot make it nest deeply or
// allocate large arrays and maps.
type Limits struct {
	MaxNesting  int // 4 … 65535
	MaxArray    int // 16 … 2^31-1
	MaxMapPairs int // 16 … 2^31-1
}

// Codec encodes and strictly decodes one family of structures.
type Codec struct {
	dec cbor.DecMode
}

var enc cbor.EncMode

func init() {
	var err error
	if enc, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
}

// New returns a codec with lim; it panics on limits outside the ranges above (a
// programming error, caught when the package using it is initialised).
func New(lim Limits) *Codec {
	dec, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		MaxNestedLevels:   lim.MaxNesting,
		MaxArrayElements:  lim.MaxArray,
		MaxMapPairs:       lim.MaxMapPairs,
	}.DecMode()
	if err != nil {
		panic("canon: " + err.Error())
	}
	return &Codec{dec: dec}
}

// Marshal returns v's canonical encoding.
func Marshal(v any) ([]byte, error) { return enc.Marshal(v) }

// ErrNotCanonical is returned for input that decodes but is not the canonical
// encoding of the result.
var ErrNotCanonical = errors.New("not in canonical form")

// Unmarshal decodes b into v and requires b to be v's canonical encoding.
func (c *Codec) Unmarshal(b []byte, v any) error {
	if err := c.dec.Unmarshal(b, v); err != nil {
		return err
	}
	again, err := enc.Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, b) {
		return ErrNotCanonical
	}
	return nil
}
