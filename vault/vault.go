// Package vault encrypts what clients write (reflections) at rest with
// envelope encryption: each client has a random 256-bit data key, stored only
// wrapped (AES-256-GCM) by the server's master key, and each text is sealed
// with AES-256-GCM under that data key. A copy of the database alone reveals
// nothing; deleting a client's wrapped key makes their texts unreadable.
//
// The master key comes from the operator's configuration or a file in the
// data directory. Wrapped keys carry the ID of the master key that wrapped
// them, so a missing or wrong master key is reported as ErrKeyUnavailable
// instead of as garbage or a crash.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// KeySize is the size of master and data keys in bytes (AES-256).
const KeySize = 32

// ErrKeyUnavailable means data was sealed under a master key this server
// does not have, or the data or key was tampered with.
var ErrKeyUnavailable = errors.New("vault: the key to decrypt this is not available")

// Keyring holds the master key.
type Keyring struct {
	aead    cipher.AEAD
	id      string
	derived func(purpose string) []byte
}

// New returns a Keyring for a 32-byte master key.
func New(master []byte) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("vault: master key must be %d bytes, is %d", KeySize, len(master))
	}
	aead, err := newAEAD(master)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, master)
	mac.Write([]byte("eyelevel master key id"))
	master = append([]byte(nil), master...)
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, master)
		m.Write([]byte("eyelevel derived key: " + purpose))
		return m.Sum(nil)
	}
	return &Keyring{aead: aead, id: hex.EncodeToString(mac.Sum(nil)[:8]), derived: derive}, nil
}

// Derive returns a 32-byte key for purpose (e.g. signing cookies), derived
// from the master key so that it survives restarts without a second secret.
func (k *Keyring) Derive(purpose string) []byte { return k.derived(purpose) }

// ID identifies the master key without revealing it.
func (k *Keyring) ID() string { return k.id }

// NewDataKey returns a fresh data key and its wrapped form for storage.
// context binds the wrapped key to its owner (e.g. the client's ID), so a
// wrapped key copied to another owner does not unwrap.
func (k *Keyring) NewDataKey(context string) (key, wrapped []byte, err error) {
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	return key, seal(k.aead, key, []byte("key|"+context)), nil
}

// Unwrap returns the data key wrapped under master key keyID for context.
func (k *Keyring) Unwrap(keyID string, wrapped []byte, context string) ([]byte, error) {
	if keyID != k.id {
		return nil, ErrKeyUnavailable
	}
	return open(k.aead, wrapped, []byte("key|"+context))
}

// Seal encrypts plaintext under a data key; context (e.g. client and step)
// is authenticated, so a sealed text moved to another row does not open.
func Seal(key, plaintext []byte, context string) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return seal(aead, plaintext, []byte(context)), nil
}

// Open decrypts what Seal sealed.
func Open(key, sealed []byte, context string) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return open(aead, sealed, []byte(context))
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal returns nonce ‖ ciphertext ‖ tag with a random 96-bit nonce.
func seal(aead cipher.AEAD, plaintext, ad []byte) []byte {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plaintext, ad)
}

func open(aead cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return nil, ErrKeyUnavailable
	}
	out, err := aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, ErrKeyUnavailable
	}
	return out, nil
}

// ParseKey decodes a master key given as base64 (standard or URL alphabet)
// or hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("vault: a master key is %d bytes in base64 or hex", KeySize)
}

// LoadOrCreateKeyFile reads the master key from path, creating the file with
// a new random key (mode 0600) when create is set and it does not exist.
func LoadOrCreateKeyFile(path string, create bool) ([]byte, error) {
	body, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("vault: create master key file: %w", err)
		}
		_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
			return nil, fmt.Errorf("vault: write master key file: %w", err)
		}
		return key, nil
	} else if err != nil {
		return nil, fmt.Errorf("vault: read master key file: %w", err)
	}
	return ParseKey(string(body))
}
