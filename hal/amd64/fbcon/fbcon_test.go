package fbcon

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The font's cell, as the tests expect it (Face7x13: advance 7, line height 13).
const cw, ch = 7, 13

// newFB returns a zeroed framebuffer of w×h pixels at bpp with the default layout and
// a pitch padded by pad bytes.
func newFB(w, h, bpp, pad int) Framebuffer {
	pitch := w*bpp/8 + pad
	return Framebuffer{Pixels: make([]byte, pitch*h), Pitch: pitch, Width: w, Height: h, BPP: bpp}
}

func mustNew(t testing.TB, fb Framebuffer) *Console {
	t.Helper()
	c, err := New(fb)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func write(t testing.TB, c *Console, s string) {
	t.Helper()
	if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
		t.Fatalf("Write(%q) = %d, %v", s, n, err)
	}
}

// pixel returns the raw pixel value at (x, y).
func pixel(fb Framebuffer, x, y int) uint32 {
	off := y*fb.Pitch + x*fb.BPP/8
	var v uint32
	for i := 0; i < fb.BPP/8; i++ {
		v |= uint32(fb.Pixels[off+i]) << (8 * i)
	}
	return v
}

// rgb decodes the pixel at (x, y) of a framebuffer with the default 8:8:8 layout.
func rgb(fb Framebuffer, x, y int) color.RGBA {
	v := pixel(fb, x, y)
	return color.RGBA{byte(v >> 16), byte(v >> 8), byte(v), 0xff}
}

func colorOf(c Color) color.RGBA {
	r, g, b := c.RGB()
	return color.RGBA{r, g, b, 0xff}
}

// refGlyph renders r with basicfont's own Glyph and image/draw, independently of the
// console's pre-rendered bitmaps: the result says for each pixel of a 7×13 cell
// whether it is ink.
func refGlyph(t testing.TB, r rune) [ch][cw]bool {
	t.Helper()
	if r >= 0 && r < 128 && refASCII[r] != nil {
		return *refASCII[r]
	}
	face := basicfont.Face7x13
	dst := image.NewAlpha(image.Rect(0, 0, cw, ch))
	dr, mask, mp, _, ok := face.Glyph(fixed.P(0, face.Ascent), r)
	if !ok {
		dr, mask, mp, _, _ = face.Glyph(fixed.P(0, face.Ascent), '?')
	}
	draw.DrawMask(dst, dr, image.Opaque, image.Point{}, mask, mp, draw.Over)
	var g [ch][cw]bool
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			g[y][x] = dst.AlphaAt(x, y).A >= 0x80
		}
	}
	if r >= 0 && r < 128 {
		refASCII[r] = &g
	}
	return g
}

// refASCII caches refGlyph's ASCII renderings (tests in this package run one at a
// time).
var refASCII [128]*[ch][cw]bool

// checkCell fails unless text cell (col, row) shows r in fg on bg. The cursor rows
// are skipped if skipCursor is set.
func checkCell(t *testing.T, fb Framebuffer, col, row int, r rune, fg, bg Color) {
	t.Helper()
	g := refGlyph(t, r)
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			want := colorOf(bg)
			if g[y][x] {
				want = colorOf(fg)
			}
			if got := rgb(fb, col*cw+x, row*ch+y); got != want {
				t.Fatalf("cell (%d,%d) %q: pixel (%d,%d) = %v, want %v", col, row, r, x, y, got, want)
			}
		}
	}
}

// rowText reads back a text row by matching every cell against the reference glyphs
// of printable ASCII (ink in any colour; background black).
func rowText(t *testing.T, fb Framebuffer, c *Console, row int) string {
	t.Helper()
	var sb strings.Builder
	for col := 0; col < c.Cols(); col++ {
		var ink [ch][cw]bool
		for y := 0; y < ch; y++ {
			for x := 0; x < cw; x++ {
				ink[y][x] = rgb(fb, col*cw+x, row*ch+y) != colorOf(Black)
			}
		}
		found := false
		for r := rune(' '); r < 0x7f; r++ {
			if refGlyph(t, r) == ink {
				sb.WriteRune(r)
				found = true
				break
			}
		}
		if !found {
			sb.WriteRune('#')
		}
	}
	return strings.TrimRight(sb.String(), " ")
}

func TestNewRejectsBadFramebuffers(t *testing.T) {
	good := newFB(64, 32, 32, 0)
	cases := []struct {
		name string
		mod  func(*Framebuffer)
		want string
	}{
		{"8 bpp", func(f *Framebuffer) { f.BPP = 8 }, "unsupported depth 8"},
		{"15 bpp", func(f *Framebuffer) { f.BPP = 15 }, "unsupported depth 15"},
		{"short pixels", func(f *Framebuffer) { f.Pixels = f.Pixels[:len(f.Pixels)-1] }, "need pitch"},
		{"nil pixels", func(f *Framebuffer) { f.Pixels = nil }, "need pitch"},
		{"pitch too small", func(f *Framebuffer) { f.Pitch = 64*4 - 1 }, "pitch"},
		{"zero width", func(f *Framebuffer) { f.Width = 0 }, "size"},
		{"negative height", func(f *Framebuffer) { f.Height = -1 }, "size"},
		{"huge", func(f *Framebuffer) { f.Width, f.Height, f.Pitch = 1<<30, 1<<30, 1<<32 }, "size"},
		{"smaller than a cell", func(f *Framebuffer) { f.Width = 6 }, "smaller than one"},
		{"field outside pixel", func(f *Framebuffer) { f.RedPos, f.RedSize, f.GreenSize, f.BlueSize = 28, 8, 8, 8 }, "red field"},
		{"zero-size field", func(f *Framebuffer) { f.RedPos, f.RedSize, f.GreenPos, f.GreenSize = 16, 8, 8, 0 }, "green field"},
	}
	for _, tc := range cases {
		fb := good
		fb.Pixels = append([]byte(nil), good.Pixels...)
		tc.mod(&fb)
		c, err := New(fb)
		if err == nil || c != nil {
			t.Errorf("%s: New = %v, %v; want an error", tc.name, c, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not mention %q", tc.name, err, tc.want)
		}
	}
	if _, err := New(good); err != nil {
		t.Fatalf("New(good) = %v", err)
	}
}

func TestNewClearsAndSizes(t *testing.T) {
	fb := newFB(100, 50, 32, 8)
	for i := range fb.Pixels {
		fb.Pixels[i] = 0x5a
	}
	c := mustNew(t, fb)
	if c.Cols() != 100/cw || c.Rows() != 50/ch {
		t.Fatalf("Cols, Rows = %d, %d; want %d, %d", c.Cols(), c.Rows(), 100/cw, 50/ch)
	}
	if w, h := c.CellSize(); w != cw || h != ch {
		t.Fatalf("CellSize = %d×%d", w, h)
	}
	c.SetCursorVisible(false)
	for y := 0; y < fb.Height; y++ {
		for x := 0; x < fb.Width; x++ {
			if p := pixel(fb, x, y); p != 0 {
				t.Fatalf("pixel (%d,%d) = %#x after New, want black", x, y, p)
			}
		}
		// The padding after each scan line is not the console's to touch.
		if pad := fb.Pixels[y*fb.Pitch+fb.Width*4:][:8]; !bytes.Equal(pad, bytes.Repeat([]byte{0x5a}, 8)) {
			t.Fatalf("scan line %d padding changed: % x", y, pad)
		}
	}
}

func TestGlyphA(t *testing.T) {
	fb := newFB(640, 480, 32, 0)
	c := mustNew(t, fb)
	c.SetCursorVisible(false)
	write(t, c, "A")
	g := refGlyph(t, 'A')
	ink := 0
	for y := 0; y < fb.Height; y++ {
		for x := 0; x < fb.Width; x++ {
			want := colorOf(Black)
			if x < cw && y < ch && g[y][x] {
				want = colorOf(White)
				ink++
			}
			if got := rgb(fb, x, y); got != want {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
	if ink < 10 {
		t.Fatalf("'A' has only %d ink pixels: reference rendering broken", ink)
	}
	if col, row := c.Cursor(); col != 1 || row != 0 {
		t.Fatalf("cursor at (%d,%d), want (1,0)", col, row)
	}
}

func TestCursorIsVisible(t *testing.T) {
	fb := newFB(70, 26, 32, 0)
	c := mustNew(t, fb)
	write(t, c, "A")
	// The cursor is the bottom two pixel rows of cell (1,0), in the foreground colour.
	for y := 0; y < ch; y++ {
		for x := cw; x < 2*cw; x++ {
			want := colorOf(Black)
			if y >= ch-2 {
				want = colorOf(White)
			}
			if got := rgb(fb, x, y); got != want {
				t.Fatalf("cursor cell pixel (%d,%d) = %v, want %v", x-cw, y, got, want)
			}
		}
	}
	// Moving on erases it; hiding it restores the cell.
	write(t, c, "\n")
	if got := rgb(fb, cw, ch-1); got != colorOf(Black) {
		t.Fatalf("old cursor still drawn: %v", got)
	}
	if got := rgb(fb, 0, 2*ch-1); got != colorOf(White) {
		t.Fatalf("new cursor at (0,1) not drawn: %v", got)
	}
	c.SetCursorVisible(false)
	if got := rgb(fb, 0, 2*ch-1); got != colorOf(Black) {
		t.Fatalf("hidden cursor still drawn: %v", got)
	}
	checkCell(t, fb, 0, 0, 'A', White, Black)
}

func TestWrap(t *testing.T) {
	fb := newFB(10*cw+3, 3*ch+5, 32, 0) // 10 columns, 3 rows, ragged margins
	c := mustNew(t, fb)
	c.SetCursorVisible(false)
	write(t, c, "0123456789")
	// A full line leaves the cursor pending on the last column: no blank line yet.
	if col, row := c.Cursor(); col != 9 || row != 0 {
		t.Fatalf("after 10 chars cursor = (%d,%d), want (9,0)", col, row)
	}
	write(t, c, "ab")
	if got := rowText(t, fb, c, 0); got != "0123456789" {
		t.Fatalf("row 0 = %q", got)
	}
	if got := rowText(t, fb, c, 1); got != "ab" {
		t.Fatalf("row 1 = %q", got)
	}
	// A newline right after a full line does not leave an empty line.
	write(t, c, "\rCDEFGHIJKL\nz")
	if got := rowText(t, fb, c, 1); got != "CDEFGHIJKL" {
		t.Fatalf("row 1 = %q", got)
	}
	if got := rowText(t, fb, c, 2); got != "z" {
		t.Fatalf("row 2 = %q", got)
	}
}

func TestScroll(t *testing.T) {
	fb := newFB(640, 480, 32, 0)
	c := mustNew(t, fb)
	c.SetCursorVisible(false)
	rows := fb.Height / ch
	if rows != c.Rows() {
		t.Fatalf("Rows = %d, want %d", c.Rows(), rows)
	}
	write(t, c, "FIRST LINE\n")
	for i := 1; i <= rows; i++ { // Height/13+1 lines in all
		write(t, c, fmt.Sprintf("line %d\n", i))
	}
	for r := 0; r < rows; r++ {
		if got := rowText(t, fb, c, r); strings.Contains(got, "FIRST") {
			t.Fatalf("row %d still shows %q after scrolling", r, got)
		}
	}
	if got := rowText(t, fb, c, 0); got != "line 2" {
		t.Fatalf("row 0 = %q, want %q", got, "line 2")
	}
	if got := rowText(t, fb, c, rows-2); got != fmt.Sprintf("line %d", rows) {
		t.Fatalf("row %d = %q", rows-2, got)
	}
	// The last text row is cleared, and so is the margin below it.
	for y := (rows - 1) * ch; y < fb.Height; y++ {
		for x := 0; x < fb.Width; x++ {
			if p := pixel(fb, x, y); p != 0 {
				t.Fatalf("pixel (%d,%d) = %#x on the cleared last row", x, y, p)
			}
		}
	}
	// Scrolling clears the new row to the current background colour.
	write(t, c, "\x1b[44m\n")
	for y := (rows - 1) * ch; y < rows*ch; y++ {
		for x := 0; x < fb.Width; x++ {
			if got := rgb(fb, x, y); got != colorOf(Blue) {
				t.Fatalf("pixel (%d,%d) = %v, want the blue background", x, y, got)
			}
		}
	}
	if got := rgb(fb, 0, rows*ch); got != colorOf(Black) {
		t.Fatalf("bottom margin = %v, want untouched black", got)
	}
}

func TestControlCharacters(t *testing.T) {
	fb := newFB(20*cw, 4*ch, 32, 0)
	c := mustNew(t, fb)
	c.SetCursorVisible(false)
	write(t, c, "AB\bC\n")          // backspace moves back without erasing
	write(t, c, "\bx\n")            // at column 0 it stays put
	write(t, c, "abc\rX\n")         // carriage return
	write(t, c, "a\tb\x07\x00\x7f") // tab to column 8; BEL, NUL, DEL draw nothing
	for i, want := range []string{"AC", "x", "Xbc", "a       b"} {
		if got := rowText(t, fb, c, i); got != want {
			t.Errorf("row %d = %q, want %q", i, got, want)
		}
	}
	if col, row := c.Cursor(); col != 9 || row != 3 {
		t.Fatalf("cursor = (%d,%d), want (9,3)", col, row)
	}
	// Tabs stop at the last column; backspace from a pending wrap goes back one.
	write(t, c, "\t\t\t\t")
	if col, _ := c.Cursor(); col != 19 {
		t.Fatalf("after tabs cursor column = %d, want 19", col)
	}
	// Like xterm and Linux: after the last column, backspace lands one before it.
	write(t, c, "y\bQ")
	if got := rowText(t, fb, c, 3); got != "a       b         Qy" {
		t.Fatalf("row 3 = %q", got)
	}
}

func TestSGR(t *testing.T) {
	fb := newFB(20*cw, 2*ch, 32, 0)
	c := mustNew(t, fb)
	c.SetCursorVisible(false)
	write(t, c, "\x1b[31mR\x1b[1mB\x1b[0mN\x1b[42mG\x1b[32;41mx\x1b[39;49md\x1b[94;103my\x1b[mz")
	write(t, c, "\x1b[1;37mW\x1b[22mw\x1b[38;5;13mp\x1b[38;2;1;2;3;44mq\x1b[0;1mb")
	want := []struct {
		r      rune
		fg, bg Color
	}{
		{'R', Red, Black}, {'B', BrightRed, Black}, {'N', White, Black}, {'G', White, Green},
		{'x', Green, Red}, {'d', White, Black}, {'y', BrightBlue, BrightYellow}, {'z', White, Black},
		{'W', BrightWhite, Black}, {'w', White, Black}, {'p', BrightMagenta, Black},
		{'q', BrightMagenta, Blue}, {'b', BrightWhite, Black},
	}
	for i, w := range want {
		checkCell(t, fb, i, 0, w.r, w.fg, w.bg)
	}
	c.SetColors(Cyan, Magenta)
	write(t, c, "\nc")
	checkCell(t, fb, 0, 1, 'c', Cyan, Magenta)
}

func TestUnknownEscapesAreSwallowed(t *testing.T) {
	fb := newFB(40*cw, 2*ch, 32, 0)
	c := mustNew(t, fb)
	c.SetCursorVisible(false)
	seqs := []string{
		"a",
		"\x1b[2J", "b", // erase display: not supported, swallowed
		"\x1b[?25l", "c", // private mode
		"\x1b(B", "d", // designate character set (intermediate byte)
		"\x1b]0;window title\x07", "e", // OSC ended by BEL
		"\x1b]2;title\x1b\\", "f", // OSC ended by ST
		"\x1bPdevice control\x1b\\", "g", // DCS
		"\x1bc", "h", // RIS
		"\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;31m", "i", // too many parameters: ignored
		"\x1b[38:2:1:2:3m", "j", // sub-parameters: ignored
		"\x1b[ q", "k", // intermediate byte in a CSI
		"\x1b[31", "\x1b[0m", "l", // ESC aborts an unfinished sequence
		"\x1b[3\x18", "m", // CAN aborts
		"\x1b\x1b[m", "n",
	}
	for _, s := range seqs {
		write(t, c, s)
	}
	if got := rowText(t, fb, c, 0); got != "abcdefghijklmn" {
		t.Fatalf("row 0 = %q, want only the letters", got)
	}
	for i := 0; i < 14; i++ {
		checkCell(t, fb, i, 0, rune('a'+i), White, Black)
	}
}

func TestSplitWrites(t *testing.T) {
	fb := newFB(20*cw, 2*ch, 32, 0)
	c := mustNew(t, fb)
	c.SetCursorVisible(false)
	for _, s := range []string{"\x1b", "[", "3", "1", "m", "R", "\xe2", "\x82", "\xac", "\x1b[0", "m", "x"} {
		write(t, c, s)
	}
	checkCell(t, fb, 0, 0, 'R', Red, Black)
	checkCell(t, fb, 1, 0, '?', Red, Black) // '€' is not in the font
	checkCell(t, fb, 2, 0, 'x', White, Black)
}

func TestNonASCII(t *testing.T) {
	fb := newFB(20*cw, 2*ch, 32, 0)
	c := mustNew(t, fb)
	c.SetCursorVisible(false)
	// é and 日 are not in the font: '?'. A bad byte and a truncated sequence draw
	// U+FFFD, which the font has. A C1 control draws nothing.
	write(t, c, "é日\xff|\xe2\x82|\xc2\x85|\ufffd")
	want := []rune{'?', '?', '\ufffd', '|', '\ufffd', '|', '|', '\ufffd'}
	for i, r := range want {
		checkCell(t, fb, i, 0, r, White, Black)
	}
	if refGlyph(t, '\ufffd') == refGlyph(t, '?') {
		t.Fatal("U+FFFD and '?' look alike: test would prove nothing")
	}
}

func TestPixelEncodings(t *testing.T) {
	cases := []struct {
		name  string
		fb    Framebuffer
		bg    Color
		bytes []byte // the first pixel, background colour
		fg    []byte // a pixel of ink, foreground colour
	}{
		{"32 bpp xRGB", newFB(14, 13, 32, 0), Red, []byte{0x00, 0x00, 0xaa, 0x00}, []byte{0xff, 0xff, 0xff, 0x00}},
		{"24 bpp RGB", newFB(14, 13, 24, 0), Red, []byte{0x00, 0x00, 0xaa}, []byte{0xff, 0xff, 0xff}},
		// 5:6:5: red 0xaa → round(170·31/255) = 21 → 21<<11 = 0xa800.
		{"16 bpp 565", newFB(14, 13, 16, 0), Red, []byte{0x00, 0xa8}, []byte{0xff, 0xff}},
		{"32 bpp BGRx", func() Framebuffer {
			f := newFB(14, 13, 32, 0)
			f.RedPos, f.RedSize, f.GreenPos, f.GreenSize, f.BluePos, f.BlueSize = 0, 8, 8, 8, 16, 8
			return f
		}(), Yellow, []byte{0xaa, 0x55, 0x00, 0x00}, []byte{0xff, 0xff, 0xff, 0x00}},
		// 5:5:5 in 16 bits: yellow (0xaa, 0x55, 0) → 21<<10 | 10<<5 = 0x5540.
		{"16 bpp 555", func() Framebuffer {
			f := newFB(14, 13, 16, 0)
			f.RedPos, f.RedSize, f.GreenPos, f.GreenSize, f.BluePos, f.BlueSize = 10, 5, 5, 5, 0, 5
			return f
		}(), Yellow, []byte{0x40, 0x55}, []byte{0xff, 0x7f}},
		// 10:10:10 in 32 bits: red 0xaa → round(170·1023/255) = 682 = 0x2aa.
		{"32 bpp 2:10:10:10", func() Framebuffer {
			f := newFB(14, 13, 32, 0)
			f.RedPos, f.RedSize, f.GreenPos, f.GreenSize, f.BluePos, f.BlueSize = 20, 10, 10, 10, 0, 10
			return f
		}(), Red, []byte{0x00, 0x00, 0xa0, 0x2a}, []byte{0xff, 0xff, 0xff, 0x3f}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustNew(t, tc.fb)
			c.SetCursorVisible(false)
			c.SetColors(BrightWhite, tc.bg)
			write(t, c, "H ") // 'H' has ink at its top-left stroke
			bp := tc.fb.BPP / 8
			if got := tc.fb.Pixels[:bp]; !bytes.Equal(got, tc.bytes) {
				t.Fatalf("background pixel = % x, want % x", got, tc.bytes)
			}
			g := refGlyph(t, 'H')
			x, y := -1, -1
			for yy := 0; yy < ch && x < 0; yy++ {
				for xx := 0; xx < cw; xx++ {
					if g[yy][xx] {
						x, y = xx, yy
						break
					}
				}
			}
			if got := tc.fb.Pixels[y*tc.fb.Pitch+x*bp:][:bp]; !bytes.Equal(got, tc.fg) {
				t.Fatalf("ink pixel (%d,%d) = % x, want % x", x, y, got, tc.fg)
			}
			// The space in the second column is all background.
			if got := tc.fb.Pixels[cw*bp:][:bp]; !bytes.Equal(got, tc.bytes) {
				t.Fatalf("second cell background = % x, want % x", got, tc.bytes)
			}
		})
	}
}

func TestClear(t *testing.T) {
	fb := newFB(5*cw, 2*ch, 32, 0)
	c := mustNew(t, fb)
	write(t, c, "hello\nxy\x1b[41m")
	c.Clear()
	c.SetCursorVisible(false)
	for y := 0; y < fb.Height; y++ {
		for x := 0; x < fb.Width; x++ {
			if got := rgb(fb, x, y); got != colorOf(Red) {
				t.Fatalf("pixel (%d,%d) = %v after Clear, want red", x, y, got)
			}
		}
	}
	if col, row := c.Cursor(); col != 0 || row != 0 {
		t.Fatalf("cursor = (%d,%d) after Clear", col, row)
	}
}

// TestRandomInputNeverPanics throws random bytes, heavy in escapes and controls, at
// small consoles of every depth.
func TestRandomInputNeverPanics(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte("\x1b[];?0123456789m\n\r\t\b\x07\x18\xc3\xa9\xe2\x82\xac\xff abcXYZ\\P")
	for _, bpp := range []int{16, 24, 32} {
		fb := newFB(3*cw+1, 2*ch+1, bpp, 3)
		c := mustNew(t, fb)
		buf := make([]byte, 64)
		for i := 0; i < 300; i++ {
			for j := range buf {
				if rng.Intn(4) == 0 {
					buf[j] = byte(rng.Intn(256))
				} else {
					buf[j] = alphabet[rng.Intn(len(alphabet))]
				}
			}
			write(t, c, string(buf[:rng.Intn(len(buf))]))
		}
	}
}

func FuzzWrite(f *testing.F) {
	f.Add([]byte("hello\x1b[31mworld\n\x1b]0;x\x07\xe2\x82"))
	f.Add([]byte("\x1b[38;5;300;48;2;1;2;3m\t\t\b\b\b\r\n"))
	f.Fuzz(func(t *testing.T, p []byte) {
		fb := newFB(2*cw, 2*ch, 24, 1)
		c := mustNew(t, fb)
		write(t, c, string(p))
	})
}

// TestRenderPNG renders a sample screen to a PNG in the test's temporary directory
// for a person to look at (go test -run RenderPNG -v prints the path; set
// FBCON_PNG=/some/file.png to keep a copy).
func TestRenderPNG(t *testing.T) {
	fb := newFB(640, 200, 32, 0)
	c := mustNew(t, fb)
	write(t, c, "Skyscope OS framebuffer console\n")
	write(t, c, "\x1b[1mbold\x1b[0m normal \x1b[31mred\x1b[32m green\x1b[33m yellow\x1b[34m blue"+
		"\x1b[35m magenta\x1b[36m cyan\x1b[0m\n")
	for i := 0; i < 8; i++ {
		fmt.Fprintf(c, "\x1b[%dm  \x1b[%dm  \x1b[0m", 40+i, 100+i)
	}
	write(t, c, "\n\x1b[97;44m white on blue \x1b[0m \x1b[1;33mbright yellow\x1b[0m\n")
	write(t, c, " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\n")
	write(t, c, "tab\tstop\tstop\nnon-ASCII: é → ?, bad byte \xff → \ufffd\n")
	write(t, c, strings.Repeat("wrapping-", 12)+"\n> ")
	img := image.NewRGBA(image.Rect(0, 0, fb.Width, fb.Height))
	for y := 0; y < fb.Height; y++ {
		for x := 0; x < fb.Width; x++ {
			img.SetRGBA(x, y, rgb(fb, x, y))
		}
	}
	path := filepath.Join(t.TempDir(), "fbcon.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("FBCON_PNG"); keep != "" {
		if err := os.WriteFile(keep, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		path = keep
	}
	t.Logf("sample screen: %s", path)
}

func BenchmarkScroll1024x768x32(b *testing.B) {
	fb := newFB(1024, 768, 32, 0)
	c := mustNew(b, fb)
	c.SetCursorVisible(false)
	c.row = c.rows - 1
	b.SetBytes(int64(fb.Pitch * fb.Height))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.WriteString("\n")
	}
}

func BenchmarkWriteLine(b *testing.B) {
	fb := newFB(1024, 768, 32, 0)
	c := mustNew(b, fb)
	line := strings.Repeat("x", c.Cols()-1) + "\n"
	b.SetBytes(int64(len(line)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.WriteString(line)
	}
}
