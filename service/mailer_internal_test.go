package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"eyelevel/mail"
	"eyelevel/mail/mailtest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestOutboxDelivers: a queued mail is rendered in its recipient's
// language and direction, waits while the server refuses it, retries
// after the backoff and arrives once.
func TestOutboxDelivers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		s := New(db, Config{Keys: encTestKeys(), Mail: MailConfig{On: true, PublicURL: "https://eyelevel.example/"}}, nil, func() time.Time { return now })
		srv := mailtest.Start(t)
		sender, err := mail.NewSMTP(srv.URL, "noreply@eyelevel.example")
		if err != nil {
			t.Fatal(err)
		}
		m := Mail{Kind: "test", To: "leyla@example.org", Lang: "ar", Subject: Line{Key: "app.name"},
			Lines: []Line{{Key: "mail.footer"}}, Button: &Button{Label: Line{Key: "app.name"}, URL: s.Link("/x")}}
		if err := db.InTx(ctx, func(ctx context.Context) error { return s.queueMail(ctx, m) }); err != nil {
			t.Fatal(err)
		}
		srv.SetDown(true)
		if n, err := s.DeliverMail(ctx, sender); n != 0 || err != nil {
			t.Fatalf("deliver while down = %d, %v", n, err)
		}
		srv.SetDown(false)
		if n, _ := s.DeliverMail(ctx, sender); n != 0 {
			t.Fatal("retried before the backoff")
		}
		now = now.Add(30 * time.Second)
		if n, err := s.DeliverMail(ctx, sender); n != 1 || err != nil {
			t.Fatalf("deliver after backoff = %d, %v", n, err)
		}
		if n, _ := s.DeliverMail(ctx, sender); n != 0 {
			t.Fatal("sent twice")
		}
		got := srv.Wait(t, 1, 5*time.Second)
		p, err := got[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.HTML, `dir="rtl"`) || !strings.Contains(p.Text, "https://eyelevel.example/x") || !strings.Contains(p.Text, "eyelevel") {
			t.Errorf("mail %+v", p)
		}
		out, err := db.Outbox(ctx, "test", 10)
		if err != nil || len(out) != 1 || out[0].SentAt.IsZero() || out[0].Text != "" || out[0].Attempts != 2 {
			t.Errorf("outbox after sending = %+v, %v", out, err)
		}
	})
}
