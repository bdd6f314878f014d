package service

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/mail"
	"eyelevel/mail/mailtest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestRaMailErrorHidesRecipient: a server that refuses the recipient
// (550, naming the address) leaves the SMTP step and code in the outbox,
// the admin's answer and the log, never the full address.
func TestRaMailErrorHidesRecipient(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		s := New(db, Config{Keys: encTestKeys(), Mail: MailConfig{On: true, PublicURL: "https://eyelevel.example/"}}, log, func() time.Time { return now })
		srv := mailtest.StartWith(t, mailtest.Options{RejectRecipients: true})
		sender, err := mail.NewSMTP(srv.URL, "noreply@eyelevel.example")
		if err != nil {
			t.Fatal(err)
		}
		const to = "leyla.private@example.org"
		m := Mail{Kind: "test", To: to, Lang: "en", Subject: Line{Key: "app.name"}, Lines: []Line{{Key: "mail.footer"}}}
		if err := db.InTx(ctx, func(ctx context.Context) error { return s.queueMail(ctx, m) }); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeliverMail(ctx, sender); n != 0 || err != nil {
			t.Fatalf("deliver = %d, %v", n, err)
		}
		out, err := db.Outbox(ctx, "test", 10)
		if err != nil || len(out) != 1 {
			t.Fatal(out, err)
		}
		if !strings.Contains(out[0].LastError, "550") || strings.Contains(out[0].LastError, "leyla") {
			t.Errorf("outbox last_error = %q", out[0].LastError)
		}
		st, err := s.MailStatus(ctx, eyelevel.Actor{UserID: "admin", Role: eyelevel.RoleAdmin})
		if err != nil || len(st.Troubled) != 1 {
			t.Fatal(st, err)
		}
		answer, _ := json.Marshal(st)
		if strings.Contains(string(answer), "leyla") || !strings.Contains(string(answer), "550") {
			t.Errorf("admin answer = %s", answer)
		}
		if strings.Contains(logs.String(), "leyla") || !strings.Contains(logs.String(), "550") {
			t.Errorf("log = %s", logs.String())
		}
	})
}
