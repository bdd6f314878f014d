package service_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/questionnaire"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// encEnv is the package's env on a database whose location the test
// knows (to read its files), with mail on so that addresses reach the
// outbox too.
func encEnv(t *testing.T, dialect string) (*env, string, string) {
	t.Helper()
	dsn, dir := storetest.Location(t, dialect)
	db := storetest.OpenAt(t, dsn, dir)
	clk := &clock{t: monday}
	svc := servicetest.NewServiceConfig(t, db, service.Config{Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example"}}, clk.Now)
	e := &env{t: t, ctx: context.Background(), db: db, svc: svc, clock: clk}
	e.admin = e.user(eyelevel.RoleAdmin, "admin")
	return e, dsn, dir
}

// The plain text of the journey below; none of it may be found at rest.
var encSecrets = []string{
	"enc.lotusblume@example.org",   // the client's address
	"enc.kranich@example.org",      // the client's second address
	"enc.seeadler@example.org",     // the counselor's address, set by an admin
	"Zitronenfalter am Leuchtturm", // a rating's comment
	"Flussregenpfeifer ruft",       // a message
	"3,2,1,0,3,2,1,0,2",            // PHQ-9 answers (the safety item 2)
	"[3,2,1,0,3,2,1,0,2]",          // … as JSON
	"2,3,1,2", "1,4,0,5,2",         // the self-test's answers
	"[2,3,1,2]", "[1,4,0,5,2]",
}

// TestEncryptionAtRest: after a journey through every kind of health data
// and address, none of its plain text is in the SQLite files (database and
// write-ahead log) or in a dump of the PostgreSQL schema — and every
// reader still gets it back.
func TestEncryptionAtRest(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			e, dsn, dir := encEnv(t, d)
			x := e.counselor("enc-xenia", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
			_, err := e.svc.UpdateCounselor(e.ctx, e.admin, x.UserID, service.ProfileInput{DisplayName: "Xenia", Gender: eyelevel.GenderFemale, TimeZone: "UTC",
				Languages: []eyelevel.LanguageSkill{{Code: "de", Native: true}}, Email: new("enc.seeadler@example.org")})
			wantCode(t, err, "")
			u, err := e.svc.Register(e.ctx, service.RegisterInput{Username: "enc-client", Password: password, Consent: true, Language: "de", TimeZone: "Europe/Berlin", Email: "enc.lotusblume@example.org"}, e.ip())
			wantCode(t, err, "")
			a := actorOf(u)
			_, err = e.svc.UpdateSettings(e.ctx, a, service.SettingsInput{Email: new("enc.kranich@example.org")})
			wantCode(t, err, "")
			ap := e.book(a, x, at(1, 10, 0))

			_, err = e.svc.SubmitSelfTest(e.ctx, a, service.SelfTestInput{PHQ4: questionnaire.Ints(2, 3, 1, 2), WHO5: questionnaire.Ints(1, 4, 0, 5, 2)})
			wantCode(t, err, "")
			r, err := e.svc.SubmitResponse(e.ctx, a, "phq9", answers(3, 2, 1, 0, 3, 2, 1, 0, 2))
			wantCode(t, err, "")
			if !r.Safety {
				t.Fatal("the safety item raised no alert")
			}
			_, err = e.svc.RaiseAlert(e.ctx, a)
			wantCode(t, err, "")
			_, err = e.svc.SendMessage(e.ctx, a, x.UserID, "Flussregenpfeifer ruft")
			wantCode(t, err, "")
			e.clock.Advance(at(1, 11, 0).Sub(e.clock.Now()))
			_, err = e.svc.Rate(e.ctx, a, ap.ID, service.RatingInput{Stars: 4, Comment: "Zitronenfalter am Leuchtturm"})
			wantCode(t, err, "")

			// Every reader opens what it needs.
			encCheckReads(t, e, a, x)

			if d == store.SQLite {
				encScanFiles(t, dir)
			} else {
				encScanPostgres(t, dsn)
			}
		})
	}
}

// encCheckReads checks that the journey's data reads back in plain text.
func encCheckReads(t *testing.T, e *env, a, x eyelevel.Actor) {
	t.Helper()
	rs, err := e.svc.Responses(e.ctx, a, "phq9")
	wantCode(t, err, "")
	if len(rs) != 1 || !slices.Equal(rs[0].Answers, []int{3, 2, 1, 0, 3, 2, 1, 0, 2}) || rs[0].Score != 14 || rs[0].Band != "moderate" || !rs[0].Safety {
		t.Errorf("responses = %+v", rs)
	}
	al, err := e.svc.SafetyAlerts(e.ctx, x)
	wantCode(t, err, "")
	var sources []string
	for _, v := range al {
		sources = append(sources, v.Source)
	}
	slices.Sort(sources)
	if !slices.Equal(sources, []string{"client", "questionnaire"}) {
		t.Errorf("alert sources = %q", sources)
	}
	xp, err := e.svc.Export(e.ctx, a)
	wantCode(t, err, "")
	// The unverified first address was replaced at once by the second,
	// which waits for its verification.
	if xp.Account.Email != "enc.kranich@example.org" || len(xp.Ratings) != 1 || xp.Ratings[0].Comment != "Zitronenfalter am Leuchtturm" ||
		len(xp.SafetyAlerts) != 2 || len(xp.Responses) != 3 || xp.Responses[0].Answers == nil {
		t.Errorf("export: email %q, ratings %+v, %d alerts, responses %+v", xp.Account.Email, xp.Ratings, len(xp.SafetyAlerts), xp.Responses)
	}
	set, err := e.svc.AccountSettings(e.ctx, a)
	wantCode(t, err, "")
	if set.Email != "enc.kranich@example.org" || set.PendingEmail != "enc.kranich@example.org" {
		t.Errorf("settings: %q, pending %q", set.Email, set.PendingEmail)
	}
	out, err := e.db.Outbox(e.ctx, "", 100)
	wantCode(t, err, "")
	var to []string
	for _, m := range out {
		to = append(to, m.To)
	}
	if !slices.Contains(to, "enc.lotusblume@example.org") || !slices.Contains(to, "enc.kranich@example.org") || !slices.Contains(to, "enc.seeadler@example.org") {
		t.Errorf("outbox recipients = %q", to)
	}
}

// encFind reports which secrets occur in b, as they are or hex-encoded
// (as PostgreSQL writes bytea).
func encFind(b []byte) []string {
	var found []string
	lower := bytes.ToLower(b)
	for _, s := range encSecrets {
		if bytes.Contains(lower, []byte(strings.ToLower(s))) || bytes.Contains(lower, []byte(hex.EncodeToString([]byte(strings.ToLower(s))))) {
			found = append(found, s)
		}
	}
	return found
}

// encScanFiles reads every SQLite file of the data directory.
func encScanFiles(t *testing.T, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "eyelevel.db*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no database files in %s: %v", dir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if found := encFind(b); len(found) > 0 {
			t.Errorf("%s holds in plain text: %q", filepath.Base(f), found)
		}
	}
}

// encScanPostgres dumps the test's schema — every column of every table as
// text, and with pg_dump when it is installed — and scans the dump.
func encScanPostgres(t *testing.T, dsn string) {
	t.Helper()
	raw := storetest.Raw(t, dsn, "")
	ctx := context.Background()
	rows, err := raw.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("only %d tables: %q", len(tables), tables)
	}
	var dump bytes.Buffer
	for _, tb := range tables {
		rs, err := raw.QueryContext(ctx, `SELECT t::text FROM "`+tb+`" t`)
		if err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		for rs.Next() {
			var line string
			if err := rs.Scan(&line); err != nil {
				t.Fatal(err)
			}
			dump.WriteString(tb + ": " + line + "\n")
		}
		rs.Close()
	}
	if found := encFind(dump.Bytes()); len(found) > 0 {
		t.Errorf("the schema's rows hold in plain text: %q", found)
	}
	if _, err := exec.LookPath("pg_dump"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pg_dump is not installed (.ci/run installs postgresql-client)")
		}
		t.Log("pg_dump is not installed; the rows were scanned through SQL only")
		return
	}
	i := strings.Index(dsn, "search_path=")
	schema, _, _ := strings.Cut(dsn[i+len("search_path="):], "&")
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	b, err := exec.CommandContext(ctx, "pg_dump", "--dbname="+dsn[:i-1], "--schema="+schema, "--no-owner").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pg_dump did not run: %v", err)
		}
		t.Logf("pg_dump did not run (%v); the rows were scanned through SQL only", err)
		return
	}
	if !bytes.Contains(b, []byte("COPY "+schema+".responses")) {
		t.Errorf("pg_dump wrote no responses: %.300s", b)
	}
	if found := encFind(b); len(found) > 0 {
		t.Errorf("pg_dump holds in plain text: %q", found)
	}
}
