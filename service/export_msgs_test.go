package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// TestExportMessagesAndHandovers: the client's export holds their
// messages, decrypted, with sender and read time as the thread shows them,
// and the colleagues proposed to them with status and times, but neither
// the proposing counselor's note nor the counselor's session notes.
func TestExportMessagesAndHandovers(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWSWorld(e)
		_, err := e.svc.SendMessage(e.ctx, w.a, w.x.UserID, "Ich habe eine Frage zum Termin")
		wsMust(t, err)
		_, err = e.svc.Messages(e.ctx, w.x, w.a.UserID) // read by the counselor
		wsMust(t, err)
		e.clock.Advance(time.Minute)
		_, err = e.svc.SendMessage(e.ctx, w.x, w.a.UserID, "Gern, fragen Sie")
		wsMust(t, err)
		_, err = e.svc.SendMessage(e.ctx, w.b, w.y.UserID, "bobs eigene Nachricht")
		wsMust(t, err)
		_, err = e.svc.PutSessionNote(e.ctx, w.x, w.apptA.ID, "Notiz der Beraterin")
		wsMust(t, err)

		x, err := e.svc.Export(e.ctx, w.a)
		wsMust(t, err)
		if len(x.Messages) != 2 {
			t.Fatalf("messages = %+v", x.Messages)
		}
		m0, m1 := x.Messages[0], x.Messages[1]
		if m0.Text != "Ich habe eine Frage zum Termin" || m0.From.Role != eyelevel.RoleClient || m0.From.Name != "alice" ||
			m0.With.Role != eyelevel.RoleCounselor || m0.ReadAt.IsZero() || m0.SentAt.IsZero() {
			t.Errorf("first message = %+v", m0)
		}
		if m1.Text != "Gern, fragen Sie" || m1.From.Role != eyelevel.RoleCounselor || m1.From.Name == "" || m1.From.Name != m0.With.Name || !m1.ReadAt.IsZero() {
			t.Errorf("second message = %+v", m1)
		}
		if len(x.Handovers) != 2 {
			t.Fatalf("handovers = %+v", x.Handovers)
		}
		status := map[string]int{}
		for _, h := range x.Handovers {
			status[h.Status]++
			if h.Colleague == "" || h.CreatedAt.IsZero() || (h.Status == store.HandoverAccepted) == h.DecidedAt.IsZero() {
				t.Errorf("handover = %+v", h)
			}
		}
		if status[store.HandoverProposed] != 1 || status[store.HandoverAccepted] != 1 {
			t.Errorf("handover states = %v", status)
		}
		all := fmt.Sprintf("%+v", x)
		for _, secret := range []string{"Farsi", "Notiz der Beraterin", "bobs eigene"} {
			if strings.Contains(all, secret) {
				t.Errorf("the export holds %q", secret)
			}
		}
	})
}
