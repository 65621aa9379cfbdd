package ps2

import (
	"math/rand"
	"testing"
)

// feed runs bytes through kb and returns the events they produced.
func feed(kb *Keyboard, bs ...byte) []Event {
	var evs []Event
	for _, b := range bs {
		if ev, ok := kb.Feed(b); ok {
			evs = append(evs, ev)
		}
	}
	return evs
}

// press returns the rune typed by pressing and releasing make code code, with the
// keyboard's modifier state as it is.
func press(t *testing.T, kb *Keyboard, code byte) rune {
	t.Helper()
	evs := feed(kb, code, code|0x80)
	if len(evs) != 2 || !evs[0].Pressed || evs[1].Pressed || evs[0].Key != evs[1].Key {
		t.Fatalf("make/break %#02x gave events %+v", code, evs)
	}
	if evs[1].Rune != 0 {
		t.Fatalf("release of %v has rune %q", evs[1].Key, evs[1].Rune)
	}
	return evs[0].Rune
}

// The US layout's printing keys, written out independently of the decoder's tables:
// make code, key, unshifted rune, shifted rune.
var printable = []struct {
	code           byte
	key            Key
	plain, shifted rune
}{
	{0x29, KeyGrave, '`', '~'}, {0x02, Key1, '1', '!'}, {0x03, Key2, '2', '@'}, {0x04, Key3, '3', '#'},
	{0x05, Key4, '4', '$'}, {0x06, Key5, '5', '%'}, {0x07, Key6, '6', '^'}, {0x08, Key7, '7', '&'},
	{0x09, Key8, '8', '*'}, {0x0a, Key9, '9', '('}, {0x0b, Key0, '0', ')'}, {0x0c, KeyMinus, '-', '_'},
	{0x0d, KeyEqual, '=', '+'},
	{0x10, KeyQ, 'q', 'Q'}, {0x11, KeyW, 'w', 'W'}, {0x12, KeyE, 'e', 'E'}, {0x13, KeyR, 'r', 'R'},
	{0x14, KeyT, 't', 'T'}, {0x15, KeyY, 'y', 'Y'}, {0x16, KeyU, 'u', 'U'}, {0x17, KeyI, 'i', 'I'},
	{0x18, KeyO, 'o', 'O'}, {0x19, KeyP, 'p', 'P'}, {0x1a, KeyLeftBracket, '[', '{'},
	{0x1b, KeyRightBracket, ']', '}'}, {0x2b, KeyBackslash, '\\', '|'},
	{0x1e, KeyA, 'a', 'A'}, {0x1f, KeyS, 's', 'S'}, {0x20, KeyD, 'd', 'D'}, {0x21, KeyF, 'f', 'F'},
	{0x22, KeyG, 'g', 'G'}, {0x23, KeyH, 'h', 'H'}, {0x24, KeyJ, 'j', 'J'}, {0x25, KeyK, 'k', 'K'},
	{0x26, KeyL, 'l', 'L'}, {0x27, KeySemicolon, ';', ':'}, {0x28, KeyApostrophe, '\'', '"'},
	{0x2c, KeyZ, 'z', 'Z'}, {0x2d, KeyX, 'x', 'X'}, {0x2e, KeyC, 'c', 'C'}, {0x2f, KeyV, 'v', 'V'},
	{0x30, KeyB, 'b', 'B'}, {0x31, KeyN, 'n', 'N'}, {0x32, KeyM, 'm', 'M'}, {0x33, KeyComma, ',', '<'},
	{0x34, KeyPeriod, '.', '>'}, {0x35, KeySlash, '/', '?'},
	{0x39, KeySpace, ' ', ' '}, {0x1c, KeyEnter, '\n', '\n'}, {0x0f, KeyTab, '\t', '\t'},
	{0x0e, KeyBackspace, '\b', '\b'}, {0x01, KeyEscape, 0x1b, 0x1b}, {0x37, KeyKeypadAsterisk, '*', '*'},
}

func TestPrintableKeys(t *testing.T) {
	if len(printable) != 47+6 {
		t.Fatalf("table has %d keys", len(printable))
	}
	for _, p := range printable {
		var kb Keyboard
		ev, ok := kb.Feed(p.code)
		if !ok || ev.Key != p.key || !ev.Pressed || ev.Rune != p.plain || ev.Mods != 0 {
			t.Errorf("%#02x: %+v, %v; want %v typing %q", p.code, ev, ok, p.key, p.plain)
		}
		// Either shift key.
		for _, shift := range []byte{0x2a, 0x36} {
			feed(&kb, shift)
			if r := press(t, &kb, p.code); r != p.shifted {
				t.Errorf("shift(%#02x)+%v typed %q, want %q", shift, p.key, r, p.shifted)
			}
			feed(&kb, shift|0x80)
			if r := press(t, &kb, p.code); r != p.plain {
				t.Errorf("%v after shift released typed %q, want %q", p.key, r, p.plain)
			}
		}
	}
}

func TestCapsLockAffectsLettersOnly(t *testing.T) {
	var kb Keyboard
	evs := feed(&kb, 0x3a, 0x3a, 0x3a, 0xba) // held: typematic repeats must not toggle again
	if len(evs) != 4 || evs[3].Mods != ModCapsLock {
		t.Fatalf("caps lock events %+v", evs)
	}
	for _, p := range printable {
		want := p.plain
		if p.plain >= 'a' && p.plain <= 'z' {
			want = p.shifted
		}
		if r := press(t, &kb, p.code); r != want {
			t.Errorf("caps lock + %v typed %q, want %q", p.key, r, want)
		}
		// Shift with caps lock: letters lower case again, symbols shifted as usual.
		feed(&kb, 0x2a)
		want = p.shifted
		if p.plain >= 'a' && p.plain <= 'z' {
			want = p.plain
		}
		if r := press(t, &kb, p.code); r != want {
			t.Errorf("caps lock + shift + %v typed %q, want %q", p.key, r, want)
		}
		feed(&kb, 0xaa)
	}
	feed(&kb, 0x3a, 0xba)
	if kb.Mods() != 0 {
		t.Fatalf("caps lock still on: %v", kb.Mods())
	}
	if r := press(t, &kb, 0x1e); r != 'a' {
		t.Fatalf("after caps lock off typed %q", r)
	}
}

func TestControlCharacters(t *testing.T) {
	for _, ctrl := range [][]byte{{0x1d}, {0xe0, 0x1d}} { // left, right ctrl
		var kb Keyboard
		feed(&kb, ctrl...)
		if kb.Mods() != ModCtrl {
			t.Fatalf("ctrl not held: %v", kb.Mods())
		}
		for _, p := range printable {
			want := p.plain
			switch {
			case p.plain >= 'a' && p.plain <= 'z':
				want = p.plain - 'a' + 1
			case p.plain == '[':
				want = 0x1b
			case p.plain == '\\':
				want = 0x1c
			case p.plain == ']':
				want = 0x1d
			}
			if r := press(t, &kb, p.code); r != want {
				t.Errorf("ctrl+%v typed %q, want %q", p.key, r, want)
			}
		}
		feed(&kb, 0x2a) // ctrl+shift+c is still ^C
		if r := press(t, &kb, 0x2e); r != 3 {
			t.Errorf("ctrl+shift+c typed %q", r)
		}
	}
}

func TestExtendedKeys(t *testing.T) {
	cases := []struct {
		code byte
		key  Key
		r    rune
	}{
		{0x48, KeyUp, 0}, {0x50, KeyDown, 0}, {0x4b, KeyLeft, 0}, {0x4d, KeyRight, 0},
		{0x1d, KeyRightCtrl, 0}, {0x38, KeyRightAlt, 0}, {0x1c, KeyKeypadEnter, '\n'},
		{0x35, KeyKeypadSlash, '/'}, {0x53, KeyDelete, 0}, {0x52, KeyInsert, 0},
		{0x47, KeyHome, 0}, {0x4f, KeyEnd, 0}, {0x49, KeyPageUp, 0}, {0x51, KeyPageDown, 0},
		{0x5b, KeyLeftGUI, 0}, {0x5c, KeyRightGUI, 0}, {0x5d, KeyMenu, 0},
		{0x20, KeyMute, 0}, {0x30, KeyVolumeUp, 0}, {0x2e, KeyVolumeDown, 0},
	}
	var kb Keyboard
	for _, c := range cases {
		evs := feed(&kb, 0xe0, c.code, 0xe0, c.code|0x80)
		if len(evs) != 2 {
			t.Fatalf("E0 %#02x: events %+v", c.code, evs)
		}
		if evs[0].Key != c.key || !evs[0].Pressed || evs[0].Rune != c.r {
			t.Errorf("E0 %#02x press = %+v, want %v typing %q", c.code, evs[0], c.key, c.r)
		}
		if evs[1].Key != c.key || evs[1].Pressed || evs[1].Rune != 0 {
			t.Errorf("E0 %#02x release = %+v", c.code, evs[1])
		}
		if kb.Mods() != 0 {
			t.Errorf("after %v modifiers %v", c.key, kb.Mods())
		}
	}
	// The extended keys never type the runes of the keypad keys that share their codes.
	kb.SetLocks(ModNumLock)
	if evs := feed(&kb, 0xe0, 0x48); evs[0].Rune != 0 {
		t.Errorf("Up with Num Lock typed %q", evs[0].Rune)
	}
	// Right Alt and GUI are modifiers.
	feed(&kb, 0xe0, 0x38, 0xe0, 0x5b)
	if kb.Mods() != ModNumLock|ModAlt|ModGUI {
		t.Errorf("mods = %v", kb.Mods())
	}
}

func TestPrintScreenAndPause(t *testing.T) {
	var kb Keyboard
	// Print Screen with the fake shifts around it.
	evs := feed(&kb, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa)
	if len(evs) != 2 || evs[0].Key != KeyPrintScreen || !evs[0].Pressed || evs[1].Pressed {
		t.Fatalf("Print Screen events %+v", evs)
	}
	// An arrow with Num Lock on comes with a fake shift too; it must not shift.
	evs = feed(&kb, 0xe0, 0x2a, 0xe0, 0x4b, 0xe0, 0xcb, 0xe0, 0xaa)
	if len(evs) != 2 || evs[0].Key != KeyLeft || evs[0].Mods != 0 {
		t.Fatalf("fake-shifted Left events %+v", evs)
	}
	evs = feed(&kb, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5)
	if len(evs) != 2 || evs[0].Key != KeyPause || !evs[0].Pressed || evs[1].Key != KeyPause || evs[1].Pressed {
		t.Fatalf("Pause events %+v", evs)
	}
	// The decoder is back in step afterwards.
	if r := press(t, &kb, 0x1e); r != 'a' {
		t.Fatalf("after Pause typed %q", r)
	}
}

func TestModifiers(t *testing.T) {
	var kb Keyboard
	evs := feed(&kb, 0x2a, 0x36, 0xaa)
	if len(evs) != 3 || evs[0].Key != KeyLeftShift || evs[0].Mods != ModShift || evs[0].Rune != 0 {
		t.Fatalf("shift events %+v", evs)
	}
	if evs[2].Mods != ModShift { // right shift still held
		t.Fatalf("after releasing left shift with right held: %v", evs[2].Mods)
	}
	feed(&kb, 0xb6, 0x1d, 0x38)
	if kb.Mods() != ModCtrl|ModAlt {
		t.Fatalf("mods = %v", kb.Mods())
	}
	feed(&kb, 0x9d, 0xb8, 0x45, 0xc5, 0x46, 0xc6)
	if kb.Mods() != ModNumLock|ModScrollLock {
		t.Fatalf("mods = %v", kb.Mods())
	}
	if got := (ModNumLock | ModScrollLock | ModCapsLock).LEDs(); got != 7 {
		t.Fatalf("LEDs = %#x", got)
	}
	if got := ModCapsLock.LEDs(); got != 4 {
		t.Fatalf("LEDs = %#x", got)
	}
	if s := (ModShift | ModCtrl | ModCapsLock).String(); s != "Shift+Ctrl+CapsLock" {
		t.Fatalf("String = %q", s)
	}
	if s := Modifiers(0).String(); s != "none" {
		t.Fatalf("String = %q", s)
	}
	kb.SetLocks(ModShift | ModCapsLock)
	if kb.Mods() != ModCapsLock {
		t.Fatalf("SetLocks let through non-lock bits: %v", kb.Mods())
	}
}

func TestKeypad(t *testing.T) {
	codes := []byte{0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53}
	const digits = "789-456+1230."
	var kb Keyboard
	for i, c := range codes { // Num Lock off: navigation, only + and - type
		want := rune(0)
		if digits[i] == '-' || digits[i] == '+' {
			want = rune(digits[i])
		}
		if r := press(t, &kb, c); r != want {
			t.Errorf("keypad %#02x with Num Lock off typed %q, want %q", c, r, want)
		}
	}
	feed(&kb, 0x45, 0xc5)
	for i, c := range codes {
		if r := press(t, &kb, c); r != rune(digits[i]) {
			t.Errorf("keypad %#02x with Num Lock on typed %q, want %q", c, r, digits[i])
		}
	}
	feed(&kb, 0x2a) // shift inverts Num Lock
	if r := press(t, &kb, 0x4f); r != 0 {
		t.Errorf("shift+keypad 1 with Num Lock typed %q", r)
	}
}

func TestBreakCodesAndNoise(t *testing.T) {
	var kb Keyboard
	for _, p := range printable {
		ev, ok := kb.Feed(p.code | 0x80)
		if !ok || ev.Key != p.key || ev.Pressed || ev.Rune != 0 {
			t.Errorf("break %#02x = %+v, %v", p.code|0x80, ev, ok)
		}
	}
	// Controller and keyboard replies, and codes no key sends, produce nothing; nor
	// do prefixes on their own.
	for _, b := range []byte{0x00, 0xff, 0xfa, 0xfe, 0xee, 0x55, 0x59, 0x7f, 0xe0} {
		if ev, ok := kb.Feed(b); ok {
			t.Errorf("Feed(%#02x) = %+v", b, ev)
		}
	}
	if ev, ok := kb.Feed(0x7a); ok { // E0 7A: an unknown extended key
		t.Errorf("E0 7A = %+v", ev)
	}
	if r := press(t, &kb, 0x10); r != 'q' {
		t.Errorf("after noise typed %q", r)
	}
	if ev, ok := kb.Feed(0xe0); ok {
		t.Errorf("prefix gave %+v", ev)
	}
	if evs := feed(&kb, 0xe0, 0x48); len(evs) != 1 || evs[0].Key != KeyUp { // a doubled prefix
		t.Errorf("E0 E0 48 = %+v", evs)
	}
}

func TestKeyNames(t *testing.T) {
	seen := map[string]Key{}
	n := 0
	for code := 0; code < 0x10000; code++ {
		k := Key(code)
		name := k.name()
		if name == "" {
			continue
		}
		n++
		if other, dup := seen[name]; dup {
			t.Errorf("%#04x and %#04x are both named %q", uint16(other), code, name)
		}
		seen[name] = k
	}
	if n != 87+29+1 {
		t.Errorf("%d named keys", n)
	}
	for k, want := range map[Key]string{
		KeyA: "A", Key1: "1", KeySlash: "/", KeyKeypad7: "Keypad7", KeyKeypadPeriod: "Keypad.",
		KeyF10: "F10", KeyF12: "F12", KeyUp: "Up", KeyPause: "Pause", KeyNonUSBackslash: "NonUSBackslash",
		Key(0x55): "Key(0x0055)",
	} {
		if got := k.String(); got != want {
			t.Errorf("%#04x.String() = %q, want %q", uint16(k), got, want)
		}
	}
}

func TestRandomBytesNeverPanic(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	var kb Keyboard
	for i := 0; i < 200000; i++ {
		b := byte(rng.Intn(256))
		if rng.Intn(8) == 0 {
			b = 0xe0 + byte(rng.Intn(2))
		}
		kb.Feed(b)
	}
}

func FuzzFeed(f *testing.F) {
	f.Add([]byte{0xe1, 0x1d, 0x45, 0xe0, 0x2a, 0xe0, 0x37})
	f.Fuzz(func(t *testing.T, p []byte) {
		var kb Keyboard
		for _, b := range p {
			if ev, ok := kb.Feed(b); ok && ev.Key.name() == "" {
				t.Fatalf("event for unknown key %v", ev.Key)
			}
		}
	})
}
