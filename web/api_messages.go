package web

import (
	"context"
	"net/http"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// Secure messages between a client and their counselor (or the duty
// contact after an escalated safety alert), and the duty view. The rules
// are the service's (service/messages.go, safety_duty.go).

type peerJSON struct {
	UserID    eyelevel.UserID `json:"user_id"`
	Name      string          `json:"name"`
	Role      eyelevel.Role   `json:"role"`
	Duty      bool            `json:"duty,omitempty"`
	ReplyDays int             `json:"reply_days,omitempty"`
}

type conversationJSON struct {
	peerJSON
	LastMessageAt string `json:"last_message_at,omitempty"`
	Unread        int    `json:"unread"`
}

type messageJSON struct {
	ID       string          `json:"id"`
	From     eyelevel.UserID `json:"from"`
	Incoming bool            `json:"incoming"`
	Text     string          `json:"text"`
	SentAt   string          `json:"sent_at"`
	ReadAt   string          `json:"read_at,omitempty"`
}

func peerOf(p service.Peer) peerJSON {
	return peerJSON{UserID: p.ID, Name: p.Name, Role: p.Role, Duty: p.Duty(), ReplyDays: p.ReplyDays}
}

func messageOf(m service.Message) messageJSON {
	return messageJSON{ID: m.ID, From: m.From, Incoming: m.Incoming, Text: m.Text, SentAt: msgTime(m.SentAt), ReadAt: msgTime(m.ReadAt)}
}

// msgTime writes t in UTC, and the zero time as "".
func msgTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func handleConversations(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs, err := d.Service.Conversations(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		page, next, ok := paged(w, r, d, cs, func(c service.ConversationView) string { return string(c.ID) })
		if !ok {
			return
		}
		out := make([]conversationJSON, len(page))
		for i, c := range page {
			out[i] = conversationJSON{peerJSON: peerOf(c.Peer), LastMessageAt: msgTime(c.LastAt), Unread: c.Unread}
		}
		encode(w, http.StatusOK, listJSON("conversations", out, next))
	})
}

type threadJSON struct {
	With     peerJSON      `json:"with"`
	Messages []messageJSON `json:"messages"`
	// More says that older messages exist than the latest ones shown.
	More bool `json:"more"`
}

func handleMessages(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		th, err := d.Service.Messages(r.Context(), info(r).Actor, eyelevel.UserID(r.PathValue("user_id")))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := threadJSON{With: peerOf(th.With), Messages: make([]messageJSON, len(th.Messages)), More: th.More}
		for i, m := range th.Messages {
			out.Messages[i] = messageOf(m)
		}
		encode(w, http.StatusOK, out)
	})
}

func handleSendMessage(d Deps) http.Handler {
	return handleText(d, "user_id", http.StatusCreated, func(ctx context.Context, a eyelevel.Actor, id, text string) (service.Message, error) {
		return d.Service.SendMessage(ctx, a, eyelevel.UserID(id), text)
	}, messageOf)
}

// handleText answers a request whose body is {"text": …} about the record
// named by the path value param: save runs as the caller, and its result
// goes back through view with status.
func handleText[T, J any](d Deps, param string, status int, save func(ctx context.Context, a eyelevel.Actor, id, text string) (T, error), view func(T) J) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[struct {
			Text string `json:"text"`
		}](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		x, err := save(r.Context(), info(r).Actor, r.PathValue(param), in.Text)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, status, view(x))
	})
}

type dutyJSON struct {
	AlertID        string          `json:"alert_id"`
	ClientID       eyelevel.UserID `json:"client_id"`
	Pseudonym      string          `json:"pseudonym"`
	CreatedAt      string          `json:"created_at"`
	EscalatedAt    string          `json:"escalated_at"`
	AcknowledgedAt string          `json:"acknowledged_at,omitempty"`
}

func handleDuty(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := d.Service.DutyAlert(r.Context(), info(r).Actor, r.PathValue("id"))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, dutyJSON{AlertID: v.AlertID, ClientID: v.ClientID, Pseudonym: v.Pseudonym,
			CreatedAt: msgTime(v.CreatedAt), EscalatedAt: msgTime(v.EscalatedAt), AcknowledgedAt: msgTime(v.AcknowledgedAt)})
	})
}
