package portio

// Fake is an in-memory Ports for tests: reads return what OnIn says (or the last value
// written to that port), and every access is logged.
type Fake struct {
	Regs  map[uint16]uint32                // last value written (or preset) per port
	OnIn  func(port uint16) (uint32, bool) // optional: computes reads
	OnOut func(port uint16, v uint32)      // optional: observes writes
	Log   []Access
}

// Access is one logged port access.
type Access struct {
	Out   bool
	Port  uint16
	Value uint32
	Width int
}

func (f *Fake) in(port uint16, width int) uint32 {
	v, ok := uint32(0), false
	if f.OnIn != nil {
		v, ok = f.OnIn(port)
	}
	if !ok {
		v = f.Regs[port]
	}
	f.Log = append(f.Log, Access{Port: port, Value: v, Width: width})
	return v
}

func (f *Fake) out(port uint16, v uint32, width int) {
	if f.Regs == nil {
		f.Regs = map[uint16]uint32{}
	}
	f.Regs[port] = v
	f.Log = append(f.Log, Access{Out: true, Port: port, Value: v, Width: width})
	if f.OnOut != nil {
		f.OnOut(port, v)
	}
}

// In8 implements Ports.
func (f *Fake) In8(port uint16) uint8 { return uint8(f.in(port, 1)) }

// Out8 implements Ports.
func (f *Fake) Out8(port uint16, v uint8) { f.out(port, uint32(v), 1) }

// In16 implements Ports.
func (f *Fake) In16(port uint16) uint16 { return uint16(f.in(port, 2)) }

// Out16 implements Ports.
func (f *Fake) Out16(port uint16, v uint16) { f.out(port, uint32(v), 2) }

// In32 implements Ports.
func (f *Fake) In32(port uint16) uint32 { return f.in(port, 4) }

// Out32 implements Ports.
func (f *Fake) Out32(port uint16, v uint32) { f.out(port, v, 4) }
