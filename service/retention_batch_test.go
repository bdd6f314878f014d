package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestRetentionBatchesNoStarving: with batches of two, five warned
// accounts still inside their notice at the head of the listing (the
// longest unused) do not keep two later ones from being warned, and the
// run pages through all of them; when the notice is over they are
// deleted and the later ones stay.
func TestRetentionBatchesNoStarving(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		start := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)
		clk := &clock{t: start}
		year := 360 * 24 * time.Hour
		cfg := service.Config{Retention: year}
		e := &env{t: t, ctx: context.Background(), db: db, svc: servicetest.NewServiceConfig(t, db, cfg, clk.Now), clock: clk}
		run := func() service.Retention {
			t.Helper()
			r, err := service.EnforceRetentionBatch(e.svc, e.ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		var early, late []eyelevel.Actor
		for i := range 5 {
			early = append(early, e.client(fmt.Sprintf("ret-batch-early-%d", i)))
		}
		for i := range 2 {
			late = append(late, e.client(fmt.Sprintf("ret-batch-late-%d", i)))
		}
		lastActive := func(a eyelevel.Actor, at time.Time) {
			t.Helper()
			if _, err := db.Exec(e.ctx, `UPDATE users SET last_active_at = $1 WHERE id = $2`, at.Unix(), string(a.UserID)); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range early {
			lastActive(a, start)
		}
		for _, a := range late {
			lastActive(a, start.Add(time.Hour))
		}

		clk.Advance(year - service.RetentionNotice + 30*time.Minute) // the early ones' warning is due
		if r := run(); r.Warned != 5 {
			t.Fatalf("first run: %+v, want the five early accounts warned across three batches", r)
		}
		clk.Advance(time.Hour) // the late ones' warning is due; the early ones are inside their notice
		if r := run(); r.Warned != 2 || r.Deleted != 0 {
			t.Fatalf("second run: %+v, want the two late accounts warned past the five warned ones", r)
		}
		for _, a := range append(early, late...) {
			if at, err := db.RetentionWarnedAt(e.ctx, a.UserID); err != nil || at.IsZero() {
				t.Errorf("%s not warned: %v", a.UserID, err)
			}
		}
		if r := run(); r != (service.Retention{}) {
			t.Fatalf("third run: %+v, want nothing to do", r)
		}

		clk.Advance(service.RetentionNotice - 30*time.Minute) // the early ones' notice is over, the late ones' not
		if r := run(); r.Deleted != 5 || r.Warned != 0 {
			t.Fatalf("deletion run: %+v, want the five early accounts deleted", r)
		}
		for _, a := range late {
			if _, err := db.UserByID(e.ctx, a.UserID); err != nil {
				t.Errorf("%s deleted: %v", a.UserID, err)
			}
		}
	})
}
