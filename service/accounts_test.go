package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

func validRegistration() service.RegisterInput {
	return service.RegisterInput{Username: "anna_1", Password: password, Language: "de", TimeZone: "Europe/Berlin", Consent: true}
}

func TestRegisterValidation(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		bad := []struct {
			field string
			edit  func(in *service.RegisterInput)
		}{
			{"username", func(in *service.RegisterInput) { in.Username = "" }},
			{"username", func(in *service.RegisterInput) { in.Username = "ab" }},
			{"username", func(in *service.RegisterInput) { in.Username = strings.Repeat("a", 41) }},
			{"username", func(in *service.RegisterInput) { in.Username = "anna bell" }},
			{"username", func(in *service.RegisterInput) { in.Username = "anna@home" }},
			{"username", func(in *service.RegisterInput) { in.Username = "anna/../x" }},
			{"username", func(in *service.RegisterInput) { in.Username = "anna\x00x" }},
			{"username", func(in *service.RegisterInput) { in.Username = "\xff\xfe\xfd" }},
			{"password", func(in *service.RegisterInput) { in.Password = "" }},
			{"password", func(in *service.RegisterInput) { in.Password = "123456789" }},
			{"password", func(in *service.RegisterInput) { in.Password = strings.Repeat("p", 257) }},
			{"language", func(in *service.RegisterInput) { in.Language = "" }},
			{"language", func(in *service.RegisterInput) { in.Language = "xx" }},
			{"language", func(in *service.RegisterInput) { in.Language = "DE" }}, // UI codes are exact
			{"language", func(in *service.RegisterInput) { in.Language = "fr" }}, // a language, but not offered
			{"timezone", func(in *service.RegisterInput) { in.TimeZone = "" }},
			{"timezone", func(in *service.RegisterInput) { in.TimeZone = "Mars/Olympus" }},
			{"timezone", func(in *service.RegisterInput) { in.TimeZone = "Local" }},
			{"email", func(in *service.RegisterInput) { in.Email = "not-an-email" }},
			{"email", func(in *service.RegisterInput) { in.Email = "Anna <anna@example.org>" }},
			{"email", func(in *service.RegisterInput) { in.Email = " anna@example.org" }},
		}
		for _, c := range bad {
			in := validRegistration()
			c.edit(&in)
			_, err := e.svc.Register(e.ctx, in, e.ip())
			wantField(t, err, c.field)
		}
		// Nothing was stored; only the admin exists.
		if n, err := e.db.CountUsers(e.ctx); err != nil || n != 1 {
			t.Fatalf("CountUsers = %d, %v; want 1", n, err)
		}

		good := []func(in *service.RegisterInput){
			func(in *service.RegisterInput) {},
			func(in *service.RegisterInput) { in.Username = "Анна.К-2" }, // any script
			func(in *service.RegisterInput) { in.Username = "مريم" },
			func(in *service.RegisterInput) { in.Email = "anna@example.org"; in.Username = "anna_mail" },
			func(in *service.RegisterInput) {
				in.Language = "fa-AF"
				in.TimeZone = "Asia/Kabul"
				in.Username = "omid"
			},
			func(in *service.RegisterInput) {
				in.Username = strings.Repeat("a", 40)
				in.Password = "plum pear9" // ten characters are enough
			},
		}
		for i, edit := range good {
			in := validRegistration()
			edit(&in)
			u, err := e.svc.Register(e.ctx, in, e.ip())
			if err != nil {
				t.Fatalf("valid registration %d (%+v): %v", i, in, err)
			}
			if u.Role != eyelevel.RoleClient || u.Username != in.Username || u.Language != in.Language || u.TimeZone != in.TimeZone || u.Email != in.Email || !u.CreatedAt.Equal(monday) {
				t.Errorf("registered user = %+v, from %+v", u, in)
			}
			if strings.Contains(u.PasswordHash, in.Password) || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
				t.Errorf("password hash = %q", u.PasswordHash)
			}
		}
	})
}

func TestRegisterConflictAndRateLimit(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		if _, err := e.svc.Register(e.ctx, validRegistration(), e.ip()); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"anna_1", "ANNA_1", "Anna_1", "ａｎｎａ_1"} {
			in := validRegistration()
			in.Username = name
			_, err := e.svc.Register(e.ctx, in, e.ip())
			wantCode(t, err, eyelevel.ECONFLICT)
		}
		in := validRegistration()
		in.Username = "admin" // created by AddUser
		_, err := e.svc.Register(e.ctx, in, e.ip())
		wantCode(t, err, eyelevel.ECONFLICT)

		// Twenty sign-ups per IP and hour.
		for i := range 20 {
			in := validRegistration()
			in.Username = "user" + string(rune('a'+i))
			if _, err := e.svc.Register(e.ctx, in, "192.0.2.1"); err != nil {
				t.Fatalf("sign-up %d: %v", i+1, err)
			}
		}
		in.Username = "one_too_many"
		_, err = e.svc.Register(e.ctx, in, "192.0.2.1")
		wantCode(t, err, eyelevel.ETOOMANY)
		if _, err := e.svc.Register(e.ctx, in, "192.0.2.2"); err != nil {
			t.Fatalf("other IP: %v", err)
		}
		e.clock.Advance(time.Hour + time.Second)
		in.Username = "next_hour"
		if _, err := e.svc.Register(e.ctx, in, "192.0.2.1"); err != nil {
			t.Fatalf("an hour later: %v", err)
		}
	})
}

func TestLogin(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		alice := e.client("Alice")
		token, expires, u, err := e.svc.Login(e.ctx, "alice", password, e.ip(), false)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != alice.UserID || token == "" || !expires.Equal(monday.Add(12*time.Hour)) {
			t.Errorf("web login = %q, %v, %+v", token, expires, u)
		}
		token2, expires, _, err := e.svc.Login(e.ctx, "ALICE", password, e.ip(), true)
		if err != nil {
			t.Fatal(err)
		}
		if token2 == token || !expires.Equal(monday.Add(30*24*time.Hour)) {
			t.Errorf("api login = %q, %v", token2, expires)
		}

		_, _, u, err = e.svc.Login(e.ctx, "alice", password+"x", e.ip(), false)
		wantKey(t, err, eyelevel.EUNAUTHORIZED, "login.err.credentials")
		if u.ID != "" {
			t.Errorf("failed login returned user %+v", u)
		}
		_, _, _, errUnknown := e.svc.Login(e.ctx, "nobody", password, e.ip(), false)
		wantKey(t, errUnknown, eyelevel.EUNAUTHORIZED, "login.err.credentials")
		if errUnknown.Error() != err.Error() {
			t.Errorf("unknown user and wrong password differ: %v vs %v", errUnknown, err)
		}
		_, _, _, err = e.svc.Login(e.ctx, "alice", strings.Repeat("x", 2000), e.ip(), false)
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		_, _, _, err = e.svc.Login(e.ctx, "", "", e.ip(), false)
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
	})
}

func TestLoginRateLimitPerAccountAndAddress(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.client("alice")
		e.client("bob")
		const attacker = "203.0.113.66"
		for range 5 {
			_, _, _, err := e.svc.Login(e.ctx, "alice", "wrong password", attacker, false)
			wantCode(t, err, eyelevel.EUNAUTHORIZED)
			e.clock.Advance(time.Minute)
		}
		// Five failures within 15 minutes close this account at this address,
		// in any spelling of the name, even for the right password...
		_, _, _, err := e.svc.Login(e.ctx, "alice", password, attacker, false)
		wantCode(t, err, eyelevel.ETOOMANY)
		_, _, _, err = e.svc.Login(e.ctx, "ALICE", password, attacker, false)
		wantCode(t, err, eyelevel.ETOOMANY)
		// ...but neither other accounts there nor the owner elsewhere.
		if _, _, _, err := e.svc.Login(e.ctx, "bob", password, attacker, false); err != nil {
			t.Fatalf("other account: %v", err)
		}
		if _, _, _, err := e.svc.Login(e.ctx, "alice", password, e.ip(), false); err != nil {
			t.Fatalf("the owner at another address was locked out: %v", err)
		}
		// The window slides: 15 minutes after the first failure, one more try.
		e.clock.Advance(10 * time.Minute) // first failure at 08:00, now 08:15
		if _, _, _, err := e.svc.Login(e.ctx, "alice", password, attacker, false); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		// A success does not count, but does not erase failures either.
		e.clock.Advance(time.Hour)
		for range 4 {
			e.svc.Login(e.ctx, "alice", "wrong password", attacker, false)
		}
		if _, _, _, err := e.svc.Login(e.ctx, "alice", password, attacker, false); err != nil {
			t.Fatalf("after 4 failures: %v", err)
		}
		e.svc.Login(e.ctx, "alice", "wrong password", attacker, false)
		_, _, _, err = e.svc.Login(e.ctx, "alice", password, attacker, false)
		wantCode(t, err, eyelevel.ETOOMANY)

		// Guessing at unknown names is limited per name, too.
		for range 5 {
			e.svc.Login(e.ctx, "ghost", "x", attacker, false)
		}
		_, _, _, err = e.svc.Login(e.ctx, "ghost", "x", attacker, false)
		wantCode(t, err, eyelevel.ETOOMANY)
	})
}

func TestLoginRateLimitPerIP(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.client("alice")
		e.client("bob")
		const ip = "198.51.100.7"
		// Successes do not count: a care point's shared address can log in
		// its many clients.
		for i := range 100 {
			if _, _, _, err := e.svc.Login(e.ctx, "alice", password, ip, false); err != nil {
				t.Fatalf("login %d: %v", i+1, err)
			}
		}
		// Thirty failures per address in 15 minutes, whichever the names.
		for i := range 30 {
			_, _, _, err := e.svc.Login(e.ctx, fmt.Sprintf("ghost%d", i), password, ip, false)
			wantCode(t, err, eyelevel.EUNAUTHORIZED)
		}
		_, _, _, err := e.svc.Login(e.ctx, "bob", password, ip, false)
		wantCode(t, err, eyelevel.ETOOMANY)
		if _, _, _, err := e.svc.Login(e.ctx, "bob", password, "198.51.100.8", false); err != nil {
			t.Fatalf("other IP: %v", err)
		}
		e.clock.Advance(15*time.Minute + time.Second)
		if _, _, _, err := e.svc.Login(e.ctx, "bob", password, ip, false); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestAuthenticateLogout(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		alice := e.client("alice")
		token, _, _, err := e.svc.Login(e.ctx, "alice", password, e.ip(), false)
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.Authenticate(e.ctx, token, service.SessionWeb)
		if err != nil || a != alice {
			t.Fatalf("Authenticate = %+v, %v; want %+v", a, err, alice)
		}
		if me, err := e.svc.Me(e.ctx, a); err != nil || me.Username != "alice" {
			t.Errorf("Me = %+v, %v", me, err)
		}
		_, err = e.svc.Me(e.ctx, eyelevel.Actor{})
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		for _, bad := range []string{"", "nonsense", token + "x", strings.Repeat("a", 101)} {
			_, err := e.svc.Authenticate(e.ctx, bad, service.SessionWeb)
			wantCode(t, err, eyelevel.EUNAUTHORIZED)
		}

		other, _, _, err := e.svc.Login(e.ctx, "alice", password, e.ip(), true)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Logout(e.ctx, token); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Authenticate(e.ctx, token, service.SessionWeb)
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		if _, err := e.svc.Authenticate(e.ctx, other, service.SessionAPI); err != nil {
			t.Errorf("logout ended another session: %v", err)
		}
		if err := e.svc.Logout(e.ctx, token); err != nil {
			t.Errorf("second logout: %v", err)
		}

		// Web sessions last 12 hours, API tokens 30 days.
		web, _, _, err := e.svc.Login(e.ctx, "alice", password, e.ip(), false)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(12*time.Hour - time.Second)
		if _, err := e.svc.Authenticate(e.ctx, web, service.SessionWeb); err != nil {
			t.Errorf("web session before expiry: %v", err)
		}
		e.clock.Advance(time.Second)
		_, err = e.svc.Authenticate(e.ctx, web, service.SessionWeb)
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		if n, err := e.svc.SweepSessions(e.ctx); err != nil || n != 1 {
			t.Errorf("SweepSessions = %d, %v; want 1", n, err)
		}
		if _, err := e.svc.Authenticate(e.ctx, other, service.SessionAPI); err != nil {
			t.Errorf("API token after 12 h: %v", err)
		}
	})
}
