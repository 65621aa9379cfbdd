// Command linuxfs is an unmodified static Go program that uses files in /tmp through
// the os package: under "run -fs" the Linux personality forwards its system calls to
// SKYAIFS. It checks what it reads back, leaves /tmp/linuxfs/keep.txt for the host to
// find on the disk image, and prints file-call throughput.
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

func check(what string, err error) {
	if err != nil {
		fmt.Printf("linuxfs: FAIL %s: %v\n", what, err)
		os.Exit(1)
	}
}

func main() {
	dir := "/tmp/linuxfs"
	check("mkdir", os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	// Write, fsync, rename, read back.
	f, err := os.Create(filepath.Join(dir, "draft.txt"))
	check("create", err)
	_, err = f.WriteString("hello from an unmodified Go program\n")
	check("write", err)
	check("fsync", f.Sync())
	check("close", f.Close())
	check("rename", os.Rename(filepath.Join(dir, "draft.txt"), filepath.Join(dir, "keep.txt")))
	d, err := os.Open(dir) // fsync of the directory makes the rename durable
	check("open dir", err)
	check("fsync dir", d.Sync())
	check("close dir", d.Close())
	b, err := os.ReadFile(filepath.Join(dir, "keep.txt"))
	check("read", err)
	if string(b) != "hello from an unmodified Go program\n" {
		check("contents", fmt.Errorf("read %q", b))
	}
	// Append, seek, truncate, stat.
	f, err = os.OpenFile(filepath.Join(dir, "sub", "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	check("open append", err)
	for i := range 3 {
		fmt.Fprintf(f, "line %d\n", i)
	}
	check("close", f.Close())
	st, err := os.Stat(filepath.Join(dir, "sub", "log"))
	check("stat", err)
	if st.Size() != 21 || st.IsDir() {
		check("stat", fmt.Errorf("size %d dir %v", st.Size(), st.IsDir()))
	}
	check("truncate", os.Truncate(filepath.Join(dir, "sub", "log"), 7))
	// List, remove, and errors.
	es, err := os.ReadDir(dir)
	check("readdir", err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"keep.txt", "sub"}) {
		check("readdir", fmt.Errorf("names %v", names))
	}
	if _, err := os.Stat(filepath.Join(dir, "draft.txt")); !os.IsNotExist(err) {
		check("renamed away", fmt.Errorf("stat: %v", err))
	}
	if err := os.Remove(filepath.Join(dir, "sub")); err == nil {
		check("remove non-empty", fmt.Errorf("removed"))
	}
	check("removeall", os.RemoveAll(filepath.Join(dir, "sub")))
	tmp, err := os.MkdirTemp("", "t")
	check("mkdirtemp", err)
	check("symlink", os.Symlink("keep.txt", filepath.Join(tmp, "l")))
	if t, err := os.Readlink(filepath.Join(tmp, "l")); err != nil || t != "keep.txt" {
		check("readlink", fmt.Errorf("%q %v", t, err))
	}
	fmt.Println("linuxfs: wrote, fsynced, renamed, read, appended, truncated, listed and removed files in /tmp")

	// Throughput through the personality: a 4 MiB file written and read in 64 KiB
	// calls, and 200 small files made and removed.
	const size, chunk = 4 << 20, 64 << 10
	data := bytes.Repeat([]byte{0x5a}, chunk)
	start := time.Now()
	f, err = os.Create(filepath.Join(tmp, "big"))
	check("create big", err)
	for range size / chunk {
		_, err := f.Write(data)
		check("write big", err)
	}
	check("fsync big", f.Sync())
	check("close big", f.Close())
	wr := time.Since(start)
	start = time.Now()
	f, err = os.Open(filepath.Join(tmp, "big"))
	check("open big", err)
	n, err := io.CopyBuffer(io.Discard, f, make([]byte, chunk))
	check("read big", err)
	f.Close()
	rd := time.Since(start)
	if n != size {
		check("read big", fmt.Errorf("%d bytes", n))
	}
	start = time.Now()
	for i := range 200 {
		check("small", os.WriteFile(filepath.Join(tmp, fmt.Sprintf("f%03d", i)), []byte("x"), 0o644))
	}
	cr := time.Since(start)
	start = time.Now()
	check("stat loop", func() error {
		for range 1000 {
			if _, err := os.Stat(filepath.Join(dir, "keep.txt")); err != nil {
				return err
			}
		}
		return nil
	}())
	sl := time.Since(start)
	check("cleanup", os.RemoveAll(tmp))
	mib := float64(size) / (1 << 20)
	fmt.Printf("linuxfs: write+fsync %.1f MiB/s, read %.1f MiB/s, %.0f small files/s, %.1f µs per stat\n",
		mib/wr.Seconds(), mib/rd.Seconds(), 200/cr.Seconds(), float64(sl.Microseconds())/1000)
}
