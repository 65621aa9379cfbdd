package ps2

import "fmt"

// Key identifies a physical key by its scan code set 1 make code: the code itself for
// one-byte keys, 0xE000|code for keys sent with the 0xE0 prefix, and 0xE11D for Pause.
type Key uint16

// The keys Keyboard knows (US 104/105-key layout plus common multimedia keys).
const (
	KeyNone           Key = 0x00
	KeyEscape         Key = 0x01
	Key1              Key = 0x02
	Key2              Key = 0x03
	Key3              Key = 0x04
	Key4              Key = 0x05
	Key5              Key = 0x06
	Key6              Key = 0x07
	Key7              Key = 0x08
	Key8              Key = 0x09
	Key9              Key = 0x0A
	Key0              Key = 0x0B
	KeyMinus          Key = 0x0C
	KeyEqual          Key = 0x0D
	KeyBackspace      Key = 0x0E
	KeyTab            Key = 0x0F
	KeyQ              Key = 0x10
	KeyW              Key = 0x11
	KeyE              Key = 0x12
	KeyR              Key = 0x13
	KeyT              Key = 0x14
	KeyY              Key = 0x15
	KeyU              Key = 0x16
	KeyI              Key = 0x17
	KeyO              Key = 0x18
	KeyP              Key = 0x19
	KeyLeftBracket    Key = 0x1A
	KeyRightBracket   Key = 0x1B
	KeyEnter          Key = 0x1C
	KeyLeftCtrl       Key = 0x1D
	KeyA              Key = 0x1E
	KeyS              Key = 0x1F
	KeyD              Key = 0x20
	KeyF              Key = 0x21
	KeyG              Key = 0x22
	KeyH              Key = 0x23
	KeyJ              Key = 0x24
	KeyK              Key = 0x25
	KeyL              Key = 0x26
	KeySemicolon      Key = 0x27
	KeyApostrophe     Key = 0x28
	KeyGrave          Key = 0x29
	KeyLeftShift      Key = 0x2A
	KeyBackslash      Key = 0x2B
	KeyZ              Key = 0x2C
	KeyX              Key = 0x2D
	KeyC              Key = 0x2E
	KeyV              Key = 0x2F
	KeyB              Key = 0x30
	KeyN              Key = 0x31
	KeyM              Key = 0x32
	KeyComma          Key = 0x33
	KeyPeriod         Key = 0x34
	KeySlash          Key = 0x35
	KeyRightShift     Key = 0x36
	KeyKeypadAsterisk Key = 0x37
	KeyLeftAlt        Key = 0x38
	KeySpace          Key = 0x39
	KeyCapsLock       Key = 0x3A
	KeyF1             Key = 0x3B
	KeyF2             Key = 0x3C
	KeyF3             Key = 0x3D
	KeyF4             Key = 0x3E
	KeyF5             Key = 0x3F
	KeyF6             Key = 0x40
	KeyF7             Key = 0x41
	KeyF8             Key = 0x42
	KeyF9             Key = 0x43
	KeyF10            Key = 0x44
	KeyNumLock        Key = 0x45
	KeyScrollLock     Key = 0x46
	KeyKeypad7        Key = 0x47
	KeyKeypad8        Key = 0x48
	KeyKeypad9        Key = 0x49
	KeyKeypadMinus    Key = 0x4A
	KeyKeypad4        Key = 0x4B
	KeyKeypad5        Key = 0x4C
	KeyKeypad6        Key = 0x4D
	KeyKeypadPlus     Key = 0x4E
	KeyKeypad1        Key = 0x4F
	KeyKeypad2        Key = 0x50
	KeyKeypad3        Key = 0x51
	KeyKeypad0        Key = 0x52
	KeyKeypadPeriod   Key = 0x53
	KeySysRq          Key = 0x54 // Alt+Print Screen
	KeyNonUSBackslash Key = 0x56 // the 102nd key, left of Z on ISO keyboards
	KeyF11            Key = 0x57
	KeyF12            Key = 0x58

	KeyPrevTrack   Key = 0xE010
	KeyNextTrack   Key = 0xE019
	KeyKeypadEnter Key = 0xE01C
	KeyRightCtrl   Key = 0xE01D
	KeyMute        Key = 0xE020
	KeyPlayPause   Key = 0xE022
	KeyStop        Key = 0xE024
	KeyVolumeDown  Key = 0xE02E
	KeyVolumeUp    Key = 0xE030
	KeyKeypadSlash Key = 0xE035
	KeyPrintScreen Key = 0xE037
	KeyRightAlt    Key = 0xE038
	KeyBreak       Key = 0xE046 // Ctrl+Pause
	KeyHome        Key = 0xE047
	KeyUp          Key = 0xE048
	KeyPageUp      Key = 0xE049
	KeyLeft        Key = 0xE04B
	KeyRight       Key = 0xE04D
	KeyEnd         Key = 0xE04F
	KeyDown        Key = 0xE050
	KeyPageDown    Key = 0xE051
	KeyInsert      Key = 0xE052
	KeyDelete      Key = 0xE053
	KeyLeftGUI     Key = 0xE05B
	KeyRightGUI    Key = 0xE05C
	KeyMenu        Key = 0xE05D
	KeyPower       Key = 0xE05E
	KeySleep       Key = 0xE05F
	KeyWake        Key = 0xE063
	KeyPause       Key = 0xE11D
)

// String returns the key's name, or Key(0x…) for a code Keyboard does not know.
func (k Key) String() string {
	if n := k.name(); n != "" {
		return n
	}
	return fmt.Sprintf("Key(%#04x)", uint16(k))
}

// name returns the key's name, or "" for an unknown key.
func (k Key) name() string {
	if k <= KeySlash {
		// The main block's printing keys are named by what they type.
		if r := rune(usUnshifted[k]); r > ' ' {
			if r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			return string(r)
		}
	}
	switch k {
	case KeyEscape:
		return "Escape"
	case KeyBackspace:
		return "Backspace"
	case KeyTab:
		return "Tab"
	case KeyEnter:
		return "Enter"
	case KeyLeftCtrl:
		return "LeftCtrl"
	case KeyLeftShift:
		return "LeftShift"
	case KeyRightShift:
		return "RightShift"
	case KeyKeypadAsterisk:
		return "Keypad*"
	case KeyLeftAlt:
		return "LeftAlt"
	case KeySpace:
		return "Space"
	case KeyCapsLock:
		return "CapsLock"
	case KeyF1, KeyF2, KeyF3, KeyF4, KeyF5, KeyF6, KeyF7, KeyF8, KeyF9, KeyF10:
		return fmt.Sprintf("F%d", k-KeyF1+1)
	case KeyNumLock:
		return "NumLock"
	case KeyScrollLock:
		return "ScrollLock"
	case KeyKeypad7, KeyKeypad8, KeyKeypad9, KeyKeypad4, KeyKeypad5, KeyKeypad6,
		KeyKeypad1, KeyKeypad2, KeyKeypad3, KeyKeypad0:
		return "Keypad" + string(rune(keypadDigits[k-KeyKeypad7]))
	case KeyKeypadMinus:
		return "Keypad-"
	case KeyKeypadPlus:
		return "Keypad+"
	case KeyKeypadPeriod:
		return "Keypad."
	case KeySysRq:
		return "SysRq"
	case KeyNonUSBackslash:
		return "NonUSBackslash"
	case KeyF11:
		return "F11"
	case KeyF12:
		return "F12"
	case KeyPrevTrack:
		return "PrevTrack"
	case KeyNextTrack:
		return "NextTrack"
	case KeyKeypadEnter:
		return "KeypadEnter"
	case KeyRightCtrl:
		return "RightCtrl"
	case KeyMute:
		return "Mute"
	case KeyPlayPause:
		return "PlayPause"
	case KeyStop:
		return "Stop"
	case KeyVolumeDown:
		return "VolumeDown"
	case KeyVolumeUp:
		return "VolumeUp"
	case KeyKeypadSlash:
		return "Keypad/"
	case KeyPrintScreen:
		return "PrintScreen"
	case KeyRightAlt:
		return "RightAlt"
	case KeyBreak:
		return "Break"
	case KeyHome:
		return "Home"
	case KeyUp:
		return "Up"
	case KeyPageUp:
		return "PageUp"
	case KeyLeft:
		return "Left"
	case KeyRight:
		return "Right"
	case KeyEnd:
		return "End"
	case KeyDown:
		return "Down"
	case KeyPageDown:
		return "PageDown"
	case KeyInsert:
		return "Insert"
	case KeyDelete:
		return "Delete"
	case KeyLeftGUI:
		return "LeftGUI"
	case KeyRightGUI:
		return "RightGUI"
	case KeyMenu:
		return "Menu"
	case KeyPower:
		return "Power"
	case KeySleep:
		return "Sleep"
	case KeyWake:
		return "Wake"
	case KeyPause:
		return "Pause"
	}
	return ""
}

// The US layout, indexed by make code 0x00–0x58 (0 where a key types nothing).
const (
	usUnshifted = "\x00\x1b1234567890-=\b\tqwertyuiop[]\n\x00asdfghjkl;'`\x00\\zxcvbnm,./\x00*\x00 " +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" + // CapsLock, F1–F10, NumLock, ScrollLock
		"789-456+1230." + "\x00\x00\\\x00\x00"
	usShifted = "\x00\x1b!@#$%^&*()_+\b\tQWERTYUIOP{}\n\x00ASDFGHJKL:\"~\x00|ZXCVBNM<>?\x00*\x00 " +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"789-456+1230." + "\x00\x00|\x00\x00"
	keypadDigits = "789-456+1230."
)

// Modifiers is the state of the modifier keys and lock toggles.
type Modifiers uint8

// Modifier bits. Shift, Ctrl, Alt and GUI are set while either key of the pair is
// held; the locks toggle on each press.
const (
	ModShift Modifiers = 1 << iota
	ModCtrl
	ModAlt
	ModGUI
	ModCapsLock
	ModNumLock
	ModScrollLock
)

// String lists the set modifiers, such as "Shift+Ctrl+CapsLock".
func (m Modifiers) String() string {
	s := ""
	for i, n := range [...]string{"Shift", "Ctrl", "Alt", "GUI", "CapsLock", "NumLock", "ScrollLock"} {
		if m&(1<<i) != 0 {
			if s != "" {
				s += "+"
			}
			s += n
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

// LEDs returns the argument of the keyboard's Set LEDs command (0xED) that shows the
// lock states in m: bit 0 Scroll Lock, bit 1 Num Lock, bit 2 Caps Lock.
func (m Modifiers) LEDs() byte {
	var b byte
	if m&ModScrollLock != 0 {
		b |= 1
	}
	if m&ModNumLock != 0 {
		b |= 2
	}
	if m&ModCapsLock != 0 {
		b |= 4
	}
	return b
}

// Event is one key going down or up.
type Event struct {
	// Key is the key.
	Key Key
	// Rune is the character the press types on the US layout, or 0: for releases,
	// for keys that type nothing (modifiers, arrows, function keys), and for keypad
	// digits with Num Lock off.
	Rune rune
	// Pressed is true for a press (or a typematic repeat), false for a release.
	Pressed bool
	// Mods is the modifier state after this event.
	Mods Modifiers
}

// Physical modifier keys held, one bit each.
const (
	heldLeftShift = 1 << iota
	heldRightShift
	heldLeftCtrl
	heldRightCtrl
	heldLeftAlt
	heldRightAlt
	heldLeftGUI
	heldRightGUI
	heldCapsLock // to toggle on the first press only, not on repeats
	heldNumLock
	heldScrollLock
)

// Keyboard decodes scan code set 1 bytes (what the i8042 delivers with translation
// on) into key events. The zero value is ready, with all locks off. It is not safe
// for concurrent use; an interrupt handler owns it.
type Keyboard struct {
	prefix byte // 0, 0xE0, or 0xE1
	e1n    int  // bytes seen after 0xE1
	e1b    byte // the first of them
	held   uint16
	locks  Modifiers // ModCapsLock, ModNumLock, ModScrollLock
}

// Mods returns the current modifier state.
func (kb *Keyboard) Mods() Modifiers {
	m := kb.locks
	if kb.held&(heldLeftShift|heldRightShift) != 0 {
		m |= ModShift
	}
	if kb.held&(heldLeftCtrl|heldRightCtrl) != 0 {
		m |= ModCtrl
	}
	if kb.held&(heldLeftAlt|heldRightAlt) != 0 {
		m |= ModAlt
	}
	if kb.held&(heldLeftGUI|heldRightGUI) != 0 {
		m |= ModGUI
	}
	return m
}

// SetLocks sets the lock toggles (ModCapsLock, ModNumLock, ModScrollLock; other bits
// are ignored), for example to match the LEDs at boot.
func (kb *Keyboard) SetLocks(m Modifiers) {
	kb.locks = m & (ModCapsLock | ModNumLock | ModScrollLock)
}

// Feed decodes one byte from the keyboard. It returns an event and true when the byte
// completes a key press or release; false for prefix bytes, the "fake shift" codes
// that surround some extended keys, controller replies and unknown codes.
func (kb *Keyboard) Feed(b byte) (Event, bool) {
	switch kb.prefix {
	case 0xE1:
		// Pause: E1 1D 45 (then E1 9D C5), with no break of its own.
		kb.e1n++
		if kb.e1n == 1 {
			kb.e1b = b
			return Event{}, false
		}
		kb.prefix = 0
		if b&0x7f != 0x45 || kb.e1b&0x7f != 0x1d {
			return Event{}, false
		}
		return Event{Key: KeyPause, Pressed: b&0x80 == 0, Mods: kb.Mods()}, true
	case 0xE0:
		kb.prefix = 0
		if b == 0xE0 || b == 0xE1 {
			break // a prefix after a prefix: start over with it
		}
		code := b & 0x7f
		if code == 0x2a || code == 0x36 { // fake shifts around Print Screen and the arrows
			return Event{}, false
		}
		return kb.key(0xE000|Key(code), b&0x80 == 0)
	}
	switch b {
	case 0xE0:
		kb.prefix = 0xE0
		return Event{}, false
	case 0xE1:
		kb.prefix, kb.e1n = 0xE1, 0
		return Event{}, false
	}
	return kb.key(Key(b&0x7f), b&0x80 == 0)
}

// key produces the event for k going down or up and updates the modifiers.
func (kb *Keyboard) key(k Key, pressed bool) (Event, bool) {
	if k.name() == "" {
		return Event{}, false
	}
	var bit uint16
	switch k {
	case KeyLeftShift:
		bit = heldLeftShift
	case KeyRightShift:
		bit = heldRightShift
	case KeyLeftCtrl:
		bit = heldLeftCtrl
	case KeyRightCtrl:
		bit = heldRightCtrl
	case KeyLeftAlt:
		bit = heldLeftAlt
	case KeyRightAlt:
		bit = heldRightAlt
	case KeyLeftGUI:
		bit = heldLeftGUI
	case KeyRightGUI:
		bit = heldRightGUI
	case KeyCapsLock:
		bit = heldCapsLock
		kb.toggle(bit, ModCapsLock, pressed)
	case KeyNumLock:
		bit = heldNumLock
		kb.toggle(bit, ModNumLock, pressed)
	case KeyScrollLock:
		bit = heldScrollLock
		kb.toggle(bit, ModScrollLock, pressed)
	}
	if pressed {
		kb.held |= bit
	} else {
		kb.held &^= bit
	}
	ev := Event{Key: k, Pressed: pressed, Mods: kb.Mods()}
	if pressed {
		ev.Rune = typed(k, ev.Mods)
	}
	return ev, true
}

// toggle flips lock on the first press of its key (not on typematic repeats).
func (kb *Keyboard) toggle(bit uint16, lock Modifiers, pressed bool) {
	if pressed && kb.held&bit == 0 {
		kb.locks ^= lock
	}
}

// typed returns the rune that pressing k types with modifiers m, or 0.
func typed(k Key, m Modifiers) rune {
	switch k {
	case KeyKeypadEnter:
		return '\n'
	case KeyKeypadSlash:
		return '/'
	}
	if k >= Key(len(usUnshifted)) {
		return 0
	}
	shift := m&ModShift != 0
	if k >= KeyKeypad7 && k <= KeyKeypadPeriod {
		// Keypad: + and - always type; the rest type digits when Num Lock is on, and
		// Shift inverts Num Lock, as on a PC.
		if k == KeyKeypadMinus || k == KeyKeypadPlus || (m&ModNumLock != 0) != shift {
			return rune(usUnshifted[k])
		}
		return 0
	}
	r := rune(usUnshifted[k])
	if r >= 'a' && r <= 'z' {
		if m&ModCtrl != 0 {
			return r & 0x1f
		}
		if shift != (m&ModCapsLock != 0) {
			r -= 'a' - 'A'
		}
		return r
	}
	if m&ModCtrl != 0 {
		switch r {
		case '[', '\\', ']':
			return r & 0x1f
		}
	}
	if shift {
		r = rune(usShifted[k])
	}
	return r
}
