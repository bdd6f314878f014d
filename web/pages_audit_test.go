package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAccessLogPages: the client reads who opened their page on
// /access-log (linked from settings); staff get no log; admins read staff
// actions on /admin/audit, without reads of a client's data.
func TestAccessLogPages(t *testing.T) {
	e := newWSPages(t)
	mustStatus(t, "counselor's client page", e.bx.get("/workspace/clients/"+string(e.a)), http.StatusOK)

	mustContain(t, "settings", e.ba.get("/settings"), `href="/access-log"`)
	p := e.ba.get("/access-log")
	mustStatus(t, "access log", p, http.StatusOK)
	mustContain(t, "access log", p, e.de("audit.actor.counselor", "name", "\u2068Counselor xenia\u2069"), e.de("audit.what.view.client"))
	if strings.Count(p.body, e.de("audit.what.view.client")) != 1 {
		t.Errorf("one visit, one line:\n%s", p.body)
	}
	if p := e.bx.get("/access-log"); p.status != http.StatusForbidden && p.status != http.StatusNotFound {
		t.Errorf("a counselor's /access-log: %d", p.status)
	}
	if p := e.bx.get("/admin/audit"); p.status != http.StatusForbidden && p.status != http.StatusNotFound {
		t.Errorf("a counselor's /admin/audit: %d", p.status)
	}

	if _, err := e.svc.AddUser(t.Context(), "admin", "auditadmin", "admin-password-1", "UTC"); err != nil {
		t.Fatal(err)
	}
	ad := e.browser()
	if p := ad.raw(http.MethodPost, "/login", url.Values{"username": {"auditadmin"}, "password": {"admin-password-1"}}); p.status != http.StatusSeeOther {
		t.Fatalf("admin login: %d", p.status)
	}
	p = ad.get("/admin/audit")
	mustStatus(t, "staff actions", p, http.StatusOK)
	mustContain(t, "staff actions", p, "action.counselor_create", "xenia")
	if strings.Contains(p.body, "view.") {
		t.Errorf("admins see reads:\n%s", p.body)
	}
}
