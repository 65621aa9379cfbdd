// Package fbcon is a text console drawn on a linear framebuffer, so that a PC without a
// serial port still shows the boot.
//
// The framebuffer is the one the boot loader describes in the Multiboot2 framebuffer
// tag (Multiboot2 specification, §3.6.12 "Framebuffer info", framebuffer_type 1 =
// direct RGB colour): a base address, a pitch in bytes per scan line, a width and
// height in pixels, bits per pixel, and the position and size of the red, green and
// blue fields within a pixel. Pixels are stored little-endian, as on every x86
// framebuffer (VESA BIOS Extension 3.0, §4.4 "Mode information", the
// RedMaskSize/RedFieldPosition fields, which Multiboot2 passes on).
//
// Text is drawn with the 7×13 X11 "misc-fixed" font from golang.org/x/image/font/
// basicfont; the glyphs are turned into bitmaps once, in New, so that Write only copies
// precomputed pixel values. Scrolling is one memmove of the text area and one fill of
// the last text row.
//
// Control characters and escape sequences follow ECMA-48 (5th edition, 1991): §5.3
// (control sequence syntax: CSI, parameter bytes 0x30–0x3F, intermediate bytes
// 0x20–0x2F, final byte 0x40–0x7E) and §8.3.117 (SGR, Select Graphic Rendition). Only
// SGR 0, 1, 22, 30–37, 39, 40–47, 49, 90–97 and 100–107 (and 38;5;n / 48;5;n for n <
// 16) change anything; every other sequence, including OSC and DCS strings, is
// consumed and never drawn.
package fbcon

import (
	"errors"
	"fmt"
	"image/color"
	"sync"
	"unicode/utf8"

	"golang.org/x/image/font/basicfont"
)

// Framebuffer describes a linear framebuffer: where its memory is and how pixels are
// laid out in it (the fields of the Multiboot2 framebuffer tag).
type Framebuffer struct {
	// Pixels is the mapped framebuffer memory: Height scan lines of Pitch bytes each.
	Pixels []byte
	// Pitch is the number of bytes from the start of one scan line to the next.
	Pitch int
	// Width and Height are the visible size in pixels.
	Width, Height int
	// BPP is the number of bits per pixel: 16, 24 or 32.
	BPP int
	// RedPos, GreenPos and BluePos are the bit positions of the lowest bit of each
	// colour field in a pixel; RedSize, GreenSize and BlueSize their widths in bits.
	// If all six are zero, the usual layout for BPP is assumed (5:6:5 for 16 bpp,
	// 8:8:8 with red highest for 24 and 32 bpp).
	RedPos, RedSize, GreenPos, GreenSize, BluePos, BlueSize uint8
}

// Color is one of the 16 console colours, numbered as in ECMA-48 SGR 30–37 (0–7) and
// their bright variants (8–15).
type Color uint8

// The console colours.
const (
	Black Color = iota
	Red
	Green
	Yellow
	Blue
	Magenta
	Cyan
	White // light grey: the default foreground
	BrightBlack
	BrightRed
	BrightGreen
	BrightYellow
	BrightBlue
	BrightMagenta
	BrightCyan
	BrightWhite
)

// paletteRGB holds the 16 colours' red, green and blue bytes (the VGA text-mode
// palette).
const paletteRGB = "" +
	"\x00\x00\x00" + "\xaa\x00\x00" + "\x00\xaa\x00" + "\xaa\x55\x00" +
	"\x00\x00\xaa" + "\xaa\x00\xaa" + "\x00\xaa\xaa" + "\xaa\xaa\xaa" +
	"\x55\x55\x55" + "\xff\x55\x55" + "\x55\xff\x55" + "\xff\xff\x55" +
	"\x55\x55\xff" + "\xff\x55\xff" + "\x55\xff\xff" + "\xff\xff\xff"

// RGB returns the colour's 8-bit red, green and blue components. Values above 15 are
// taken modulo 16.
func (c Color) RGB() (r, g, b uint8) {
	i := int(c&15) * 3
	return paletteRGB[i], paletteRGB[i+1], paletteRGB[i+2]
}

// The default colours, restored by SGR 0.
const (
	defaultFG = White
	defaultBG = Black
)

// Limits that keep every size computation far from overflow.
const (
	maxDimension = 1 << 15 // width and height in pixels
	maxPitch     = 1 << 20 // bytes per scan line
)

// cursorLines is the height in pixel rows of the underline cursor.
const cursorLines = 2

// noCursor tells drawCell to draw no cursor.
const noCursor = -1

// tabWidth is the distance between tab stops, in columns.
const tabWidth = 8

// maxStringLen bounds how many bytes of an unterminated OSC/DCS string are swallowed
// before the console gives up on it and prints again: a lost terminator must not blank
// the rest of the boot log.
const maxStringLen = 512

// maxParams is the number of SGR parameters kept; further ones are ignored.
const maxParams = 16

// Parser states.
const (
	stGround    = iota // plain text
	stEsc              // after ESC
	stEscInter         // after ESC and intermediate bytes (0x20–0x2F)
	stCSI              // in a control sequence, after ESC [
	stString           // in an OSC, DCS, SOS, PM or APC string
	stStringEsc        // in such a string, after ESC (expecting '\\' of ST)
)

// cell is one character position's content.
type cell struct {
	r      rune
	fg, bg Color
}

// Console is a text console on a framebuffer. It implements io.Writer; it is safe for
// use by several goroutines.
type Console struct {
	mu sync.Mutex

	pix    []byte
	pitch  int
	width  int // pixels
	height int // pixels
	bypp   int // bytes per pixel
	pal    [16]uint32

	font *glyphs

	cols, rows int
	cells      []cell
	col, row   int // col == cols means "wrap before the next character"

	fg, bg Color
	bold   bool

	cursorVisible bool
	cursorDrawn   bool

	// Escape sequence parser.
	state     int
	params    [maxParams]int
	nparam    int // index of the parameter being collected
	seqIgnore bool
	strLen    int

	// UTF-8 decoder: bytes of an incomplete sequence.
	ubuf  [utf8.UTFMax]byte
	un    int // bytes held
	uwant int // bytes the sequence needs
}

// New returns a console on fb, with the screen cleared to black and the cursor at the
// top left. It fails if fb's pixel format is not one it can draw (BPP other than 16,
// 24 or 32, colour fields outside the pixel) or if fb.Pixels is shorter than
// fb.Pitch*fb.Height.
func New(fb Framebuffer) (*Console, error) {
	if err := check(&fb); err != nil {
		return nil, err
	}
	font, err := newGlyphs(basicfont.Face7x13)
	if err != nil {
		return nil, fmt.Errorf("fbcon: font: %w", err)
	}
	if fb.Width < font.w || fb.Height < font.h {
		return nil, fmt.Errorf("fbcon: framebuffer %dx%d is smaller than one %dx%d character cell",
			fb.Width, fb.Height, font.w, font.h)
	}
	c := &Console{
		pix:           fb.Pixels,
		pitch:         fb.Pitch,
		width:         fb.Width,
		height:        fb.Height,
		bypp:          fb.BPP / 8,
		font:          font,
		cols:          fb.Width / font.w,
		rows:          fb.Height / font.h,
		fg:            defaultFG,
		bg:            defaultBG,
		cursorVisible: true,
	}
	for i := range c.pal {
		r, g, b := Color(i).RGB()
		c.pal[i] = encode(&fb, r, g, b)
	}
	c.cells = make([]cell, c.cols*c.rows)
	c.clear()
	c.showCursor()
	return c, nil
}

// check validates fb and fills in the default colour layout.
func check(fb *Framebuffer) error {
	switch fb.BPP {
	case 16, 24, 32:
	default:
		return fmt.Errorf("fbcon: unsupported depth %d bits per pixel (want 16, 24 or 32)", fb.BPP)
	}
	if fb.Width <= 0 || fb.Height <= 0 || fb.Width > maxDimension || fb.Height > maxDimension {
		return fmt.Errorf("fbcon: bad framebuffer size %dx%d", fb.Width, fb.Height)
	}
	if fb.Pitch > maxPitch || fb.Pitch < fb.Width*(fb.BPP/8) {
		return fmt.Errorf("fbcon: pitch %d bytes does not fit a scan line of %d pixels at %d bpp",
			fb.Pitch, fb.Width, fb.BPP)
	}
	if need := fb.Pitch * fb.Height; len(fb.Pixels) < need {
		return fmt.Errorf("fbcon: framebuffer memory is %d bytes, need pitch %d × height %d = %d",
			len(fb.Pixels), fb.Pitch, fb.Height, need)
	}
	if fb.RedSize == 0 && fb.GreenSize == 0 && fb.BlueSize == 0 &&
		fb.RedPos == 0 && fb.GreenPos == 0 && fb.BluePos == 0 {
		if fb.BPP == 16 {
			fb.RedPos, fb.RedSize, fb.GreenPos, fb.GreenSize, fb.BluePos, fb.BlueSize = 11, 5, 5, 6, 0, 5
		} else {
			fb.RedPos, fb.RedSize, fb.GreenPos, fb.GreenSize, fb.BluePos, fb.BlueSize = 16, 8, 8, 8, 0, 8
		}
	}
	for _, f := range []struct {
		name      string
		pos, size uint8
	}{{"red", fb.RedPos, fb.RedSize}, {"green", fb.GreenPos, fb.GreenSize}, {"blue", fb.BluePos, fb.BlueSize}} {
		if f.size == 0 || f.size > 16 || int(f.pos)+int(f.size) > fb.BPP {
			return fmt.Errorf("fbcon: %s field (position %d, size %d) does not fit a %d-bit pixel",
				f.name, f.pos, f.size, fb.BPP)
		}
	}
	return nil
}

// encode returns the pixel value of colour (r, g, b) in fb's layout.
func encode(fb *Framebuffer, r, g, b uint8) uint32 {
	field := func(v, pos, size uint8) uint32 {
		max := uint32(1)<<size - 1
		return (uint32(v)*max + 127) / 255 << pos
	}
	return field(r, fb.RedPos, fb.RedSize) | field(g, fb.GreenPos, fb.GreenSize) | field(b, fb.BluePos, fb.BlueSize)
}

// glyphs holds a font pre-rendered into one bit mask per pixel row.
type glyphs struct {
	w, h     int // cell size in pixels (≤ 16 wide)
	rows     []uint16
	ascii    [128]int32 // glyph index of each ASCII rune, or -1
	other    map[rune]int32
	fallback int32 // glyph drawn for runes the font lacks ('?')
}

// newGlyphs renders face's glyphs into bitmaps. Bit x of a row (counting from bit 0)
// is column x of the cell.
func newGlyphs(face *basicfont.Face) (*glyphs, error) {
	w, h := face.Advance, face.Height
	gh := face.Ascent + face.Descent
	if w <= 0 || w > 16 || h <= 0 || gh <= 0 || face.Mask == nil {
		return nil, fmt.Errorf("unusable face: advance %d, height %d, ascent+descent %d", w, h, gh)
	}
	g := &glyphs{w: w, h: h, other: map[rune]int32{}, fallback: -1}
	for i := range g.ascii {
		g.ascii[i] = -1
	}
	const maxGlyphs = 1 << 12
	n := 0
	for _, rg := range face.Ranges {
		for r := rg.Low; r < rg.High; r++ {
			if n >= maxGlyphs {
				return nil, fmt.Errorf("more than %d glyphs", maxGlyphs)
			}
			y0 := (int(r-rg.Low) + rg.Offset) * gh
			for y := 0; y < h; y++ {
				var bits uint16
				if y < gh {
					for x := 0; x < face.Width; x++ {
						cx := face.Left + x
						if cx < 0 || cx >= w {
							continue
						}
						a := color.AlphaModel.Convert(face.Mask.At(x, y0+y)).(color.Alpha).A
						if a >= 0x80 {
							bits |= 1 << cx
						}
					}
				}
				g.rows = append(g.rows, bits)
			}
			if r < 128 {
				g.ascii[r] = int32(n)
			} else {
				g.other[r] = int32(n)
			}
			n++
		}
	}
	if g.fallback = g.ascii['?']; g.fallback < 0 {
		return nil, errors.New("face has no '?' glyph")
	}
	return g, nil
}

// glyph returns the bitmap rows of r, or of '?' if the font lacks r.
func (g *glyphs) glyph(r rune) []uint16 {
	i := int32(-1)
	if r >= 0 && r < 128 {
		i = g.ascii[r]
	} else if j, ok := g.other[r]; ok {
		i = j
	}
	if i < 0 {
		i = g.fallback
	}
	return g.rows[int(i)*g.h : int(i+1)*g.h]
}

// Cols returns the number of text columns.
func (c *Console) Cols() int { return c.cols }

// Rows returns the number of text rows.
func (c *Console) Rows() int { return c.rows }

// CellSize returns the width and height in pixels of one character cell.
func (c *Console) CellSize() (w, h int) { return c.font.w, c.font.h }

// Cursor returns the cursor's column and row (the cell the next character goes to,
// or the last column when a wrap is pending).
func (c *Console) Cursor() (col, row int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return min(c.col, c.cols-1), c.row
}

// SetColors sets the foreground and background colours of the text written next and
// turns bold off. SGR 0 still returns to light grey on black.
func (c *Console) SetColors(fg, bg Color) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fg, c.bg, c.bold = fg&15, bg&15, false
}

// SetCursorVisible shows or hides the underline cursor.
func (c *Console) SetCursorVisible(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hideCursor()
	c.cursorVisible = on
	c.showCursor()
}

// Clear fills the screen with the current background colour and moves the cursor to
// the top left.
func (c *Console) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cursorDrawn = false
	c.clear()
	c.showCursor()
}

// Write draws p as UTF-8 text with control characters and escape sequences, and
// always returns len(p), nil. A UTF-8 sequence or escape sequence may be split across
// calls.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hideCursor()
	for _, b := range p {
		c.putByte(b)
	}
	c.showCursor()
	return len(p), nil
}

// WriteString is Write for a string.
func (c *Console) WriteString(s string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hideCursor()
	for i := 0; i < len(s); i++ {
		c.putByte(s[i])
	}
	c.showCursor()
	return len(s), nil
}

// putByte runs one byte through the escape-sequence parser and UTF-8 decoder.
func (c *Console) putByte(b byte) {
	switch c.state {
	case stGround:
		if b >= 0x80 || c.un > 0 {
			c.utf8Byte(b)
			return
		}
		if b == 0x1b {
			c.state = stEsc
			return
		}
		if b < 0x20 || b == 0x7f {
			c.control(b)
			return
		}
		c.print(rune(b))

	case stEsc, stEscInter:
		switch {
		case b == 0x1b:
			c.state = stEsc
		case b == 0x18 || b == 0x1a: // CAN, SUB: abandon the sequence
			c.state = stGround
		case b < 0x20:
			c.control(b)
		case c.state == stEsc && b == '[':
			c.state = stCSI
			c.params = [maxParams]int{}
			c.nparam = 0
			c.seqIgnore = false
		case c.state == stEsc && (b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_'):
			c.state = stString // OSC, DCS, SOS, PM, APC
			c.strLen = 0
		case b < 0x30:
			c.state = stEscInter
		default: // final byte (or junk): the sequence ends here, unperformed
			c.state = stGround
		}

	case stCSI:
		switch {
		case b >= '0' && b <= '9':
			if p := &c.params[c.nparam]; *p < 10000 {
				*p = *p*10 + int(b-'0')
			}
		case b == ';':
			if c.nparam < maxParams-1 {
				c.nparam++
			} else {
				c.seqIgnore = true
			}
		case b >= 0x3a && b <= 0x3f: // ':' sub-parameters, private markers '<' '=' '>' '?'
			c.seqIgnore = true
		case b >= 0x20 && b <= 0x2f: // intermediate bytes
			c.seqIgnore = true
		case b >= 0x40 && b <= 0x7e: // final byte
			c.state = stGround
			if b == 'm' && !c.seqIgnore {
				c.sgr(c.params[:c.nparam+1])
			}
		case b == 0x1b:
			c.state = stEsc
		case b == 0x18 || b == 0x1a:
			c.state = stGround
		case b < 0x20:
			c.control(b)
		default: // DEL or a byte ≥ 0x80: not part of any control sequence
			c.state = stGround
		}

	case stString, stStringEsc:
		c.strLen++
		switch {
		case b == 0x07: // BEL ends an OSC string (xterm)
			c.state = stGround
		case c.state == stStringEsc && b == '\\': // ST
			c.state = stGround
		case c.state == stStringEsc: // ESC without '\\': a new escape sequence
			c.state = stEsc
			c.putByte(b)
		case b == 0x18 || b == 0x1a:
			c.state = stGround
		case b == 0x1b:
			c.state = stStringEsc
		case c.strLen > maxStringLen:
			c.state = stGround
		default:
			c.state = stString
		}
	}
}

// utf8Byte collects a multi-byte UTF-8 sequence; malformed input draws U+FFFD.
func (c *Console) utf8Byte(b byte) {
	if c.un > 0 {
		if b&0xc0 == 0x80 {
			c.ubuf[c.un] = b
			c.un++
			if c.un < c.uwant {
				return
			}
			r, size := utf8.DecodeRune(c.ubuf[:c.un])
			if size != c.un {
				r = utf8.RuneError
			}
			c.un = 0
			c.print(r)
			return
		}
		// The sequence was cut short: show that, then start again with b.
		c.un = 0
		c.print(utf8.RuneError)
		c.putByte(b)
		return
	}
	switch {
	case b >= 0xc2 && b <= 0xdf:
		c.uwant = 2
	case b >= 0xe0 && b <= 0xef:
		c.uwant = 3
	case b >= 0xf0 && b <= 0xf4:
		c.uwant = 4
	default: // a stray continuation byte or an impossible lead byte
		c.print(utf8.RuneError)
		return
	}
	c.ubuf[0] = b
	c.un = 1
}

// control performs a C0 control character. Those without a meaning here are ignored.
func (c *Console) control(b byte) {
	switch b {
	case '\n', '\v', '\f':
		c.col = 0
		c.lineFeed()
	case '\r':
		c.col = 0
	case '\t':
		if c.col < c.cols {
			c.col = min((c.col/tabWidth+1)*tabWidth, c.cols-1)
		}
	case '\b':
		if c.col >= c.cols {
			c.col = c.cols - 1
		}
		if c.col > 0 {
			c.col--
		}
	}
}

// sgr applies Select Graphic Rendition parameters.
func (c *Console) sgr(ps []int) {
	for i := 0; i < len(ps); i++ {
		switch p := ps[i]; {
		case p == 0:
			c.fg, c.bg, c.bold = defaultFG, defaultBG, false
		case p == 1:
			c.bold = true
		case p == 22:
			c.bold = false
		case p >= 30 && p <= 37:
			c.fg = Color(p - 30)
		case p == 39:
			c.fg = defaultFG
		case p >= 40 && p <= 47:
			c.bg = Color(p - 40)
		case p == 49:
			c.bg = defaultBG
		case p >= 90 && p <= 97:
			c.fg = Color(p - 90 + 8)
		case p >= 100 && p <= 107:
			c.bg = Color(p - 100 + 8)
		case p == 38 || p == 48:
			// 38;5;n (indexed) or 38;2;r;g;b (direct): only n < 16 is shown.
			if i+2 < len(ps) && ps[i+1] == 5 {
				if n := ps[i+2]; n < 16 {
					if p == 38 {
						c.fg = Color(n)
					} else {
						c.bg = Color(n)
					}
				}
				i += 2
			} else if i+1 < len(ps) && ps[i+1] == 2 {
				i += 4
			} else {
				return
			}
		}
	}
}

// print draws r at the cursor and advances it, wrapping and scrolling as needed.
func (c *Console) print(r rune) {
	if r >= 0x80 && r < 0xa0 { // C1 controls: never drawn
		return
	}
	if c.col >= c.cols {
		c.col = 0
		c.lineFeed()
	}
	fg := c.fg
	if c.bold && fg < 8 {
		fg += 8
	}
	ce := cell{r: r, fg: fg, bg: c.bg}
	c.cells[c.row*c.cols+c.col] = ce
	c.drawCell(c.col, c.row, ce, noCursor)
	c.col++
}

// lineFeed moves the cursor down a row, scrolling at the bottom.
func (c *Console) lineFeed() {
	if c.row < c.rows-1 {
		c.row++
		return
	}
	c.scroll()
}

// scroll moves the text area up one row and clears the last row to the current
// background colour.
func (c *Console) scroll() {
	rowBytes := c.font.h * c.pitch
	text := c.rows * rowBytes
	copy(c.pix[:text-rowBytes], c.pix[rowBytes:text])
	c.fill(0, (c.rows-1)*c.font.h, c.width, c.font.h, c.bg)
	copy(c.cells, c.cells[c.cols:])
	blank := cell{r: ' ', fg: c.fg, bg: c.bg}
	last := c.cells[(c.rows-1)*c.cols:]
	for i := range last {
		last[i] = blank
	}
}

// clear fills the whole framebuffer with the background colour and homes the cursor.
func (c *Console) clear() {
	c.fill(0, 0, c.width, c.height, c.bg)
	blank := cell{r: ' ', fg: c.fg, bg: c.bg}
	for i := range c.cells {
		c.cells[i] = blank
	}
	c.col, c.row = 0, 0
}

// fill paints a rectangle (in pixels, already within the framebuffer) with colour col.
func (c *Console) fill(x, y, w, h int, col Color) {
	if w <= 0 || h <= 0 {
		return
	}
	n := w * c.bypp
	first := c.pix[y*c.pitch+x*c.bypp:][:n]
	c.putPixel(first, 0, c.pal[col])
	for done := c.bypp; done < n; done *= 2 {
		copy(first[done:], first[:done])
	}
	for i := 1; i < h; i++ {
		off := (y+i)*c.pitch + x*c.bypp
		copy(c.pix[off:off+n], first)
	}
}

// putPixel stores pixel value v at byte offset off of line.
func (c *Console) putPixel(line []byte, off int, v uint32) {
	switch c.bypp {
	case 4:
		_ = line[off+3]
		line[off], line[off+1], line[off+2], line[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	case 3:
		_ = line[off+2]
		line[off], line[off+1], line[off+2] = byte(v), byte(v>>8), byte(v>>16)
	default:
		_ = line[off+1]
		line[off], line[off+1] = byte(v), byte(v>>8)
	}
}

// drawCell draws ce at (col, row). If cursor is a colour (not noCursor), the cell's
// bottom rows are the underline cursor in that colour.
func (c *Console) drawCell(col, row int, ce cell, cursor int) {
	g := c.font.glyph(ce.r)
	w, h, bp := c.font.w, c.font.h, c.bypp
	base := row*h*c.pitch + col*w*bp
	for y := 0; y < h; y++ {
		bits := g[y]
		fg, bg := c.pal[ce.fg&15], c.pal[ce.bg&15]
		if cursor != noCursor && y >= h-cursorLines {
			bits, fg = 0xffff, c.pal[cursor&15]
		}
		line := c.pix[base+y*c.pitch:][: w*bp : w*bp]
		switch bp {
		case 4:
			for x := 0; x < w; x++ {
				v := bg
				if bits&(1<<x) != 0 {
					v = fg
				}
				p := line[x*4 : x*4+4 : x*4+4]
				p[0], p[1], p[2], p[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
			}
		default:
			for x := 0; x < w; x++ {
				v := bg
				if bits&(1<<x) != 0 {
					v = fg
				}
				c.putPixel(line, x*bp, v)
			}
		}
	}
}

// cursorCell returns the cell the cursor is shown on.
func (c *Console) cursorCell() (col, row int) { return min(c.col, c.cols-1), c.row }

// showCursor draws the cursor if it is visible and not drawn.
func (c *Console) showCursor() {
	if !c.cursorVisible || c.cursorDrawn {
		return
	}
	col, row := c.cursorCell()
	// The cursor takes the colour text written there would have.
	fg := c.fg
	if c.bold && fg < 8 {
		fg += 8
	}
	c.drawCell(col, row, c.cells[row*c.cols+col], int(fg))
	c.cursorDrawn = true
}

// hideCursor redraws the cursor's cell without it.
func (c *Console) hideCursor() {
	if !c.cursorDrawn {
		return
	}
	col, row := c.cursorCell()
	c.drawCell(col, row, c.cells[row*c.cols+col], noCursor)
	c.cursorDrawn = false
}
