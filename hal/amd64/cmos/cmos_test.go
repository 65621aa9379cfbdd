package cmos

import (
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// fakeRTC is a CMOS clock on portio.Fake's hooks.
type fakeRTC struct {
	portio.Fake
	regs [128]uint8
	sel  uint8
	// uipReads is how many more reads of register A report an update in progress
	// (negative: forever).
	uipReads int
	// onRead, if set, runs after every data read of register reg (the n-th read of
	// that register, counting from 1) and may change the registers: a clock tick.
	onRead func(f *fakeRTC, reg uint8, n int)
	reads  [128]int

	nmiCleared   int // index writes without bit 7
	readDuringUI int // time registers read while UIP was showing
	uipShowing   bool
}

func newFakeRTC() *fakeRTC {
	f := &fakeRTC{}
	f.OnOut = func(port uint16, v uint32) {
		if port == IndexPort {
			if v&NMIDisable == 0 {
				f.nmiCleared++
			}
			f.sel = uint8(v) & 0x7F
		}
	}
	f.OnIn = func(port uint16) (uint32, bool) {
		if port != DataPort {
			return 0xFF, true
		}
		reg := f.sel
		f.reads[reg]++
		v := f.regs[reg]
		if reg == RegStatusA {
			f.uipShowing = f.uipReads != 0
			if f.uipReads != 0 {
				v |= StatusAUpdateInProgress
				if f.uipReads > 0 {
					f.uipReads--
				}
			}
		} else if reg <= RegYear && f.uipShowing {
			f.readDuringUI++
		}
		if f.onRead != nil {
			f.onRead(f, reg, f.reads[reg])
		}
		return uint32(v), true
	}
	return f
}

// set loads the time registers and register B.
func (f *fakeRTC) set(sec, min, hour, day, month, year, century, statusB uint8) {
	f.regs[RegSeconds], f.regs[RegMinutes], f.regs[RegHours] = sec, min, hour
	f.regs[RegDay], f.regs[RegMonth], f.regs[RegYear] = day, month, year
	f.regs[0x32] = century
	f.regs[RegStatusB] = statusB
	f.regs[RegStatusA] = 0x26 // the usual divider and rate bits; UIP clear
}

func date(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

func TestReadTimeFormats(t *testing.T) {
	const bcd24, bin24, bcd12, bin12 = 0x02, 0x06, 0x00, 0x04
	cases := []struct {
		name                               string
		sec, min, hour, day, mon, yr, cent uint8
		statusB, centuryReg                uint8
		want                               time.Time
	}{
		{"BCD 24h", 0x58, 0x59, 0x23, 0x29, 0x02, 0x24, 0x20, bcd24, 0x32, date(2024, 2, 29, 23, 59, 58)},
		{"binary 24h", 58, 59, 23, 29, 2, 24, 20, bin24, 0x32, date(2024, 2, 29, 23, 59, 58)},
		{"BCD 12h PM", 0x07, 0x30, 0x80 | 0x11, 0x15, 0x06, 0x99, 0x19, bcd12, 0x32, date(1999, 6, 15, 23, 30, 7)},
		{"BCD 12h 12 AM", 0x00, 0x05, 0x12, 0x01, 0x01, 0x00, 0x21, bcd12, 0x32, date(2100, 1, 1, 0, 5, 0)},
		{"BCD 12h 12 PM", 0x00, 0x05, 0x80 | 0x12, 0x01, 0x01, 0x00, 0x20, bcd12, 0x32, date(2000, 1, 1, 12, 5, 0)},
		{"BCD 12h 1 PM", 0x00, 0x00, 0x80 | 0x01, 0x31, 0x12, 0x25, 0x20, bcd12, 0x32, date(2025, 12, 31, 13, 0, 0)},
		{"BCD 12h 9 AM", 0x00, 0x00, 0x09, 0x31, 0x12, 0x25, 0x20, bcd12, 0x32, date(2025, 12, 31, 9, 0, 0)},
		{"binary 12h PM", 1, 2, 0x80 | 11, 3, 4, 25, 20, bin12, 0x32, date(2025, 4, 3, 23, 2, 1)},
		{"binary 12h 12 AM", 1, 2, 12, 3, 4, 25, 20, bin12, 0x32, date(2025, 4, 3, 0, 2, 1)},
		{"no century register", 0x00, 0x00, 0x00, 0x01, 0x01, 0x26, 0x19, bcd24, 0, date(2026, 1, 1, 0, 0, 0)},
		{"century elsewhere", 0x00, 0x00, 0x00, 0x01, 0x01, 0x26, 0x00, bcd24, 0x48, date(2026, 1, 1, 0, 0, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeRTC()
			f.set(c.sec, c.min, c.hour, c.day, c.mon, c.yr, c.cent, c.statusB)
			f.regs[0x48] = 0x20
			got, err := ReadTime(f, c.centuryReg)
			if err != nil {
				t.Fatalf("ReadTime: %v", err)
			}
			if !got.Equal(c.want) || got.Location() != time.UTC {
				t.Fatalf("ReadTime = %v, want %v", got, c.want)
			}
			if f.nmiCleared != 0 {
				t.Fatalf("%d index writes cleared the NMI-disable bit", f.nmiCleared)
			}
			if c.centuryReg == 0 && f.reads[0x32] != 0 {
				t.Fatal("read register 0x32 although there is no century register")
			}
			// Two readings and register B: nothing more.
			if f.reads[RegSeconds] != 2 || f.reads[RegStatusB] != 1 {
				t.Fatalf("seconds read %d times, status B %d times", f.reads[RegSeconds], f.reads[RegStatusB])
			}
		})
	}
}

func TestWaitsForUpdate(t *testing.T) {
	f := newFakeRTC()
	f.set(0x10, 0x20, 0x08, 0x05, 0x05, 0x25, 0x20, 0x02)
	f.uipReads = 5
	got, err := ReadTime(f, 0x32)
	if err != nil {
		t.Fatal(err)
	}
	if want := date(2025, 5, 5, 8, 20, 10); !got.Equal(want) {
		t.Fatalf("ReadTime = %v, want %v", got, want)
	}
	if f.readDuringUI != 0 {
		t.Fatalf("%d time registers read while an update was in progress", f.readDuringUI)
	}
	if f.reads[RegStatusA] != 5+2 {
		t.Fatalf("register A read %d times, want 7", f.reads[RegStatusA])
	}
}

func TestUpdateNeverEnds(t *testing.T) {
	f := newFakeRTC()
	f.set(0, 0, 0, 1, 1, 0x25, 0x20, 0x02)
	f.uipReads = -1
	r := reader{p: f, maxPolls: 50, maxReads: DefaultMaxReads}
	_, err := r.readTime(0x32)
	if err == nil || !strings.Contains(err.Error(), "update in progress") {
		t.Fatalf("readTime = %v, want an update-in-progress error", err)
	}
	if f.reads[RegStatusA] != 50 || f.reads[RegSeconds] != 0 {
		t.Fatalf("register A read %d times, seconds %d", f.reads[RegStatusA], f.reads[RegSeconds])
	}
}

func TestUpdateNeverEndsDefaultBound(t *testing.T) {
	f := newFakeRTC()
	f.uipReads = -1
	if _, err := ReadTime(f, 0); err == nil {
		t.Fatal("ReadTime succeeded with UIP stuck")
	}
	if f.reads[RegStatusA] != DefaultMaxPolls {
		t.Fatalf("register A read %d times, want %d", f.reads[RegStatusA], DefaultMaxPolls)
	}
}

// TestTickDuringReading has the clock tick from 10:59:59 to 11:00:00 between the
// first reading's seconds and minutes. The first reading is torn (11:00:59, which a
// single reading would return); the second and third agree on 11:00:00.
func TestTickDuringReading(t *testing.T) {
	f := newFakeRTC()
	f.set(0x59, 0x59, 0x10, 0x31, 0x12, 0x25, 0x20, 0x02)
	f.onRead = func(f *fakeRTC, reg uint8, n int) {
		if reg == RegSeconds && n == 1 {
			f.regs[RegSeconds], f.regs[RegMinutes], f.regs[RegHours] = 0x00, 0x00, 0x11
		}
	}
	got, err := ReadTime(f, 0x32)
	if err != nil {
		t.Fatal(err)
	}
	if want := date(2025, 12, 31, 11, 0, 0); !got.Equal(want) {
		t.Fatalf("ReadTime = %v, want %v", got, want)
	}
	if f.reads[RegSeconds] != 3 {
		t.Fatalf("%d readings, want 3", f.reads[RegSeconds])
	}
}

// TestNewYearDuringReading ticks over the century between reading the year and the
// century register.
func TestNewYearDuringReading(t *testing.T) {
	f := newFakeRTC()
	f.set(0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x20, 0x02)
	f.onRead = func(f *fakeRTC, reg uint8, n int) {
		if reg == RegYear && n == 1 {
			f.set(0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x21, 0x02)
		}
	}
	got, err := ReadTime(f, 0x32)
	if err != nil {
		t.Fatal(err)
	}
	if want := date(2100, 1, 1, 0, 0, 0); !got.Equal(want) {
		t.Fatalf("ReadTime = %v, want %v", got, want)
	}
}

func TestReadingsNeverAgree(t *testing.T) {
	f := newFakeRTC()
	f.set(0, 0, 0, 1, 1, 0x25, 0x20, 0x02)
	f.onRead = func(f *fakeRTC, reg uint8, n int) {
		if reg == RegSeconds {
			f.regs[RegSeconds] = uint8(n % 2) // flips on every reading
		}
	}
	_, err := ReadTime(f, 0x32)
	if err == nil || !strings.Contains(err.Error(), "agreed") {
		t.Fatalf("ReadTime = %v, want a disagreement error", err)
	}
	if f.reads[RegSeconds] != DefaultMaxReads {
		t.Fatalf("%d readings, want %d", f.reads[RegSeconds], DefaultMaxReads)
	}
}

func TestNonsense(t *testing.T) {
	cases := []struct {
		name                               string
		sec, min, hour, day, mon, yr, cent uint8
		statusB, centuryReg                uint8
		want                               string
	}{
		{"BCD digit above 9", 0x5A, 0, 0, 1, 1, 0x25, 0x20, 0x02, 0x32, "seconds register 0x5a is not BCD"},
		{"BCD tens above 9", 0, 0xA0, 0, 1, 1, 0x25, 0x20, 0x02, 0x32, "minutes register 0xa0 is not BCD"},
		{"seconds 60", 0x60, 0, 0, 1, 1, 0x25, 0x20, 0x02, 0x32, "seconds 60 out of range"},
		{"hour 24", 0, 0, 0x24, 1, 1, 0x25, 0x20, 0x02, 0x32, "hours 24 out of range"},
		{"PM bit in 24h mode", 0, 0, 0x81, 1, 1, 0x25, 0x20, 0x02, 0x32, "hours"},
		{"hour 0 in 12h mode", 0, 0, 0x00, 1, 1, 0x25, 0x20, 0x00, 0x32, "12-hour mode"},
		{"hour 13 in 12h mode", 0, 0, 0x13, 1, 1, 0x25, 0x20, 0x00, 0x32, "12-hour mode"},
		{"month 13", 0, 0, 0, 1, 0x13, 0x25, 0x20, 0x02, 0x32, "month 13 out of range"},
		{"month 0", 0, 0, 0, 1, 0, 0x25, 0x20, 0x02, 0x32, "month 0 out of range"},
		{"day 0", 0, 0, 0, 0, 1, 0x25, 0x20, 0x02, 0x32, "day 0 out of range"},
		{"31 April", 0, 0, 0, 0x31, 0x04, 0x25, 0x20, 0x02, 0x32, "2025-04-31 is not a date"},
		{"29 February 2100", 0, 0, 0, 0x29, 0x02, 0x00, 0x21, 0x02, 0x32, "2100-02-29 is not a date"},
		{"binary year 100", 0, 0, 0, 1, 1, 100, 20, 0x06, 0x32, "year 100 out of range"},
		{"century 0", 0, 0, 0, 1, 1, 0x25, 0x00, 0x02, 0x32, "century 0 out of range"},
		{"all ones (no RTC)", 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF & 0x7F, 0x32, "seconds 255"},
		{"century register in the clock's", 0, 0, 0, 1, 1, 0x25, 0x20, 0x02, 0x0B, "century register 0x0b"},
		{"century register past the RAM", 0, 0, 0, 1, 1, 0x25, 0x20, 0x02, 0x80, "century register 0x80"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeRTC()
			f.set(c.sec, c.min, c.hour, c.day, c.mon, c.yr, c.cent, c.statusB)
			got, err := ReadTime(f, c.centuryReg)
			if err == nil {
				t.Fatalf("ReadTime = %v, want an error", got)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
			if !got.IsZero() {
				t.Fatalf("ReadTime returned %v with its error", got)
			}
		})
	}
}

// TestEveryRegisterValue decodes every byte in every register, both formats and both
// hour modes: never a panic, and any time returned is within the registers' ranges.
func TestEveryRegisterValue(t *testing.T) {
	for _, b := range []uint8{0x00, 0x02, 0x04, 0x06} {
		for reg := 0; reg < 7; reg++ {
			for x := 0; x < 256; x++ {
				v := raw{sec: 0x30, min: 0x30, hour: 0x10, day: 0x10, month: 0x06, year: 0x25, century: 0x20}
				if b&StatusBBinary != 0 {
					v = raw{sec: 30, min: 30, hour: 10, day: 10, month: 6, year: 25, century: 20}
				}
				p := [...]*uint8{&v.sec, &v.min, &v.hour, &v.day, &v.month, &v.year, &v.century}[reg]
				*p = uint8(x)
				tm, err := decode(v, b, true)
				if err == nil && (tm.Year() < 1900 || tm.Year() > 9999) {
					t.Fatalf("decode(%+v, %#x) = %v", v, b, tm)
				}
			}
		}
	}
}
