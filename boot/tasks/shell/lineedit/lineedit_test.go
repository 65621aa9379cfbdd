package lineedit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

const prompt = "> "

type result struct {
	line string
	err  error
}

// ok is a line ended by Enter.
func ok(line string) result { return result{line, nil} }

// eof is the result of reading past the end of the input.
func eof(line string) result { return result{line, io.EOF} }

var intr = result{"", ErrInterrupted}

var editTests = []struct {
	name    string
	in      string
	want    []result // successive ReadLine results
	history []string // nil: not checked
}{
	{"empty input", "", []result{eof("")}, []string{}},
	{"cr", "hello\r", []result{ok("hello"), eof("")}, []string{"hello"}},
	{"lf", "a\nb\n", []result{ok("a"), ok("b"), eof("")}, []string{"a", "b"}},
	{"crlf", "a\r\nb\r\n", []result{ok("a"), ok("b"), eof("")}, []string{"a", "b"}},
	{"cr cr", "a\r\r", []result{ok("a"), ok(""), eof("")}, []string{"a"}},
	{"cr lf lf", "a\r\n\n", []result{ok("a"), ok(""), eof("")}, nil},
	{"lf cr", "a\n\rb\r", []result{ok("a"), ok(""), ok("b"), eof("")}, nil},
	{"partial line at eof", "abc", []result{eof("abc")}, []string{}},
	{"backspace", "abc\x7f\x08d\r", []result{ok("ad")}, nil},
	{"backspace at start", "\x7f\x08a\r", []result{ok("a")}, nil},
	{"backspace middle", "abc\x1b[D\x7f\r", []result{ok("ac")}, nil},
	{"left insert", "ac\x1b[Db\r", []result{ok("abc")}, nil},
	{"ss3 left insert", "ac\x1bODb\r", []result{ok("abc")}, nil},
	{"left past start", "b\x1b[D\x1b[D\x1b[Da\r", []result{ok("ab")}, nil},
	{"right past end", "ab\x1b[C\x1b[Cc\r", []result{ok("abc")}, nil},
	{"left right", "ac\x1b[D\x1b[D\x1b[Cb\r", []result{ok("abc")}, nil},
	{"ctrl-b ctrl-f", "ac\x02\x02\x06b\r", []result{ok("abc")}, nil},
	{"ss3 right", "ac\x1bOD\x1bOD\x1bOCb\r", []result{ok("abc")}, nil},
	{"ctrl-a", "bc\x01a\r", []result{ok("abc")}, nil},
	{"home csi H", "bc\x1b[Ha\r", []result{ok("abc")}, nil},
	{"home csi 1~", "bc\x1b[1~a\r", []result{ok("abc")}, nil},
	{"home csi 7~", "bc\x1b[7~a\r", []result{ok("abc")}, nil},
	{"home ss3", "bc\x1bOHa\r", []result{ok("abc")}, nil},
	{"ctrl-e", "bc\x01a\x05d\r", []result{ok("abcd")}, nil},
	{"end csi F", "bc\x01a\x1b[Fd\r", []result{ok("abcd")}, nil},
	{"end csi 4~", "bc\x01a\x1b[4~d\r", []result{ok("abcd")}, nil},
	{"end csi 8~", "bc\x01a\x1b[8~d\r", []result{ok("abcd")}, nil},
	{"end ss3", "bc\x01a\x1bOFd\r", []result{ok("abcd")}, nil},
	{"delete", "abc\x01\x1b[3~\r", []result{ok("bc")}, nil},
	{"delete at end", "abc\x1b[3~\r", []result{ok("abc")}, nil},
	{"delete middle", "abc\x1b[D\x1b[D\x1b[3~\r", []result{ok("ac")}, nil},
	{"ctrl-u", "abc def\x02\x02\x15\r", []result{ok("ef")}, nil},
	{"ctrl-u at end", "abc def\x15x\r", []result{ok("x")}, nil},
	{"ctrl-k", "abc def\x01\x06\x0b\r", []result{ok("a")}, nil},
	{"ctrl-k at end", "abc\x0b\r", []result{ok("abc")}, nil},
	{"ctrl-w", "abc def  \x17\r", []result{ok("abc ")}, nil},
	{"ctrl-w twice", "abc def\x17\x17x\r", []result{ok("x")}, nil},
	{"ctrl-w middle", "abc def\x1b[D\x1b[D\x17\r", []result{ok("abc ef")}, nil},
	{"ctrl-w empty", "\x17\r", []result{ok("")}, nil},
	{"ctrl-l", "ab\x0cc\r", []result{ok("abc")}, nil},
	{"ctrl-c", "abc\x03xyz\r", []result{intr, ok("xyz"), eof("")}, []string{"xyz"}},
	{"ctrl-c middle", "abc\x01\x03\r", []result{intr, ok("")}, []string{}},
	{"ctrl-d empty", "\x04abc\r", []result{eof(""), ok("abc")}, []string{"abc"}},
	{"ctrl-d as delete", "ab\x01\x04\r", []result{ok("b")}, nil},
	{"ctrl-d at end", "ab\x04\r", []result{ok("ab")}, nil},
	{"ignored controls", "a\tb\x00\x07\x0e\x10\x1f\r", []result{ok("ab")}, nil},
	{"unknown csi", "a\x1b[1;5Cb\x1b[200~c\x1b[201~\x1b[5A\x1b[?25h\r", []result{ok("abc")}, nil},
	{"csi intermediate", "a\x1b[ qb\x1b[1 ~c\r", []result{ok("abc")}, nil},
	{"long csi", "a\x1b[1;2;3;4;5;6;7;8;9;10;11;12~b\r", []result{ok("ab")}, nil},
	{"unknown ss3", "a\x1bOPb\x1bOxc\r", []result{ok("abc")}, nil},
	{"alt key", "a\x1bxb\r", []result{ok("ab")}, nil},
	{"esc cr", "ab\x1b\r", []result{ok("ab")}, nil},
	{"esc esc", "a\x1b\x1b[Db\r", []result{ok("ba")}, nil},
	{"csi aborted by cr", "a\x1b[12\rb\r", []result{ok("a"), ok("b")}, nil},
	{"ss3 aborted by cr", "a\x1bO\rb\r", []result{ok("a"), ok("b")}, nil},
	{"esc at eof", "ab\x1b", []result{eof("ab")}, nil},
	{"csi at eof", "ab\x1b[1", []result{eof("ab")}, nil},
	{"utf8", "héllo 世界 🎉\r", []result{ok("héllo 世界 🎉")}, nil},
	{"utf8 backspace", "世界\x7f\r", []result{ok("世")}, nil},
	{"utf8 insert middle", "世\x1b[Dé\r", []result{ok("é世")}, nil},
	{"utf8 after esc", "a\x1b\xc3\xa9\r", []result{ok("aé")}, nil},
	{"invalid utf8 dropped", "a\xffb\xc3(\x80\xe0\x80\x80c\xed\xa0\x80\r", []result{ok("ab(c")}, nil},
	{"truncated utf8 before cr", "a\xe4\xb8\rb\r", []result{ok("a"), ok("b")}, nil},
	{"truncated utf8 at eof", "a\xe4\xb8", []result{eof("a")}, nil},
	{"c1 control dropped", "a\xc2\x9bb\r", []result{ok("ab")}, nil},
	{"history up", "one\rtwo\r\x1b[A\x1b[A\r", []result{ok("one"), ok("two"), ok("one")}, []string{"one", "two", "one"}},
	{"history ss3", "one\rtwo\r\x1bOA\r", []result{ok("one"), ok("two"), ok("two")}, []string{"one", "two"}},
	{"history ctrl-p ctrl-n", "one\rtwo\r\x10\x10\x0e\r", []result{ok("one"), ok("two"), ok("two")}, []string{"one", "two"}},
	{"history up past oldest", "one\r\x1b[A\x1b[A\x1b[A\r", []result{ok("one"), ok("one")}, []string{"one"}},
	{"history down restores", "one\rtyp\x1b[A\x1b[B\r", []result{ok("one"), ok("typ")}, []string{"one", "typ"}},
	{"history down restores empty", "one\r\x1b[A\x1b[B\r", []result{ok("one"), ok("")}, []string{"one"}},
	{"history down at newest", "one\rab\x1b[B\x1b[Bc\r", []result{ok("one"), ok("abc")}, []string{"one", "abc"}},
	{"history edit", "one\r\x1b[Ax\r\x1b[A\x1b[A\r", []result{ok("one"), ok("onex"), ok("one")}, []string{"one", "onex", "one"}},
	{"history edit not stored", "one\r\x1b[A\x7f\x7f\x1b[B\x1b[A\r", []result{ok("one"), ok("one")}, []string{"one"}},
	{"history down ss3", "one\rtwo\r\x1bOA\x1bOA\x1bOB\r", []result{ok("one"), ok("two"), ok("two")}, nil},
	{"history dedup", "a\ra\r\rb\ra\r", []result{ok("a"), ok("a"), ok(""), ok("b"), ok("a")}, []string{"a", "b", "a"}},
	{"history utf8", "héllo\r\x1b[A\x1b[D\x7f\r", []result{ok("héllo"), ok("hélo")}, nil},
	{"history interrupted", "abc\x03\x1b[A\r", []result{intr, ok("")}, []string{}},
}

// readers wraps the test input in the readers the editor must cope with.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"bytes", func(r io.Reader) io.Reader { return r }},
	{"onebyte", iotest.OneByteReader},
	{"dataerr", iotest.DataErrReader},
	{"halfreader", iotest.HalfReader},
}

func TestReadLine(t *testing.T) {
	for _, tt := range editTests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				var out bytes.Buffer
				e := New(rd.wrap(strings.NewReader(tt.in)), &out)
				want := tt.want
				if last := want[len(want)-1]; last.err != io.EOF {
					// The input ends after the last result listed.
					want = append(slices.Clip(want), eof(""))
				}
				for i, want := range want {
					line, err := e.ReadLine(prompt)
					if line != want.line || !errors.Is(err, want.err) {
						t.Fatalf("ReadLine #%d = %q, %v; want %q, %v", i, line, err, want.line, want.err)
					}
				}
				if tt.history != nil {
					if h := e.History(); !slices.Equal(h, tt.history) {
						t.Errorf("History() = %q, want %q", h, tt.history)
					}
				}
				if err := checkScreen(out.Bytes(), prompt, e); err != nil {
					t.Errorf("%v\noutput: %q", err, out.String())
				}
			})
		}
	}
}

func TestPlainTypingOutput(t *testing.T) {
	var out bytes.Buffer
	e := New(iotest.OneByteReader(strings.NewReader("hello, wörld\r\nls -l\n")), &out)
	for _, want := range []string{"hello, wörld", "ls -l"} {
		if line, err := e.ReadLine(prompt); line != want || err != nil {
			t.Fatalf("ReadLine = %q, %v; want %q, nil", line, err, want)
		}
	}
	if want := prompt + "hello, wörld\r\n" + prompt + "ls -l\r\n"; out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
}

func TestOutput(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"insert middle", "ac\x1b[Db\r", "> ac\x1b[1Dbc\x1b[1D\r\n"},
		{"backspace at end", "ab\x7f\r", "> ab\x1b[1D\x1b[K\r\n"},
		{"ctrl-c", "ab\x01\x03", "> ab\x1b[2D\x1b[2C^C\r\n"},
		{"ctrl-l", "ab\x0c\r", "> ab\x1b[H\x1b[2J\r> ab\x1b[K\r\n"},
		{"history", "x\r\x1b[A\r", "> x\r\n> \r> x\x1b[K\r\n"},
		{"bell", strings.Repeat("a", maxLineBytes+1) + "\r", "> " + strings.Repeat("a", maxLineBytes) + "\a\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			e := New(strings.NewReader(tt.in), &out)
			for {
				if _, err := e.ReadLine(prompt); err == io.EOF {
					break
				}
			}
			if got := strings.TrimSuffix(out.String(), prompt); got != tt.want {
				t.Errorf("output = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLongLine(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", strings.Repeat("a", 5000) + "\r", strings.Repeat("a", maxLineBytes)},
		{"rune does not fit", strings.Repeat("a", maxLineBytes-1) + "éb\r", strings.Repeat("a", maxLineBytes-1) + "b"},
		{"editing still works", strings.Repeat("a", 5000) + "\x7f\x01xy\r", "x" + strings.Repeat("a", maxLineBytes-1)},
		{"multibyte", strings.Repeat("世", 2000) + "\r", strings.Repeat("世", maxLineBytes/3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			e := New(strings.NewReader(tt.in), &out)
			line, err := e.ReadLine(prompt)
			if err != nil || line != tt.want {
				t.Fatalf("ReadLine = %q (%d bytes), %v; want %d bytes", line, len(line), err, len(tt.want))
			}
			if !bytes.Contains(out.Bytes(), []byte{0x07}) {
				t.Errorf("no bell in output")
			}
		})
	}
}

func TestHistoryLimit(t *testing.T) {
	var in strings.Builder
	for i := range 150 {
		fmt.Fprintf(&in, "line%d\r", i)
	}
	e := New(strings.NewReader(in.String()), io.Discard)
	for {
		if _, err := e.ReadLine(prompt); err != nil {
			break
		}
	}
	h := e.History()
	if len(h) != maxHistory || h[0] != "line50" || h[len(h)-1] != "line149" {
		t.Fatalf("History() has %d entries, %q ... %q; want 100, line50 ... line149", len(h), h[0], h[len(h)-1])
	}
	h[0] = "changed"
	if e.History()[0] != "line50" {
		t.Errorf("History() does not return a copy")
	}
}

// TestLFAcrossCalls checks that the LF of a CR LF pair split across reads
// that straddle ReadLine calls does not produce an empty line.
func TestLFAcrossCalls(t *testing.T) {
	pr, pw := io.Pipe()
	e := New(pr, io.Discard)
	go func() {
		pw.Write([]byte("a\r"))
		pw.Write([]byte("\n"))
		pw.Write([]byte("b\r"))
		pw.Close()
	}()
	for _, want := range []result{ok("a"), ok("b"), eof("")} {
		line, err := e.ReadLine(prompt)
		if line != want.line || err != want.err {
			t.Fatalf("ReadLine = %q, %v; want %q, %v", line, err, want.line, want.err)
		}
	}
}

// TestNoReadAhead checks that bytes after a line stay in the reader.
func TestNoReadAhead(t *testing.T) {
	r := strings.NewReader("abc\rrest")
	e := New(r, io.Discard)
	if line, err := e.ReadLine(prompt); line != "abc" || err != nil {
		t.Fatalf("ReadLine = %q, %v", line, err)
	}
	if rest, _ := io.ReadAll(r); string(rest) != "rest" {
		t.Errorf("left in reader: %q, want %q", rest, "rest")
	}
}

var errTest = errors.New("test error")

func TestReadError(t *testing.T) {
	e := New(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(errTest)), io.Discard)
	if line, err := e.ReadLine(prompt); line != "ab" || err != errTest {
		t.Fatalf("ReadLine = %q, %v; want %q, %v", line, err, "ab", errTest)
	}
}

// errWriter fails after n writes.
type errWriter struct{ n int }

func (w *errWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errTest
	}
	w.n--
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	e := New(strings.NewReader("abc\r"), &errWriter{n: 0})
	if line, err := e.ReadLine(prompt); line != "" || err != errTest {
		t.Fatalf("ReadLine = %q, %v; want \"\", %v", line, err, errTest)
	}
	e = New(strings.NewReader("abc\r"), &errWriter{n: 2})
	if line, err := e.ReadLine(prompt); line != "ab" || err != errTest {
		t.Fatalf("ReadLine = %q, %v; want %q, %v", line, err, "ab", errTest)
	}
	e = New(strings.NewReader("abc\rd\r"), &errWriter{n: 4})
	if line, err := e.ReadLine(prompt); line != "abc" || err != errTest {
		t.Fatalf("ReadLine = %q, %v; want %q, %v", line, err, "abc", errTest)
	}
	if h := e.History(); !slices.Equal(h, []string{"abc"}) {
		t.Errorf("History() = %q", h)
	}
}

// zeroReader returns (0, nil) forever.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestNoProgress(t *testing.T) {
	e := New(zeroReader{}, io.Discard)
	if _, err := e.ReadLine(prompt); err != io.ErrNoProgress {
		t.Fatalf("ReadLine error = %v, want %v", err, io.ErrNoProgress)
	}
}

// TestScreenPrefixes runs every prefix of the table inputs and checks that
// the terminal shows the prompt and the partial line with the cursor in the
// right place.
func TestScreenPrefixes(t *testing.T) {
	for _, tt := range editTests {
		for k := range len(tt.in) + 1 {
			checkInput(t, []byte(tt.in[:k]))
		}
	}
}

func FuzzEditor(f *testing.F) {
	for _, tt := range editTests {
		f.Add([]byte(tt.in))
	}
	f.Add([]byte(strings.Repeat("é", 3000) + "\x1b[D\x7fx\r"))
	f.Fuzz(checkInput)
}

// checkInput feeds data to an editor, calling ReadLine until the input is
// exhausted, and checks the invariants of the results, the history and the
// screen.
func checkInput(t *testing.T, data []byte) {
	t.Helper()
	r := bytes.NewReader(data)
	var out bytes.Buffer
	e := New(r, &out)
	for calls := 0; ; calls++ {
		if calls > len(data)+1 {
			t.Fatalf("%q: ReadLine called %d times", data, calls)
		}
		line, err := e.ReadLine(prompt)
		if !utf8.ValidString(line) {
			t.Fatalf("%q: line %q is not valid UTF-8", data, line)
		}
		if len(line) > maxLineBytes {
			t.Fatalf("%q: line has %d bytes", data, len(line))
		}
		if err == ErrInterrupted && line != "" {
			t.Fatalf("%q: ReadLine = %q, %v", data, line, err)
		}
		if err == nil || err == ErrInterrupted || err == io.EOF && r.Len() > 0 {
			continue
		}
		if err != io.EOF {
			t.Fatalf("%q: ReadLine error = %v", data, err)
		}
		break
	}
	h := e.History()
	if len(h) > maxHistory {
		t.Fatalf("%q: history has %d entries", data, len(h))
	}
	for i, s := range h {
		if s == "" || i > 0 && h[i-1] == s || !utf8.ValidString(s) || len(s) > maxLineBytes {
			t.Fatalf("%q: bad history entry %d: %q", data, i, s)
		}
	}
	if err := checkScreen(out.Bytes(), prompt, e); err != nil {
		t.Fatalf("%q: %v\noutput: %q", data, err, out.String())
	}
}
