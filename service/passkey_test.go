package service_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

const passkeyTestOrigin = "https://counseling.example.org"

// passkeyEnv is a service that requires the second factor (unlike
// servicetest's) with a public URL, so passkeys work.
type passkeyEnv struct {
	t     *testing.T
	ctx   context.Context
	svc   *service.Service
	clock *clock
	admin eyelevel.Actor
}

func passkeyForEach(t *testing.T, fn func(t *testing.T, e *passkeyEnv)) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
		cfg := service.Config{Password: servicetest.CheapPasswords, Keys: servicetest.Keys(1), SessionsPerDay: -1,
			Mail: service.MailConfig{PublicURL: passkeyTestOrigin + "/"}}
		log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		e := &passkeyEnv{t: t, ctx: context.Background(), svc: service.New(db, cfg, log, clk.Now), clock: clk}
		u, err := e.svc.AddUser(e.ctx, eyelevel.RoleAdmin, "pk-admin", password, "Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		e.admin = actorOf(u)
		fn(t, e)
	})
}

func (e *passkeyEnv) add(role eyelevel.Role, name string) eyelevel.Actor {
	e.t.Helper()
	if role == eyelevel.RoleCounselor {
		c, err := e.svc.CreateCounselor(e.ctx, e.admin, service.CounselorInput{Username: name, Password: password,
			DisplayName: "Counselor " + name, Gender: eyelevel.GenderFemale, TimeZone: "UTC", Languages: []eyelevel.LanguageSkill{{Code: "de"}}})
		if err != nil {
			e.t.Fatal(err)
		}
		return eyelevel.Actor{UserID: c.ID, Role: role, Language: "de", TimeZone: "UTC"}
	}
	u, err := e.svc.AddUser(e.ctx, role, name, password, "Europe/Berlin")
	if err != nil {
		e.t.Fatal(err)
	}
	return actorOf(u)
}

// login logs username in with the password and returns the session's
// actor, or the pending login when a second factor is asked for.
func (e *passkeyEnv) login(username string) (eyelevel.Actor, string) {
	e.t.Helper()
	in, err := e.svc.SignIn(e.ctx, service.Credentials{Username: username, Password: password, IP: "192.0.2.1"})
	if eyelevel.ErrorCode(err) == eyelevel.ESECONDFACTOR {
		if in.Pending == "" {
			e.t.Fatal("second factor asked for, no pending login")
		}
		return eyelevel.Actor{}, in.Pending
	}
	if err != nil {
		e.t.Fatalf("login %s: %v", username, err)
	}
	return e.actor(in.Token), ""
}

func (e *passkeyEnv) actor(token string) eyelevel.Actor {
	e.t.Helper()
	a, err := e.svc.Authenticate(e.ctx, token, service.SessionWeb)
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	return a
}

// full logs username in with password and auth's passkey and returns the
// full session's actor.
func (e *passkeyEnv) full(username string, auth *passkeyAuthenticator) eyelevel.Actor {
	e.t.Helper()
	_, pending := e.login(username)
	opts, err := e.svc.BeginPasskeyLogin(e.ctx, pending)
	if err != nil {
		e.t.Fatal(err)
	}
	in, err := e.svc.FinishPasskeyLogin(e.ctx, pending, auth.get(opts))
	if err != nil {
		e.t.Fatalf("passkey login of %s: %v", username, err)
	}
	return e.actor(in.Token)
}

// enrol registers a's passkey on auth and returns the recovery codes.
func (e *passkeyEnv) enrol(a eyelevel.Actor, auth *passkeyAuthenticator, name string) []string {
	e.t.Helper()
	opts, err := e.svc.BeginPasskeyRegistration(e.ctx, a)
	if err != nil {
		e.t.Fatalf("begin registration: %v", err)
	}
	codes, err := e.svc.FinishPasskeyRegistration(e.ctx, a, name, auth.create(opts))
	if err != nil {
		e.t.Fatalf("finish registration: %v", err)
	}
	return codes
}

// TestPasskeyEnrolAndLogin: a counselor without a factor gets a limited
// session, registers a passkey (which alone enrols, with ten recovery
// codes), and then logs in with password and passkey to a full session;
// the assertion cannot be used twice, nor a registration response.
func TestPasskeyEnrolAndLogin(t *testing.T) {
	passkeyForEach(t, func(t *testing.T, e *passkeyEnv) {
		e.add(eyelevel.RoleCounselor, "pk-anna")
		limited, _ := e.login("pk-anna")
		if !limited.Limited {
			t.Fatal("a counselor without a factor got a full session")
		}
		auth := newPasskeyAuthenticator(t, passkeyTestOrigin)
		opts, err := e.svc.BeginPasskeyRegistration(e.ctx, limited)
		if err != nil {
			t.Fatal(err)
		}
		resp := auth.create(opts)
		codes, err := e.svc.FinishPasskeyRegistration(e.ctx, limited, " Laptop ", resp)
		if err != nil {
			t.Fatalf("registration: %v", err)
		}
		if len(codes) != 10 {
			t.Fatalf("recovery codes after the first passkey: %d, want 10", len(codes))
		}
		_, err = e.svc.FinishPasskeyRegistration(e.ctx, limited, "again", resp)
		wantKey(t, err, eyelevel.EUNAUTHORIZED, "passkey.err.expired")
		st, err := e.svc.SecondFactor(e.ctx, limited)
		if err != nil || st.Passkeys != 1 || st.CodesLeft != 10 || st.Enrolled {
			t.Fatalf("state = %+v, %v; want one passkey, 10 codes, no TOTP", st, err)
		}
		keys, err := e.svc.Passkeys(e.ctx, limited)
		if err != nil || len(keys) != 1 || keys[0].Name != "Laptop" || !keys[0].LastUsed.IsZero() {
			t.Fatalf("passkeys = %+v, %v", keys, err)
		}

		// The password alone no longer gives a session.
		_, pending := e.login("pk-anna")
		if pending == "" {
			t.Fatal("password alone logged in an account with a passkey")
		}
		if ok, err := e.svc.PendingHasPasskey(e.ctx, pending); !ok || err != nil {
			t.Fatalf("PendingHasPasskey = %v, %v", ok, err)
		}
		opts, err = e.svc.BeginPasskeyLogin(e.ctx, pending)
		if err != nil {
			t.Fatal(err)
		}
		assertion := auth.get(opts)
		in, err := e.svc.FinishPasskeyLogin(e.ctx, pending, assertion)
		if err != nil {
			t.Fatalf("passkey login: %v", err)
		}
		if a := e.actor(in.Token); a.Limited || a.UserID != limited.UserID {
			t.Fatalf("passkey login gave %+v", a)
		}
		// Replays: the same assertion again, and against a new ceremony.
		_, err = e.svc.FinishPasskeyLogin(e.ctx, pending, assertion)
		wantKey(t, err, eyelevel.EUNAUTHORIZED, "passkey.err.expired")
		if _, err := e.svc.BeginPasskeyLogin(e.ctx, pending); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.FinishPasskeyLogin(e.ctx, pending, assertion)
		wantKey(t, err, eyelevel.EUNAUTHORIZED, "passkey.err.expired")
		keys, _ = e.svc.Passkeys(e.ctx, limited)
		if keys[0].LastUsed.IsZero() {
			t.Error("last use not recorded")
		}

		// A recovery code works for the passkey-only account; a 6-digit
		// "TOTP" code does not.
		_, pending = e.login("pk-anna")
		_, err = e.svc.CompleteLogin(e.ctx, service.SecondStep{Pending: pending, Code: "123456"})
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		if _, err := e.svc.CompleteLogin(e.ctx, service.SecondStep{Pending: pending, Code: codes[0]}); err != nil {
			t.Fatalf("recovery code for a passkey-only account: %v", err)
		}
	})
}

// TestPasskeyLoginRefusals: a ceremony of another pending login, a passkey
// of another account, a counter that went back (a clone), an expired
// ceremony.
func TestPasskeyLoginRefusals(t *testing.T) {
	passkeyForEach(t, func(t *testing.T, e *passkeyEnv) {
		anna, bob := e.add(eyelevel.RoleCounselor, "pk-anna"), e.add(eyelevel.RoleCounselor, "pk-bob")
		annaKey, bobKey := newPasskeyAuthenticator(t, passkeyTestOrigin), newPasskeyAuthenticator(t, passkeyTestOrigin)
		annaLimited, _ := e.login("pk-anna")
		bobLimited, _ := e.login("pk-bob")
		e.enrol(annaLimited, annaKey, "")
		e.enrol(bobLimited, bobKey, "")
		_ = anna
		_ = bob

		// Bob's passkey answering Anna's ceremony.
		_, pending := e.login("pk-anna")
		opts, err := e.svc.BeginPasskeyLogin(e.ctx, pending)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.FinishPasskeyLogin(e.ctx, pending, bobKey.get(opts))
		wantKey(t, err, eyelevel.EUNAUTHORIZED, "passkey.err.failed")

		// A ceremony started for one pending login, finished with another.
		_, p1 := e.login("pk-anna")
		e.clock.Advance(time.Second)
		_, p2 := e.login("pk-anna")
		opts, err = e.svc.BeginPasskeyLogin(e.ctx, p1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.FinishPasskeyLogin(e.ctx, p2, annaKey.get(opts))
		wantKey(t, err, eyelevel.EUNAUTHORIZED, "passkey.err.expired")

		// A good login, then the counter goes back: refused as a clone.
		opts, _ = e.svc.BeginPasskeyLogin(e.ctx, p1)
		if _, err := e.svc.FinishPasskeyLogin(e.ctx, p1, annaKey.get(opts)); err != nil {
			t.Fatalf("login: %v", err)
		}
		annaKey.count -= 2 // the next get counts up by one: one below the stored
		_, p3 := e.login("pk-anna")
		opts, _ = e.svc.BeginPasskeyLogin(e.ctx, p3)
		_, err = e.svc.FinishPasskeyLogin(e.ctx, p3, annaKey.get(opts))
		wantKey(t, err, eyelevel.EUNAUTHORIZED, "passkey.err.cloned")
		opts, _ = e.svc.BeginPasskeyLogin(e.ctx, p3)
		_, err = e.svc.FinishPasskeyLogin(e.ctx, p3, annaKey.get(opts)) // equal to the stored: still refused
		wantKey(t, err, eyelevel.EUNAUTHORIZED, "passkey.err.cloned")

		// A registration left for over five minutes.
		bobFull := e.full("pk-bob", bobKey)
		opts, err = e.svc.BeginPasskeyRegistration(e.ctx, bobFull)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(6 * time.Minute)
		_, err = e.svc.FinishPasskeyRegistration(e.ctx, bobFull, "", newPasskeyAuthenticator(t, passkeyTestOrigin).create(opts))
		wantKey(t, err, eyelevel.EUNAUTHORIZED, "passkey.err.expired")

		// A response from another origin (a phishing site).
		_, p4 := e.login("pk-bob")
		opts, _ = e.svc.BeginPasskeyLogin(e.ctx, p4)
		bobKey.origin = "https://counse1ing.example.org"
		_, err = e.svc.FinishPasskeyLogin(e.ctx, p4, bobKey.get(opts))
		wantKey(t, err, eyelevel.EUNAUTHORIZED, "passkey.err.failed")
	})
}

// TestPasskeyRemovalAndReset: staff keep one factor; the owner removes
// others; an admin's reset removes the passkeys too; nobody removes
// another's passkey.
func TestPasskeyRemovalAndReset(t *testing.T) {
	passkeyForEach(t, func(t *testing.T, e *passkeyEnv) {
		e.add(eyelevel.RoleCounselor, "pk-anna")
		annaLimited, _ := e.login("pk-anna")
		annaOne := newPasskeyAuthenticator(t, passkeyTestOrigin)
		e.enrol(annaLimited, annaOne, "one")
		anna := e.full("pk-anna", annaOne)
		if codes := e.enrol(anna, newPasskeyAuthenticator(t, passkeyTestOrigin), "two"); codes != nil {
			t.Errorf("second passkey issued recovery codes again")
		}
		keys, _ := e.svc.Passkeys(e.ctx, anna)
		if len(keys) != 2 {
			t.Fatalf("passkeys = %d, want 2", len(keys))
		}
		client := e.add(eyelevel.RoleClient, "pk-client")
		wantCode(t, e.svc.DeletePasskey(e.ctx, client, keys[0].ID), eyelevel.ENOTFOUND)
		if err := e.svc.DeletePasskey(e.ctx, anna, keys[0].ID); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.svc.DeletePasskey(e.ctx, anna, keys[1].ID), eyelevel.EFORBIDDEN, "passkey.err.last")

		// A client may remove their last passkey: the account has no factor then.
		e.enrol(client, newPasskeyAuthenticator(t, passkeyTestOrigin), "")
		if _, pending := e.login("pk-client"); pending == "" {
			t.Fatal("client with a passkey logged in with the password alone")
		}
		ck, _ := e.svc.Passkeys(e.ctx, client)
		if err := e.svc.DeletePasskey(e.ctx, client, ck[0].ID); err != nil {
			t.Fatal(err)
		}
		if c, pending := e.login("pk-client"); pending != "" || c.UserID != client.UserID {
			t.Fatal("client without a factor did not log in with the password")
		}

		if err := e.svc.ResetSecondFactor(e.ctx, e.admin, anna.UserID); err != nil {
			t.Fatal(err)
		}
		if keys, _ := e.svc.Passkeys(e.ctx, anna); len(keys) != 0 {
			t.Errorf("passkeys after an admin reset: %d", len(keys))
		}
		if a, pending := e.login("pk-anna"); pending != "" || !a.Limited {
			t.Errorf("after the reset: pending %q, limited %v; want a limited session", pending, a.Limited)
		}
	})
}

// TestPasskeyUnavailableWithoutUsableURL: no public URL, or an IP address
// other than loopback, leaves passkeys off; loopback means localhost.
func TestPasskeyUnavailableWithoutUsableURL(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		for url, want := range map[string]bool{"": false, "http://192.0.2.7:8080": false, "http://example.org": false,
			"http://127.0.0.1:8080": true, "http://localhost:8080": true, "https://counseling.example.org": true} {
			svc := servicetest.NewServiceConfig(t, db, service.Config{Mail: service.MailConfig{PublicURL: url}}, nil)
			if got := svc.PasskeysAvailable(); got != want {
				t.Errorf("PasskeysAvailable with %q = %v, want %v", url, got, want)
			}
		}
	})
}
