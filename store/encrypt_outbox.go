package store

import (
	"encoding/json"
	"sync/atomic"

	"eyelevel"
	"eyelevel/vault"
)

// outboxKey is the key that seals the outbox's mails. The service sets it
// (SetOutboxKey) from a key derived from the master key; without one, no
// mail can be queued, so no address or mail text is stored in clear. A
// queued mail's recipient and subject are sealed in head_sealed, its text,
// HTML and calendar object in body_sealed; the plain columns stay empty
// (rows from before migration 0012 have them filled until
// SealLegacyOutbox).
type outboxKey struct{ p atomic.Pointer[[]byte] }

// SetOutboxKey sets the key that seals outbox mails (service.New passes
// one derived from the master key).
func (db *DB) SetOutboxKey(key []byte) { db.outbox.p.Store(&key) }

type outboxHead struct {
	To      string `json:"t"`
	Subject string `json:"s"`
}

type outboxBody struct {
	Text string `json:"t"`
	HTML string `json:"h"`
	ICS  string `json:"i,omitempty"`
}

// sealMail returns m's sealed head and body.
func (db *DB) sealMail(m OutboxMail) (head, body []byte, err error) {
	k := db.outbox.p.Load()
	if k == nil {
		return nil, nil, errNoOutboxKey()
	}
	h, _ := json.Marshal(outboxHead{To: m.To, Subject: m.Subject})
	b, _ := json.Marshal(outboxBody{Text: m.Text, HTML: m.HTML, ICS: m.ICS})
	if head, err = vault.Seal(*k, h, "outbox head|"+m.ID); err != nil {
		return nil, nil, err
	}
	body, err = vault.Seal(*k, b, "outbox body|"+m.ID)
	return head, body, err
}

// openMail fills m's recipient, subject and body from their sealed form.
func (db *DB) openMail(m *OutboxMail, head, body []byte) error {
	if len(head) == 0 && len(body) == 0 {
		return nil // from before migration 0012
	}
	k := db.outbox.p.Load()
	if k == nil {
		return errNoOutboxKey()
	}
	if len(head) > 0 {
		b, err := vault.Open(*k, head, "outbox head|"+m.ID)
		if err != nil {
			return errNoOutboxKey()
		}
		var h outboxHead
		if err := json.Unmarshal(b, &h); err != nil {
			return err
		}
		m.To, m.Subject = h.To, h.Subject
	}
	if len(body) > 0 {
		b, err := vault.Open(*k, body, "outbox body|"+m.ID)
		if err != nil {
			return errNoOutboxKey()
		}
		var v outboxBody
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		m.Text, m.HTML, m.ICS = v.Text, v.HTML, v.ICS
	}
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
