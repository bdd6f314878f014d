package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/vault"
)

// Limits of secure messages.
const (
	MaxMessage       = 5000 // the longest message text, in characters
	MaxReplyDays     = 14   // the longest reply time a counselor may state
	DefaultReplyDays = 2    // a new counselor's reply time
	ThreadLimit      = 200  // a thread shows this many of the latest messages
	conversationsMax = 500

	// A sender may write this many messages per conversation per hour and
	// per day, and this many per day in all (a counselor with many
	// clients); a flood is refused with ETOOMANY. Counted per sender, so
	// the other side and everyone else can still write.
	messagesPerHour   = 30
	messagesPerDay    = 200
	messagesPerDayAll = 600
)

// Message is one message of a conversation, decrypted. ReadAt is when the
// recipient read it (the read receipt).
type Message struct {
	ID       string          `json:"id"`
	From     eyelevel.UserID `json:"from"`
	Text     string          `json:"text"`
	SentAt   time.Time       `json:"sent_at"`
	ReadAt   time.Time       `json:"read_at,omitzero"`
	Incoming bool            `json:"incoming"`
}

// Peer is the other side of a conversation as the actor sees it: a
// counselor by display name (with their reply time), a client by
// pseudonym, the duty contact (an admin) without a name.
type Peer struct {
	ID        eyelevel.UserID `json:"user_id"`
	Name      string          `json:"name"` // "" for the duty contact
	Role      eyelevel.Role   `json:"role"`
	ReplyDays int             `json:"reply_days,omitzero"` // counselors only
}

// Duty reports whether the peer is the operator's duty contact.
func (p Peer) Duty() bool { return p.Role == eyelevel.RoleAdmin }

// ConversationView is one conversation in the actor's list; it carries
// no message text.
type ConversationView struct {
	Peer
	LastAt time.Time `json:"last_at,omitzero"` // zero: no message yet
	Unread int       `json:"unread"`
}

// Thread is a conversation with its latest messages, oldest first; More
// says that older ones exist beyond ThreadLimit.
type Thread struct {
	With     Peer      `json:"with"`
	Messages []Message `json:"messages"`
	More     bool      `json:"more,omitempty"`
}

// pair returns the client and staff sides of a conversation of a with other.
func pair(a eyelevel.Actor, other eyelevel.UserID) (client, staff eyelevel.UserID) {
	if a.Role == eyelevel.RoleClient {
		return a.UserID, other
	}
	return other, a.UserID
}

// SendMessage writes text from a to the other side of their conversation
// (a client to a staff member or back). Only pairs with a relationship may
// write (see mayConverse); everyone else gets ENOTFOUND. The text is
// sealed with the client's data key; the recipient is told by mail when
// they are away (see notifyMessage). Errors: EUNAUTHORIZED, EINVALID,
// ENOTFOUND, ETOOMANY (see messagesPerHour), EUNAVAILABLE (no master key).
func (s *Service) SendMessage(ctx context.Context, a eyelevel.Actor, to eyelevel.UserID, text string) (Message, error) {
	return s.sendMessage(ctx, a, to, text, true)
}

// sendMessage is SendMessage; limited says whether the sender's message
// limits apply (not to the absence message CancelAbsenceSessions sends
// each client of a cancelled session: bounded by the sessions, and it
// must not fail the cancellation).
func (s *Service) sendMessage(ctx context.Context, a eyelevel.Actor, to eyelevel.UserID, text string, limited bool) (Message, error) {
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
	client, staff := pair(a, to)
	conv := "msg:" + string(a.UserID) + ":" + string(to)
	limits := []Limit{{conv, messagesPerHour, time.Hour}, {conv + ":day", messagesPerDay, 24 * time.Hour},
		{"msgall:" + string(a.UserID), messagesPerDayAll, 24 * time.Hour}}
	if !limited {
		limits = nil
	} else if err := s.reserve(ctx, limits...); err != nil {
		if eyelevel.ErrorCode(err) == eyelevel.ETOOMANY {
			s.log.Warn("message refused: too many", "user", a.UserID)
		}
		return Message{}, err
	}
	now := s.now().UTC()
	m := store.Message{ID: messageID(s.now()), ClientID: client, StaffID: staff, SenderID: a.UserID, CreatedAt: now}
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
		if err := s.db.CreateMessage(ctx, m); err != nil {
			return err
		}
		return s.notifyMessage(ctx, client, staff, to)
	})
	if err != nil {
		for _, l := range limits {
			s.refund(ctx, l.Key) // nothing was sent
		}
		return Message{}, err
	}
	s.log.Info("message sent", "message", m.ID)
	return Message{ID: m.ID, From: a.UserID, Text: text, SentAt: now}, nil
}

// Messages returns the actor's conversation with other (the latest
// ThreadLimit messages, oldest first) and marks the messages the actor
// received as read. Errors: EUNAUTHORIZED, ENOTFOUND (no relationship),
// EUNAVAILABLE (no master key).
func (s *Service) Messages(ctx context.Context, a eyelevel.Actor, other eyelevel.UserID) (Thread, error) {
	if a.Anonymous() {
		return Thread{}, unauthorized()
	}
	client, staff := pair(a, other)
	var th Thread
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.mayConverse(ctx, client, staff); err != nil {
			return err
		}
		if err := s.logAccess(ctx, a, client, eyelevel.ViewMessages); err != nil {
			return err
		}
		var err error
		if th.With, err = s.peer(ctx, a, other); err != nil {
			return err
		}
		if err := s.db.MarkMessagesRead(ctx, client, staff, a.UserID, s.now().UTC()); err != nil {
			return err
		}
		ms, more, err := s.db.RecentMessages(ctx, client, staff, ThreadLimit)
		if err != nil || len(ms) == 0 {
			return err
		}
		key, err := s.dataKey(ctx, client, false)
		if err != nil {
			return err
		}
		th.More = more
		for _, m := range ms {
			text, err := vault.Open(key, m.Sealed, messageContext(m.ID, client))
			if err != nil {
				return s.keyUnavailable(err)
			}
			th.Messages = append(th.Messages, Message{ID: m.ID, From: m.SenderID, Text: string(text), SentAt: m.CreatedAt, ReadAt: m.ReadAt, Incoming: m.SenderID != a.UserID})
		}
		return nil
	})
	return th, err
}

// Conversations lists the actor's conversations, the latest first, without
// message text; a client's list also offers their counselors they have not
// written to yet. Conversations whose relationship ended are left out.
// Errors: EUNAUTHORIZED, EFORBIDDEN (care points, organization admins).
func (s *Service) Conversations(ctx context.Context, a eyelevel.Actor) ([]ConversationView, error) {
	if a.Anonymous() {
		return nil, unauthorized()
	} else if a.Role != eyelevel.RoleClient && a.Role != eyelevel.RoleCounselor && a.Role != eyelevel.RoleAdmin {
		return nil, forbidden()
	}
	cs, err := s.db.Conversations(ctx, a.UserID, conversationsMax)
	if err != nil {
		return nil, err
	}
	out := []ConversationView{}
	seen := map[eyelevel.UserID]bool{}
	for _, c := range cs {
		if c.ClientID == a.UserID && a.Role != eyelevel.RoleClient || c.StaffID == a.UserID && a.Role == eyelevel.RoleClient {
			continue // an account whose role changed; not a conversation it may hold
		}
		if err := s.mayConverse(ctx, c.ClientID, c.StaffID); eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		other := c.ClientID
		if a.Role == eyelevel.RoleClient {
			other = c.StaffID
		}
		p, err := s.peer(ctx, a, other)
		if err != nil {
			return nil, err
		}
		seen[other] = true
		out = append(out, ConversationView{Peer: p, LastAt: c.LastAt, Unread: c.Unread})
	}
	if a.Role == eyelevel.RoleClient {
		ids, err := s.db.ClientCounselors(ctx, a.UserID, s.careSince())
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !seen[id] {
				p, err := s.peer(ctx, a, id)
				if err != nil {
					return nil, err
				}
				out = append(out, ConversationView{Peer: p})
			}
		}
	}
	return out, nil
}

// peer describes other as a sees them.
func (s *Service) peer(ctx context.Context, a eyelevel.Actor, other eyelevel.UserID) (Peer, error) {
	u, err := s.db.UserByID(ctx, other)
	if err != nil {
		return Peer{}, err
	}
	p := Peer{ID: other, Role: u.Role}
	switch u.Role {
	case eyelevel.RoleCounselor:
		c, err := s.db.Counselor(ctx, other)
		if err != nil {
			return Peer{}, err
		}
		p.Name, p.ReplyDays = c.DisplayName, c.ReplyDays
	case eyelevel.RoleClient:
		p.Name = u.Username
	}
	return p, nil
}

// MessageStatus is what every page shows of messages and alerts: unread
// messages, and for counselors the open safety alerts of their clients.
type MessageStatus struct {
	Unread int
	Alerts int
	// Retention is a client's retention warning (retention.go), shown
	// as a banner.
	Retention RetentionWarning
}

// Status returns the actor's MessageStatus; zero for roles without
// messages. Errors: only internal ones.
func (s *Service) Status(ctx context.Context, a eyelevel.Actor) (MessageStatus, error) {
	var st MessageStatus
	switch a.Role {
	case eyelevel.RoleClient, eyelevel.RoleCounselor, eyelevel.RoleAdmin:
	default:
		return st, nil
	}
	var err error
	if st.Unread, err = s.db.UnreadMessages(ctx, a.UserID); err != nil {
		return st, err
	}
	if a.Role == eyelevel.RoleCounselor {
		as, err := s.db.OpenSafetyAlerts(ctx, a.UserID, "", s.careSince())
		if err != nil {
			return st, err
		}
		st.Alerts = len(as)
	}
	st.Retention, err = s.RetentionWarning(ctx, a)
	return st, err
}

// mayConverse returns nil when client and staff may write to each other:
// staff is a counselor with a session with the client upcoming or ended
// within CareAccess (180 days), or an admin — the duty contact — while one
// of the client's safety alerts went to the duty contact within that time.
// ENOTFOUND otherwise, so that nobody learns whether the other account
// exists.
func (s *Service) mayConverse(ctx context.Context, client, staff eyelevel.UserID) error {
	if client == "" || staff == "" || client == staff {
		return eyelevel.ErrNotFound()
	}
	ok, err := s.db.IsClientOf(ctx, staff, client, s.careSince())
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	u, err := s.db.UserByID(ctx, staff)
	if err != nil {
		return err
	}
	if u.Role == eyelevel.RoleAdmin {
		if ok, err = s.db.HasEscalatedAlert(ctx, client, s.careSince()); err != nil || ok {
			return err
		}
	}
	return eyelevel.ErrNotFound()
}

// messageID starts with the time in nanoseconds, so that messages of the
// same second (times are stored in seconds) keep their order.
func messageID(t time.Time) string {
	return fmt.Sprintf("%014s", strconv.FormatInt(t.UnixNano(), 36)) + eyelevel.NewID()[:16]
}

func messageContext(id string, client eyelevel.UserID) string {
	return "message|" + string(client) + "|" + id
}
