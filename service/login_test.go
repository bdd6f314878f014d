package service_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
)

// An attacker who floods wrong passwords from many addresses gets at most
// 100 password checks a day on one account, and cannot keep out its owner,
// whose browser carries a device token from an earlier login.
func TestLoginGuessingBoundedAndOwnerNotLockedOut(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.client("alice")
		owner, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "alice", Password: password, IP: "192.0.2.10"})
		if err != nil || owner.Device == "" {
			t.Fatalf("first login = %+v, %v; want a device token", owner, err)
		}
		before := e.svc.PasswordChecks()
		refused := 0
		for i := range 300 {
			_, _, _, err := e.svc.Login(e.ctx, "alice", fmt.Sprintf("guess number %d", i), fmt.Sprintf("198.51.%d.%d", i/200, i%200), false)
			if eyelevel.ErrorCode(err) == eyelevel.ETOOMANY {
				refused++
			} else {
				wantCode(t, err, eyelevel.EUNAUTHORIZED)
			}
			e.clock.Advance(time.Minute) // 300 minutes: well within a day
		}
		if got := e.svc.PasswordChecks() - before; got != 100 {
			t.Errorf("password checks for 300 guesses = %d, want 100", got)
		}
		if refused != 200 {
			t.Errorf("refused guesses = %d, want 200", refused)
		}
		// The owner's browser still gets in, from a new address, with its token.
		again, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "alice", Password: password, IP: "203.0.113.9", Device: owner.Device})
		if err != nil {
			t.Fatalf("owner with device token was locked out: %v", err)
		}
		if again.Device == "" {
			t.Errorf("no renewed device token")
		}
		// The documented trade-off: a browser without one waits for the window.
		_, err = e.svc.SignIn(e.ctx, service.Credentials{Username: "alice", Password: password, IP: "203.0.113.9"})
		wantCode(t, err, eyelevel.ETOOMANY)
		// A device token bound to another user, or altered, is no exemption.
		e.client("bob")
		bob, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "bob", Password: password, IP: "192.0.2.11"})
		if err != nil {
			t.Fatal(err)
		}
		for _, dev := range []string{bob.Device, owner.Device + "x", strings.Replace(owner.Device, ".", "..", 1), "d1.a.b.c"} {
			_, err = e.svc.SignIn(e.ctx, service.Credentials{Username: "alice", Password: password, IP: "203.0.113.9", Device: dev})
			wantCode(t, err, eyelevel.ETOOMANY)
		}
		// A day after the first guess the budget is back.
		e.clock.Advance(19 * time.Hour)
		if _, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "alice", Password: password, IP: "203.0.113.9"}); err != nil {
			t.Fatalf("a day later: %v", err)
		}
	})
}

// The device's own bucket still limits guessing with a stolen device token.
func TestLoginDeviceBucket(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.client("alice")
		owner, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "alice", Password: password, IP: "192.0.2.10"})
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			_, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "alice", Password: "wrong password", IP: e.ip(), Device: owner.Device})
			wantCode(t, err, eyelevel.EUNAUTHORIZED)
		}
		_, err = e.svc.SignIn(e.ctx, service.Credentials{Username: "alice", Password: password, IP: e.ip(), Device: owner.Device})
		wantCode(t, err, eyelevel.ETOOMANY)
		// The device's failures did not touch the others' limits.
		if _, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "alice", Password: password, IP: e.ip()}); err != nil {
			t.Fatalf("login without the device token: %v", err)
		}
	})
}

// Checking and counting are one step: 40 simultaneous wrong guesses against
// one account from one address get exactly 5 password checks.
func TestLoginLimitIsAtomic(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		// Real hashing costs, so that the guesses overlap.
		svc := servicetest.NewServiceConfig(t, e.db, service.Config{Password: service.DefaultPasswordParams}, e.clock.Now)
		if _, err := svc.AddUser(e.ctx, eyelevel.RoleClient, "alice", password, "UTC"); err != nil {
			t.Fatal(err)
		}
		before := svc.PasswordChecks()
		var wg sync.WaitGroup
		codes := make(chan string, 40)
		for range 40 {
			wg.Go(func() {
				_, _, _, err := svc.Login(e.ctx, "alice", "wrong password", "198.51.100.1", false)
				codes <- eyelevel.ErrorCode(err)
			})
		}
		wg.Wait()
		close(codes)
		count := map[string]int{}
		for c := range codes {
			count[c]++
		}
		if got := svc.PasswordChecks() - before; got != 5 {
			t.Errorf("password checks = %d, want 5", got)
		}
		if count[eyelevel.EUNAUTHORIZED] != 5 || count[eyelevel.ETOOMANY] != 35 {
			t.Errorf("answers = %v, want 5 unauthorized and 35 too_many", count)
		}
	})
}

func TestSignupLimitConfigurable(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		svc := servicetest.NewServiceConfig(t, e.db, service.Config{SignupLimit: 3}, e.clock.Now)
		for i := range 3 {
			in := validRegistration()
			in.Username = fmt.Sprintf("care_point_%d", i)
			if _, err := svc.Register(e.ctx, in, "192.0.2.1"); err != nil {
				t.Fatalf("sign-up %d: %v", i+1, err)
			}
		}
		in := validRegistration()
		in.Username = "one_too_many"
		_, err := svc.Register(e.ctx, in, "192.0.2.1")
		wantCode(t, err, eyelevel.ETOOMANY)
	})
}

func TestPasswordRules(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		cases := []struct{ password, username, key string }{
			{"123456789", "", "account.err.password"},
			{"ｐａｓｓ", "", "account.err.password"},
			{strings.Repeat("x", 200) + strings.Repeat("y", 57), "", "account.err.password_long"},
			{"aaaaaaaaaa", "", "account.err.password_repeated"},
			{"          ", "", "account.err.password_repeated"},
			{"\t \u00a0\u3000\n \t \u00a0\u3000", "", "account.err.password_repeated"},
			{"ææææææææææææ", "", "account.err.password_repeated"},
			{"qwertyuiop", "", "account.err.password_common"},
			{"PassWord123", "", "account.err.password_common"},
			{"ｑｗｅｒｔｙｕｉｏｐ", "", "account.err.password_common"}, // NFKC folds full width
			{"1qaz2wsx3edc", "", "account.err.password_common"},
			{"Sunny-Garden", "sunny-garden", "account.err.password_username"},
			{"eyelevel-demo", "", "account.err.password_demo"},
			{"EyeLevel-Demo", "", "account.err.password_demo"},
		}
		for _, c := range cases {
			in := validRegistration()
			in.Password = c.password
			if c.username != "" {
				in.Username = c.username
			}
			_, err := e.svc.Register(e.ctx, in, e.ip())
			var ee *eyelevel.Error
			if !errors.As(err, &ee) || ee.Fields["password"] != c.key {
				t.Errorf("password %q: error %v, want field key %s", c.password, err, c.key)
			}
		}
		// Long passphrases of up to 256 characters in any script are welcome.
		for _, pw := range []string{strings.Repeat("ab", 128), "Пароль из трёх слов", "رمز عبور طولانی من", "plum pear9"} {
			in := validRegistration()
			in.Password, in.Username = pw, fmt.Sprintf("user_%d", len(pw))
			if _, err := e.svc.Register(e.ctx, in, e.ip()); err != nil {
				t.Errorf("password %q: %v", pw, err)
			}
		}
		// The same rules hold for counselors and accounts from the command line.
		_, err := e.svc.AddUser(e.ctx, eyelevel.RoleAdmin, "root2", "aaaaaaaaaa", "UTC")
		wantField(t, err, "password")
		_, err = e.svc.CreateCounselor(e.ctx, e.admin, service.CounselorInput{Username: "c1", Password: "eyelevel-demo", DisplayName: "C", Gender: eyelevel.GenderFemale,
			Languages: []eyelevel.LanguageSkill{{Code: "de"}}, TimeZone: "UTC"})
		wantField(t, err, "password")
		// In demo mode the demo password is allowed.
		demo := servicetest.NewServiceConfig(t, e.db, service.Config{Demo: true}, e.clock.Now)
		if _, err := demo.AddUser(e.ctx, eyelevel.RoleAdmin, "demo_admin", service.DemoPassword, "UTC"); err != nil {
			t.Errorf("demo mode: %v", err)
		}
	})
}

func TestSessionKindsAndLogoutEverywhere(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		alice := e.client("alice")
		e.client("bob")
		login := func(user string, api bool) string {
			tok, _, _, err := e.svc.Login(e.ctx, user, password, e.ip(), api)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		web1, web2, api1, bobWeb := login("alice", false), login("alice", false), login("alice", true), login("bob", false)
		// An API token is no browser cookie, and a cookie no bearer token.
		_, err := e.svc.Authenticate(e.ctx, api1, service.SessionWeb)
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		_, err = e.svc.Authenticate(e.ctx, web1, service.SessionAPI)
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		if a, err := e.svc.Authenticate(e.ctx, api1, service.SessionAPI); err != nil || a.UserID != alice.UserID {
			t.Fatalf("API token as bearer = %+v, %v", a, err)
		}

		wantCode(t, e.svc.LogoutEverywhere(e.ctx, eyelevel.Actor{}), eyelevel.EUNAUTHORIZED)
		if err := e.svc.LogoutEverywhere(e.ctx, alice); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []struct{ tok, kind string }{{web1, service.SessionWeb}, {web2, service.SessionWeb}, {api1, service.SessionAPI}} {
			_, err := e.svc.Authenticate(e.ctx, tok.tok, tok.kind)
			wantCode(t, err, eyelevel.EUNAUTHORIZED)
		}
		if _, err := e.svc.Authenticate(e.ctx, bobWeb, service.SessionWeb); err != nil {
			t.Errorf("another user's session ended: %v", err)
		}
	})
}
