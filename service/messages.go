package service

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/vault"
)

// MaxMessage is the longest message text, in characters.
const MaxMessage = 5000

// Message is one message of a conversation, decrypted.
type Message struct {
	ID       string          `json:"id"`
	From     eyelevel.UserID `json:"from"`
	Text     string          `json:"text"`
	SentAt   time.Time       `json:"sent_at"`
	ReadAt   time.Time       `json:"read_at,omitzero"`
	Incoming bool            `json:"incoming"`
}

// SendMessage writes text from a to the other side of their conversation
// (a client to a staff member or back). Only pairs with a relationship may
// write (see mayConverse); everyone else gets ENOTFOUND. The text is
// sealed with the client's data key.
func (s *Service) SendMessage(ctx context.Context, a eyelevel.Actor, to eyelevel.UserID, text string) (Message, error) {
	if a.Anonymous() {
		return Message{}, unauthorized()
	}
	text = strings.TrimSpace(text)
	p := problems{}
	p.check(text != "", "text", "messages.err.empty")
	p.check(utf8.RuneCountInString(text) <= MaxMessage, "text", "messages.err.long")
	if err := p.err(); err != nil {
		return Message{}, err
	}
	client, staff := a.UserID, to
	if a.Role != eyelevel.RoleClient {
		client, staff = to, a.UserID
	}
	now := s.now().UTC()
	m := store.Message{ID: eyelevel.NewID(), ClientID: client, StaffID: staff, SenderID: a.UserID, CreatedAt: now}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.mayConverse(ctx, client, staff); err != nil {
			return err
		}
		key, err := s.dataKey(ctx, client, true)
		if err != nil {
			return err
		}
		if m.Sealed, err = vault.Seal(key, []byte(text), messageContext(m.ID, client)); err != nil {
			return err
		}
		return s.db.CreateMessage(ctx, m)
	})
	if err != nil {
		return Message{}, err
	}
	s.log.Info("message sent", "message", m.ID)
	return Message{ID: m.ID, From: a.UserID, Text: text, SentAt: now}, nil
}

// mayConverse returns nil when client and staff may write to each other:
// staff is a counselor with a session with the client upcoming or ended
// within CareAccess (180 days). ENOTFOUND otherwise, so that nobody learns
// whether the other account exists.
func (s *Service) mayConverse(ctx context.Context, client, staff eyelevel.UserID) error {
	ok, err := s.db.IsClientOf(ctx, staff, client, s.careSince())
	if err != nil {
		return err
	}
	if !ok {
		return eyelevel.ErrNotFound()
	}
	return nil
}

func messageContext(id string, client eyelevel.UserID) string {
	return "message|" + string(client) + "|" + id
}
