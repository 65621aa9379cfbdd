package compress

import (
	"crypto/sha3"
	"os"
	"sync"
	"testing"
)

const benchSize = 4 << 20

// benchData is about 4 MiB of a real Go binary (this test binary), the kind
// of data the format ships; text pads it if the binary is smaller.
var benchData = sync.OnceValue(func() []byte {
	var b []byte
	if exe, err := os.Executable(); err == nil {
		if raw, err := os.ReadFile(exe); err == nil {
			b = raw[:min(len(raw), benchSize)]
		}
	}
	if len(b) < benchSize {
		b = append(b, textData(benchSize-len(b))...)
	}
	return b
})

func BenchmarkDecode(b *testing.B) {
	plain := benchData()
	for _, level := range levels {
		enc := mustEncode(b, plain, level)
		b.Run(level.String(), func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			for b.Loop() {
				if _, err := Decode(enc, DefaultLimits); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(plain))/float64(len(enc)-HeaderSize), "ratio")
		})
	}
}

// BenchmarkDecodeInto decodes into a reused buffer, as into a shared memory
// region.
func BenchmarkDecodeInto(b *testing.B) {
	plain := benchData()
	enc := mustEncode(b, plain, LevelDefault)
	dst := make([]byte, len(plain))
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, err := DecodeInto(dst, enc, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	plain := benchData()
	for _, level := range levels {
		b.Run(level.String(), func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			for b.Loop() {
				mustEncode(b, plain, level)
			}
		})
	}
}

// BenchmarkDigest is the SHA3-512 share of every Decode and Encode.
func BenchmarkDigest(b *testing.B) {
	plain := benchData()
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		sha3.Sum512(plain)
	}
}
