// Package ps2 drives the i8042 PS/2 controller and decodes a PS/2 keyboard.
//
// The controller (Intel 8042 / "keyboard controller", as in the IBM PC/AT Technical
// Reference, "Keyboard Controller", and every chipset since) has a data port at 0x60
// and a status (read) / command (write) port at 0x64. Status bit 0 says the output
// buffer holds a byte for the CPU; bit 1 says the input buffer still holds a byte for
// the controller, so the CPU must not write yet. Commands used here: 0x20 read and 0x60
// write the configuration byte, 0xAA self-test (answers 0x55), 0xAB test port 1
// (answers 0x00), 0xAD/0xAE disable/enable port 1, 0xA7 disable port 2.
//
// The keyboard is reset with 0xFF (it answers 0xFA, acknowledge, then 0xAA when its
// basic assurance test passes, or 0xFC/0xFD when it fails; 0xFE asks for a resend).
// The controller translates the keyboard's scan code set 2 into set 1 (configuration
// bit 6), which is what Keyboard decodes: IBM Personal System/2 Hardware Interface
// Technical Reference, "Keyboard and Auxiliary Device Controller" and "Scan Code Set 1";
// Microsoft "Keyboard Scan Code Specification" rev. 1.3a, appendix A.
//
// Every wait polls a bounded number of times and returns an error, so a machine without
// a controller (or with USB legacy emulation that does not answer) does not hang.
package ps2

import (
	"fmt"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// The controller's ports.
const (
	DataPort    = 0x60 // read: output buffer; write: input buffer (to the device or a command's argument)
	StatusPort  = 0x64 // read: status register
	CommandPort = 0x64 // write: controller command
)

// Status register bits.
const (
	StatusOutputFull = 1 << 0 // a byte waits at DataPort for the CPU
	StatusInputFull  = 1 << 1 // the controller has not yet taken the last byte written
	StatusSystem     = 1 << 2 // set once POST passed
	StatusCommand    = 1 << 3 // the last byte written went to CommandPort
	StatusAuxData    = 1 << 5 // the waiting byte is from port 2 (mouse)
	StatusTimeout    = 1 << 6 // time-out error
	StatusParity     = 1 << 7 // parity error
)

// Controller commands (written to CommandPort).
const (
	CmdReadConfig   = 0x20
	CmdWriteConfig  = 0x60
	CmdDisablePort2 = 0xA7
	CmdEnablePort2  = 0xA8
	CmdTestPort2    = 0xA9
	CmdSelfTest     = 0xAA
	CmdTestPort1    = 0xAB
	CmdDisablePort1 = 0xAD
	CmdEnablePort1  = 0xAE
)

// Configuration byte bits.
const (
	ConfigPort1Interrupt = 1 << 0 // IRQ 1 when port 1 has data
	ConfigPort2Interrupt = 1 << 1 // IRQ 12 when port 2 has data
	ConfigSystem         = 1 << 2 // POST passed
	ConfigPort1Clock     = 1 << 4 // set: port 1 clock disabled
	ConfigPort2Clock     = 1 << 5 // set: port 2 clock disabled
	ConfigTranslation    = 1 << 6 // translate scan code set 2 to set 1
)

// Replies.
const (
	SelfTestPassed  = 0x55 // to CmdSelfTest
	PortTestPassed  = 0x00 // to CmdTestPort1
	KeyboardAck     = 0xFA // a device command was accepted
	KeyboardResend  = 0xFE // the device wants the command again
	KeyboardBATPass = 0xAA // basic assurance test passed (after reset)
	KeyboardBATFail = 0xFC // basic assurance test failed (0xFD on some keyboards)
	KeyboardReset   = 0xFF // the reset command, sent to the keyboard
)

// DefaultMaxPolls is how many times a wait reads the status register before it gives
// up. At roughly a microsecond per port read it allows about a second, longer than a
// keyboard's reset takes (its self-test may last hundreds of milliseconds).
const DefaultMaxPolls = 1 << 20

// flushLimit bounds how many stale bytes Init discards.
const flushLimit = 64

// resetTries is how many times the keyboard reset is sent when the keyboard asks for
// a resend.
const resetTries = 3

// Controller is an i8042 reached through Ports.
type Controller struct {
	// Ports reaches the controller's I/O ports (portio.Hardware on a PC).
	Ports portio.Ports
	// MaxPolls bounds every wait, in status register reads; zero means
	// DefaultMaxPolls.
	MaxPolls int
}

// New returns a controller on ports with the default wait bound.
func New(ports portio.Ports) *Controller { return &Controller{Ports: ports} }

func (c *Controller) maxPolls() int {
	if c.MaxPolls > 0 {
		return c.MaxPolls
	}
	return DefaultMaxPolls
}

// Init brings up the controller and the keyboard on port 1:
//
//  1. disable both ports, so no device writes into the output buffer meanwhile;
//  2. flush the output buffer;
//  3. write the configuration: interrupts off, translation on, port 1 clock on, port 2
//     clock off;
//  4. controller self-test (0xAA → 0x55), then the configuration again, since the
//     self-test resets it on some controllers;
//  5. port 1 interface test (0xAB → 0x00);
//  6. enable port 1;
//  7. reset the keyboard (0xFF → 0xFA, then 0xAA), retrying on 0xFE;
//  8. write the configuration with the port 1 interrupt on.
//
// The interrupt is turned on last so that the polling in steps 4–7 does not race an
// interrupt handler for the replies. Init returns the first step that failed.
func (c *Controller) Init() error {
	if err := c.command(CmdDisablePort1); err != nil {
		return fmt.Errorf("ps2: disable port 1: %w", err)
	}
	if err := c.command(CmdDisablePort2); err != nil {
		return fmt.Errorf("ps2: disable port 2: %w", err)
	}
	c.Flush()

	cfg, err := c.commandReply(CmdReadConfig)
	if err != nil {
		return fmt.Errorf("ps2: read configuration: %w", err)
	}
	cfg &^= ConfigPort1Interrupt | ConfigPort2Interrupt | ConfigPort1Clock
	cfg |= ConfigTranslation | ConfigPort2Clock
	if err := c.WriteConfig(cfg); err != nil {
		return fmt.Errorf("ps2: write configuration: %w", err)
	}

	r, err := c.commandReply(CmdSelfTest)
	if err != nil {
		return fmt.Errorf("ps2: controller self-test: %w", err)
	}
	if r != SelfTestPassed {
		return fmt.Errorf("ps2: controller self-test failed: reply %#02x, want %#02x", r, SelfTestPassed)
	}
	if err := c.WriteConfig(cfg); err != nil {
		return fmt.Errorf("ps2: write configuration after self-test: %w", err)
	}

	r, err = c.commandReply(CmdTestPort1)
	if err != nil {
		return fmt.Errorf("ps2: port 1 test: %w", err)
	}
	if r != PortTestPassed {
		return fmt.Errorf("ps2: port 1 test failed: reply %#02x (%s)", r, portTestFault(r))
	}

	if err := c.command(CmdEnablePort1); err != nil {
		return fmt.Errorf("ps2: enable port 1: %w", err)
	}
	if err := c.resetKeyboard(); err != nil {
		return err
	}

	if err := c.WriteConfig(cfg | ConfigPort1Interrupt); err != nil {
		return fmt.Errorf("ps2: enable port 1 interrupt: %w", err)
	}
	return nil
}

// portTestFault names a port test reply.
func portTestFault(r byte) string {
	switch r {
	case 0x01:
		return "clock line stuck low"
	case 0x02:
		return "clock line stuck high"
	case 0x03:
		return "data line stuck low"
	case 0x04:
		return "data line stuck high"
	}
	return "unknown fault"
}

// resetKeyboard sends 0xFF to the keyboard and waits for 0xFA and 0xAA.
func (c *Controller) resetKeyboard() error {
	for try := 1; ; try++ {
		if err := c.writeData(KeyboardReset); err != nil {
			return fmt.Errorf("ps2: send keyboard reset: %w", err)
		}
		r, err := c.readData()
		if err != nil {
			return fmt.Errorf("ps2: keyboard reset acknowledge: %w", err)
		}
		if r == KeyboardResend && try < resetTries {
			continue
		}
		if r != KeyboardAck {
			return fmt.Errorf("ps2: keyboard reset: reply %#02x, want acknowledge %#02x", r, KeyboardAck)
		}
		break
	}
	r, err := c.readData()
	if err != nil {
		return fmt.Errorf("ps2: keyboard self-test result: %w", err)
	}
	if r != KeyboardBATPass {
		return fmt.Errorf("ps2: keyboard self-test failed: reply %#02x, want %#02x", r, KeyboardBATPass)
	}
	return nil
}

// Flush discards whatever bytes wait in the output buffer (at most a few dozen).
func (c *Controller) Flush() {
	for i := 0; i < flushLimit && c.Ports.In8(StatusPort)&StatusOutputFull != 0; i++ {
		c.Ports.In8(DataPort)
	}
}

// ReadConfig returns the controller's configuration byte.
func (c *Controller) ReadConfig() (byte, error) { return c.commandReply(CmdReadConfig) }

// WriteConfig sets the controller's configuration byte.
func (c *Controller) WriteConfig(cfg byte) error {
	if err := c.command(CmdWriteConfig); err != nil {
		return err
	}
	return c.writeData(cfg)
}

// Poll returns the byte waiting in the output buffer, if there is one; it does not
// wait. An interrupt handler for IRQ 1 calls it and feeds the byte to a Keyboard.
func (c *Controller) Poll() (byte, bool) {
	if c.Ports.In8(StatusPort)&StatusOutputFull == 0 {
		return 0, false
	}
	return c.Ports.In8(DataPort), true
}

// command writes a controller command.
func (c *Controller) command(cmd byte) error {
	if err := c.waitInputEmpty(); err != nil {
		return fmt.Errorf("command %#02x: %w", cmd, err)
	}
	c.Ports.Out8(CommandPort, cmd)
	return nil
}

// commandReply writes a controller command and reads its one-byte reply.
func (c *Controller) commandReply(cmd byte) (byte, error) {
	if err := c.command(cmd); err != nil {
		return 0, err
	}
	r, err := c.readData()
	if err != nil {
		return 0, fmt.Errorf("reply to command %#02x: %w", cmd, err)
	}
	return r, nil
}

// writeData writes a byte to the data port once the controller can take it.
func (c *Controller) writeData(b byte) error {
	if err := c.waitInputEmpty(); err != nil {
		return fmt.Errorf("data byte %#02x: %w", b, err)
	}
	c.Ports.Out8(DataPort, b)
	return nil
}

// readData waits for a byte in the output buffer and reads it.
func (c *Controller) readData() (byte, error) {
	n := c.maxPolls()
	for i := 0; i < n; i++ {
		if c.Ports.In8(StatusPort)&StatusOutputFull != 0 {
			return c.Ports.In8(DataPort), nil
		}
	}
	return 0, fmt.Errorf("timed out: output buffer still empty after %d status reads", n)
}

// waitInputEmpty waits until the controller has taken the last byte written.
func (c *Controller) waitInputEmpty() error {
	n := c.maxPolls()
	for i := 0; i < n; i++ {
		if c.Ports.In8(StatusPort)&StatusInputFull == 0 {
			return nil
		}
	}
	return fmt.Errorf("timed out: input buffer still full after %d status reads", n)
}
