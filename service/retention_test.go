package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestRetention: with a retention of a year, an account unused for eleven
// months is warned once (mail to its verified address, banner), deleted
// thirty days later; one that comes back after the warning stays; one
// with a session ahead is never touched; staff are never touched.
func TestRetention(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		start := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC) // a Monday
		clk := &clock{t: start}
		year := 360 * 24 * time.Hour
		cfg := service.Config{Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example"}, Retention: year}
		e := &env{t: t, ctx: context.Background(), db: db, svc: servicetest.NewServiceConfig(t, db, cfg, clk.Now), clock: clk}
		e.admin = e.user(eyelevel.RoleAdmin, "admin")
		x := e.counselor("ret-x", eyelevel.GenderMale, []string{"de"}, officeHours...)
		gone := e.client("ret-gone")
		back := e.client("ret-back")
		booked := e.client("ret-booked")
		if _, err := db.Exec(e.ctx, `UPDATE users SET email = 'gone@example.org', email_verified = 1, language = 'tr' WHERE id = $1`, string(gone.UserID)); err != nil {
			t.Fatal(err)
		}
		run := func() service.Retention {
			t.Helper()
			r, err := e.svc.EnforceRetention(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := run(); r != (service.Retention{}) {
			t.Fatalf("fresh accounts: %+v", r)
		}
		clk.Advance(year - service.RetentionNotice - time.Hour)
		if r := run(); r.Warned != 0 {
			t.Fatalf("an hour before the warning is due: %+v", r)
		}
		y, m, d := clk.Now().Date()
		e.book(booked, x, time.Date(y, m, d+2, 10, 0, 0, 0, time.UTC)) // a session ahead, on a Thursday
		clk.Advance(2 * time.Hour)
		if r := run(); r.Warned != 2 || r.Deleted != 0 {
			t.Fatalf("warning due: %+v, want gone and back warned", r)
		}
		if r := run(); r.Warned != 0 {
			t.Fatalf("warned twice: %+v", r)
		}
		mails, err := db.Outbox(e.ctx, "retention", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(mails) != 1 || mails[0].To != "gone@example.org" || !strings.Contains(mails[0].Text, "silinecek") {
			t.Fatalf("retention mails: %+v", mails)
		}
		w, err := e.svc.RetentionWarning(e.ctx, back)
		if err != nil || w.Warned.IsZero() || !w.Due.Equal(w.Warned.Add(service.RetentionNotice)) {
			t.Fatalf("banner data %+v %v", w, err)
		}
		// back signs in ten days later: the warning is withdrawn.
		clk.Advance(10 * 24 * time.Hour)
		if _, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "ret-back", Password: password, IP: e.ip()}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(e.ctx, mustToken(t, e, "ret-back"), "web"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(20*24*time.Hour - time.Hour)
		if r := run(); r.Deleted != 0 || r.Kept != 1 {
			t.Fatalf("an hour before the deletion: %+v, want back kept", r)
		}
		clk.Advance(2 * time.Hour)
		if r := run(); r.Deleted != 1 {
			t.Fatalf("deletion due: %+v", r)
		}
		if _, err := db.UserByID(e.ctx, gone.UserID); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Errorf("gone still exists: %v", err)
		}
		for _, a := range []eyelevel.Actor{back, booked, x, e.admin} {
			if _, err := db.UserByID(e.ctx, a.UserID); err != nil {
				t.Errorf("%s deleted: %v", a.UserID, err)
			}
		}
	})
}

// mustToken signs username in and returns the browser session's token.
func mustToken(t *testing.T, e *env, username string) string {
	t.Helper()
	s, err := e.svc.SignIn(e.ctx, service.Credentials{Username: username, Password: password, IP: e.ip()})
	if err != nil {
		t.Fatal(err)
	}
	return s.Token
}

// TestDeleteCounselor: an admin deletes a counselor; the upcoming
// session is cancelled with the client's mail and credit back, the
// counselor can no longer sign in nor be found, the client's past
// session stays; nobody else may.
func TestDeleteCounselor(t *testing.T) {
	eraseEach(t, func(t *testing.T, w *eraseWorld) {
		other := w.others[0]
		w.exec(`UPDATE users SET email = 'other@example.org', email_verified = 1 WHERE id = $1`, string(other.UserID))
		appt := w.book(other, w.x, time.Date(2026, 12, 11, 10, 0, 0, 0, time.UTC))
		poolBefore := w.poolUsed(w.k.ID)
		if err := w.svc.SeedSecondFactor(w.ctx, service.Operator, w.x.UserID, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); err != nil {
			t.Fatal(err)
		}
		for _, a := range []eyelevel.Actor{w.victim, w.x, {}} {
			if err := w.svc.DeleteCounselor(w.ctx, a, w.x.UserID); err == nil {
				t.Fatalf("%q deleted a counselor", a.Role)
			}
		}
		wantCode(t, w.svc.DeleteCounselor(w.ctx, w.admin, other.UserID), eyelevel.ENOTFOUND)
		if err := w.svc.DeleteCounselor(w.ctx, w.admin, w.x.UserID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.DeleteCounselor(w.ctx, w.admin, w.x.UserID), eyelevel.ENOTFOUND)
		if a, err := w.db.Appointment(w.ctx, appt.ID); err != nil || a.Status != eyelevel.StatusCancelled {
			t.Errorf("upcoming session: %v %v", a.Status, err)
		}
		if got := w.poolUsed(w.k.ID); got != poolBefore-2 { // the victim's and other's sessions
			t.Errorf("pool used %d, want %d", got, poolBefore-2)
		}
		mails, err := w.db.Outbox(w.ctx, "cancel", 10)
		if err != nil {
			t.Fatal(err)
		}
		to := map[string]bool{}
		for _, m := range mails {
			to[m.To] = true
		}
		if !to["other@example.org"] || !to[eraseEmail] || to["x@example.org"] {
			t.Errorf("cancellation mails to %v", to)
		}
		if _, err := w.svc.SignIn(w.ctx, service.Credentials{Username: "erase-x", Password: password, IP: w.ip()}); err == nil {
			t.Error("the deleted counselor can still sign in")
		}
		if _, err := w.svc.Counselor(w.ctx, eyelevel.Actor{}, w.x.UserID); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Errorf("public profile: %v", err)
		}
		cs, err := w.svc.Counselors(w.ctx, w.admin)
		if err != nil || len(cs) != 0 {
			t.Errorf("admin list: %v %v", cs, err)
		}
		past, _, err := w.svc.Appointments(w.ctx, other, true, service.Page{})
		if err != nil || len(past) < 2 {
			t.Errorf("the client's past sessions: %d, %v", len(past), err)
		}
		// The display name stays for the clients' history; the username,
		// the address and the mails to it are gone.
		u, err := w.db.UserByID(w.ctx, w.x.UserID)
		if err != nil || u.Username == "erase-x" || u.Email != "" {
			t.Errorf("the counselor's account: %q %q %v", u.Username, u.Email, err)
		}
		w.noTrace("x@example.org")
		// Nothing of the account's second factor or data key is left.
		for _, table := range []string{"second_factors", "second_factor_codes", "passkeys", "consents"} {
			var n int
			if err := w.raw.QueryRowContext(w.ctx, `SELECT count(*) FROM `+table+` WHERE user_id = $1`, string(w.x.UserID)).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d rows of the deleted counselor (%v)", table, n, err)
			}
		}
		var keys int
		if err := w.raw.QueryRowContext(w.ctx, `SELECT count(*) FROM client_keys WHERE client_id = $1`, string(w.x.UserID)).Scan(&keys); err != nil || keys != 0 {
			t.Errorf("client_keys: %d rows of the deleted counselor (%v)", keys, err)
		}
	})
}
