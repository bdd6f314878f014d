package service_test

import (
	"testing"
	"time"

	"eyelevel/service"
)

// TestMsgMailRecheck: the message-mail job lists conversations before its
// transaction; a recipient who reads the thread in between, or a
// relationship that ended in between, gets no mail.
func TestMsgMailRecheck(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("recheck")
		w.active(counselor)
		if _, err := w.svc.SendMessage(w.ctx, client, counselor.UserID, "hallo"); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(service.AwayAfter + time.Minute)
		now := w.clock.Now().UTC()
		ps, err := w.db.PendingMessageMails(w.ctx, now.Add(-service.AwayAfter), now.Add(-service.MessageMailEvery), 200)
		if err != nil || len(ps) != 1 {
			t.Fatalf("pending = %v, %v", ps, err)
		}
		if _, err := w.svc.Messages(w.ctx, counselor, client.UserID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.NotifyMessageForTest(w.ctx, ps[0].ClientID, ps[0].StaffID, ps[0].Recipient); err != nil {
			t.Fatal(err)
		}
		if n := len(w.mails("message", "recheck-counselor@example.org")); n != 0 {
			t.Errorf("counselor mailed (%d) about a thread they read meanwhile", n)
		}

		// The relationship ends between the listing and the mail.
		c2, co2 := w.pair("ended")
		w.active(co2)
		if _, err := w.svc.SendMessage(w.ctx, c2, co2.UserID, "hallo"); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(service.AwayAfter + time.Minute)
		as, _, err := w.svc.Appointments(w.ctx, c2, false, service.Page{})
		if err != nil || len(as) != 1 {
			t.Fatalf("appointments = %v, %v", as, err)
		}
		if _, err := w.svc.Cancel(w.ctx, c2, as[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.MailMessages(w.ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(w.mails("message", "ended-counselor@example.org")); n != 0 {
			t.Errorf("counselor mailed (%d) after the relationship ended", n)
		}
		now = w.clock.Now().UTC()
		if ps, _ := w.db.PendingMessageMails(w.ctx, now.Add(-service.AwayAfter), now.Add(-service.MessageMailEvery), 200); len(ps) != 0 {
			t.Errorf("still pending after the relationship ended: %v", ps)
		}
	})
}
