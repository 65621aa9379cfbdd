package virtio

import (
	"encoding/binary"
	"errors"
	"testing"
)

// cfgBus is a Bus whose configuration space is a byte array; nothing else is used by
// ReadCaps.
type cfgBus struct{ cfg [256]byte }

func (b *cfgBus) ConfigRead(off, width uint64) (uint64, error) {
	var v uint64
	for i := int(width) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b.cfg[int(off)+i])
	}
	return v, nil
}
func (b *cfgBus) ConfigWrite(off, width, v uint64) error { return nil }
func (b *cfgBus) MapBAR(bar, page uint64) (uint64, error) {
	return 0, errors.New("no BARs")
}
func (b *cfgBus) DMAPage() (uint64, uint64, error) { return 0, 0, errors.New("no memory") }
func (b *cfgBus) Load8(uint64) uint8               { return 0 }
func (b *cfgBus) Load16(uint64) uint16             { return 0 }
func (b *cfgBus) Load32(uint64) uint32             { return 0 }
func (b *cfgBus) Load64(uint64) uint64             { return 0 }
func (b *cfgBus) Store8(uint64, uint8)             {}
func (b *cfgBus) Store16(uint64, uint16)           {}
func (b *cfgBus) Store32(uint64, uint32)           {}
func (b *cfgBus) Store64(uint64, uint64)           {}
func (b *cfgBus) Load(uint64, []byte)              {}
func (b *cfgBus) Store(uint64, []byte)             {}

// modern returns the configuration space of a virtio 1.x device laid out as QEMU's:
// four vendor capabilities in BAR 4, the notify one with a multiplier.
func modern() *cfgBus {
	b := &cfgBus{}
	b.cfg[pciStatus] = capPresent
	b.cfg[pciCapList] = 0x40
	ptr := 0x40
	for i, typ := range []byte{cfgCommon, cfgISR, cfgDevice, cfgNotify} {
		c := b.cfg[ptr:]
		c[0], c[2], c[3], c[4] = capVendor, 16, typ, 4
		binary.LittleEndian.PutUint32(c[8:], uint32(i)*0x1000)
		binary.LittleEndian.PutUint32(c[12:], 0x1000)
		next := ptr + 20
		if i == 3 {
			binary.LittleEndian.PutUint32(c[16:], 4)
			next = 0
		}
		c[1] = byte(next)
		ptr = next
	}
	return b
}

func TestReadCaps(t *testing.T) {
	c, err := ReadCaps(modern())
	if err != nil {
		t.Fatal(err)
	}
	if c.Common.bar != 4 || c.ISR.off != 0x1000 || c.Device.off != 0x2000 || c.Notify.off != 0x3000 || c.NotifyMultiplier != 4 {
		t.Fatalf("caps %+v", c)
	}
	loop := modern()
	loop.cfg[0x40+1] = 0x40 // the first capability points at itself
	if _, err := ReadCaps(loop); err == nil {
		t.Error("a capability list that loops was accepted")
	}
	outside := modern()
	outside.cfg[pciCapList] = 0x10 // into the header
	if _, err := ReadCaps(outside); err == nil {
		t.Error("a capability pointer into the header was accepted")
	}
	none := modern()
	none.cfg[pciStatus] = 0
	if _, err := ReadCaps(none); !errors.Is(err, ErrNotVirtio) {
		t.Errorf("no capability list: %v", err)
	}
}

// FuzzReadCaps: any configuration space is refused or read, never a panic or a hang.
func FuzzReadCaps(f *testing.F) {
	f.Add(modern().cfg[:])
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &cfgBus{}
		copy(b.cfg[:], data)
		ReadCaps(b)
	})
}
