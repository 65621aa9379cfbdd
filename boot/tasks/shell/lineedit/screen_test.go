package lineedit

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// screen is a minimal terminal emulator that understands exactly the output
// the editor is allowed to produce. It reports anything else as an error, so
// tests also check that the editor emits only these sequences.
type screen struct {
	rows     [][]rune
	row, col int
}

// feed interprets p.
func (s *screen) feed(p []byte) error {
	for len(p) > 0 {
		switch b := p[0]; {
		case b == '\r':
			s.col = 0
			p = p[1:]
		case b == '\n':
			s.row++
			p = p[1:]
		case b == 0x07:
			p = p[1:]
		case b == 0x1b:
			n, err := s.escape(p)
			if err != nil {
				return err
			}
			p = p[n:]
		case b < 0x20 || b == 0x7f:
			return fmt.Errorf("unexpected control byte %#x in output", b)
		default:
			r, size := utf8.DecodeRune(p)
			if r == utf8.RuneError && size == 1 {
				return fmt.Errorf("invalid UTF-8 in output: %q", p)
			}
			s.put(r)
			p = p[size:]
		}
	}
	return nil
}

// escape interprets the escape sequence at the start of p and returns its
// length.
func (s *screen) escape(p []byte) (int, error) {
	if len(p) < 3 || p[1] != '[' {
		return 0, fmt.Errorf("unexpected escape in output: %q", p)
	}
	i := 2
	for i < len(p) && p[i] >= '0' && p[i] <= '9' {
		i++
	}
	if i == len(p) {
		return 0, fmt.Errorf("unterminated escape in output: %q", p)
	}
	param := string(p[2:i])
	switch f := p[i]; {
	case f == 'K' && param == "":
		s.line()
		if s.col < len(s.rows[s.row]) {
			s.rows[s.row] = s.rows[s.row][:s.col]
		}
	case f == 'H' && param == "":
		s.row, s.col = 0, 0
	case f == 'J' && param == "2":
		s.rows = nil
	case f == 'C' || f == 'D':
		n, err := strconv.Atoi(param)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("bad cursor movement in output: %q", p[:i+1])
		}
		if f == 'C' {
			s.col += n
		} else {
			s.col = max(0, s.col-n)
		}
	default:
		return 0, fmt.Errorf("unexpected escape in output: %q", p[:i+1])
	}
	return i + 1, nil
}

// line makes sure the cursor row exists.
func (s *screen) line() {
	for len(s.rows) <= s.row {
		s.rows = append(s.rows, nil)
	}
}

// put writes r at the cursor and advances it.
func (s *screen) put(r rune) {
	s.line()
	row := s.rows[s.row]
	for len(row) < s.col {
		row = append(row, ' ')
	}
	if s.col == len(row) {
		row = append(row, r)
	} else {
		row[s.col] = r
	}
	s.rows[s.row] = row
	s.col++
}

// current returns the text of the cursor row.
func (s *screen) current() string {
	if s.row < len(s.rows) {
		return string(s.rows[s.row])
	}
	return ""
}

// checkScreen replays out and verifies that the cursor row ends with prompt
// followed by the editor's current line, with the cursor at the editor's
// cursor position.
func checkScreen(out []byte, prompt string, e *Editor) error {
	var s screen
	if err := s.feed(out); err != nil {
		return err
	}
	row := s.current()
	want := prompt + string(e.buf)
	if !strings.HasSuffix(row, want) {
		return fmt.Errorf("screen row %q does not end with %q", row, want)
	}
	if wantCol := utf8.RuneCountInString(row) - (len(e.buf) - e.pos); s.col != wantCol {
		return fmt.Errorf("cursor at column %d in %q, want %d", s.col, row, wantCol)
	}
	return nil
}
