package ps2

import (
	"bytes"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// fake8042 is an i8042 with a keyboard, built on portio.Fake's hooks. It answers
// controller commands from its fields and keyboard resets from a script.
type fake8042 struct {
	portio.Fake
	out     []byte // the output buffer and the bytes queued behind it
	cfg     byte
	pending byte // a command waiting for its data byte (0x60)

	selfTest    []byte   // reply to 0xAA (none: the controller stays silent)
	portTest    []byte   // reply to 0xAB
	resets      [][]byte // replies to successive keyboard resets (then FA AA)
	stuckInput  bool     // the input-buffer-full bit never clears
	testResets  bool     // the self-test resets the configuration byte
	commands    []byte
	data        []byte // bytes written to the data port
	statusReads int
	irqWrites   int // configuration writes with the port 1 interrupt on
}

func newFake8042() *fake8042 {
	f := &fake8042{
		cfg:      0x45 | ConfigPort1Clock, // what a BIOS might leave: IRQ1, system, translation; and clock off
		selfTest: []byte{SelfTestPassed},
		portTest: []byte{PortTestPassed},
	}
	f.OnIn = f.in
	f.OnOut = f.outHook
	return f
}

func (f *fake8042) in(port uint16) (uint32, bool) {
	switch port {
	case StatusPort:
		f.statusReads++
		var s uint32 = StatusSystem
		if len(f.out) > 0 {
			s |= StatusOutputFull
		}
		if f.stuckInput {
			s |= StatusInputFull
		}
		return s, true
	case DataPort:
		if len(f.out) == 0 {
			return 0, true
		}
		b := f.out[0]
		f.out = f.out[1:]
		return uint32(b), true
	}
	return 0xff, true
}

func (f *fake8042) outHook(port uint16, v uint32) {
	b := byte(v)
	switch port {
	case CommandPort:
		f.commands = append(f.commands, b)
		switch b {
		case CmdReadConfig:
			f.out = append(f.out, f.cfg)
		case CmdWriteConfig:
			f.pending = b
		case CmdSelfTest:
			if f.testResets {
				f.cfg = 0
			}
			f.out = append(f.out, f.selfTest...)
		case CmdTestPort1:
			f.out = append(f.out, f.portTest...)
		}
	case DataPort:
		f.data = append(f.data, b)
		if f.pending == CmdWriteConfig {
			f.cfg, f.pending = b, 0
			if b&ConfigPort1Interrupt != 0 {
				f.irqWrites++
			}
			return
		}
		if b == KeyboardReset {
			if len(f.resets) > 0 {
				f.out = append(f.out, f.resets[0]...)
				f.resets = f.resets[1:]
			} else {
				f.out = append(f.out, KeyboardAck, KeyboardBATPass)
			}
		}
	}
}

func TestInitSequence(t *testing.T) {
	f := newFake8042()
	f.out = []byte{0x1e, 0x9e} // stale keystrokes from before: must be flushed
	c := New(f)
	if err := c.Init(); err != nil {
		t.Fatalf("Init: %v", err)
	}
	wantCmds := []byte{CmdDisablePort1, CmdDisablePort2, CmdReadConfig, CmdWriteConfig, CmdSelfTest,
		CmdWriteConfig, CmdTestPort1, CmdEnablePort1, CmdWriteConfig}
	if !bytes.Equal(f.commands, wantCmds) {
		t.Fatalf("commands = % x, want % x", f.commands, wantCmds)
	}
	// Interrupts off, translation on, port 1 clock on, port 2 clock off; the BIOS's
	// system flag kept. The interrupt goes on only at the end.
	const mid = ConfigSystem | ConfigTranslation | ConfigPort2Clock
	wantData := []byte{mid, mid, KeyboardReset, mid | ConfigPort1Interrupt}
	if !bytes.Equal(f.data, wantData) {
		t.Fatalf("data writes = % x, want % x", f.data, wantData)
	}
	if f.cfg != mid|ConfigPort1Interrupt {
		t.Fatalf("final configuration = %#02x", f.cfg)
	}
	if len(f.out) != 0 {
		t.Fatalf("bytes left unread: % x", f.out)
	}
	// Every port access is the 8-bit kind, on the controller's two ports.
	for _, a := range f.Log {
		if a.Width != 1 || (a.Port != DataPort && a.Port != StatusPort) {
			t.Fatalf("unexpected access %+v", a)
		}
	}
}

func TestInitRestoresConfigAfterSelfTest(t *testing.T) {
	f := newFake8042()
	f.testResets = true
	if err := New(f).Init(); err != nil {
		t.Fatalf("Init: %v", err)
	}
	if f.cfg&(ConfigTranslation|ConfigPort1Interrupt) != ConfigTranslation|ConfigPort1Interrupt {
		t.Fatalf("configuration %#02x lost translation or the interrupt", f.cfg)
	}
}

func TestInitKeyboardResend(t *testing.T) {
	f := newFake8042()
	f.resets = [][]byte{{KeyboardResend}, {KeyboardAck, KeyboardBATPass}}
	if err := New(f).Init(); err != nil {
		t.Fatalf("Init: %v", err)
	}
	if n := bytes.Count(f.data, []byte{KeyboardReset}); n != 2 {
		t.Fatalf("reset sent %d times, want 2", n)
	}
}

func TestInitFailures(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*fake8042)
		want  []string
	}{
		{"self-test silent", func(f *fake8042) { f.selfTest = nil }, []string{"controller self-test", "timed out", "output buffer"}},
		{"self-test fails", func(f *fake8042) { f.selfTest = []byte{0xfc} }, []string{"self-test failed", "0xfc"}},
		{"port test fails", func(f *fake8042) { f.portTest = []byte{0x01} }, []string{"port 1 test failed", "clock line stuck low"}},
		{"input buffer stuck", func(f *fake8042) { f.stuckInput = true }, []string{"disable port 1", "input buffer still full"}},
		{"no keyboard", func(f *fake8042) { f.resets = [][]byte{{}} }, []string{"keyboard reset acknowledge", "timed out"}},
		{"keyboard keeps asking to resend", func(f *fake8042) {
			f.resets = [][]byte{{KeyboardResend}, {KeyboardResend}, {KeyboardResend}}
		}, []string{"keyboard reset", "0xfe"}},
		{"keyboard self-test fails", func(f *fake8042) { f.resets = [][]byte{{KeyboardAck, KeyboardBATFail}} },
			[]string{"keyboard self-test failed", "0xfc"}},
		{"keyboard self-test silent", func(f *fake8042) { f.resets = [][]byte{{KeyboardAck}} },
			[]string{"keyboard self-test result", "timed out"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake8042()
			tc.setup(f)
			c := &Controller{Ports: f, MaxPolls: 100}
			err := c.Init()
			if err == nil {
				t.Fatal("Init succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			// Bounded: a few waits of at most MaxPolls status reads each.
			if f.statusReads > 20*c.MaxPolls {
				t.Errorf("%d status reads for MaxPolls %d", f.statusReads, c.MaxPolls)
			}
			if f.irqWrites != 0 {
				t.Errorf("interrupt enabled although Init failed")
			}
		})
	}
}

func TestDefaultMaxPollsTimesOut(t *testing.T) {
	// No controller at all: status reads return 0xff, "input buffer full" forever.
	// Init must still return, after DefaultMaxPolls reads.
	var reads int
	f := &countingPorts{in: func(port uint16) uint8 { reads++; return 0xff }}
	err := New(f).Init()
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("Init = %v, want a time-out", err)
	}
	if reads != DefaultMaxPolls {
		t.Fatalf("%d status reads, want %d", reads, DefaultMaxPolls)
	}
}

// countingPorts is a Ports without portio.Fake's log, for long polling runs.
type countingPorts struct{ in func(uint16) uint8 }

func (p *countingPorts) In8(port uint16) uint8 { return p.in(port) }
func (p *countingPorts) Out8(uint16, uint8)    {}
func (p *countingPorts) In16(uint16) uint16    { return 0xffff }
func (p *countingPorts) Out16(uint16, uint16)  {}
func (p *countingPorts) In32(uint16) uint32    { return 0xffffffff }
func (p *countingPorts) Out32(uint16, uint32)  {}

func TestPollAndConfig(t *testing.T) {
	f := newFake8042()
	c := New(f)
	if b, ok := c.Poll(); ok {
		t.Fatalf("Poll on an empty buffer = %#02x, true", b)
	}
	f.out = []byte{0x1e}
	if b, ok := c.Poll(); !ok || b != 0x1e {
		t.Fatalf("Poll = %#02x, %v; want 0x1e, true", b, ok)
	}
	if err := c.WriteConfig(0x45); err != nil {
		t.Fatal(err)
	}
	if cfg, err := c.ReadConfig(); err != nil || cfg != 0x45 {
		t.Fatalf("ReadConfig = %#02x, %v", cfg, err)
	}
	f.out = bytes.Repeat([]byte{1}, 1000) // a babbling device: Flush is bounded
	c.Flush()
	if len(f.out) != 1000-flushLimit {
		t.Fatalf("Flush read %d bytes, want %d", 1000-len(f.out), flushLimit)
	}
}
