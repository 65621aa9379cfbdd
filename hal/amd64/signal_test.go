package amd64

import (
	"testing"
	"unsafe"
)

// The signal frame must have Linux's layout exactly: Go's runtime reads it.
func TestSignalFrameLayout(t *testing.T) {
	if got := unsafe.Sizeof(sigcontext{}); got != 256 {
		t.Errorf("sigcontext is %d bytes, Linux's is 256", got)
	}
	if got := unsafe.Offsetof(ucontext{}.MContext); got != 40 {
		t.Errorf("uc_mcontext at %d, Linux's at 40", got)
	}
	if got := unsafe.Sizeof(siginfo{}); got != 128 {
		t.Errorf("siginfo is %d bytes, Linux's is 128", got)
	}
	if got := unsafe.Offsetof(siginfo{}.Addr); got != 16 {
		t.Errorf("si_addr at %d, Linux's at 16", got)
	}
	if got := unsafe.Offsetof(rtSigframe{}.Info); got != 8+304 {
		t.Errorf("rt_sigframe.info at %d, Linux's at 312", got)
	}
}

func TestHandoffMatchesLoader(t *testing.T) {
	// boot/loader/loader.S writes eight 64-bit words.
	if unsafe.Sizeof(Handoff{}) != 64 {
		t.Fatalf("Handoff is %d bytes, the loader writes 64", unsafe.Sizeof(Handoff{}))
	}
}
