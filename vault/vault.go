// Package vault encrypts what clients write (reflections) at rest with
// envelope encryption: each client has a random 256-bit data key, stored only
// wrapped (AES-256-GCM) by the server's master key, and each text is sealed
// with AES-256-GCM under that data key. A copy of the database alone reveals
// nothing; deleting a client's wrapped key makes their texts unreadable.
//
// The master keys come from the operator's configuration or a file in the
// data directory (keyring.go, keyfile.go). Wrapped keys carry the ID of the
// master key that wrapped them, so a missing or wrong master key is
// reported as ErrKeyUnavailable instead of as garbage or a crash, and
// several master keys can be held at once while data is re-wrapped from an
// old one to a new one (rotation).
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of master and data keys in bytes (AES-256).
const KeySize = 32

// ErrKeyUnavailable means data was sealed under a master key this server
// does not have, or the data or key was tampered with.
var ErrKeyUnavailable = errors.New("vault: the key to decrypt this is not available")

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
