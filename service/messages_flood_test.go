package service_test

import (
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// TestMsgFloodLimited: a sender may write 30 messages an hour and 200 a
// day in a conversation; more get ETOOMANY and are not stored. The limit
// never blocks the other side or other users.
func TestMsgFloodLimited(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("flood")
		other := w.client("k-flood-other")
		w.book(other, counselor, at(1, 11, 0))
		send := func(from eyelevel.Actor, to eyelevel.UserID) error {
			_, err := w.svc.SendMessage(w.ctx, from, to, "hallo")
			return err
		}
		for i := range 30 {
			if err := send(client, counselor.UserID); err != nil {
				t.Fatalf("message %d: %v", i+1, err)
			}
		}
		wantCode(t, send(client, counselor.UserID), eyelevel.ETOOMANY)
		if err := send(counselor, client.UserID); err != nil {
			t.Errorf("the other side is blocked: %v", err)
		}
		if err := send(other, counselor.UserID); err != nil {
			t.Errorf("another client is blocked: %v", err)
		}
		th, err := w.svc.Messages(w.ctx, counselor, client.UserID)
		if err != nil || len(th.Messages) != 31 {
			t.Fatalf("thread holds %d messages (%v), want 31", len(th.Messages), err)
		}

		// A refused attempt does not count: after the hour 30 more go.
		sent := 30
		for sent < 200 {
			w.clock.Advance(61 * time.Minute)
			for range min(30, 200-sent) {
				if err := send(client, counselor.UserID); err != nil {
					t.Fatalf("message %d: %v", sent+1, err)
				}
				sent++
			}
		}
		w.clock.Advance(61 * time.Minute)
		wantCode(t, send(client, counselor.UserID), eyelevel.ETOOMANY)
		w.clock.Advance(24 * time.Hour)
		if err := send(client, counselor.UserID); err != nil {
			t.Errorf("the next day: %v", err)
		}
	})
}

// TestMsgFloodAbsenceExempt: a counselor who used up the hour's messages
// to a client can still cancel the sessions of an absence, which sends
// that client the absence message.
func TestMsgFloodAbsenceExempt(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("absent")
		for i := range 30 {
			if _, err := w.svc.SendMessage(w.ctx, counselor, client.UserID, "hallo"); err != nil {
				t.Fatalf("message %d: %v", i+1, err)
			}
		}
		ab, err := w.svc.AddAbsence(w.ctx, counselor, service.AbsenceInput{From: "2026-12-01", To: "2026-12-01", Message: "Ich bin krank."})
		if err != nil {
			t.Fatal(err)
		}
		if done, err := w.svc.CancelAbsenceSessions(w.ctx, counselor, ab.ID); err != nil || len(done) != 1 {
			t.Fatalf("cancel absence sessions = %d, %v", len(done), err)
		}
	})
}
