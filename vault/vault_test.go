package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func mustKeyring(t *testing.T, b byte) *Keyring {
	t.Helper()
	k, err := New(bytes.Repeat([]byte{b}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestEnvelopeRoundTrip(t *testing.T) {
	k := mustKeyring(t, 1)
	key, wrapped, err := k.NewDataKey("client-a")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped, key) {
		t.Fatal("wrapped key contains the key")
	}
	got, err := k.Unwrap(k.ID(), wrapped, "client-a")
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("unwrap: %v", err)
	}
	sealed, err := Seal(key, []byte("my secret reflection"), "client-a|1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("sealed text contains the plaintext")
	}
	plain, err := Open(key, sealed, "client-a|1")
	if err != nil || string(plain) != "my secret reflection" {
		t.Fatalf("open: %q %v", plain, err)
	}
	again, _ := Seal(key, []byte("my secret reflection"), "client-a|1")
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of the same text are equal: nonce reused")
	}
}

func TestWrongKeyOrContextIsKeyUnavailable(t *testing.T) {
	k, other := mustKeyring(t, 1), mustKeyring(t, 2)
	if k.ID() == other.ID() {
		t.Fatal("different keys, same ID")
	}
	key, wrapped, _ := k.NewDataKey("client-a")
	cases := map[string]func() error{
		"other master key": func() error { _, err := other.Unwrap(k.ID(), wrapped, "client-a"); return err },
		"other key id":     func() error { _, err := other.Unwrap(other.ID(), wrapped, "client-a"); return err },
		"other owner":      func() error { _, err := k.Unwrap(k.ID(), wrapped, "client-b"); return err },
		"truncated":        func() error { _, err := k.Unwrap(k.ID(), wrapped[:5], "client-a"); return err },
		"moved text": func() error {
			s, _ := Seal(key, []byte("x"), "client-a|1")
			_, err := Open(key, s, "client-a|2")
			return err
		},
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, ErrKeyUnavailable) {
			t.Errorf("%s: err = %v, want ErrKeyUnavailable", name, err)
		}
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if _, err := LoadOrCreateKeyFile(path, false); err == nil {
		t.Fatal("missing file without create: no error")
	}
	k1, err := LoadOrCreateKeyFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateKeyFile(path, true)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load differs: %v", err)
	}
	if _, err := ParseKey("c2hvcnQ="); err == nil {
		t.Fatal("short key accepted")
	}
	if _, err := New(k1[:16]); err == nil {
		t.Fatal("16-byte master key accepted")
	}
}

// Derived keys are stable for one master key and purpose, and differ
// between purposes and master keys.
func TestDerive(t *testing.T) {
	a, b := mustKeyring(t, 1), mustKeyring(t, 2)
	k := a.Derive("device token")
	if len(k) != 32 || !bytes.Equal(k, mustKeyring(t, 1).Derive("device token")) {
		t.Fatalf("Derive is not stable: %x", k)
	}
	if bytes.Equal(k, a.Derive("other")) || bytes.Equal(k, b.Derive("device token")) {
		t.Error("derived keys collide")
	}
}
