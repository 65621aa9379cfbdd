package user

import "github.com/skyscope-os/skyscope/kernel/abi"

// Device puts a capability to the machine's device index in slot dst of CSpace cs and
// returns what the device is. Past the last device the error is abi.ErrNotFound, so a
// loop from 0 lists them all.
func (e *Env) Device(sys abi.CPtr, index uint64, cs, dst abi.CPtr) (abi.DeviceInfo, error) {
	if err := e.invoke(sys, abi.SystemDevice, []uint64{index, uint64(dst)}, []abi.CPtr{cs}); err != nil {
		return abi.DeviceInfo{}, err
	}
	var w [abi.DeviceInfoWords]uint64
	for i := range w {
		w[i] = e.MR(i)
	}
	return abi.DecodeDeviceInfo(w), nil
}

// ConfigRead reads width (1, 2 or 4) bytes at off of a device's configuration space.
func (e *Env) ConfigRead(dev abi.CPtr, off, width uint64) (uint64, error) {
	err := e.invoke(dev, abi.DeviceConfigRead, []uint64{off, width}, nil)
	return e.r.MR[0], err
}

// ConfigWrite writes width bytes of v at off of a device's configuration space.
func (e *Env) ConfigWrite(dev abi.CPtr, off, width, v uint64) error {
	return e.invoke(dev, abi.DeviceConfigWrite, []uint64{off, width, v}, nil)
}

// DeviceFrame puts a Frame for page of memory BAR bar of a device in slot dst of
// CSpace cs; mapped with FrameMap it reaches the device's registers, uncached.
func (e *Env) DeviceFrame(dev abi.CPtr, bar, page uint64, cs, dst abi.CPtr) error {
	return e.invoke(dev, abi.DeviceFrame, []uint64{bar, page, uint64(dst)}, []abi.CPtr{cs})
}

// FrameAddress returns a frame's physical address, for a device to reach it by DMA.
func (e *Env) FrameAddress(frame abi.CPtr) (uint64, error) {
	err := e.invoke(frame, abi.FrameAddress, nil, nil)
	return e.r.MR[0], err
}

// AllowDevice adds device dev (a Device capability) to container c's allow-list, so
// that the container's System object gives it to the tasks inside.
func (e *Env) AllowDevice(c, dev abi.CPtr) error {
	return e.invoke(c, abi.ContainerAllowDevice, nil, []abi.CPtr{dev})
}
