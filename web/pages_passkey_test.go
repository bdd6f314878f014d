package web

import (
	"net/http"
	"strings"
	"testing"

	"eyelevel"
)

// TestPagesPasskeyEndpoints: without a public URL passkeys are off (no
// section on the page, the options endpoint says so in JSON); the login's
// passkey endpoints need a pending login.
func TestPagesPasskeyEndpoints(t *testing.T) {
	e := newPagesEnv(t)
	if _, err := e.svc.AddUser(t.Context(), eyelevel.RoleClient, "pk-page", "client-password", "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("pk-page", "client-password")
	p := b.get("/settings/second-factor")
	mustStatus(t, "second-factor page", p, http.StatusOK)
	if strings.Contains(p.body, `id="passkey-add"`) || strings.Contains(p.body, "passkey.js") {
		t.Errorf("passkey section shown although passkeys are off")
	}
	p = b.post("/settings/second-factor/passkeys/options", nil)
	if p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, `"code":"unavailable"`) {
		t.Errorf("registration options without a public URL: %d %s", p.status, p.body)
	}
	anon := e.browser()
	p = anon.post("/login/passkey/options", nil)
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, `"error"`) {
		t.Errorf("login options without a pending login: %d %s", p.status, p.body)
	}
	p = anon.post("/login/passkey", nil)
	if p.status == http.StatusOK || p.status >= 500 {
		t.Errorf("passkey login without a pending login: %d", p.status)
	}
}
