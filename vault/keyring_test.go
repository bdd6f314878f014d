package vault

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKeyringKeepsOldIDsAndDerivedKeys: a key's ID and the keys derived
// from it are what they were before keyrings held several keys, and stay
// so once a newer key is added and the root is set to the old key.
func TestKeyringKeepsOldIDsAndDerivedKeys(t *testing.T) {
	old := bytes.Repeat([]byte{7}, KeySize)
	mac := hmac.New(sha256.New, old)
	mac.Write([]byte("eyelevel master key id"))
	wantID := base16(mac.Sum(nil)[:8])
	d := hmac.New(sha256.New, old)
	d.Write([]byte("eyelevel derived key: device"))
	wantDerived := d.Sum(nil)

	k1, _ := New(old)
	if k1.ID() != wantID || !bytes.Equal(k1.Derive("device"), wantDerived) {
		t.Fatalf("single key: id %s derived %x", k1.ID(), k1.Derive("device"))
	}
	k2, err := NewRing(NewKey(), old)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ID() == wantID || k2.IDs()[1] != wantID {
		t.Fatalf("ring ids %v", k2.IDs())
	}
	k2.SetRoot(k1.DefaultRoot())
	if !bytes.Equal(k2.Derive("device"), wantDerived) {
		t.Fatal("derived key changed with a new master key")
	}
	// A different root gives different derived keys.
	k2.SetRoot(NewKey())
	if bytes.Equal(k2.Derive("device"), wantDerived) {
		t.Fatal("the root is ignored")
	}
}

func base16(b []byte) string {
	const hexdigits = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(hexdigits[c>>4])
		s.WriteByte(hexdigits[c&15])
	}
	return s.String()
}

// TestKeyringUnwrapsByID: the newest key wraps; data wrapped under an older
// key unwraps by its ID and re-wraps under the newest; an unknown ID is
// ErrKeyUnavailable.
func TestKeyringUnwrapsByID(t *testing.T) {
	oldKey, newKey := NewKey(), NewKey()
	old, _ := New(oldKey)
	key, oldID, wrapped, err := old.NewDataKeyID("client-1")
	if err != nil || oldID != old.ID() {
		t.Fatal(err, oldID)
	}
	ring, _ := NewRing(newKey, oldKey)
	got, err := ring.Unwrap(oldID, wrapped, "client-1")
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("unwrap under the old key: %v", err)
	}
	newID, rewrapped, err := ring.Rewrap(oldID, wrapped, "client-1")
	if err != nil || newID != ring.ID() || newID == oldID {
		t.Fatalf("rewrap: %v %s", err, newID)
	}
	if _, err := old.Unwrap(newID, rewrapped, "client-1"); err != ErrKeyUnavailable {
		t.Fatalf("the old keyring opened data under the new key: %v", err)
	}
	if got, err := ring.Unwrap(newID, rewrapped, "client-1"); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("unwrap re-wrapped: %v", err)
	}
	if _, err := ring.Unwrap(newID, rewrapped, "client-2"); err != ErrKeyUnavailable {
		t.Fatalf("other context: %v", err)
	}
	if _, _, id := must3(ring.NewDataKeyID("c")); id != ring.ID() {
		t.Fatal("new data keys are not under the newest key")
	}
}

func must3(key []byte, id string, wrapped []byte, err error) ([]byte, []byte, string) {
	if err != nil {
		panic(err)
	}
	return key, wrapped, id
}

// TestKeyFileSeveralKeys: a key file lists keys newest first, one a line,
// with comments; today's one-key files read as before; WriteKeyFile
// replaces the file (0600); a keyring loaded from the file follows a
// rotation done by another process, for unwrapping and for new data keys.
func TestKeyFileSeveralKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	k1, k2 := NewKey(), NewKey()
	os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k1)+"\n"), 0o600)
	server, err := LoadKeyFile(path, false)
	if err != nil || len(server.IDs()) != 1 || server.ID() != KeyID(k1) {
		t.Fatalf("one-key file: %v %v", err, server)
	}
	if raw, err := LoadOrCreateKeyFile(path, false); err != nil || !bytes.Equal(raw, k1) {
		t.Fatalf("LoadOrCreateKeyFile: %v", err)
	}
	time.Sleep(10 * time.Millisecond) // a new modification time on coarse clocks
	if err := WriteKeyFile(path, [][]byte{k2, k1}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	rotator, err := LoadKeyFile(path, false)
	if err != nil || strings.Join(rotator.IDs(), ",") != KeyID(k2)+","+KeyID(k1) {
		t.Fatalf("two-key file: %v %v", err, rotator.IDs())
	}
	key, id, wrapped, _ := rotator.NewDataKeyID("c")
	if got, err := server.Unwrap(id, wrapped, "c"); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("the running server did not re-read the key file: %v", err)
	}
	if _, id, _, _ := server.NewDataKeyID("d"); id != KeyID(k2) {
		t.Fatalf("the running server wraps under %s, want the new key", id)
	}

	body := "# eyelevel master keys, newest first\n" + hexString(k2) + "\n\n" + base64.RawURLEncoding.EncodeToString(k1) + "\n"
	keys, err := ParseKeys(body)
	if err != nil || len(keys) != 2 || !bytes.Equal(keys[0], k2) {
		t.Fatalf("ParseKeys: %v %d", err, len(keys))
	}
	if keys, err := ParseKeys(base64.StdEncoding.EncodeToString(k2) + "," + base64.StdEncoding.EncodeToString(k1)); err != nil || len(keys) != 2 {
		t.Fatalf("comma list: %v", err)
	}
	for _, bad := range []string{"", "# nothing\n", "c2hvcnQ=\n", base64.StdEncoding.EncodeToString(k1) + "\nnot a key\n"} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
	os.WriteFile(path, []byte("garbage\n"), 0o600)
	if _, err := LoadKeyFile(path, false); err == nil {
		t.Fatal("a garbage key file loaded")
	}
	// A garbage file does not take the keys of a running keyring away.
	if _, err := server.Unwrap(id, wrapped, "c"); err != nil {
		t.Fatalf("after a bad file: %v", err)
	}
}

func hexString(b []byte) string { return base16(b) }
