package web_test

import (
	"bytes"
	"net/http"
	"testing"
)

// TestAcctAuthz is the authorization table of the account settings: every
// logged-in role manages its own settings; nobody anonymous does; a
// counselor's email is set by the admin or the counselor only.
func TestAcctAuthz(t *testing.T) {
	w := newWorld(t)
	x := string(w.ids[counselorX])
	profile := map[string]any{"display_name": "Counselor X", "gender": "female", "languages": []map[string]any{{"code": "de", "native": true}},
		"timezone": "Europe/Berlin", "bio": "", "qualifications": "", "email": "x@example.org"}
	type action struct {
		name, method, path string
		body               any
		want               map[role]int // missing roles: 200
	}
	anon401 := map[role]int{anon: 401}
	for _, a := range []action{
		{"read settings", "GET", "/api/v1/me", nil, anon401},
		{"change settings", "PATCH", "/api/v1/me", map[string]any{"language": "en", "notifications": []string{"reminders"}}, anon401},
		{"new recovery code", "POST", "/api/v1/me/recovery-code", map[string]any{"password": password},
			map[role]int{anon: 401, clientA: 201, clientB: 201, counselorX: 201, counselorY: 201, admin: 201}},
		{"set a counselor's email", "PUT", "/api/v1/counselors/" + x, profile,
			map[role]int{anon: 401, clientA: 403, clientB: 403, counselorY: 403}},
		{"ask for a reset link", "POST", "/api/v1/password-resets", map[string]any{"username": "client-a"},
			map[role]int{anon: 202, clientA: 202, clientB: 202, counselorX: 202, counselorY: 202, admin: 202}},
		{"change password", "PUT", "/api/v1/me/password", map[string]any{"current": password, "new": "a new long password"},
			map[role]int{anon: 401, clientA: 204, clientB: 204, counselorX: 204, counselorY: 204, admin: 204}},
	} {
		for _, who := range roles {
			want, ok := a.want[who]
			if !ok {
				want = 200
			}
			if got := w.do(t, who, a.method, a.path, a.body).Status; got != want {
				t.Errorf("%s by %s: %d, want %d", a.name, who, got, want)
			}
		}
	}
	// The changes each caller made stayed with their own account, and the
	// token that changed the password still works.
	var me struct {
		Language      string   `json:"language"`
		Notifications []string `json:"notifications"`
		HasRecovery   bool     `json:"has_recovery_code"`
	}
	for _, who := range roles[1:] {
		r := w.do(t, who, "GET", "/api/v1/me", nil)
		r.wantStatus(t, 200)
		r.decode(t, &me)
		if me.Language != "en" || len(me.Notifications) != 1 || !me.HasRecovery {
			t.Errorf("%s: %+v", who, me)
		}
	}
}

// TestAcctAPIResetSameAnswer: a reset request for a known and an unknown
// username or address gets the same status and the same bytes.
func TestAcctAPIResetSameAnswer(t *testing.T) {
	w := newWorld(t)
	var bodies [][]byte
	for _, in := range []map[string]string{
		{"username": "client-a"}, {"username": "no-such-user"}, {"username": "counselor-x"},
		{"email": "someone@example.org"}, {"email": "nobody@example.org"},
	} {
		r := w.do(t, anon, "POST", "/api/v1/password-resets", in)
		r.wantStatus(t, http.StatusAccepted)
		bodies = append(bodies, r.Body)
	}
	for i, b := range bodies[1:] {
		if !bytes.Equal(b, bodies[0]) {
			t.Errorf("answer %d differs: %s vs %s", i+1, b, bodies[0])
		}
	}
	w.do(t, anon, "POST", "/api/v1/password-resets", map[string]string{}).wantError(t, 400, "invalid", "username")
	w.do(t, anon, "POST", "/api/v1/password-resets", map[string]string{"email": "bad"}).wantError(t, 400, "invalid", "email")
	w.do(t, anon, "POST", "/api/v1/password-resets/not-a-token", map[string]string{"password": "a new long password"}).wantError(t, 400, "invalid")
	w.do(t, anon, "POST", "/api/v1/email-verifications/not-a-token", nil).wantError(t, 400, "invalid")
}

// TestAcctAPIRecovery: the code from sign-up resets the password once,
// ends the old token and answers a new code; a wrong code is a 401.
func TestAcctAPIRecovery(t *testing.T) {
	w := newWorld(t)
	r := w.do(t, anon, "POST", "/api/v1/accounts", map[string]any{"username": "mina", "password": password, "language": "fa", "timezone": "Asia/Tehran", "consent": true})
	r.wantStatus(t, 201)
	var acct struct {
		RecoveryCode string `json:"recovery_code"`
	}
	r.decode(t, &acct)
	tok := w.login(t, "mina")
	recover := func(code string) *response {
		return w.do(t, anon, "POST", "/api/v1/password-resets/recovery", map[string]string{"username": "mina", "recovery_code": code, "password": "a new long password"})
	}
	recover("AAAAA-BBBBB-CCCCC-DDDDD").wantError(t, 401, "unauthorized")
	w.do(t, anon, "POST", "/api/v1/password-resets/recovery", map[string]string{"username": "no-such-user", "recovery_code": acct.RecoveryCode, "password": "a new long password"}).wantError(t, 401, "unauthorized")
	w.do(t, anon, "POST", "/api/v1/password-resets/recovery", map[string]string{"username": "mina", "recovery_code": acct.RecoveryCode, "password": "short"}).wantError(t, 400, "invalid", "password")
	r = recover(acct.RecoveryCode)
	r.wantStatus(t, 200)
	var next struct {
		RecoveryCode string `json:"recovery_code"`
	}
	r.decode(t, &next)
	if next.RecoveryCode == "" || next.RecoveryCode == acct.RecoveryCode {
		t.Fatalf("new code %q", next.RecoveryCode)
	}
	w.doToken(t, tok, "GET", "/api/v1/me", nil).wantError(t, 401, "unauthorized")
	recover(acct.RecoveryCode).wantError(t, 401, "unauthorized")
}

// TestAcctAPISettingsInput: bad settings are field errors (never 500) and
// change nothing.
func TestAcctAPISettingsInput(t *testing.T) {
	w := newWorld(t)
	before := w.do(t, clientA, "GET", "/api/v1/me", nil).Body
	for _, c := range []struct {
		body  any
		field string
	}{
		{`{"language":"en","email":"no address"}`, "email"},
		{`{"language":"xx"}`, "language"},
		{`{"language":"en","timezone":"Mars/Olympus"}`, "timezone"},
		{`{"language":"en","notifications":["spam"]}`, "notifications"},
		{`{"language":"en","notifications":"reminders"}`, "notifications"},
		{`{"language":"en","email":5}`, "email"},
	} {
		w.do(t, clientA, "PATCH", "/api/v1/me", c.body).wantError(t, 400, "invalid", c.field)
	}
	w.do(t, clientA, "PATCH", "/api/v1/me", `{"language":"en","colour":"red"}`).wantError(t, 400, "invalid")
	w.do(t, counselorX, "PATCH", "/api/v1/me", `{"timezone":"UTC"}`).wantError(t, 400, "invalid", "timezone")
	if after := w.do(t, clientA, "GET", "/api/v1/me", nil).Body; !bytes.Equal(before, after) {
		t.Errorf("a refused change was written: %s → %s", before, after)
	}
	w.do(t, clientA, "PUT", "/api/v1/me/password", map[string]string{"current": "wrong password!", "new": "a new long password"}).wantError(t, 400, "invalid", "current")
	w.do(t, clientA, "PUT", "/api/v1/me/password", map[string]string{"current": password, "new": "short"}).wantError(t, 400, "invalid", "new")
	w.do(t, clientA, "POST", "/api/v1/me/recovery-code", map[string]string{"password": ""}).wantError(t, 400, "invalid", "password")
	r := w.do(t, clientA, "PATCH", "/api/v1/me", map[string]any{"email": "anna@example.org", "timezone": "America/Toronto"})
	r.wantStatus(t, 200)
	var me struct {
		Email, EmailPending, TimeZone string
		Verified                      bool `json:"email_verified"`
	}
	r.decode(t, &me)
	if me.Email != "anna@example.org" || me.Verified || me.TimeZone != "America/Toronto" {
		t.Errorf("after the change: %+v", me)
	}
}
