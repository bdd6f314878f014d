package vault

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ParseKeys reads master keys, newest first, from a key file's text or an
// environment variable: one key per line (or separated by commas), each in
// base64 or hex. Empty lines and lines starting with # are skipped, so a
// file of one key — what every earlier version wrote — is read as before.
func ParseKeys(s string) ([][]byte, error) {
	var out [][]byte
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, field := range strings.Split(line, ",") {
			if field = strings.TrimSpace(field); field == "" {
				continue
			}
			key, err := ParseKey(field)
			if err != nil {
				return nil, fmt.Errorf("key %d: %w", len(out)+1, err)
			}
			out = append(out, key)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("vault: no master key in it")
	}
	return out, nil
}

// FormatKeys is the text of a key file holding keys, newest first.
func FormatKeys(keys [][]byte) string {
	var b strings.Builder
	for _, key := range keys {
		b.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	}
	return b.String()
}

func readKeyFile(path string) ([][]byte, fileStamp, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileStamp{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileStamp{}, err
	}
	body := make([]byte, fi.Size())
	if _, err := f.ReadAt(body, 0); err != nil && fi.Size() > 0 {
		return nil, fileStamp{}, err
	}
	keys, err := ParseKeys(string(body))
	return keys, fileStamp{fi.ModTime(), fi.Size()}, err
}

// LoadKeyFile returns a keyring of the master keys in the file at path,
// newest first, creating the file with one new random key (mode 0600) when
// create is set and it does not exist. The keyring re-reads the file when
// it changes (see Keyring.NewDataKeyID and Keyring.Unwrap). A missing file
// is an error wrapping fs.ErrNotExist.
func LoadKeyFile(path string, create bool) (*Keyring, error) {
	keys, st, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		key := NewKey()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("vault: create master key file: %w", err)
		}
		_, err = f.WriteString(FormatKeys([][]byte{key}))
		if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
			return nil, fmt.Errorf("vault: write master key file: %w", err)
		}
		keys, st, err = readKeyFile(path)
		if err != nil {
			return nil, fmt.Errorf("vault: read master key file: %w", err)
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("vault: read master key file: %w", err)
	} else if err != nil {
		return nil, fmt.Errorf("vault: master key file %s: %w", path, err)
	}
	ms, err := masters(keys)
	if err != nil {
		return nil, fmt.Errorf("vault: master key file %s: %w", path, err)
	}
	return &Keyring{keys: ms, path: path, stamp: st}, nil
}

// LoadOrCreateKeyFile reads the newest master key from path, creating the
// file with a new random key when create is set and it does not exist.
func LoadOrCreateKeyFile(path string, create bool) ([]byte, error) {
	k, err := LoadKeyFile(path, create)
	if err != nil {
		return nil, err
	}
	return k.Raw()[0], nil
}

// WriteKeyFile replaces the key file at path with keys, newest first,
// atomically: the new text goes to a temporary file (mode 0600) beside it,
// is synced and renamed over the old one, and the directory is synced, so
// after a crash the file holds either the old keys or the new ones.
func WriteKeyFile(path string, keys [][]byte) error {
	if _, err := masters(keys); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	var suffix [6]byte
	rand.Read(suffix[:])
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp-"+base64.RawURLEncoding.EncodeToString(suffix[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("vault: write master key file: %w", err)
	}
	_, err = f.WriteString(FormatKeys(keys))
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("vault: write master key file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("vault: replace master key file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
