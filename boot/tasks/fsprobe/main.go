// Command fsprobe is a demonstration program for containers' file views: started by
// ctr run --mount, it finds the file service capability after the console and
// carries out the operations named by its arguments, printing each outcome, so that
// what a container can and cannot name, read or change shows in ctr logs.
//
// Arguments are OP:PATH with OP one of write (create or replace, then write "probe"),
// read, stat (kind and owner as the machine sees it), mkdir, ls and lock (create if
// need be and lock exclusively, waiting until granted; the lock is kept), or the word
// fill (write 1 MiB and show how long it took: a container's I/O rate holds it), or the
// word hold: stay alive (holding the locks taken) until killed, or say:TEXT: print TEXT.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"golang.org/x/sys/unix"
)

// Slots: ctr grants the console at abi.InitFirstFree and the file service right
// after it; the buffer's capabilities go from slotFree on.
const (
	slotFiles   = abi.InitFirstFree + 1
	slotScratch = abi.CPtr(32)
	slotFree    = abi.CPtr(40)
	bufferPages = 2
)

func main() {
	e := usercall.Env()
	slots := &user.Slots{Next: slotFree, Limit: slotFree + bufferPages + 8}
	r, err := e.NewRegion(slots, abi.InitSlotUntyped, abi.InitSlotCSpace, abi.InitSlotAddressSpace, abi.FrameWindow, 0, bufferPages)
	if err != nil {
		fmt.Printf("fsprobe: buffer: %v\n", err)
		os.Exit(1)
	}
	c, err := fileproto.Attach(e, slotFiles, r, abi.InitSlotCSpace, slotScratch)
	if err != nil {
		fmt.Printf("fsprobe: attach: %v\n", err)
		os.Exit(1)
	}
	for _, arg := range os.Args[1:] {
		if text, ok := strings.CutPrefix(arg, "say:"); ok {
			fmt.Printf("fsprobe: %s\n", text)
			continue
		}
		if arg == "hold" {
			fmt.Println("fsprobe: holding")
			for {
				time.Sleep(time.Second)
			}
		}
		op, path, ok := strings.Cut(arg, ":")
		if !ok {
			fmt.Printf("fsprobe: %q: want OP:PATH\n", arg)
			continue
		}
		fmt.Printf("fsprobe: %s %s: %s\n", op, path, do(c, op, path))
	}
}

// do carries out one operation and describes its outcome.
func do(c *fileproto.Client, op, path string) string {
	switch op {
	case "write":
		f, err := c.Open(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return outcome(err)
		}
		_, err = f.WriteAt([]byte("probe"), 0)
		if err == nil {
			err = f.Sync()
		}
		f.Close()
		return outcome(err)
	case "read":
		f, err := c.Open(path, os.O_RDONLY, 0)
		if err != nil {
			return outcome(err)
		}
		defer f.Close()
		b := make([]byte, 64)
		n, err := f.ReadAt(b, 0)
		if err != nil && err != io.EOF {
			return outcome(err)
		}
		return fmt.Sprintf("ok %q", strings.TrimSpace(string(b[:n])))
	case "stat":
		st, err := c.Lstat(path)
		if err != nil {
			return outcome(err)
		}
		return fmt.Sprintf("ok mode %04o uid %d gid %d", st.Mode&0o7777, st.UID, st.GID)
	case "mkdir":
		return outcome(c.Mkdir(path, 0o755))
	case "fill":
		f, err := c.Open(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return outcome(err)
		}
		defer f.Close()
		const total, chunk = 1 << 20, bufferPages * 4096
		b := make([]byte, chunk)
		start := time.Now()
		for off := 0; off < total; off += chunk {
			if _, err := f.WriteAt(b, int64(off)); err != nil {
				return outcome(err)
			}
		}
		return fmt.Sprintf("ok %d bytes in %.1f s", total, time.Since(start).Seconds())
	case "lock":
		f, err := c.Open(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return outcome(err)
		}
		// Never closed: closing would release the lock; the task's end does.
		return outcome(f.Lock(true, true))
	case "ls":
		es, err := c.ReadDir(path)
		if err != nil {
			return outcome(err)
		}
		var names []string
		for _, e := range es {
			names = append(names, e.Name)
		}
		return "ok " + strings.Join(names, " ")
	}
	return "unknown operation"
}

// outcome is "ok" or the error's errno text.
func outcome(err error) string {
	var en unix.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &en):
		return en.Error()
	}
	return err.Error()
}
