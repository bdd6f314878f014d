package service_test

import (
	"path"
	"strings"
	"testing"

	"eyelevel"
	"eyelevel/service"
)

// TestRaResetEndsPendingLinks: an attacker with a stolen session asks to
// verify their own address; the owner recovers the account (by mail
// link, by recovery code, or by changing the password); the attacker's
// verification link then changes nothing, and a counselor's calendar
// feed URL made by the attacker stops working.
func TestRaResetEndsPendingLinks(t *testing.T) {
	ways := map[string]func(w *acctWorld, a eyelevel.Actor, code string){
		"mail link": func(w *acctWorld, a eyelevel.Actor, _ string) {
			if err := w.svc.RequestPasswordReset(w.ctx, service.ResetRequest{Email: "owner@example.org"}, w.ip()); err != nil {
				w.t.Fatal(err)
			}
			if _, err := w.svc.ResetPassword(w.ctx, w.lastToken("reset", "owner@example.org"), "a new long password", w.ip()); err != nil {
				w.t.Fatal(err)
			}
		},
		"recovery code": func(w *acctWorld, _ eyelevel.Actor, code string) {
			if _, err := w.svc.RecoverWithCode(w.ctx, service.RecoverInput{Username: "owner", RecoveryCode: code, Password: "a new long password"}, w.ip()); err != nil {
				w.t.Fatal(err)
			}
		},
		"password change": func(w *acctWorld, a eyelevel.Actor, _ string) {
			if err := w.svc.ChangePassword(w.ctx, a, service.PasswordChange{Current: password, New: "a new long password"}, ""); err != nil {
				w.t.Fatal(err)
			}
		},
	}
	for name, recover := range ways {
		t.Run(name, func(t *testing.T) {
			acctEach(t, func(t *testing.T, w *acctWorld) {
				c, err := w.svc.CreateCounselor(w.ctx, service.Operator, service.CounselorInput{Username: "owner", Password: password, DisplayName: "Owner",
					Gender: eyelevel.GenderFemale, Languages: []eyelevel.LanguageSkill{{Code: "de"}}, TimeZone: "UTC", Email: "owner@example.org"})
				if err != nil {
					t.Fatal(err)
				}
				a := eyelevel.Actor{UserID: c.ID, Role: eyelevel.RoleCounselor}
				code, err := w.svc.NewRecoveryCode(w.ctx, a, password)
				if err != nil {
					t.Fatal(err)
				}
				// The attacker, in the owner's session.
				profile := service.ProfileInput{DisplayName: "Owner", Gender: eyelevel.GenderFemale, Languages: []eyelevel.LanguageSkill{{Code: "de"}}, TimeZone: "UTC", Email: acctPtr("attacker@example.net")}
				if _, err := w.svc.UpdateCounselor(w.ctx, a, c.ID, profile); err != nil {
					t.Fatal(err)
				}
				feed, err := w.svc.NewCalendarFeed(w.ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := w.svc.CalendarFeed(w.ctx, strings.TrimSuffix(path.Base(feed), ".ics")); err != nil {
					t.Fatalf("feed before: %v", err)
				}
				link := w.lastToken("verify", "attacker@example.net")

				recover(w, a, code)

				wantCode(t, w.svc.VerifyEmail(w.ctx, link), eyelevel.EINVALID)
				s, err := w.svc.AccountSettings(w.ctx, a)
				if err != nil || s.Email != "owner@example.org" || !s.EmailVerified || s.PendingEmail != "" {
					t.Errorf("after recovery: %+v, %v", s, err)
				}
				if _, err := w.svc.CalendarFeed(w.ctx, strings.TrimSuffix(path.Base(feed), ".ics")); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
					t.Errorf("the feed URL survived: %v", err)
				}
			})
		})
	}
}

// TestRaResetClearsUnverifiedAddress: an address that was never verified
// is pending too: a reset removes it with its link.
func TestRaResetClearsUnverifiedAddress(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		acc := w.signUp("neda", "", "fa", false)
		a := w.actor("neda")
		if _, err := w.svc.UpdateSettings(w.ctx, a, service.SettingsInput{Email: acctPtr("attacker@example.net")}); err != nil {
			t.Fatal(err)
		}
		link := w.lastToken("verify", "attacker@example.net")
		if _, err := w.svc.RecoverWithCode(w.ctx, service.RecoverInput{Username: "neda", RecoveryCode: acc.RecoveryCode, Password: "a new long password"}, w.ip()); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.VerifyEmail(w.ctx, link), eyelevel.EINVALID)
		if s, _ := w.svc.AccountSettings(w.ctx, a); s.Email != "" || s.PendingEmail != "" || s.EmailVerified {
			t.Errorf("after recovery: %+v", s)
		}
	})
}
