// Package cmos reads the date and time from the PC's CMOS real-time clock.
//
// The clock is the Motorola MC146818A (datasheet: "MC146818A Real-Time Clock Plus
// RAM", sections "Address Map", "Time, Calendar and Alarm Locations" and "Update
// Cycle"), or its equivalent in every PC chipset, reached through an index port (0x70)
// and a data port (0x71): write a register number to 0x70, then read it at 0x71.
//
//   - Registers 0x00 seconds, 0x02 minutes, 0x04 hours, 0x07 day of month, 0x08 month,
//     0x09 year (two digits). The century is in a register the ACPI FADT names in its
//     CENTURY field (ACPI 6.5, §5.2.9, offset 108; usually 0x32), or nowhere.
//   - Register A (0x0A) bit 7, UIP: an update cycle is in progress or about to begin
//     (within 244 µs), during which the time registers must not be read.
//   - Register B (0x0B) bit 2, DM: set for binary values, clear for BCD; bit 1, 24/12:
//     set for 24-hour mode. In 12-hour mode the hours register holds 1–12 with bit 7
//     set for PM.
//
// Bit 7 of the value written to port 0x70 is not part of the register number: on PC
// chipsets it is the NMI mask (set: NMI disabled), latched by every write to the port.
// Since the port is write-only on most chipsets, the current mask cannot be read back
// and restored; this package therefore always writes the index with bit 7 set (see
// NMIDisable), so that reading the clock never enables NMIs behind the kernel's back —
// a kernel that keeps NMIs masked at the chipset stays masked, and one that wants them
// on must write port 0x70 without bit 7 itself (the IBM PC/AT Technical Reference,
// "CMOS RAM", and Intel chipset datasheets, "NMI Enable (NMI_EN) Register" at 0x70).
//
// Reading is done as OSDev and Linux do: wait for UIP to clear, read every register,
// and read again until two consecutive readings agree, so that an update in the middle
// of a reading cannot produce a torn time (say, 12:59 after the seconds wrapped but
// before the minutes did).
package cmos

import (
	"fmt"
	"time"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// The RTC's ports.
const (
	IndexPort = 0x70 // write: register number | NMIDisable
	DataPort  = 0x71 // read/write: the selected register
)

// NMIDisable is bit 7 of a value written to IndexPort: NMIs masked while set. Every
// index this package writes has it set.
const NMIDisable = 0x80

// RTC registers.
const (
	RegSeconds = 0x00
	RegMinutes = 0x02
	RegHours   = 0x04
	RegWeekday = 0x06
	RegDay     = 0x07
	RegMonth   = 0x08
	RegYear    = 0x09
	RegStatusA = 0x0A
	RegStatusB = 0x0B
)

// Status register bits.
const (
	StatusAUpdateInProgress = 0x80 // register A: UIP
	StatusB24Hour           = 0x02 // register B: 24-hour mode
	StatusBBinary           = 0x04 // register B: binary (not BCD) values
	hourPM                  = 0x80 // hours register, 12-hour mode: PM
)

// Bounds on the waiting and re-reading.
const (
	// DefaultMaxPolls is how many times ReadTime reads register A waiting for UIP to
	// clear: at a microsecond or more per port access, well over the 2 ms that an
	// update cycle lasts.
	DefaultMaxPolls = 1 << 18
	// DefaultMaxReads is how many readings ReadTime takes looking for two
	// consecutive ones that agree. An update happens once a second, so two
	// disagreements in a row already mean something is wrong.
	DefaultMaxReads = 8
)

// FirstCenturyReg is the first register outside the clock's own (0x00–0x0D) that a
// century register can be; the standard CMOS RAM ends at 0x7F.
const (
	FirstCenturyReg = 0x0E
	LastCenturyReg  = 0x7F
)

// ReadTime returns the time the RTC holds, in UTC (the RTC is assumed to keep UTC).
// centuryReg is the CMOS register holding the century (from the ACPI FADT), or 0 if
// there is none, in which case the year is taken to be 2000–2099. It fails if the
// update-in-progress flag does not clear, if readings keep disagreeing, or if a value
// is not a valid time (a BCD digit above 9, a month 13, 31 April, ...).
func ReadTime(ports portio.Ports, centuryReg uint8) (time.Time, error) {
	return reader{p: ports, maxPolls: DefaultMaxPolls, maxReads: DefaultMaxReads}.readTime(centuryReg)
}

// reader is ReadTime with adjustable bounds.
type reader struct {
	p                  portio.Ports
	maxPolls, maxReads int
}

// raw is one reading of the time registers, undecoded.
type raw struct {
	sec, min, hour, day, month, year, century uint8
}

func (r reader) reg(n uint8) uint8 {
	r.p.Out8(IndexPort, n|NMIDisable)
	return r.p.In8(DataPort)
}

// waitUpdate waits until no update cycle is in progress or imminent.
func (r reader) waitUpdate() error {
	for i := 0; i < r.maxPolls; i++ {
		if r.reg(RegStatusA)&StatusAUpdateInProgress == 0 {
			return nil
		}
	}
	return fmt.Errorf("cmos: update in progress flag (register A bit 7) still set after %d reads", r.maxPolls)
}

// read waits for the update flag to clear and reads the time registers.
func (r reader) read(centuryReg uint8) (raw, error) {
	if err := r.waitUpdate(); err != nil {
		return raw{}, err
	}
	v := raw{
		sec:   r.reg(RegSeconds),
		min:   r.reg(RegMinutes),
		hour:  r.reg(RegHours),
		day:   r.reg(RegDay),
		month: r.reg(RegMonth),
		year:  r.reg(RegYear),
	}
	if centuryReg != 0 {
		v.century = r.reg(centuryReg)
	}
	return v, nil
}

func (r reader) readTime(centuryReg uint8) (time.Time, error) {
	if centuryReg != 0 && (centuryReg < FirstCenturyReg || centuryReg > LastCenturyReg) {
		return time.Time{}, fmt.Errorf("cmos: century register %#02x is not in %#02x–%#02x",
			centuryReg, FirstCenturyReg, LastCenturyReg)
	}
	prev, err := r.read(centuryReg)
	if err != nil {
		return time.Time{}, err
	}
	agreed := false
	for i := 1; i < r.maxReads; i++ {
		cur, err := r.read(centuryReg)
		if err != nil {
			return time.Time{}, err
		}
		if cur == prev {
			agreed = true
			break
		}
		prev = cur
	}
	if !agreed {
		return time.Time{}, fmt.Errorf("cmos: no two consecutive readings of the clock agreed in %d readings", r.maxReads)
	}
	return decode(prev, r.reg(RegStatusB), centuryReg != 0)
}

// decode turns a reading into a time, given register B and whether the century was
// read.
func decode(v raw, statusB uint8, haveCentury bool) (time.Time, error) {
	binary := statusB&StatusBBinary != 0
	num := func(name string, x, lo, hi uint8) (int, error) {
		n := int(x)
		if !binary {
			if x&0x0F > 9 || x>>4 > 9 {
				return 0, fmt.Errorf("cmos: %s register %#02x is not BCD", name, x)
			}
			n = int(x>>4)*10 + int(x&0x0F)
		}
		if n < int(lo) || n > int(hi) {
			return 0, fmt.Errorf("cmos: %s %d out of range %d–%d (register %#02x, status B %#02x)",
				name, n, lo, hi, x, statusB)
		}
		return n, nil
	}

	sec, err := num("seconds", v.sec, 0, 59)
	if err != nil {
		return time.Time{}, err
	}
	minute, err := num("minutes", v.min, 0, 59)
	if err != nil {
		return time.Time{}, err
	}
	var hour int
	if statusB&StatusB24Hour != 0 {
		if hour, err = num("hours", v.hour, 0, 23); err != nil {
			return time.Time{}, err
		}
	} else {
		if hour, err = num("hours (12-hour mode)", v.hour&^hourPM, 1, 12); err != nil {
			return time.Time{}, err
		}
		hour %= 12 // 12 AM is 0:00, 12 PM is 12:00
		if v.hour&hourPM != 0 {
			hour += 12
		}
	}
	day, err := num("day", v.day, 1, 31)
	if err != nil {
		return time.Time{}, err
	}
	month, err := num("month", v.month, 1, 12)
	if err != nil {
		return time.Time{}, err
	}
	year, err := num("year", v.year, 0, 99)
	if err != nil {
		return time.Time{}, err
	}
	century := 20
	if haveCentury {
		if century, err = num("century", v.century, 19, 99); err != nil {
			return time.Time{}, err
		}
	}
	year += century * 100

	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, fmt.Errorf("cmos: %04d-%02d-%02d is not a date", year, month, day)
	}
	return t, nil
}
