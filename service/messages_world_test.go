package service_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// msgWorld is a test world with mail on and a duty contact, and a raw
// connection to the database to look at what is stored.
type msgWorld struct {
	*env
	raw     *sql.DB
	dialect string
	dir     string // SQLite's data directory
}

const msgDuty = "duty@operator.example"

// msgEach runs fn on every dialect with a fresh msgWorld.
func msgEach(t *testing.T, fn func(t *testing.T, w *msgWorld)) {
	t.Helper()
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			db := storetest.OpenAt(t, dsn, dir)
			var raw *sql.DB
			var err error
			if d == store.SQLite {
				raw, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "eyelevel.db"))
			} else {
				raw, err = sql.Open("pgx", dsn)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			clk := &clock{t: monday}
			cfg := service.Config{Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example", DutyEmail: msgDuty}}
			e := &env{t: t, ctx: context.Background(), db: db, svc: servicetest.NewServiceConfig(t, db, cfg, clk.Now), clock: clk}
			e.admin = e.user(eyelevel.RoleAdmin, "admin")
			fn(t, &msgWorld{env: e, raw: raw, dialect: d, dir: dir})
		})
	}
}

// email gives the user a verified address.
func (w *msgWorld) email(a eyelevel.Actor, addr string) {
	w.t.Helper()
	if _, err := w.raw.ExecContext(w.ctx, `UPDATE users SET email = $1, email_verified = 1 WHERE id = $2`, addr, string(a.UserID)); err != nil {
		w.t.Fatal(err)
	}
}

// active records that the user made a request now.
func (w *msgWorld) active(a eyelevel.Actor) {
	w.t.Helper()
	if err := w.db.TouchUser(w.ctx, a.UserID, w.clock.Now()); err != nil {
		w.t.Fatal(err)
	}
}

// mails returns the queued mails of kind to addr.
func (w *msgWorld) mails(kind, addr string) []store.OutboxMail {
	w.t.Helper()
	all, err := w.db.Outbox(w.ctx, kind, 100)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []store.OutboxMail
	for _, m := range all {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

// pair creates a client and a counselor with a session tomorrow, both
// with verified addresses.
func (w *msgWorld) pair(name string) (client, counselor eyelevel.Actor) {
	w.t.Helper()
	counselor = w.counselor("c-"+name, eyelevel.GenderFemale, []string{"de*"}, officeHours...)
	client = w.client("k-" + name)
	w.book(client, counselor, at(1, 10, 0))
	w.email(client, name+"-client@example.org")
	w.email(counselor, name+"-counselor@example.org")
	return client, counselor
}

// healthWords must never appear in a mail.
var healthWords = []string{"suicid", "self-harm", "depress", "anxiety", "phq", "gad", "who-5", "crisis", "diagnos", "score", "Suizid", "Krise"}

// wantNeutral fails when the mail holds any of secrets or a health word.
func wantNeutral(t *testing.T, m store.OutboxMail, secrets ...string) {
	t.Helper()
	all := strings.ToLower(m.Subject + "\n" + m.Text + "\n" + m.HTML)
	for _, s := range append(secrets, healthWords...) {
		if strings.Contains(all, strings.ToLower(s)) {
			t.Errorf("%s mail contains %q:\n%s", m.Kind, s, m.Text)
		}
	}
}
