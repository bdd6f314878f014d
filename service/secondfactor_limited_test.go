package service_test

import (
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"

	"github.com/pquerna/otp/totp"
)

// limitedSignIn logs username in with the password alone, as an API token
// (api) or a browser session, and returns the session and its actor.
func (e *passkeyEnv) limitedSignIn(username string, api bool) (service.SignedIn, eyelevel.Actor) {
	e.t.Helper()
	in, err := e.svc.SignIn(e.ctx, service.Credentials{Username: username, Password: password, IP: "198.51.100.7", API: api})
	if err != nil {
		e.t.Fatalf("login %s: %v", username, err)
	}
	kind := service.SessionWeb
	if api {
		kind = service.SessionAPI
	}
	a, err := e.svc.Authenticate(e.ctx, in.Token, kind)
	if err != nil {
		e.t.Fatal(err)
	}
	if !a.Limited {
		e.t.Fatalf("%s without a factor got a full session", username)
	}
	return in, a
}

func (e *passkeyEnv) totpCode(secret string) string {
	e.t.Helper()
	c, err := totp.GenerateCode(secret, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// wantEnded checks that the session of token is gone.
func (e *passkeyEnv) wantEnded(token, kind, what string) {
	e.t.Helper()
	if _, err := e.svc.Authenticate(e.ctx, token, kind); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
		e.t.Errorf("%s after the owner enrolled: %v, want ended", what, err)
	}
}

// TestSecondFactorLimitedAfterTOTP: an attacker who got a limited API
// token with the counselor's password before she enrolled TOTP can add no
// passkey and start no TOTP afterwards; enrolling ended the attacker's
// token and web session. The owner's full session still adds a passkey.
func TestSecondFactorLimitedAfterTOTP(t *testing.T) {
	passkeyForEach(t, func(t *testing.T, e *passkeyEnv) {
		e.add(eyelevel.RoleCounselor, "lim-c")
		tok, attacker := e.limitedSignIn("lim-c", true)
		web, _ := e.limitedSignIn("lim-c", false)
		// A registration the attacker started before the owner enrolled.
		early, err := e.svc.BeginPasskeyRegistration(e.ctx, attacker)
		if err != nil {
			t.Fatal(err)
		}
		_, owner := e.limitedSignIn("lim-c", false)
		setup, err := e.svc.BeginTOTP(e.ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ConfirmTOTP(e.ctx, owner, e.totpCode(setup.Secret)); err != nil {
			t.Fatal(err)
		}
		e.wantEnded(tok.Token, service.SessionAPI, "the attacker's limited token")
		e.wantEnded(web.Token, service.SessionWeb, "another limited web session")

		// Even with a limited actor still in hand (a request under way):
		evil := newPasskeyAuthenticator(t, passkeyTestOrigin)
		_, err = e.svc.FinishPasskeyRegistration(e.ctx, attacker, "evil", evil.create(early))
		wantKey(t, err, eyelevel.ESECONDFACTOR, "tfa.err.expired")
		_, err = e.svc.BeginPasskeyRegistration(e.ctx, attacker)
		wantKey(t, err, eyelevel.ESECONDFACTOR, "tfa.err.expired")
		_, err = e.svc.BeginTOTP(e.ctx, attacker)
		wantKey(t, err, eyelevel.ESECONDFACTOR, "tfa.err.expired")
		_, err = e.svc.ConfirmTOTP(e.ctx, attacker, e.totpCode(setup.Secret))
		wantKey(t, err, eyelevel.ESECONDFACTOR, "tfa.err.expired")
		st, err := e.svc.SecondFactor(e.ctx, owner)
		if err != nil || !st.Enrolled || st.Passkeys != 0 || st.CodesLeft != 10 {
			t.Fatalf("state after the attempts = %+v, %v; want TOTP, no passkey, 10 codes", st, err)
		}

		// The owner, logged in with her code, still manages her factors.
		e.clock.Advance(30 * time.Second)
		in, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "lim-c", Password: password, IP: "192.0.2.1", OTP: e.totpCode(setup.Secret)})
		if err != nil {
			t.Fatal(err)
		}
		full := e.actor(in.Token)
		if full.Limited {
			t.Fatal("login with the code is limited")
		}
		e.enrol(full, newPasskeyAuthenticator(t, passkeyTestOrigin), "laptop")
		if st, _ := e.svc.SecondFactor(e.ctx, full); st.Passkeys != 1 {
			t.Errorf("passkeys of the full session = %d, want 1", st.Passkeys)
		}
	})
}

// TestSecondFactorLimitedAfterPasskey: the same, the owner enrolling a
// passkey: the attacker can neither start nor confirm TOTP, nor remove the
// owner's passkey.
func TestSecondFactorLimitedAfterPasskey(t *testing.T) {
	passkeyForEach(t, func(t *testing.T, e *passkeyEnv) {
		e.add(eyelevel.RoleCounselor, "lim-p")
		tok, attacker := e.limitedSignIn("lim-p", true)
		web, _ := e.limitedSignIn("lim-p", false)
		// A TOTP enrolment the attacker started before the owner enrolled.
		setup, err := e.svc.BeginTOTP(e.ctx, attacker)
		if err != nil {
			t.Fatal(err)
		}
		_, owner := e.limitedSignIn("lim-p", false)
		key := newPasskeyAuthenticator(t, passkeyTestOrigin)
		if codes := e.enrol(owner, key, "phone"); len(codes) != 10 {
			t.Fatalf("recovery codes: %d", len(codes))
		}
		e.wantEnded(tok.Token, service.SessionAPI, "the attacker's limited token")
		e.wantEnded(web.Token, service.SessionWeb, "another limited web session")

		_, err = e.svc.ConfirmTOTP(e.ctx, attacker, e.totpCode(setup.Secret))
		wantKey(t, err, eyelevel.ESECONDFACTOR, "tfa.err.expired")
		_, err = e.svc.BeginTOTP(e.ctx, attacker)
		wantKey(t, err, eyelevel.ESECONDFACTOR, "tfa.err.expired")
		keys, err := e.svc.Passkeys(e.ctx, owner)
		if err != nil || len(keys) != 1 {
			t.Fatalf("passkeys = %v, %v", keys, err)
		}
		wantKey(t, e.svc.DeletePasskey(e.ctx, attacker, keys[0].ID), eyelevel.ESECONDFACTOR, "tfa.err.expired")
		_, err = e.svc.BeginPasskeyRegistration(e.ctx, attacker)
		wantKey(t, err, eyelevel.ESECONDFACTOR, "tfa.err.expired")
		st, err := e.svc.SecondFactor(e.ctx, owner)
		if err != nil || st.Enrolled || st.Passkeys != 1 || st.CodesLeft != 10 {
			t.Fatalf("state after the attempts = %+v, %v; want one passkey, no TOTP, 10 codes", st, err)
		}

		// With the passkey, the owner may add TOTP.
		full := e.full("lim-p", key)
		s2, err := e.svc.BeginTOTP(e.ctx, full)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ConfirmTOTP(e.ctx, full, e.totpCode(s2.Secret)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSecondFactorLimitedLifetime: a limited API token or browser session
// lasts one hour; a full one keeps its configured lifetime.
func TestSecondFactorLimitedLifetime(t *testing.T) {
	passkeyForEach(t, func(t *testing.T, e *passkeyEnv) {
		e.add(eyelevel.RoleCounselor, "lim-t")
		e.add(eyelevel.RoleClient, "lim-client")
		now := e.clock.Now().UTC()
		tok, _ := e.limitedSignIn("lim-t", true)
		web, _ := e.limitedSignIn("lim-t", false)
		for _, in := range []service.SignedIn{tok, web} {
			if !in.Expires.Equal(now.Add(time.Hour)) {
				t.Errorf("limited session expires %v, want %v", in.Expires, now.Add(time.Hour))
			}
		}
		client, err := e.svc.SignIn(e.ctx, service.Credentials{Username: "lim-client", Password: password, IP: "192.0.2.1", API: true})
		if err != nil {
			t.Fatal(err)
		}
		if want := now.Add(30 * 24 * time.Hour); !client.Expires.Equal(want) {
			t.Errorf("client token expires %v, want %v", client.Expires, want)
		}
		e.clock.Advance(time.Hour - time.Second)
		if _, err := e.svc.Authenticate(e.ctx, tok.Token, service.SessionAPI); err != nil {
			t.Fatalf("limited token before its hour: %v", err)
		}
		e.clock.Advance(time.Second)
		wantCode(t, func() error { _, err := e.svc.Authenticate(e.ctx, tok.Token, service.SessionAPI); return err }(), eyelevel.EUNAUTHORIZED)
		wantCode(t, func() error { _, err := e.svc.Authenticate(e.ctx, web.Token, service.SessionWeb); return err }(), eyelevel.EUNAUTHORIZED)
		if _, err := e.svc.Authenticate(e.ctx, client.Token, service.SessionAPI); err != nil {
			t.Errorf("client token after an hour: %v", err)
		}
	})
}
