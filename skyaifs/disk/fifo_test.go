package disk

import "testing"

// TestFifoInode: a FIFO inode decodes as one and only without data (size 0, no
// extents), and its directory entry type is EntFifo.
func TestFifoInode(t *testing.T) {
	sb := testSuper()
	b := make([]byte, InodeSize)
	(&Inode{Ino: 6, Mode: TypeFifo | 0o600, Nlink: 1}).Encode(b)
	if n, _, err := DecodeInode(b, 6, sb); err != nil || n.Type() != TypeFifo {
		t.Fatalf("decode: %+v %v", n, err)
	}
	(&Inode{Ino: 6, Mode: TypeFifo | 0o600, Nlink: 1, Size: 3, Extents: []Extent{{0, 1, 200}}}).Encode(b)
	if _, _, err := DecodeInode(b, 6, sb); err == nil {
		t.Error("a FIFO with data decoded")
	}
	if EntryType(TypeFifo) != EntFifo {
		t.Errorf("entry type %d", EntryType(TypeFifo))
	}
}
