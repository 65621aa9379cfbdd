package compress

import (
	"bytes"
	"crypto/sha3"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// FuzzDecode feeds arbitrary blobs to Decode. It must never panic, every
// failure must wrap exactly one sentinel, and whatever decodes must
// re-verify independently: the output's length is the header's size and
// its SHA3-512 is the header's digest. DecodeInto must agree with Decode.
//
// The seed corpus (testdata/fuzz/FuzzDecode) holds valid encodings and
// damaged ones; regenerate it with SKYZ_WRITE_CORPUS=1 go test -run
// TestWriteSeedCorpus.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Decode(data, DefaultLimits)
		dst := make([]byte, len(out)+8)
		n, err2 := DecodeInto(dst, data, DefaultLimits)
		if err != nil {
			if c := sentinelCount(err); c != 1 {
				t.Fatalf("%v wraps %d sentinels", err, c)
			}
			if err2 == nil {
				t.Fatalf("Decode failed (%v) but DecodeInto succeeded", err)
			}
			return
		}
		h, perr := ParseHeader(data)
		if perr != nil {
			t.Fatalf("Decode succeeded on a blob whose header does not parse: %v", perr)
		}
		if uint64(len(out)) != h.PlainSize {
			t.Fatalf("decoded %d bytes; the header declares %d", len(out), h.PlainSize)
		}
		if sha3.Sum512(out) != h.Digest {
			t.Fatalf("decoded data does not hash to the header's digest")
		}
		if err2 != nil || n != len(out) || !bytes.Equal(dst[:n], out) {
			t.Fatalf("DecodeInto disagrees with Decode: n=%d err=%v", n, err2)
		}
	})
}

// FuzzFrame drives the frame walker and the bounded stream decoder
// directly, below the digest check that makes success rare in FuzzDecode,
// and compares every success with zstd's own one-shot decoder.
func FuzzFrame(f *testing.F) {
	for _, p := range [][]byte{nil, []byte("hello"), textData(3000), randomData(500, 1)} {
		for _, level := range levels {
			enc, _ := Encode(p, level)
			f.Add(uint32(len(p)), enc[HeaderSize:])
		}
	}
	ref, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(64<<20))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, declared uint32, frame []byte) {
		declared %= 1 << 20
		lim := Limits{MaxRatio: 1 << 40}.normalized()
		if _, err := walkFrame(frame, lim, uint64(declared)); err != nil {
			return
		}
		out := make([]byte, declared)
		if err := decodeFrame(out, frame, lim); err != nil {
			if c := sentinelCount(err); c != 1 {
				t.Fatalf("%v wraps %d sentinels", err, c)
			}
			return
		}
		want, err := ref.DecodeAll(frame, nil)
		if err != nil {
			t.Fatalf("decodeFrame accepted a frame zstd's DecodeAll refuses: %v", err)
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("decodeFrame and DecodeAll disagree (%d vs %d bytes)", len(out), len(want))
		}
	})
}

// seedCorpus returns the named seed inputs for FuzzDecode and whether each
// must decode.
func seedCorpus(t testing.TB) (names []string, blobs [][]byte, valid []bool) {
	add := func(name string, blob []byte, ok bool) {
		names, blobs, valid = append(names, name), append(blobs, blob), append(valid, ok)
	}
	text := textData(2000)
	add("valid-empty", mustEncode(t, nil, LevelDefault), true)
	add("valid-hello-fastest", mustEncode(t, []byte("hello, module"), LevelFastest), true)
	add("valid-text-best", mustEncode(t, text, LevelBest), true)
	add("valid-random-better", mustEncode(t, randomData(300, 7), LevelBetter), true)
	add("valid-zeros", mustEncode(t, make([]byte, 8<<10), LevelDefault), true)
	add("valid-multiblock", mustEncode(t, textData(70<<10), LevelFastest), true) // fastest uses 64 KiB blocks
	add("valid-no-zstd-checksum", wrap(text, zstdEncodeAll(t, text, zstd.WithEncoderCRC(false))), true)

	enc := mustEncode(t, text, LevelDefault)
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(enc)) }
	add("corrupt-magic", mod(func(b []byte) []byte { b[0] = 'X'; return b }), false)
	add("corrupt-version", mod(func(b []byte) []byte { b[offVersion] = 2; return b }), false)
	add("corrupt-flags", mod(func(b []byte) []byte { b[offFlags] = 1; return b }), false)
	add("corrupt-size-small", mod(func(b []byte) []byte { b[offPlainSize] ^= 1; return b }), false)
	add("corrupt-size-huge", mod(func(b []byte) []byte { b[offPlainSize+4] = 0xff; return b }), false)
	add("corrupt-digest", mod(func(b []byte) []byte { b[offDigest+10] ^= 0x40; return b }), false)
	add("corrupt-frame-bitflip", mod(func(b []byte) []byte { b[len(b)/2] ^= 0x10; return b }), false)
	add("corrupt-truncated-header", enc[:40], false)
	add("corrupt-truncated-frame", enc[:len(enc)-5], false)
	add("corrupt-trailing", append(bytes.Clone(enc), 0), false)
	add("corrupt-two-frames", wrap(text, append(zstdEncodeAll(t, text), zstdEncodeAll(t, []byte("x"))...)), false)
	add("corrupt-window-16MiB", wrap(text, streamFrame(t, text, 16<<20)), false)
	add("corrupt-lying-size", wrapRaw(100, sha3.Sum512(text[:100]), streamFrame(t, text, 0)), false)
	return names, blobs, valid
}

func corpusFile(blob []byte) string {
	return "go test fuzz v1\n[]byte(" + strconv.Quote(string(blob)) + ")\n"
}

// TestWriteSeedCorpus regenerates testdata/fuzz/FuzzDecode when
// SKYZ_WRITE_CORPUS=1.
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("SKYZ_WRITE_CORPUS") != "1" {
		t.Skip("set SKYZ_WRITE_CORPUS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	names, blobs, _ := seedCorpus(t)
	for i, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(corpusFile(blobs[i])), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSeedCorpus checks the committed corpus, so it cannot rot into inputs
// that all fail at the first check: every file parses, valid-* files decode
// and corrupt-* files do not, and every seed seedCorpus builds is present.
func TestSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		present[name] = true
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		blob, err := parseCorpusFile(string(raw))
		if err != nil {
			t.Fatalf("seed %s: %v", name, err)
		}
		_, err = Decode(blob, DefaultLimits)
		switch {
		case strings.HasPrefix(name, "valid-") && err != nil:
			t.Errorf("seed %s does not decode: %v", name, err)
		case strings.HasPrefix(name, "corrupt-") && err == nil:
			t.Errorf("seed %s decodes", name)
		}
	}
	names, _, _ := seedCorpus(t)
	for _, name := range names {
		if !present[name] {
			t.Errorf("seed %s is missing (regenerate with SKYZ_WRITE_CORPUS=1)", name)
		}
	}
}

// parseCorpusFile reads a one-value "go test fuzz v1" file.
func parseCorpusFile(s string) ([]byte, error) {
	body, ok := strings.CutPrefix(s, "go test fuzz v1\n[]byte(")
	if !ok {
		return nil, fmt.Errorf("not a go test fuzz v1 file with one []byte")
	}
	body, ok = strings.CutSuffix(strings.TrimSpace(body), ")")
	if !ok {
		return nil, fmt.Errorf("unterminated []byte value")
	}
	v, err := strconv.Unquote(body)
	return []byte(v), err
}
