package vault

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"
)

// Keyring holds the master keys, newest first. The newest wraps new data
// keys; Unwrap finds the key a wrapped key names by its ID, so data wrapped
// under an older key stays readable until it has been re-wrapped (keys
// rotate). A keyring loaded from a file re-reads the file when it changes
// (see LoadKeyFile), so a running server follows a rotation.
type Keyring struct {
	mu   sync.RWMutex
	keys []master
	root []byte // derivation root; nil: the oldest master key (see SetRoot)

	path  string // the key file, "" if the keys came from elsewhere
	stamp fileStamp
}

type master struct {
	id   string
	raw  []byte
	aead cipher.AEAD
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// New returns a Keyring for one 32-byte master key.
func New(key []byte) (*Keyring, error) { return NewRing(key) }

// NewRing returns a Keyring for several master keys, newest first.
func NewRing(keys ...[]byte) (*Keyring, error) {
	ms, err := masters(keys)
	if err != nil {
		return nil, err
	}
	return &Keyring{keys: ms}, nil
}

func masters(keys [][]byte) ([]master, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("vault: no master key")
	}
	var out []master
	seen := map[string]bool{}
	for _, key := range keys {
		if len(key) != KeySize {
			return nil, fmt.Errorf("vault: master key must be %d bytes, is %d", KeySize, len(key))
		}
		aead, err := newAEAD(key)
		if err != nil {
			return nil, err
		}
		id := KeyID(key)
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, master{id: id, raw: append([]byte(nil), key...), aead: aead})
	}
	return out, nil
}

// KeyID is the public ID of a master key: the first 8 bytes of an HMAC
// under it, in hex. It identifies the key without revealing it.
func KeyID(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("eyelevel master key id"))
	return hex.EncodeToString(mac.Sum(nil)[:8])
}

// NewKey returns a fresh random master key.
func NewKey() []byte {
	key := make([]byte, KeySize)
	rand.Read(key)
	return key
}

// ID identifies the newest master key, the one that wraps new data keys.
func (k *Keyring) ID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[0].id
}

// IDs returns the IDs of all master keys, newest first.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]string, len(k.keys))
	for i, m := range k.keys {
		out[i] = m.id
	}
	return out
}

// Raw returns the master keys themselves, newest first, for writing them
// back to a key file.
func (k *Keyring) Raw() [][]byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([][]byte, len(k.keys))
	for i, m := range k.keys {
		out[i] = m.raw
	}
	return out
}

// Has reports whether the keyring holds the master key id (without
// re-reading its file).
func (k *Keyring) Has(id string) bool {
	_, ok := k.find(id)
	return ok
}

func (k *Keyring) find(id string) (master, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, m := range k.keys {
		if m.id == id {
			return m, true
		}
	}
	return master{}, false
}

func (k *Keyring) newest() master {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[0]
}

// SetRoot sets the secret Derive derives from. Without one, Derive uses
// the oldest master key, which is what a single-key keyring always did, so
// derived keys stay the same; a server sets the root kept (wrapped) in its
// database, so that rotating the master keys does not change them.
func (k *Keyring) SetRoot(root []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.root = append([]byte(nil), root...)
}

// DefaultRoot is the secret Derive uses before SetRoot: the oldest master
// key. A database without a stored root starts from it.
func (k *Keyring) DefaultRoot() []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return append([]byte(nil), k.keys[len(k.keys)-1].raw...)
}

// Derive returns a 32-byte key for purpose (e.g. signing cookies), derived
// from the root secret so that it survives restarts and key rotation
// without a second secret in the configuration.
func (k *Keyring) Derive(purpose string) []byte {
	k.mu.RLock()
	root := k.root
	if root == nil {
		root = k.keys[len(k.keys)-1].raw
	}
	k.mu.RUnlock()
	m := hmac.New(sha256.New, root)
	m.Write([]byte("eyelevel derived key: " + purpose))
	return m.Sum(nil)
}

// NewDataKey returns a fresh data key and its wrapped form for storage,
// under the newest master key. context binds the wrapped key to its owner
// (e.g. the client's ID), so a wrapped key copied to another owner does not
// unwrap. Prefer NewDataKeyID, which also says which key wrapped it.
func (k *Keyring) NewDataKey(context string) (key, wrapped []byte, err error) {
	key, _, wrapped, err = k.NewDataKeyID(context)
	return key, wrapped, err
}

// NewDataKeyID is NewDataKey that also returns the ID of the master key
// that wrapped it, to be stored with it. A keyring loaded from a file
// first re-reads the file if it changed, so new data keys go under the
// newest key even on a server started before a rotation.
func (k *Keyring) NewDataKeyID(context string) (key []byte, keyID string, wrapped []byte, err error) {
	k.refresh(false)
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, "", nil, err
	}
	keyID, wrapped = k.Wrap(key, context)
	return key, keyID, wrapped, nil
}

// Wrap wraps a secret under the newest master key for context and returns
// that key's ID with it.
func (k *Keyring) Wrap(secret []byte, context string) (keyID string, wrapped []byte) {
	m := k.newest()
	return m.id, seal(m.aead, secret, []byte("key|"+context))
}

// Unwrap returns the data key wrapped under master key keyID for context.
// A keyring loaded from a file that lacks keyID re-reads the file first:
// another process may have rotated the keys since.
func (k *Keyring) Unwrap(keyID string, wrapped []byte, context string) ([]byte, error) {
	m, ok := k.find(keyID)
	if !ok {
		k.refresh(true)
		if m, ok = k.find(keyID); !ok {
			return nil, ErrKeyUnavailable
		}
	}
	return open(m.aead, wrapped, []byte("key|"+context))
}

// Rewrap returns wrapped, under master key keyID, wrapped anew under the
// newest master key, and that key's ID. Already under the newest it is
// returned as it is.
func (k *Keyring) Rewrap(keyID string, wrapped []byte, context string) (newID string, rewrapped []byte, err error) {
	if keyID == k.ID() {
		return keyID, wrapped, nil
	}
	secret, err := k.Unwrap(keyID, wrapped, context)
	if err != nil {
		return "", nil, err
	}
	newID, rewrapped = k.Wrap(secret, context)
	return newID, rewrapped, nil
}

// refresh re-reads the key file of a keyring loaded from one when the file
// changed since it was read (or, with force, anyway). A file that is
// missing or does not parse leaves the keys as they are.
func (k *Keyring) refresh(force bool) {
	if k.path == "" {
		return
	}
	fi, err := os.Stat(k.path)
	if err != nil {
		return
	}
	st := fileStamp{fi.ModTime(), fi.Size()}
	k.mu.RLock()
	same := st == k.stamp
	k.mu.RUnlock()
	if same && !force {
		return
	}
	k.Reload()
}

// Reload re-reads the key file of a keyring loaded from one.
func (k *Keyring) Reload() error {
	if k.path == "" {
		return nil
	}
	keys, st, err := readKeyFile(k.path)
	if err != nil {
		return err
	}
	ms, err := masters(keys)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.keys, k.stamp = ms, st
	k.mu.Unlock()
	return nil
}

// Path is the key file the keyring was loaded from, or "".
func (k *Keyring) Path() string { return k.path }
