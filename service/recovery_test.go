package service_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// acctWorld is a service with mail switched on, on a test clock.
type acctWorld struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	svc   *service.Service
	clock *clock
	n     int
}

func acctEach(t *testing.T, fn func(t *testing.T, w *acctWorld)) {
	t.Helper()
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		clk := &clock{t: monday}
		cfg := service.Config{Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example"}}
		fn(t, &acctWorld{t: t, ctx: context.Background(), db: db, svc: servicetest.NewServiceConfig(t, db, cfg, clk.Now), clock: clk})
	})
}

func (w *acctWorld) ip() string {
	w.n++
	return fmt.Sprintf("10.9.%d.%d", w.n/256, w.n%256)
}

// signUp registers a client with email (verified by its link when
// verify) and returns the account.
func (w *acctWorld) signUp(username, email, lang string, verify bool) service.NewAccount {
	w.t.Helper()
	a, err := w.svc.SignUp(w.ctx, service.RegisterInput{Username: username, Password: password, Language: lang, TimeZone: "Europe/Berlin", Email: email, Consent: true}, w.ip())
	if err != nil {
		w.t.Fatalf("sign up %s: %v", username, err)
	}
	if verify {
		if err := w.svc.VerifyEmail(w.ctx, w.lastToken("verify", email)); err != nil {
			w.t.Fatalf("verify %s: %v", email, err)
		}
	}
	return a
}

var acctLink = regexp.MustCompile(`https://eyelevel\.example/(?:password-reset|verify-email)/([A-Za-z0-9_-]+)`)

// mails returns the queued mails of kind to addr, newest first.
func (w *acctWorld) mails(kind, addr string) []store.OutboxMail {
	w.t.Helper()
	all, err := w.db.Outbox(w.ctx, kind, 1000)
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

// lastToken is the token of the newest mail of kind to addr.
func (w *acctWorld) lastToken(kind, addr string) string {
	w.t.Helper()
	ms := w.mails(kind, addr)
	if len(ms) == 0 {
		w.t.Fatalf("no %s mail to %s", kind, addr)
	}
	m := acctLink.FindStringSubmatch(ms[0].Text)
	if m == nil {
		w.t.Fatalf("no link in %q", ms[0].Text)
	}
	return m[1]
}

func (w *acctWorld) tokens(purpose string) int {
	w.t.Helper()
	n, err := w.db.CountAccountTokens(w.ctx, purpose)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

var recoveryShape = regexp.MustCompile(`^[2-9A-HJ-NP-Z]{5}(-[2-9A-HJ-NP-Z]{5}){3}$`)

// TestAcctResetByMail: a reset link from the mail sets a new password once,
// ends every session, and replaces the recovery code; a used or expired
// link is refused.
func TestAcctResetByMail(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		a := w.signUp("amira", "amira@example.org", "ar", true)
		if !recoveryShape.MatchString(a.RecoveryCode) {
			t.Fatalf("recovery code %q", a.RecoveryCode)
		}
		api, _, _, err := w.svc.Login(w.ctx, "amira", password, w.ip(), true)
		if err != nil {
			t.Fatal(err)
		}
		web, _, _, err := w.svc.Login(w.ctx, "amira", password, w.ip(), false)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.RequestPasswordReset(w.ctx, service.ResetRequest{Username: "AMIRA"}, w.ip()); err != nil {
			t.Fatal(err)
		}
		ms := w.mails("reset", "amira@example.org")
		if len(ms) != 1 || ms[0].Language != "ar" {
			t.Fatalf("reset mails = %+v", ms)
		}
		tok := w.lastToken("reset", "amira@example.org")
		wantField(t, func() error { _, err := w.svc.ResetPassword(w.ctx, tok, "short", w.ip()); return err }(), "password")
		rec, err := w.svc.ResetPassword(w.ctx, tok, "a new long password", w.ip())
		if err != nil || rec.UserID != a.ID {
			t.Fatal(rec, err)
		}
		code := rec.RecoveryCode
		if !recoveryShape.MatchString(code) || code == a.RecoveryCode {
			t.Fatalf("new recovery code %q (old %q)", code, a.RecoveryCode)
		}
		for _, s := range []struct{ tok, kind string }{{api, service.SessionAPI}, {web, service.SessionWeb}} {
			if _, err := w.svc.Authenticate(w.ctx, s.tok, s.kind); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
				t.Errorf("%s session after reset: %v", s.kind, err)
			}
		}
		if _, _, _, err := w.svc.Login(w.ctx, "amira", password, w.ip(), true); err == nil {
			t.Error("the old password still works")
		}
		if _, _, _, err := w.svc.Login(w.ctx, "amira", "a new long password", w.ip(), true); err != nil {
			t.Errorf("new password: %v", err)
		}
		_, err = w.svc.ResetPassword(w.ctx, tok, "another long password", w.ip())
		wantCode(t, err, eyelevel.EINVALID)
		if _, err := w.svc.RecoverWithCode(w.ctx, service.RecoverInput{Username: "amira", RecoveryCode: a.RecoveryCode, Password: "another long password"}, w.ip()); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
			t.Errorf("old recovery code after reset: %v", err)
		}

		// A link older than an hour is refused, and changes nothing.
		if err := w.svc.RequestPasswordReset(w.ctx, service.ResetRequest{Email: "Amira@Example.org"}, w.ip()); err != nil {
			t.Fatal(err)
		}
		tok = w.lastToken("reset", "amira@example.org")
		w.clock.Advance(61 * time.Minute)
		_, err = w.svc.ResetPassword(w.ctx, tok, "another long password", w.ip())
		wantCode(t, err, eyelevel.EINVALID)
		wantCode(t, w.svc.CheckResetToken(w.ctx, tok), eyelevel.EINVALID)
		if _, _, _, err := w.svc.Login(w.ctx, "amira", "a new long password", w.ip(), true); err != nil {
			t.Errorf("password after the expired link: %v", err)
		}
		if n, err := w.svc.SweepSessions(w.ctx); err != nil || w.tokens(store.TokenReset) != 0 {
			t.Errorf("sweep: %d, %v; reset tokens left %d", n, err, w.tokens(store.TokenReset))
		}
	})
}

// TestAcctResetNoEnumeration: for a known and an unknown username, a
// verified, an unverified and an unknown address, the answer is the same
// (no error) and so is the work: one token row each; mail only where it
// may go.
func TestAcctResetNoEnumeration(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		w.signUp("bahar", "bahar@example.org", "fa", true)
		w.signUp("cem", "cem@example.org", "tr", false)
		w.signUp("dara", "", "kmr", false)
		for _, in := range []service.ResetRequest{
			{Username: "bahar"}, {Username: "nobody-here"}, {Username: "cem"}, {Username: "dara"},
			{Email: "bahar@example.org"}, {Email: "nobody@example.org"}, {Email: "cem@example.org"},
		} {
			before, checks := w.tokens(store.TokenReset), w.svc.PasswordChecks()
			if err := w.svc.RequestPasswordReset(w.ctx, in, w.ip()); err != nil {
				t.Errorf("%+v: %v", in, err)
			}
			if got := w.tokens(store.TokenReset) - before; got != 1 {
				t.Errorf("%+v: %d token rows written, want 1", in, got)
			}
			if w.svc.PasswordChecks() != checks {
				t.Errorf("%+v: hashed a password", in)
			}
		}
		if n := len(w.mails("reset", "bahar@example.org")); n != 2 {
			t.Errorf("%d mails to the verified address, want 2", n)
		}
		if n := len(w.mails("reset", "cem@example.org")); n != 0 {
			t.Errorf("%d reset mails to an unverified address", n)
		}
		for _, bad := range []service.ResetRequest{{}, {Username: "x", Email: "x@example.org"}, {Email: "not an address"}} {
			wantCode(t, w.svc.RequestPasswordReset(w.ctx, bad, w.ip()), eyelevel.EINVALID)
		}
	})
}

// TestAcctRecoverWithCode: the recovery code sets a new password and is
// replaced; a wrong code and an unknown username are refused with one
// error, after the same work (one password hash each).
func TestAcctRecoverWithCode(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		a := w.signUp("esra", "", "tr", false)
		tok, _, _, err := w.svc.Login(w.ctx, "esra", password, w.ip(), true)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []service.RecoverInput{
			{Username: "esra", RecoveryCode: "AAAAA-BBBBB-CCCCC-DDDDD"},
			{Username: "nobody-here", RecoveryCode: a.RecoveryCode},
			{Username: "esra", RecoveryCode: ""},
		} {
			in.Password = "a new long password"
			checks := w.svc.PasswordChecks()
			_, err := w.svc.RecoverWithCode(w.ctx, in, w.ip())
			wantKey(t, err, eyelevel.EUNAUTHORIZED, "recovery.err.wrong")
			if got := w.svc.PasswordChecks() - checks; got != 1 {
				t.Errorf("%+v: %d hashes, want 1", in, got)
			}
		}
		_, err = w.svc.RecoverWithCode(w.ctx, service.RecoverInput{Username: "esra", RecoveryCode: a.RecoveryCode, Password: "short"}, w.ip())
		wantField(t, err, "password")
		// Typed from paper: lower case, spaces instead of dashes.
		typed := regexp.MustCompile(`-`).ReplaceAllString(a.RecoveryCode, " ")
		checks := w.svc.PasswordChecks()
		rec, err := w.svc.RecoverWithCode(w.ctx, service.RecoverInput{Username: "Esra", RecoveryCode: lower(typed), Password: "a new long password"}, w.ip())
		if err != nil || rec.UserID != a.ID {
			t.Fatal(rec, err)
		}
		code := rec.RecoveryCode
		if got := w.svc.PasswordChecks() - checks; got != 1 {
			t.Errorf("%d hashes for the right code, want 1", got)
		}
		if !recoveryShape.MatchString(code) || code == a.RecoveryCode {
			t.Fatalf("new code %q", code)
		}
		if _, err := w.svc.Authenticate(w.ctx, tok, service.SessionAPI); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
			t.Errorf("session after recovery: %v", err)
		}
		if _, err := w.svc.RecoverWithCode(w.ctx, service.RecoverInput{Username: "esra", RecoveryCode: a.RecoveryCode, Password: "third long password"}, w.ip()); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
			t.Errorf("the used code works again: %v", err)
		}
		if _, err := w.svc.RecoverWithCode(w.ctx, service.RecoverInput{Username: "esra", RecoveryCode: code, Password: "third long password"}, w.ip()); err != nil {
			t.Errorf("the new code: %v", err)
		}
	})
}

// TestAcctFlood: an attacker flooding reset requests and recovery guesses
// for one account gets a bounded number of mails and hashes, and the owner
// still logs in.
func TestAcctFlood(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		w.signUp("farid", "farid@example.org", "ps", true)
		checks := w.svc.PasswordChecks()
		refused := 0
		for i := 0; i < 200; i++ {
			ip := w.ip()
			if err := w.svc.RequestPasswordReset(w.ctx, service.ResetRequest{Username: "farid"}, ip); err != nil {
				t.Fatal(err)
			}
			_, err := w.svc.RecoverWithCode(w.ctx, service.RecoverInput{Username: "farid", RecoveryCode: "AAAAA-BBBBB-CCCCC-DDDDD", Password: "a new long password"}, ip)
			if eyelevel.ErrorCode(err) == eyelevel.ETOOMANY {
				refused++
			}
		}
		if n := len(w.mails("reset", "farid@example.org")); n != 3 {
			t.Errorf("%d reset mails in the flood, want 3", n)
		}
		if got := w.svc.PasswordChecks() - checks; got != 5 || refused != 195 {
			t.Errorf("%d hashes, %d refused; want 5 and 195", got, refused)
		}
		// One address cannot flood either, whatever it asks for.
		ip := w.ip()
		var err error
		for i := 0; i < 11; i++ {
			err = w.svc.RequestPasswordReset(w.ctx, service.ResetRequest{Username: "someone-" + string(rune('a'+i))}, ip)
		}
		wantCode(t, err, eyelevel.ETOOMANY)
		if _, _, _, err := w.svc.Login(w.ctx, "farid", password, w.ip(), false); err != nil {
			t.Errorf("the owner cannot log in: %v", err)
		}
		w.clock.Advance(61 * time.Minute)
		if err := w.svc.RequestPasswordReset(w.ctx, service.ResetRequest{Username: "farid"}, w.ip()); err != nil || len(w.mails("reset", "farid@example.org")) != 4 {
			t.Errorf("an hour later: %v, %d mails", err, len(w.mails("reset", "farid@example.org")))
		}
	})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TestAcctResetEndsDevices: a device token exempts its browser from the
// per-address login limits (failures count on the device, wherever it
// is); after a reset it is worth nothing.
func TestAcctResetEndsDevices(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		a := w.signUp("nasrin", "", "fa", false)
		in, err := w.svc.SignIn(w.ctx, service.Credentials{Username: "nasrin", Password: password, IP: w.ip()})
		if err != nil || in.Device == "" {
			t.Fatalf("sign in: %+v, %v", in, err)
		}
		// failures returns the errors of six wrong passwords from six
		// addresses with the device token.
		failures := func() []string {
			var codes []string
			for i := 0; i < 6; i++ {
				_, err := w.svc.SignIn(w.ctx, service.Credentials{Username: "nasrin", Password: "wrong password!", IP: w.ip(), Device: in.Device})
				codes = append(codes, eyelevel.ErrorCode(err))
			}
			return codes
		}
		if got := failures(); got[5] != eyelevel.ETOOMANY {
			t.Fatalf("the device's own limit did not apply: %v", got)
		}
		if _, err := w.svc.RecoverWithCode(w.ctx, service.RecoverInput{Username: "nasrin", RecoveryCode: a.RecoveryCode, Password: "a new long password"}, w.ip()); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(16 * time.Minute) // the device's window passes
		for _, code := range failures() {
			if code != eyelevel.EUNAUTHORIZED {
				t.Fatalf("the old device token still counts as trusted: %s", code)
			}
		}
	})
}
