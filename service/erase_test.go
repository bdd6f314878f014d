package service_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/mail/mailtest"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// eraseNow is the clock of the deletion tests: Thursday 3 December 2026.
// The third quarter (and August) closed long enough ago to be final;
// November closed two days ago, inside the correction window.
var eraseNow = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

const (
	eraseComment = "Erinnerung-an-Zeynep-4711" // a rating comment: plaintext in the database
	eraseEmail   = "erin.victim@example.org"
)

// eraseWorld is a deletion test's world: mail on, a raw handle on the
// database, a counselor, and a contract whose closed months hold the
// sessions of ten clients, one of whom (victim) will delete their account.
type eraseWorld struct {
	*env
	dsn, dir string
	raw      *sql.DB
	x        eyelevel.Actor
	k        eyelevel.Contract
	victim   eyelevel.Actor
	others   []eyelevel.Actor
	upcoming eyelevel.Appointment
}

func eraseEach(t *testing.T, fn func(t *testing.T, w *eraseWorld)) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			db := storetest.OpenAt(t, dsn, dir)
			clk := &clock{t: eraseNow}
			cfg := service.Config{Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example"}, Retention: 12 * 30 * 24 * time.Hour}
			e := &env{t: t, ctx: context.Background(), db: db, svc: servicetest.NewServiceConfig(t, db, cfg, clk.Now), clock: clk}
			e.admin = e.user(eyelevel.RoleAdmin, "admin")
			w := &eraseWorld{env: e, dsn: dsn, dir: dir, raw: storetest.Raw(t, dsn, dir)}
			w.build()
			fn(t, w)
		})
	}
}

func (w *eraseWorld) exec(q string, args ...any) {
	w.t.Helper()
	// Through the store: its connections overwrite what they delete
	// (secure_delete), a raw one would leave old row versions behind.
	if _, err := w.db.Exec(w.ctx, q, args...); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
}

// held records a session of client c held at start, paid by the
// contract, with a rated comment.
func (w *eraseWorld) held(c eyelevel.Actor, credit string, start time.Time, comment string) eyelevel.Appointment {
	w.t.Helper()
	a := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: w.x.UserID, ClientID: c.UserID, Start: start, End: start.Add(50 * time.Minute),
		Status: eyelevel.StatusBooked, CreatedAt: start.Add(-24 * time.Hour), PaidBy: eyelevel.PaidOrganization, CreditID: credit, ContractID: w.k.ID}
	if err := w.db.CreateAppointment(w.ctx, a); err != nil {
		w.t.Fatal(err)
	}
	w.exec(`UPDATE appointments SET attendance = 'held' WHERE id = $1`, string(a.ID))
	if err := w.db.CreateRating(w.ctx, eyelevel.Rating{AppointmentID: a.ID, CounselorID: w.x.UserID, ClientID: c.UserID, Stars: 4, Comment: comment, CreatedAt: a.End}); err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *eraseWorld) build() {
	t := w.t
	w.x = w.counselor("erase-x", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
	w.exec(`UPDATE users SET email = 'x@example.org', email_verified = 1 WHERE id = $1`, string(w.x.UserID))
	w.k = w.storedContract(eyelevel.Contract{Starts: "2026-07-01", Ends: "2026-12-31"})
	for i := range 10 {
		name := fmt.Sprintf("erase-other-%d", i)
		if i == 0 {
			name = "erin-victim"
		}
		c := w.client(name)
		cr := w.grant(c, w.k, true)
		comment := ""
		if i == 0 {
			w.victim, comment = c, eraseComment
		} else {
			w.others = append(w.others, c)
		}
		w.held(c, cr.ID, time.Date(2026, 8, 10, 8+i, 0, 0, 0, time.UTC), comment)
		w.held(c, cr.ID, time.Date(2026, 11, 24, 8+i, 0, 0, 0, time.UTC), comment)
	}
	w.exec(`UPDATE users SET email = $1, email_verified = 1 WHERE id = $2`, eraseEmail, string(w.victim.UserID))
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// Everything a client leaves behind, through the service.
	w.upcoming = w.book(w.victim, w.x, time.Date(2026, 12, 10, 10, 0, 0, 0, time.UTC))
	if w.upcoming.PaidBy != eyelevel.PaidOrganization {
		t.Fatalf("upcoming session paid by %q, want the organization", w.upcoming.PaidBy)
	}
	_, err := w.svc.SubmitResponse(w.ctx, w.victim, "gad7", answers(3, 3, 3, 3, 3, 3, 3))
	must("response", err)
	_, err = w.svc.SaveReflection(w.ctx, w.victim, 4, service.ReflectionInput{Text: "Parisa fehlt mir", Shared: true})
	must("reflection", err)
	_, err = w.svc.SendMessage(w.ctx, w.victim, w.x.UserID, "Hallo, ich bin es")
	must("message", err)
	_, err = w.svc.SendMessage(w.ctx, w.x, w.victim.UserID, "Guten Tag")
	must("reply", err)
	_, err = w.svc.RaiseAlert(w.ctx, w.victim)
	must("alert", err)
	err = w.svc.JoinWaitlist(w.ctx, w.victim, service.SearchInput{Language: "ar"})
	must("waitlist", err)
	w.exec(`INSERT INTO room_events (appointment_id, user_id, event, at) VALUES ($1, $2, 'joined', $3)`, string(w.upcoming.ID), string(w.victim.UserID), eraseNow.Unix())
}

func (w *eraseWorld) jsonOf(v any, err error) string {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}

// reports returns the closed-period reports that must not change (the
// impact report's third quarter, the contract's August and third
// quarter) and November's, still open to corrections.
func (w *eraseWorld) reports() (closed []string, november string) {
	w.t.Helper()
	q3from, q3to := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	closed = append(closed, w.jsonOf(w.svc.ImpactReport(w.ctx, w.admin, q3from, q3to)))
	closed = append(closed, w.jsonOf(w.svc.BuyerReport(w.ctx, w.admin, w.k.ID, q3from, q3to)))
	aug, augEnd := month(time.August)
	closed = append(closed, w.jsonOf(w.svc.BuyerReport(w.ctx, w.admin, w.k.ID, aug, augEnd)))
	nov, novEnd := month(time.November)
	return closed, w.jsonOf(w.svc.BuyerReport(w.ctx, w.admin, w.k.ID, nov, novEnd))
}

// TestEraseAccount: a client deletes their account; nothing in the
// database names them afterwards, closed periods' reports are
// byte-identical, November's change, the organization's session comes
// back and the counselor has the cancellation mail.
func TestEraseAccount(t *testing.T) {
	eraseEach(t, func(t *testing.T, w *eraseWorld) {
		closedBefore, novBefore := w.reports()
		if !strings.Contains(closedBefore[2], `"SessionsHeld":{"Value":10,"N":10,"Suppressed":false}`) {
			t.Fatalf("August before: %s", closedBefore[2])
		}
		poolBefore := w.poolUsed(w.k.ID)
		// Mail to the client is sealed in the outbox (encrypt_outbox.go);
		// the deletion must find it all the same.
		if n := w.mailsTo(eraseEmail); n == 0 {
			t.Fatal("no mail to the client queued before the deletion: the check below would prove nothing")
		}

		// The export works until the deletion.
		ex, err := w.svc.Export(w.ctx, w.victim)
		if err != nil || len(ex.Messages) != 2 || len(ex.Ratings) != 2 {
			t.Fatalf("export before: %d messages, %d ratings, %v", len(ex.Messages), len(ex.Ratings), err)
		}
		// A wrong password deletes nothing.
		wantField(t, w.svc.DeleteAccount(w.ctx, w.victim, "wrong password here"), "password")
		wantField(t, w.svc.DeleteAccount(w.ctx, w.victim, ""), "password")
		if _, err := w.db.UserByID(w.ctx, w.victim.UserID); err != nil {
			t.Fatalf("after a wrong password: %v", err)
		}
		if a, err := w.db.Appointment(w.ctx, w.upcoming.ID); err != nil || a.Status != eyelevel.StatusBooked {
			t.Fatalf("after a wrong password: %v %v", a.Status, err)
		}
		wantCode(t, w.svc.DeleteAccount(w.ctx, w.x, password), eyelevel.EFORBIDDEN)

		if err := w.svc.DeleteAccount(w.ctx, w.victim, password); err != nil {
			t.Fatal(err)
		}

		if _, err := w.svc.Export(w.ctx, w.victim); err == nil {
			t.Error("export after the deletion worked")
		}
		if _, err := w.svc.SignIn(w.ctx, service.Credentials{Username: "erin-victim", Password: password, IP: "10.9.9.9"}); err == nil {
			t.Error("the deleted username can still sign in")
		}
		closedAfter, novAfter := w.reports()
		for i := range closedBefore {
			if closedBefore[i] != closedAfter[i] {
				t.Errorf("closed report %d changed:\nbefore %s\nafter  %s", i, closedBefore[i], closedAfter[i])
			}
		}
		if novBefore == novAfter {
			t.Errorf("November, still open to corrections, did not change: %s", novAfter)
		}
		if got := w.poolUsed(w.k.ID); got != poolBefore-1 {
			t.Errorf("pool used %d, want %d (the cancelled session back)", got, poolBefore-1)
		}
		if n := w.mailsTo(eraseEmail); n != 0 {
			t.Errorf("%d mails to the deleted client still in the outbox", n)
		}
		mails, err := w.db.Outbox(w.ctx, "cancel", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(mails) != 1 || mails[0].To != "x@example.org" || !strings.Contains(mails[0].Text, "Konto gelöscht") {
			t.Errorf("cancellation mails: %+v", mails)
		}
		// The counselor receives it, in German, naming nobody.
		sender, srv := kindsSender(t)
		if _, err := w.svc.DeliverMail(w.ctx, sender); err != nil {
			t.Fatal(err)
		}
		arrived := false
		for _, rc := range srv.Messages() {
			p, err := rc.Parse()
			if err != nil {
				t.Fatal(err)
			}
			if rc.To[0] == "x@example.org" && strings.Contains(p.Text, "Konto gelöscht") {
				arrived = true
				if probs := mailtest.Clean(p, "erin", string(w.victim.UserID)); len(probs) > 0 {
					t.Errorf("cancellation mail: %v", probs)
				}
			}
		}
		if !arrived {
			t.Errorf("the counselor's cancellation mail did not arrive (%d mails)", len(srv.Messages()))
		}
		w.noTrace(string(w.victim.UserID), "erin-victim", eraseEmail, eraseComment)
		if w.dsn == "" {
			w.noTraceInFiles("erin-victim", eraseComment, eraseEmail)
		}
		entries, err := w.db.AuditAfter(w.ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(entries); n == 0 || entries[n-1].What != eyelevel.ActionAccountDeleted || entries[n-1].SubjectID != "" || entries[n-1].ActorID != "" {
			t.Errorf("no anonymous tombstone at the end of the access log: %+v", entries)
		}
	})
}

// noTrace fails when any text or blob column of any table holds one of
// needles (case-insensitive).
func (w *eraseWorld) noTrace(needles ...string) {
	w.t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if w.dsn != "" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	tables := eraseStrings(w.t, w.raw, q)
	if len(tables) < 30 {
		w.t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	for _, table := range tables {
		rows, err := w.raw.QueryContext(w.ctx, `SELECT * FROM `+table)
		if err != nil {
			w.t.Fatalf("%s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				w.t.Fatal(err)
			}
			for i, v := range vals {
				var s string
				switch v := v.(type) {
				case string:
					s = v
				case []byte:
					s = string(v)
				default:
					continue
				}
				for _, n := range needles {
					if strings.Contains(strings.ToLower(s), strings.ToLower(n)) {
						w.t.Errorf("table %s column %s still holds %q", table, cols[i], n)
					}
				}
			}
		}
		rows.Close()
	}
}

// noTraceInFiles fails when SQLite's database file or its write-ahead
// log holds one of needles: deleted content must be overwritten.
func (w *eraseWorld) noTraceInFiles(needles ...string) {
	w.t.Helper()
	for _, name := range []string{"eyelevel.db", "eyelevel.db-wal"} {
		b, err := os.ReadFile(filepath.Join(w.dir, name))
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			w.t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				w.t.Errorf("%s (%d bytes) still holds %q", name, len(b), n)
			}
		}
	}
}

func eraseStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// forgetSnapshots deletes the stored figures of closed report periods,
// for tests that change a period's data after reading its report.
func (e *env) forgetSnapshots() {
	e.t.Helper()
	if _, err := e.db.Exec(e.ctx, `DELETE FROM report_snapshots`); err != nil {
		e.t.Fatal(err)
	}
}

var _ = store.SQLite

// mailsTo counts the outbox's mails to addr (opened from their sealed form).
func (w *eraseWorld) mailsTo(addr string) int {
	w.t.Helper()
	mails, err := w.db.Outbox(w.ctx, "", 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, m := range mails {
		if strings.EqualFold(m.To, addr) {
			n++
		}
	}
	return n
}
