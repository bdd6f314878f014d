package service_test

import (
	"fmt"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// TestRaVerificationFloodPerAddress: ten accounts naming one stranger's
// address three times each mail it three times a day; the answers do not
// tell, and a day later it may receive again.
func TestRaVerificationFloodPerAddress(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		for i := 0; i < 10; i++ {
			name := fmt.Sprintf("flooder%d", i)
			w.signUp(name, "", "en", false)
			a := w.actor(name)
			for j := 0; j < 3; j++ {
				addr := "Victim@Example.org"
				if j == 1 {
					addr = "victim@example.org"
				}
				if _, err := w.svc.UpdateSettings(w.ctx, a, service.SettingsInput{Email: acctPtr("other@example.org")}); err != nil {
					t.Fatal(err)
				}
				if _, err := w.svc.UpdateSettings(w.ctx, a, service.SettingsInput{Email: acctPtr(addr)}); err != nil && eyelevel.ErrorCode(err) != eyelevel.ETOOMANY {
					t.Fatal(err)
				}
			}
		}
		n := len(w.mails("verify", "Victim@Example.org")) + len(w.mails("verify", "victim@example.org"))
		if n != 3 {
			t.Errorf("%d verification mails to one address, want 3", n)
		}
		w.clock.Advance(25 * time.Hour)
		w.signUp("later", "victim@example.org", "en", false)
		if got := len(w.mails("verify", "victim@example.org")) + len(w.mails("verify", "Victim@Example.org")); got != n+1 {
			t.Errorf("a day later: %d mails, want %d", got, n+1)
		}
	})
}

// TestRaResetFloodPerAddress: four accounts share a verified address;
// reset requests naming each of them, and the address itself, mail it at
// most three times an hour.
func TestRaResetFloodPerAddress(t *testing.T) {
	acctEach(t, func(t *testing.T, w *acctWorld) {
		for i := 0; i < 4; i++ {
			if _, err := w.svc.CreateCounselor(w.ctx, service.Operator, service.CounselorInput{Username: fmt.Sprintf("shared%d", i), Password: password, DisplayName: "Shared",
				Gender: eyelevel.GenderFemale, Languages: []eyelevel.LanguageSkill{{Code: "de"}}, TimeZone: "UTC", Email: "shared@example.org"}); err != nil {
				t.Fatal(err)
			}
		}
		for round := 0; round < 3; round++ {
			for i := 0; i < 4; i++ {
				if err := w.svc.RequestPasswordReset(w.ctx, service.ResetRequest{Username: fmt.Sprintf("shared%d", i)}, w.ip()); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.svc.RequestPasswordReset(w.ctx, service.ResetRequest{Email: "SHARED@example.org"}, w.ip()); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(w.mails("reset", "shared@example.org")); n != 3 {
			t.Errorf("%d reset mails to one address in an hour, want 3", n)
		}
	})
}
