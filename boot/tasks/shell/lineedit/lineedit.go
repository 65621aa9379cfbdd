// Package lineedit implements the interactive line editor of the shell.
//
// The editor is written for a raw serial console: there is no tty line
// discipline between it and the terminal, so it reads raw bytes, echoes what
// is typed itself, and interprets the control bytes and ANSI escape sequences
// sent by common terminals (VT100/xterm/rxvt style):
//
//	Enter               CR, LF or CR LF (the LF of a CR LF pair is swallowed,
//	                    even when it arrives during the next ReadLine call)
//	Backspace           0x7f or 0x08: delete the rune before the cursor
//	Delete              ESC [ 3 ~: delete the rune under the cursor
//	Ctrl-A, Home        ESC [ H, ESC [ 1 ~, ESC [ 7 ~, ESC O H
//	Ctrl-E, End         ESC [ F, ESC [ 4 ~, ESC [ 8 ~, ESC O F
//	Ctrl-B, Left        ESC [ D, ESC O D
//	Ctrl-F, Right       ESC [ C, ESC O C
//	Ctrl-P, Up          ESC [ A, ESC O A: previous history entry
//	Ctrl-N, Down        ESC [ B, ESC O B: next history entry
//	Ctrl-U              delete from the start of the line to the cursor
//	Ctrl-K              delete from the cursor to the end of the line
//	Ctrl-W              delete the word before the cursor
//	Ctrl-L              clear the screen and redraw the prompt and line
//	Ctrl-C              discard the line (ErrInterrupted)
//	Ctrl-D              end of input on an empty line, Delete otherwise
//
// Other escape sequences (including CSI sequences with unexpected parameters
// or intermediate bytes) are consumed and ignored, as are other control bytes.
// Invalid UTF-8 input is dropped, so lines returned are always valid UTF-8.
//
// The editor assumes that every rune occupies one terminal column and that
// the prompt and line fit on one terminal row; it does not know the terminal
// width. A lone ESC key press is only acted upon when the next byte arrives,
// since a raw byte stream offers no timeout to tell it from an escape
// sequence.
package lineedit

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"
)

const (
	// maxLineBytes is the maximum length of a line in bytes (UTF-8).
	maxLineBytes = 4096
	// maxHistory is the maximum number of history entries kept.
	maxHistory = 100
	// maxCSIParams bounds the parameter bytes of a CSI sequence that are
	// remembered; longer sequences are consumed but never recognised.
	maxCSIParams = 8
	// maxEmptyReads is how many consecutive (0, nil) reads are tolerated
	// before giving up with io.ErrNoProgress.
	maxEmptyReads = 100
)

// ErrInterrupted is returned by ReadLine, together with an empty line, when
// the user types Ctrl-C. The partial line is discarded and not added to the
// history; the Editor remains usable.
var ErrInterrupted = errors.New("interrupted")

// Editor reads lines with echo, editing and history from a raw console.
//
// An Editor reads its input one byte per Read call and never reads ahead:
// bytes after the end of a line stay in the underlying reader. Each call to
// ReadLine flushes the echo of every key before reading the next byte. An
// Editor is not safe for concurrent use.
type Editor struct {
	in  io.Reader
	out io.Writer

	history []string
	lastCR  bool // the last byte handled was a CR (a following LF is dropped)

	// Input: one-byte read buffer, a pushed-back byte and a deferred error.
	rb      [1]byte
	back    byte
	hasBack bool
	rerr    error

	// State of the line being edited.
	prompt  string
	buf     []rune
	pos     int // cursor, index into buf
	nbytes  int // UTF-8 length of buf
	histIdx int // history entry shown; len(history) means the edited line
	saved   []rune
	obuf    []byte // pending output
}

// New returns an Editor that reads raw bytes from in and writes echo and
// prompts to out. in may return any number of bytes per Read, including one
// at a time; the Editor never requests more than one byte per Read.
func New(in io.Reader, out io.Writer) *Editor {
	return &Editor{in: in, out: out}
}

// History returns a copy of the history, oldest entry first. It holds at
// most 100 entries, none of them empty, and no entry equals the one before
// it.
func (e *Editor) History() []string {
	return slices.Clone(e.history)
}

// ReadLine writes prompt, then reads and edits a line until Enter and
// returns it without the line terminator. The returned line is valid UTF-8
// and at most 4096 bytes long; further input that would make it longer is
// refused with a bell (0x07).
//
// On Enter it writes "\r\n", appends the line to the history if it is not
// empty and differs from the newest entry, and returns the line with a nil
// error. On Ctrl-C it writes "^C\r\n" and returns "", ErrInterrupted. On
// Ctrl-D with an empty line it returns "", io.EOF.
//
// If reading from in fails (including io.EOF), ReadLine returns the partial
// line typed so far together with that error; the partial line is not added
// to the history and nothing more is written. If writing to out fails,
// ReadLine returns the line so far and the write error.
func (e *Editor) ReadLine(prompt string) (string, error) {
	e.prompt = prompt
	e.buf = e.buf[:0]
	e.pos, e.nbytes = 0, 0
	e.histIdx = len(e.history)
	e.saved = nil
	e.obuf = append(e.obuf[:0], prompt...)
	if err := e.flush(); err != nil {
		return "", err
	}
	for {
		b, err := e.readByte()
		if err != nil {
			return string(e.buf), err
		}
		if e.lastCR {
			e.lastCR = false
			if b == '\n' {
				continue
			}
		}
		line, done, err := e.handle(b)
		if werr := e.flush(); err == nil && werr != nil {
			if !done {
				line = string(e.buf)
			}
			return line, werr
		}
		if done || err != nil {
			return line, err
		}
	}
}

// ctrl returns the control byte for the letter c.
func ctrl(c byte) byte { return c & 0x1f }

// handle processes one input byte. done reports that ReadLine must return
// line and err: after Enter, Ctrl-C, Ctrl-D on an empty line, or a read error
// while reading the rest of a sequence (then line is the partial line).
func (e *Editor) handle(b byte) (line string, done bool, err error) {
	switch {
	case b == '\r' || b == '\n':
		e.lastCR = b == '\r'
		e.obuf = append(e.obuf, "\r\n"...)
		line = string(e.buf)
		e.addHistory(line)
		return line, true, nil
	case b == ctrl('C'):
		e.moveTo(len(e.buf))
		e.obuf = append(e.obuf, "^C\r\n"...)
		return "", true, ErrInterrupted
	case b == ctrl('D'):
		if len(e.buf) == 0 {
			return "", true, io.EOF
		}
		e.deleteRange(e.pos, min(e.pos+1, len(e.buf)))
	case b == 0x7f || b == ctrl('H'):
		e.deleteRange(max(e.pos-1, 0), e.pos)
	case b == ctrl('A'):
		e.moveTo(0)
	case b == ctrl('E'):
		e.moveTo(len(e.buf))
	case b == ctrl('B'):
		e.moveTo(e.pos - 1)
	case b == ctrl('F'):
		e.moveTo(e.pos + 1)
	case b == ctrl('P'):
		e.historyPrev()
	case b == ctrl('N'):
		e.historyNext()
	case b == ctrl('U'):
		e.deleteRange(0, e.pos)
	case b == ctrl('K'):
		e.deleteRange(e.pos, len(e.buf))
	case b == ctrl('W'):
		i := e.pos
		for i > 0 && unicode.IsSpace(e.buf[i-1]) {
			i--
		}
		for i > 0 && !unicode.IsSpace(e.buf[i-1]) {
			i--
		}
		e.deleteRange(i, e.pos)
	case b == ctrl('L'):
		e.obuf = append(e.obuf, "\x1b[H\x1b[2J"...)
		e.refresh()
	case b == 0x1b:
		err = e.escape()
	case b < 0x20:
		// Other control bytes are ignored.
	case b < 0x80:
		e.insert(rune(b))
	default:
		err = e.utf8Rune(b)
	}
	if err != nil {
		return string(e.buf), true, err
	}
	return "", false, nil
}

// escape handles the bytes following an ESC.
func (e *Editor) escape() error {
	b, err := e.readByte()
	if err != nil {
		return err
	}
	switch {
	case b == '[':
		return e.csi()
	case b == 'O':
		c, err := e.readByte()
		if err != nil {
			return err
		}
		switch c {
		case 'A', 'B', 'C', 'D', 'H', 'F':
			e.key(c)
		default:
			if c < 0x20 || c >= 0x7f {
				e.unread(c)
			}
		}
	case b < 0x20 || b >= 0x7f:
		// Not part of a sequence (for example ESC ESC, ESC CR or an
		// ESC followed by UTF-8): handle the byte on its own.
		e.unread(b)
	default:
		// ESC followed by a printable byte (Alt-key): ignored.
	}
	return nil
}

// csi consumes a control sequence after ESC [ and acts on the known ones.
// A byte that cannot be part of a sequence ends it and is handled on its
// own.
func (e *Editor) csi() error {
	var params [maxCSIParams]byte
	n := 0
	unknown := false
	for {
		b, err := e.readByte()
		if err != nil {
			return err
		}
		switch {
		case b >= 0x30 && b <= 0x3f: // parameter byte
			if n < len(params) {
				params[n] = b
				n++
			} else {
				unknown = true
			}
		case b >= 0x20 && b <= 0x2f: // intermediate byte
			unknown = true
		case b >= 0x40 && b <= 0x7e: // final byte
			if !unknown {
				e.csiKey(string(params[:n]), b)
			}
			return nil
		default:
			e.unread(b)
			return nil
		}
	}
}

// csiKey acts on the CSI sequence with parameters p and final byte f.
func (e *Editor) csiKey(p string, f byte) {
	switch f {
	case 'A', 'B', 'C', 'D', 'H', 'F':
		if p == "" {
			e.key(f)
		}
	case '~':
		switch p {
		case "1", "7":
			e.key('H')
		case "4", "8":
			e.key('F')
		case "3":
			e.deleteRange(e.pos, min(e.pos+1, len(e.buf)))
		}
	}
}

// key performs the action of a cursor key named by its final byte.
func (e *Editor) key(f byte) {
	switch f {
	case 'A':
		e.historyPrev()
	case 'B':
		e.historyNext()
	case 'C':
		e.moveTo(e.pos + 1)
	case 'D':
		e.moveTo(e.pos - 1)
	case 'H':
		e.moveTo(0)
	case 'F':
		e.moveTo(len(e.buf))
	}
}

// utf8Rune reads the rest of the UTF-8 sequence starting with lead and
// inserts the rune. Invalid sequences are dropped; a byte that cannot
// continue the sequence is handled on its own.
func (e *Editor) utf8Rune(lead byte) error {
	var n int
	switch {
	case lead >= 0xc2 && lead <= 0xdf:
		n = 2
	case lead >= 0xe0 && lead <= 0xef:
		n = 3
	case lead >= 0xf0 && lead <= 0xf4:
		n = 4
	default:
		return nil // stray continuation byte or invalid lead byte
	}
	var p [utf8.UTFMax]byte
	p[0] = lead
	for i := 1; i < n; i++ {
		c, err := e.readByte()
		if err != nil {
			return err
		}
		if c&0xc0 != 0x80 {
			e.unread(c)
			return nil
		}
		p[i] = c
	}
	r, size := utf8.DecodeRune(p[:n])
	if r == utf8.RuneError && size != n || unicode.IsControl(r) {
		return nil // overlong, surrogate, out of range, or C1 control
	}
	e.insert(r)
	return nil
}

// readByte returns the next input byte.
func (e *Editor) readByte() (byte, error) {
	if e.hasBack {
		e.hasBack = false
		return e.back, nil
	}
	if err := e.rerr; err != nil {
		e.rerr = nil
		return 0, err
	}
	for range maxEmptyReads {
		n, err := e.in.Read(e.rb[:])
		if n > 0 {
			e.rerr = err // delivered on the next call
			return e.rb[0], nil
		}
		if err != nil {
			return 0, err
		}
	}
	return 0, io.ErrNoProgress
}

// unread makes b the next byte returned by readByte.
func (e *Editor) unread(b byte) {
	e.back, e.hasBack = b, true
}

// flush writes the pending output.
func (e *Editor) flush() error {
	if len(e.obuf) == 0 {
		return nil
	}
	_, err := e.out.Write(e.obuf)
	e.obuf = e.obuf[:0]
	return err
}

// insert inserts r at the cursor, or rings the bell if the line is full.
func (e *Editor) insert(r rune) {
	size := utf8.RuneLen(r)
	if e.nbytes+size > maxLineBytes {
		e.obuf = append(e.obuf, 0x07)
		return
	}
	e.buf = slices.Insert(e.buf, e.pos, r)
	e.pos++
	e.nbytes += size
	e.obuf = utf8.AppendRune(e.obuf, r)
	if e.pos < len(e.buf) {
		e.appendRunes(e.buf[e.pos:])
		e.cursorLeft(len(e.buf) - e.pos)
	}
}

// deleteRange deletes buf[i:j] (i <= e.pos <= j or i == e.pos), leaves the
// cursor at i and redraws from there.
func (e *Editor) deleteRange(i, j int) {
	if i >= j {
		return
	}
	for _, r := range e.buf[i:j] {
		e.nbytes -= utf8.RuneLen(r)
	}
	e.buf = slices.Delete(e.buf, i, j)
	e.cursorLeft(e.pos - i)
	e.pos = i
	e.appendRunes(e.buf[i:])
	e.obuf = append(e.obuf, "\x1b[K"...)
	e.cursorLeft(len(e.buf) - i)
}

// moveTo moves the cursor to index i, clamped to the line.
func (e *Editor) moveTo(i int) {
	i = max(0, min(i, len(e.buf)))
	if i < e.pos {
		e.cursorLeft(e.pos - i)
	} else if i > e.pos {
		e.cursorRight(i - e.pos)
	}
	e.pos = i
}

// setLine replaces the line with rs, puts the cursor at its end and redraws.
func (e *Editor) setLine(rs []rune) {
	e.buf = append(e.buf[:0], rs...)
	e.pos = len(e.buf)
	e.nbytes = 0
	for _, r := range e.buf {
		e.nbytes += utf8.RuneLen(r)
	}
	e.refresh()
}

// historyPrev shows the previous (older) history entry, if any.
func (e *Editor) historyPrev() {
	if e.histIdx == 0 {
		return
	}
	if e.histIdx == len(e.history) {
		e.saved = slices.Clone(e.buf)
	}
	e.histIdx--
	e.setLine([]rune(e.history[e.histIdx]))
}

// historyNext shows the next (newer) history entry, or the line that was
// being typed before walking the history.
func (e *Editor) historyNext() {
	if e.histIdx >= len(e.history) {
		return
	}
	e.histIdx++
	if e.histIdx == len(e.history) {
		e.setLine(e.saved)
		e.saved = nil
		return
	}
	e.setLine([]rune(e.history[e.histIdx]))
}

// addHistory appends line to the history unless it is empty or repeats the
// newest entry, dropping the oldest entries beyond maxHistory.
func (e *Editor) addHistory(line string) {
	if line == "" || len(e.history) > 0 && e.history[len(e.history)-1] == line {
		return
	}
	if len(e.history) >= maxHistory {
		e.history = slices.Delete(e.history, 0, len(e.history)-maxHistory+1)
	}
	e.history = append(e.history, line)
}

// refresh redraws the prompt and the whole line and places the cursor.
func (e *Editor) refresh() {
	e.obuf = append(e.obuf, '\r')
	e.obuf = append(e.obuf, e.prompt...)
	e.appendRunes(e.buf)
	e.obuf = append(e.obuf, "\x1b[K"...)
	e.cursorLeft(len(e.buf) - e.pos)
}

// appendRunes queues rs for output.
func (e *Editor) appendRunes(rs []rune) {
	for _, r := range rs {
		e.obuf = utf8.AppendRune(e.obuf, r)
	}
}

// cursorLeft queues ESC [ n D, or nothing if n is 0.
func (e *Editor) cursorLeft(n int) { e.cursorMove(n, 'D') }

// cursorRight queues ESC [ n C, or nothing if n is 0.
func (e *Editor) cursorRight(n int) { e.cursorMove(n, 'C') }

func (e *Editor) cursorMove(n int, f byte) {
	if n <= 0 {
		return
	}
	e.obuf = append(e.obuf, "\x1b["...)
	e.obuf = strconv.AppendInt(e.obuf, int64(n), 10)
	e.obuf = append(e.obuf, f)
}
