package fileproto

import (
	iofs "io/fs"

	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"golang.org/x/sys/unix"
)

// encrypter is a namespace that can set encryption policies (fs.Dir can; a view's
// mounts are reached through their own Dirs, so a view cannot yet).
type encrypter interface {
	SetEncryption(path string, id disk.KeyID) error
}

// setEncryption carries out LabelSetEncryption.
func (s *Server) setEncryption(cl *client, path, keyID string) (unix.Errno, uint64, uint64) {
	e, ok := cl.namespace().(encrypter)
	if !ok {
		return unix.EOPNOTSUPP, 0, 0
	}
	var id disk.KeyID
	copy(id[:], keyID)
	return errnoOf(e.SetEncryption(path, id)), 0, 0
}

// SetEncryption gives the empty directory path the encryption policy of key id keyID
// (1…16 bytes; the name of the key-encryption key the server's key provider gives):
// every file and directory created in it from then on is encrypted.
func (c *Client) SetEncryption(path, keyID string) error {
	if len(keyID) == 0 || len(keyID) > len(disk.KeyID{}) {
		return &iofs.PathError{Op: "setencryption", Path: path, Err: unix.EINVAL}
	}
	if err := c.putPaths(path, keyID); err != nil {
		return &iofs.PathError{Op: "setencryption", Path: path, Err: err}
	}
	if _, _, err := c.call(LabelSetEncryption, uint64(len(path)), uint64(len(keyID)), 0); err != nil {
		return &iofs.PathError{Op: "setencryption", Path: path, Err: err}
	}
	return nil
}
