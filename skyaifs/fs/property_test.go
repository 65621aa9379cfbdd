package fs

import (
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
	"pgregory.net/rapid"
)

// TestModelProperty runs random operation sequences against the filesystem
// and the model; after every operation, and after every unmount and mount,
// the filesystem's tree (paths, types, sizes, link counts, hard-link groups
// and every byte of every file) must equal the model's, and each operation
// must succeed or fail with the same errno in both.
func TestModelProperty(t *testing.T) { modelProperty(t, Options{}) }

// TestModelPropertyEncrypted is TestModelProperty on an encrypted root
// directory (everything in the tree encrypted): the same model, so an
// encrypted tree behaves exactly as a plain one, byte for byte, across
// copy-on-write overwrites, truncations and remounts; fsck finds the disk
// clean at the end.
func TestModelPropertyEncrypted(t *testing.T) { modelProperty(t, Options{Keys: testKeys}) }

// TestModelPropertyEncryptedWindows is TestModelPropertyEncrypted with the
// window rewrite of fragmented files (rewriteWindow) on every overwrite of a
// file with more than one extent.
func TestModelPropertyEncryptedWindows(t *testing.T) {
	modelProperty(t, Options{Keys: testKeys, defragExtents: 1})
}

func modelProperty(t *testing.T, opts Options) {
	names := []string{"/a", "/b", "/d", "/d/a", "/d/e", "/d/e/f", "/e"}
	rapid.Check(t, func(rt *rapid.T) {
		dev := block.NewMem(1024)
		if err := Mkfs(dev, Options{Seed: 5}); err != nil {
			rt.Fatal(err)
		}
		f, err := Mount(dev, opts)
		if err != nil {
			rt.Fatal(err)
		}
		if opts.Keys != nil {
			if err := f.SetEncryption("/", testKeyID); err != nil {
				rt.Fatal(err)
			}
		}
		m := newModel()
		path := rapid.SampledFrom(names)
		steps := rapid.IntRange(1, 150).Draw(rt, "steps")
		for i := range steps {
			var op wop
			switch k := rapid.IntRange(0, 11).Draw(rt, "op"); k {
			case 0:
				op = opCreate(path.Draw(rt, "p"))
			case 1, 2:
				op = opWrite(path.Draw(rt, "p"), 8*rapid.IntRange(0, 3000).Draw(rt, "off"), 8*rapid.IntRange(0, 1200).Draw(rt, "len"))
			case 3:
				op = opTruncate(path.Draw(rt, "p"), 8*rapid.IntRange(0, 3000).Draw(rt, "size"))
			case 4:
				op = opMkdir(path.Draw(rt, "p"))
			case 5:
				op = opRmdir(path.Draw(rt, "p"))
			case 6:
				op = opUnlink(path.Draw(rt, "p"))
			case 7:
				op = opRename(path.Draw(rt, "p"), path.Draw(rt, "q"))
			case 8:
				op = opLink(path.Draw(rt, "p"), path.Draw(rt, "q"))
			case 9:
				p := path.Draw(rt, "p")
				op = wop{name: "symlink " + p, apply: func(f *FS, m *model, _ uint32) (error, error) {
					return f.Symlink("/nowhere"+p, p), m.symlink("/nowhere"+p, p)
				}}
			case 10:
				op = opFsync(path.Draw(rt, "p"))
			case 11:
				if err := f.Unmount(); err != nil {
					rt.Fatal(err)
				}
				if f, err = Mount(dev, opts); err != nil {
					rt.Fatal(err)
				}
				op = wop{name: "remount", apply: func(*FS, *model, uint32) (error, error) { return nil, nil }}
			}
			fe, me := op.apply(f, m, uint32(i+1))
			if (fe == nil) != (me == nil) || (fe != nil && !sameErrno(fe, me)) {
				rt.Fatalf("step %d %s: filesystem says %v, model says %v", i, op.name, fe, me)
			}
			got, err := fsState(f)
			if err != nil {
				rt.Fatalf("step %d %s: %v", i, op.name, err)
			}
			want := m.snapshot()
			if d := sameShape(want, got); d != "" {
				rt.Fatalf("step %d %s: %s", i, op.name, d)
			}
			for p, w := range want {
				if got[p].data != w.data {
					rt.Fatalf("step %d %s: %s holds %d bytes differing from the model's %d", i, op.name, p, len(got[p].data), len(w.data))
				}
			}
		}
		if err := f.Unmount(); err != nil {
			rt.Fatal(err)
		}
		if opts.Keys != nil {
			if r, err := fsck.Check(dev, fsck.Options{}); err != nil || !r.Clean() {
				rt.Fatalf("fsck: %v %q", err, problems(r))
			}
		}
	})
}
