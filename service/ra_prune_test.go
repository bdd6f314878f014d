package service_test

import (
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// TestRaPruneOutbox: the janitor's PruneOutbox empties a given-up mail's
// body after 7 days (then it cannot be retried) and deletes sent and
// given-up mails after 30 days; waiting mails and younger ones stay.
func TestRaPruneOutbox(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		queue := func(id string) {
			now := w.clock.Now().UTC()
			if err := w.db.QueueMail(w.ctx, store.OutboxMail{ID: id, Kind: "ra", To: id + "@example.org", Language: "en", Subject: "s",
				Text: "https://eyelevel.example/password-reset/secret", HTML: "<p>secret</p>", CreatedAt: now, NextAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		sent := func(id string) {
			if _, err := w.db.MarkMailSent(w.ctx, id, w.clock.Now().UTC()); err != nil {
				t.Fatal(err)
			}
		}
		giveUp := func(id string) {
			now := w.clock.Now().UTC()
			if err := w.db.MarkMailRetry(w.ctx, id, now, "550", true, now); err != nil {
				t.Fatal(err)
			}
		}
		rows := func() map[string]store.OutboxMail {
			out, err := w.db.Outbox(w.ctx, "ra", 100)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]store.OutboxMail{}
			for _, o := range out {
				m[o.ID] = o
			}
			return m
		}
		prune := func(want int64) {
			t.Helper()
			if n, err := w.svc.PruneOutbox(w.ctx); n != want || err != nil {
				t.Fatalf("prune = %d, %v; want %d", n, err, want)
			}
		}
		admin := eyelevel.Actor{UserID: "admin", Role: eyelevel.RoleAdmin}

		queue("oldsent")
		sent("oldsent")
		queue("oldfailed")
		giveUp("oldfailed")
		queue("retried")
		giveUp("retried")
		queue("waiting")
		w.clock.Advance(6 * 24 * time.Hour)
		prune(0)
		if r := rows(); len(r) != 4 || r["oldfailed"].Text == "" {
			t.Fatalf("after 6 days: %+v", r)
		}
		if err := w.svc.RetryMail(w.ctx, admin, "retried"); err != nil {
			t.Fatalf("retry within a week: %v", err)
		}
		giveUp("retried") // given up again, 6 days later
		w.clock.Advance(2 * 24 * time.Hour)
		prune(0)
		r := rows()
		if r["oldfailed"].Text != "" || r["oldfailed"].HTML != "" || r["retried"].Text == "" || r["waiting"].Text == "" {
			t.Fatalf("after 8 days: %+v", r)
		}
		if err := w.svc.RetryMail(w.ctx, admin, "oldfailed"); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Errorf("retrying an emptied mail: %v", err)
		}
		queue("newsent")
		sent("newsent")
		w.clock.Advance(23 * 24 * time.Hour) // 31 days after the first
		prune(2)
		r = rows()
		if _, ok := r["oldsent"]; ok || len(r) != 3 {
			t.Fatalf("after 31 days: %+v", r)
		}
		if _, ok := r["oldfailed"]; ok {
			t.Error("a given-up mail older than 30 days stayed")
		}
		w.clock.Advance(10 * 24 * time.Hour)
		prune(2) // newsent and retried
		if r = rows(); len(r) != 1 || r["waiting"].Text == "" {
			t.Fatalf("after 41 days: %+v", r)
		}
	})
}
