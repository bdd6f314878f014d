package service_test

import (
	"context"
	"slices"
	"testing"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestEncryptLegacy: rows written in plain text before encryption at rest
// (inserted here by SQL) are sealed by EncryptLegacy, their plain columns
// emptied, and every reader still gets them; a second run has nothing to do.
func TestEncryptLegacy(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			e, _, _ := encEnv(t, d)
			x := e.counselor("enc-old-x", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
			a := e.client("enc-old-client")
			ap := e.book(a, x, at(1, 10, 0))
			now := e.clock.Now().Unix()
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`UPDATE users SET email = $1, email_verified = 1 WHERE id = $2`, []any{"Enc.Legacy@example.org", string(a.UserID)}},
				{`INSERT INTO responses (id, client_id, instrument, language, occasion, answers, score, band, safety, created_at) VALUES ($1, $2, 'phq9', 'de', 'intake', '1,1,1,1,1,1,1,1,1', 9, 'mild', $3, $4)`,
					[]any{"legacyresponse", string(a.UserID), true, now}},
				{`INSERT INTO safety_alerts (id, client_id, source, response_id, created_at) VALUES ('legacyalert', $1, 'questionnaire', 'legacyresponse', $2)`, []any{string(a.UserID), now}},
				{`INSERT INTO ratings (appointment_id, counselor_id, client_id, stars, comment, created_at) VALUES ($1, $2, $3, 5, 'Eisvogel am Fluss', $4)`,
					[]any{string(ap.ID), string(x.UserID), string(a.UserID), now}},
				{`INSERT INTO account_tokens (token_hash, purpose, user_id, email, created_at, expires_at) VALUES ('legacytoken', 'verify', $1, 'enc.legacy.new@example.org', $2, $3)`,
					[]any{string(a.UserID), now, now + 86400}},
				{`INSERT INTO outbox (id, kind, to_addr, language, subject, body_text, body_html, ics, created_at, next_at) VALUES ('legacymail', 'test', 'enc.legacy@example.org', 'de', 'Betreff', 'Text vom Eisvogel', '<p>Eisvogel</p>', '', $1, $1)`,
					[]any{now}},
			} {
				if _, err := e.db.Exec(e.ctx, q.sql, q.args...); err != nil {
					t.Fatalf("%s: %v", q.sql, err)
				}
			}
			n, err := e.svc.EncryptLegacy(e.ctx)
			if err != nil || n != 6 {
				t.Fatalf("EncryptLegacy = %d, %v; want 6 rows", n, err)
			}
			if n, err := e.svc.EncryptLegacy(e.ctx); err != nil || n != 0 {
				t.Fatalf("second EncryptLegacy = %d, %v; want nothing to do", n, err)
			}
			for _, q := range []string{
				`SELECT count(*) FROM users WHERE email <> '' OR (email_verified = 1 AND (length(email_sealed) = 0 OR email_hash = ''))`,
				`SELECT count(*) FROM responses WHERE answers <> '' OR score <> 0 OR band <> '' OR length(sealed) = 0`,
				`SELECT count(*) FROM safety_alerts WHERE source <> '' OR response_id <> '' OR length(sealed) = 0`,
				`SELECT count(*) FROM ratings WHERE comment <> '' OR length(comment_sealed) = 0`,
				`SELECT count(*) FROM account_tokens WHERE email <> '' OR length(email_sealed) = 0`,
				`SELECT count(*) FROM outbox WHERE to_addr <> '' OR subject <> '' OR body_text <> '' OR body_html <> '' OR length(head_sealed) = 0`,
			} {
				if n, err := e.db.QueryInt(e.ctx, q); err != nil || n != 0 {
					t.Errorf("%s = %d, %v", q, n, err)
				}
			}

			rs, err := e.svc.Responses(e.ctx, a, "phq9")
			wantCode(t, err, "")
			if len(rs) != 1 || !slices.Equal(rs[0].Answers, []int{1, 1, 1, 1, 1, 1, 1, 1, 1}) || rs[0].Score != 9 || rs[0].Band != "mild" || !rs[0].Safety {
				t.Errorf("responses = %+v", rs)
			}
			al, err := e.svc.SafetyAlerts(e.ctx, x)
			wantCode(t, err, "")
			if len(al) != 1 || al[0].Source != "questionnaire" || al[0].ResponseID != "legacyresponse" {
				t.Errorf("alerts = %+v", al)
			}
			xp, err := e.svc.Export(e.ctx, a)
			wantCode(t, err, "")
			if len(xp.Ratings) != 1 || xp.Ratings[0].Comment != "Eisvogel am Fluss" || xp.Account.Email != "Enc.Legacy@example.org" {
				t.Errorf("export: %q, ratings %+v", xp.Account.Email, xp.Ratings)
			}
			set, err := e.svc.AccountSettings(e.ctx, a)
			wantCode(t, err, "")
			if set.PendingEmail != "enc.legacy.new@example.org" {
				t.Errorf("pending address = %q", set.PendingEmail)
			}
			out, err := e.db.Outbox(e.ctx, "test", 10)
			if err != nil || len(out) != 1 || out[0].To != "enc.legacy@example.org" || out[0].Subject != "Betreff" || out[0].Text != "Text vom Eisvogel" {
				t.Errorf("outbox = %+v, %v", out, err)
			}
			// The lookup hash finds the sealed address, whatever its case.
			wantCode(t, e.svc.RequestPasswordReset(e.ctx, service.ResetRequest{Email: "enc.legacy@EXAMPLE.org"}, e.ip()), "")
			if out, _ := e.db.Outbox(e.ctx, "reset", 10); len(out) != 1 || out[0].To != "Enc.Legacy@example.org" {
				t.Errorf("reset mail = %+v", out)
			}
		})
	}
}

// TestEncryptNoKey: without a master key, health data and addresses are
// refused (EUNAVAILABLE), never stored in plain text.
func TestEncryptNoKey(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		clk := &clock{t: monday}
		e := &env{t: t, ctx: context.Background(), db: db, clock: clk,
			svc: service.New(db, service.Config{Password: servicetest.CheapPasswords, SessionsPerDay: -1}, nil, clk.Now)}
		a := e.client("enc-nokey")
		_, err := e.svc.SubmitResponse(e.ctx, a, "phq9", answers(0, 0, 0, 0, 0, 0, 0, 0, 1))
		wantCode(t, err, eyelevel.EUNAVAILABLE)
		_, err = e.svc.RaiseAlert(e.ctx, a)
		wantCode(t, err, eyelevel.EUNAVAILABLE)
		_, err = e.svc.Register(e.ctx, service.RegisterInput{Username: "enc-nokey-mail", Password: password, Consent: true, Language: "de", TimeZone: "UTC", Email: "enc.nokey@example.org"}, e.ip())
		wantCode(t, err, eyelevel.EUNAVAILABLE)
		_, err = e.svc.EncryptLegacy(e.ctx)
		wantCode(t, err, eyelevel.EUNAVAILABLE)
		for _, q := range []string{`SELECT count(*) FROM responses`, `SELECT count(*) FROM safety_alerts`, `SELECT count(*) FROM users WHERE email <> '' OR length(email_sealed) > 0`} {
			if n, err := db.QueryInt(e.ctx, q); err != nil || n != 0 {
				t.Errorf("%s = %d, %v", q, n, err)
			}
		}
	})
}
