package pqc

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// File modes of written key files. A private key file is readable by its owner only;
// loading refuses one that others can read, as ssh does, because a leaked signing key
// cannot be revoked from machines that already trust it.
const (
	privateKeyFileMode = 0o600
	publicKeyFileMode  = 0o644
)

// WriteKeyPair writes priv to DIR/NAME.key (mode 0600) and its public key to
// DIR/NAME.pub (mode 0644), in the key file format of docs/KEYFILES.md. Each file
// appears complete or not at all (it is written to a temporary file, synced, and then
// moved into place), and neither file is ever overwritten: if either exists,
// WriteKeyPair writes nothing and returns an error wrapping fs.ErrExist. name must be
// a plain file name, without a directory.
func WriteKeyPair(dir, name string, priv *PrivateKey) error {
	keyData, err := EncodePrivateKeyFile(priv)
	if err != nil {
		return err
	}
	pubData, err := EncodePublicKeyFile(priv.Public())
	if err != nil {
		return err
	}
	return writePair(dir, name, keyData, pubData)
}

// WriteKEMKeyPair is [WriteKeyPair] for an ML-KEM-1024 key pair.
func WriteKEMKeyPair(dir, name string, priv *KEMPrivateKey) error {
	keyData, err := EncodeKEMPrivateKeyFile(priv)
	if err != nil {
		return err
	}
	pubData, err := EncodeKEMPublicKeyFile(priv.Public())
	if err != nil {
		return err
	}
	return writePair(dir, name, keyData, pubData)
}

func writePair(dir, name string, keyData, pubData []byte) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || filepath.Base(name) != name {
		return fmt.Errorf("key pair name %q is not a plain file name; pass the directory separately", name)
	}
	keyPath := filepath.Join(dir, name+".key")
	pubPath := filepath.Join(dir, name+".pub")
	// Check both before writing either, so that a refusal leaves nothing behind.
	for _, p := range []string{keyPath, pubPath} {
		if err := checkAbsent(p); err != nil {
			return err
		}
	}
	// The private key goes first: a .key without its .pub can be repaired (the public
	// key is derived from the private key), a .pub without its .key cannot.
	if err := writeNewFile(keyPath, keyData, privateKeyFileMode); err != nil {
		return err
	}
	if err := writeNewFile(pubPath, pubData, publicKeyFileMode); err != nil {
		_ = os.Remove(keyPath) // we just created it; leave the directory as we found it
		return err
	}
	syncDir(dir)
	return nil
}

func checkAbsent(path string) error {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return errorf(fs.ErrExist, "%s already exists; refusing to overwrite a key file (move it away or choose another name)", path)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("checking for existing key file: %w", err)
	}
}

// writeNewFile creates path with contents data and mode perm, atomically and without
// replacing an existing file.
func writeNewFile(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing key file: %w", err)
	}
	tmpName := tmp.Name()
	// After a successful link the temporary name is just a second name for the file;
	// after a rename it no longer exists. Either way it must go.
	defer os.Remove(tmpName)
	// Chmod explicitly rather than trusting the umask: the modes are part of the
	// contract (0600 keeps the private key private, 0644 lets others verify).
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing key file %s: %w", path, err)
	}

	// A hard link is a rename that refuses to replace an existing file, atomically;
	// os.Rename would silently replace a key created since checkAbsent.
	err = os.Link(tmpName, path)
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return errorf(fs.ErrExist, "%s already exists; refusing to overwrite a key file (move it away or choose another name)", path)
	}
	// The file system has no hard links (FAT, some FUSE file systems): check and
	// rename, which leaves a window in which a concurrently created file is replaced.
	if err := checkAbsent(path); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	return nil
}

// syncDir makes the new directory entries durable. It is best-effort: the files are
// complete either way, and some systems cannot sync a directory.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// LoadPublicKey reads an ML-DSA-87 public key file (NAME.pub), checked as
// [DecodePublicKeyFile] checks it. Error messages name the file and say what to do.
func LoadPublicKey(path string) (*PublicKey, error) {
	data, _, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return decodePublicKeyFile(path, data)
}

// LoadPrivateKey reads an ML-DSA-87 private key file (NAME.key), checked as
// [DecodePrivateKeyFile] checks it. It refuses, with an error wrapping
// [ErrInsecurePermissions], a file that its group or others may access ("key file
// x.key has mode 0644; run chmod 600 x.key").
func LoadPrivateKey(path string) (*PrivateKey, error) {
	data, mode, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return decodePrivateKeyFile(path, data, func() error { return checkPrivateMode(path, mode) })
}

// LoadKEMPublicKey is [LoadPublicKey] for an ML-KEM-1024 public key file.
func LoadKEMPublicKey(path string) (*KEMPublicKey, error) {
	data, _, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return decodeKEMPublicKeyFile(path, data)
}

// LoadKEMPrivateKey is [LoadPrivateKey] for an ML-KEM-1024 private key file.
func LoadKEMPrivateKey(path string) (*KEMPrivateKey, error) {
	data, mode, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return decodeKEMPrivateKeyFile(path, data, func() error { return checkPrivateMode(path, mode) })
}

// readKeyFile returns the contents of the regular file at path and its mode, as of
// the moment it was opened.
func readKeyFile(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("reading key file: %w", err)
	}
	defer f.Close()
	// Stat the open file, not the path, so the checks apply to what is read.
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("reading key file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, 0, errorf(ErrMalformedKeyFile, "%s is not a regular file (mode %s); a key file is needed", path, st.Mode())
	}
	if st.Size() > MaxKeyFileSize {
		return nil, 0, errorf(ErrMalformedKeyFile, "%s is %d bytes, more than any key file (at most %d); it is not a key file", path, st.Size(), MaxKeyFileSize)
	}
	// Limit the read too: the file may grow after Stat.
	data, err := io.ReadAll(io.LimitReader(f, MaxKeyFileSize+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading key file %s: %w", path, err)
	}
	return data, st.Mode(), nil
}

// checkPrivateMode refuses a private key file that its group or others may read or
// write. Windows has no Unix permission bits; there, ACLs are the administrator's
// business.
func checkPrivateMode(path string, mode fs.FileMode) error {
	if runtime.GOOS != "windows" && mode.Perm()&0o077 != 0 {
		return errorf(ErrInsecurePermissions, "key file %s has mode %04o; run chmod 600 %s", path, mode.Perm(), shellQuote(path))
	}
	return nil
}

// shellQuote quotes path for the command in an error message, so that it can be
// pasted into a POSIX shell as it is.
func shellQuote(path string) string {
	safe := path != "" && strings.Trim(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+=:,@%") == ""
	if safe {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}
