package service_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/mail"
	"eyelevel/mail/mailtest"
	"eyelevel/service"
)

func acctPtr[T any](v T) *T { return &v }

// TestAcctVerification: an email given at registration or in the settings
// is used only once its link is opened; a verified old address keeps
// receiving until then; the link works once and for 48 hours.
func TestAcctVerification(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		w.signUp("gul", "gul@example.org", "fa-AF", false)
		a := w.actor("gul")
		s, err := w.svc.AccountSettings(w.ctx, a)
		if err != nil || s.EmailVerified || s.PendingEmail != "gul@example.org" {
			t.Fatalf("before verifying: %+v, %v", s, err)
		}
		if s.Wants(eyelevel.NotifyReminders) {
			t.Fatal("an unverified address receives notifications")
		}
		tok := w.lastToken("verify", "gul@example.org")
		if err := w.svc.VerifyEmail(w.ctx, tok); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.VerifyEmail(w.ctx, tok), eyelevel.EINVALID) // once
		s, _ = w.svc.AccountSettings(w.ctx, a)
		if !s.EmailVerified || s.Email != "gul@example.org" || s.PendingEmail != "" || !s.Wants(eyelevel.NotifyReminders) {
			t.Fatalf("after verifying: %+v", s)
		}

		// A new address: the old verified one keeps receiving until the
		// new one is verified.
		s, err = w.svc.UpdateSettings(w.ctx, a, service.SettingsInput{Email: acctPtr("gul.new@example.org")})
		if err != nil || s.Email != "gul@example.org" || !s.EmailVerified || s.PendingEmail != "gul.new@example.org" {
			t.Fatalf("after changing: %+v, %v", s, err)
		}
		if err := w.svc.RequestPasswordReset(w.ctx, service.ResetRequest{Username: "gul"}, w.ip()); err != nil {
			t.Fatal(err)
		}
		if len(w.mails("reset", "gul@example.org")) != 1 || len(w.mails("reset", "gul.new@example.org")) != 0 {
			t.Error("the reset mail did not go to the old verified address only")
		}
		tok = w.lastToken("verify", "gul.new@example.org")
		w.clock.Advance(49 * time.Hour)
		wantCode(t, w.svc.VerifyEmail(w.ctx, tok), eyelevel.EINVALID) // expired
		if _, err := w.svc.UpdateSettings(w.ctx, a, service.SettingsInput{Email: acctPtr("gul.new@example.org")}); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.VerifyEmail(w.ctx, w.lastToken("verify", "gul.new@example.org")); err != nil {
			t.Fatal(err)
		}
		s, _ = w.svc.AccountSettings(w.ctx, a)
		if s.Email != "gul.new@example.org" || !s.EmailVerified || s.PendingEmail != "" {
			t.Fatalf("after verifying the new address: %+v", s)
		}
		// Removing the address takes effect at once.
		s, err = w.svc.UpdateSettings(w.ctx, a, service.SettingsInput{Email: acctPtr("")})
		if err != nil || s.Email != "" || s.EmailVerified {
			t.Fatalf("after removing: %+v, %v", s, err)
		}
	})
}

func (w *acctWorld) actor(username string) eyelevel.Actor {
	w.t.Helper()
	u, err := w.db.UserByUsername(w.ctx, username)
	if err != nil {
		w.t.Fatal(err)
	}
	return actorOf(u)
}

// TestAcctSettingsValidation: every bad field is a field error, nothing
// of a refused request is written, and good input is stored.
func TestAcctSettingsValidation(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		w.signUp("hana", "", "de", false)
		a := w.actor("hana")
		before, _ := w.svc.AccountSettings(w.ctx, a)
		good := acctPtr("en")
		for _, c := range []struct {
			field string
			in    service.SettingsInput
		}{
			{"email", service.SettingsInput{Email: acctPtr("not an address"), Language: good}},
			{"email", service.SettingsInput{Email: acctPtr(" hana@example.org"), Language: good}},
			{"email", service.SettingsInput{Email: acctPtr(strings.Repeat("a", 250) + "@example.org"), Language: good}},
			{"language", service.SettingsInput{Language: acctPtr("xx"), TimeZone: acctPtr("UTC")}},
			{"language", service.SettingsInput{Language: acctPtr("EN")}},
			{"timezone", service.SettingsInput{TimeZone: acctPtr("Mars/Olympus"), Language: good}},
			{"timezone", service.SettingsInput{TimeZone: acctPtr("Local"), Language: good}},
			{"notifications", service.SettingsInput{Notifications: &[]string{"reminders", "spam"}, Language: good}},
			{"notifications", service.SettingsInput{Notifications: &[]string{"reminders", "reminders", "reminders", "reminders", "reminders"}, Language: good}},
		} {
			_, err := w.svc.UpdateSettings(w.ctx, a, c.in)
			wantField(t, err, c.field)
		}
		after, _ := w.svc.AccountSettings(w.ctx, a)
		if after.Language != before.Language || after.TimeZone != before.TimeZone || after.Email != "" || len(w.mails("verify", "hana@example.org")) != 0 {
			t.Fatalf("a refused change was written: %+v", after)
		}
		s, err := w.svc.UpdateSettings(w.ctx, a, service.SettingsInput{Language: acctPtr("uk"), TimeZone: acctPtr("America/Toronto"), Notifications: &[]string{"appointments", "messages"}})
		if err != nil || s.Language != "uk" || s.TimeZone != "America/Toronto" || !slices.Equal(s.Notifications(), []string{"appointments", "messages"}) ||
			!slices.Equal(s.NotifyOff, []string{"reminders", "waitlist"}) {
			t.Fatalf("settings = %+v, %v", s, err)
		}
		_, err = w.svc.UpdateSettings(w.ctx, eyelevel.Actor{}, service.SettingsInput{Language: good})
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
	})
}

// TestAcctPasswordChange: the current password is required, the policy
// applies, and every other session ends while the current one stays.
func TestAcctPasswordChange(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		w.signUp("ilyas", "", "ru", false)
		a := w.actor("ilyas")
		keep, _, _, _ := w.svc.Login(w.ctx, "ilyas", password, w.ip(), false)
		other, _, _, _ := w.svc.Login(w.ctx, "ilyas", password, w.ip(), true)
		wantField(t, w.svc.ChangePassword(w.ctx, a, service.PasswordChange{Current: "wrong password!", New: "a new long password"}, keep), "current")
		wantField(t, w.svc.ChangePassword(w.ctx, a, service.PasswordChange{New: "a new long password"}, keep), "current")
		wantField(t, w.svc.ChangePassword(w.ctx, a, service.PasswordChange{Current: password, New: "short"}, keep), "new")
		wantField(t, w.svc.ChangePassword(w.ctx, a, service.PasswordChange{Current: password, New: "ilyas"}, keep), "new")
		if _, err := w.svc.Authenticate(w.ctx, other, service.SessionAPI); err != nil {
			t.Fatalf("a refused change ended a session: %v", err)
		}
		if err := w.svc.ChangePassword(w.ctx, a, service.PasswordChange{Current: password, New: "a new long password"}, keep); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Authenticate(w.ctx, keep, service.SessionWeb); err != nil {
			t.Errorf("the current session ended: %v", err)
		}
		if _, err := w.svc.Authenticate(w.ctx, other, service.SessionAPI); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
			t.Errorf("another session survived: %v", err)
		}

		// A new recovery code needs the password and replaces the old one.
		_, err := w.svc.NewRecoveryCode(w.ctx, a, "wrong password!")
		wantField(t, err, "password")
		code, err := w.svc.NewRecoveryCode(w.ctx, a, "a new long password")
		if err != nil || !recoveryShape.MatchString(code) {
			t.Fatalf("new code %q, %v", code, err)
		}
		if _, err := w.svc.RecoverWithCode(w.ctx, service.RecoverInput{Username: "ilyas", RecoveryCode: code, Password: "third long password"}, w.ip()); err != nil {
			t.Errorf("the new code: %v", err)
		}
	})
}

// TestAcctCounselorEmail: an admin's entry is verified at once; a
// counselor's own goes through the link.
func TestAcctCounselorEmail(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		c, err := w.svc.CreateCounselor(w.ctx, service.Operator, service.CounselorInput{Username: "jana", Password: password, DisplayName: "Jana",
			Gender: eyelevel.GenderFemale, Languages: []eyelevel.LanguageSkill{{Code: "de"}}, TimeZone: "UTC", Email: "jana@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		ca := eyelevel.Actor{UserID: c.ID, Role: eyelevel.RoleCounselor}
		s, _ := w.svc.AccountSettings(w.ctx, ca)
		if s.Email != "jana@example.org" || !s.EmailVerified {
			t.Fatalf("after creation: %+v", s)
		}
		profile := service.ProfileInput{DisplayName: "Jana", Gender: eyelevel.GenderFemale, Languages: []eyelevel.LanguageSkill{{Code: "de"}}, TimeZone: "UTC"}
		profile.Email = acctPtr("jana@work.example.org")
		if _, err := w.svc.UpdateCounselor(w.ctx, service.Operator, c.ID, profile); err != nil {
			t.Fatal(err)
		}
		if s, _ = w.svc.AccountSettings(w.ctx, ca); s.Email != "jana@work.example.org" || !s.EmailVerified {
			t.Fatalf("after the admin's change: %+v", s)
		}
		profile.Email = acctPtr("jana@home.example.org")
		if _, err := w.svc.UpdateCounselor(w.ctx, ca, c.ID, profile); err != nil {
			t.Fatal(err)
		}
		if s, _ = w.svc.AccountSettings(w.ctx, ca); s.Email != "jana@work.example.org" || s.PendingEmail != "jana@home.example.org" {
			t.Fatalf("after the counselor's change: %+v", s)
		}
		profile.Email = acctPtr("bad address")
		_, err = w.svc.UpdateCounselor(w.ctx, service.Operator, c.ID, profile)
		wantField(t, err, "email")
		// Counselors keep their zone in the profile.
		_, err = w.svc.UpdateSettings(w.ctx, ca, service.SettingsInput{TimeZone: acctPtr("Europe/Berlin")})
		wantField(t, err, "timezone")
	})
}

// acctForbiddenWords must never be in an account mail.
var acctForbiddenWords = []string{"depress", "anxiety", "angst", "suicid", "phq", "gad", "who-5", "therap", "diagnos", "crisis", "krise", "symptom", "score", "questionnaire", "fragebogen", "counsel", "berat", "session", "sitzung"}

// TestAcctMailsArrive: the verification and reset mails reach an SMTP
// server in the recipient's language and direction, with their link, and
// say nothing about health or counseling.
func TestAcctMailsArrive(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		srv := mailtest.Start(t)
		sender, err := mail.NewSMTP(srv.URL, "noreply@eyelevel.example")
		if err != nil {
			t.Fatal(err)
		}
		w.signUp("kawa", "kawa@example.org", "ar", true)
		w.signUp("lena", "lena@example.org", "de", false)
		if err := w.svc.RequestPasswordReset(w.ctx, service.ResetRequest{Username: "kawa"}, w.ip()); err != nil {
			t.Fatal(err)
		}
		if n, err := w.svc.DeliverMail(context.Background(), sender); n != 3 || err != nil {
			t.Fatalf("delivered %d, %v", n, err)
		}
		got := srv.Wait(t, 3, 5*time.Second)
		cat := w.svc.Config().Catalog
		want := map[string]struct{ lang, subject, path string }{
			"kawa reset":  {"ar", cat.T("ar", "account_mail.reset.subject"), "/password-reset/"},
			"kawa verify": {"ar", cat.T("ar", "account_mail.verify.subject"), "/verify-email/"},
			"lena verify": {"de", cat.T("de", "account_mail.verify.subject"), "/verify-email/"},
		}
		seen := 0
		for _, m := range got {
			p, err := m.Parse()
			if err != nil {
				t.Fatal(err)
			}
			for name, wnt := range want {
				if !strings.HasPrefix(name, strings.Split(m.To[0], "@")[0]+" ") || p.Subject != wnt.subject {
					continue
				}
				seen++
				if !strings.Contains(p.HTML, `lang="`+wnt.lang+`"`) || !strings.Contains(p.Text, "https://eyelevel.example"+wnt.path) {
					t.Errorf("%s: %+v", name, p)
				}
				if wnt.lang == "ar" && !strings.Contains(p.HTML, `dir="rtl"`) {
					t.Errorf("%s is not right to left", name)
				}
				all := strings.ToLower(p.Subject + p.Text + p.HTML)
				for _, h := range acctForbiddenWords {
					if strings.Contains(all, h) {
						t.Errorf("%s mentions %q", name, h)
					}
				}
			}
		}
		if seen != 3 {
			t.Errorf("matched %d of 3 mails", seen)
		}
	})
}

// TestAcctVerificationFlood: an account cannot be used to mail strangers:
// the sixth new address within an hour is refused, and not stored.
func TestAcctVerificationFlood(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		w.signUp("omid", "", "fa", false)
		a := w.actor("omid")
		for i := 0; i < 5; i++ {
			if _, err := w.svc.UpdateSettings(w.ctx, a, service.SettingsInput{Email: acctPtr(fmt.Sprintf("stranger%d@example.org", i))}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := w.svc.UpdateSettings(w.ctx, a, service.SettingsInput{Email: acctPtr("stranger5@example.org"), Language: acctPtr("en")})
		wantCode(t, err, eyelevel.ETOOMANY)
		s, _ := w.svc.AccountSettings(w.ctx, a)
		if s.Email != "stranger4@example.org" || s.Language != "fa" || len(w.mails("verify", "stranger5@example.org")) != 0 {
			t.Errorf("after the refused change: %+v", s)
		}
		// Saving the pending address again sends nothing new.
		if _, err := w.svc.UpdateSettings(w.ctx, a, service.SettingsInput{Email: acctPtr("stranger4@example.org")}); err != nil || len(w.mails("verify", "stranger4@example.org")) != 1 {
			t.Errorf("resaving the pending address: %v, %d mails", err, len(w.mails("verify", "stranger4@example.org")))
		}
	})
}
