package service

import (
	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// Task slots: the layout RunTask uses. The request endpoint is the one capability the
// task is started with; the region's frames take user.MaxRegionPages slots from
// taskSlotFrames on.
const (
	TaskSlotEndpoint = abi.InitFirstFree      // granted: requests, receive only
	taskSlotReply    = abi.InitFirstFree + 1  // made by RunTask
	taskSlotRecv     = abi.InitFirstFree + 2  // receives a request's region
	taskSlotFrames   = abi.InitFirstFree + 16 // user.MaxRegionPages slots
)

// RunTask is the compression service task's life: it makes its Reply object and
// serves requests on the endpoint it was started with (TaskSlotEndpoint), mapping
// regions at window (user.MaxRegionPages pages of free address space), forever.
func RunTask(e *user.Env, window uint64) error {
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, taskSlotReply, 1); err != nil {
		return err
	}
	Serve(e, Config{Endpoint: TaskSlotEndpoint, Reply: taskSlotReply, CSpace: abi.InitSlotCSpace, AS: abi.InitSlotAddressSpace,
		Recv: taskSlotRecv, Frames: taskSlotFrames, Window: window, Limits: compress.DefaultLimits})
	return nil
}
