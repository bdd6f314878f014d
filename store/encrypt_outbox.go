package store

import (
	"sync/atomic"

	"eyelevel"
	"eyelevel/vault"
)

// outboxKey is the key that seals the outbox's recipient addresses. The
// service sets it (SetOutboxKey) from a key derived from the master key;
// without one, no mail can be queued, so no address is stored in clear.
type outboxKey struct{ p atomic.Pointer[[]byte] }

// SetOutboxKey sets the key that seals outbox recipients (service.New
// passes one derived from the master key).
func (db *DB) SetOutboxKey(key []byte) { db.outbox.p.Store(&key) }

func outboxContext(id string) string { return "outbox|" + id }

// sealRecipient seals m.To into the to_sealed column's value.
func (db *DB) sealRecipient(m OutboxMail) ([]byte, error) {
	k := db.outbox.p.Load()
	if k == nil {
		return nil, errNoOutboxKey()
	}
	return vault.Seal(*k, []byte(m.To), outboxContext(m.ID))
}

// openRecipient fills m.To from sealed (legacy rows have it in to_addr).
func (db *DB) openRecipient(m *OutboxMail, sealed []byte) error {
	if len(sealed) == 0 {
		return nil
	}
	k := db.outbox.p.Load()
	if k == nil {
		return errNoOutboxKey()
	}
	to, err := vault.Open(*k, sealed, outboxContext(m.ID))
	if err != nil {
		return eyelevel.Errorf(eyelevel.EUNAVAILABLE, "error.key_unavailable", "The server's encryption key is missing or not the one the data was sealed with.")
	}
	m.To = string(to)
	return nil
}

func errNoOutboxKey() error {
	return eyelevel.Errorf(eyelevel.EUNAVAILABLE, "error.key_unavailable", "The server's encryption key is missing or not the one the data was sealed with.")
}

// nonNil makes an empty byte slice for NOT NULL blob columns.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
