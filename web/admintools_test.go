package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAdminToolsPages(t *testing.T) {
	e := newPagesEnv(t)
	adminB, counselorB, id := e.setup()
	e.browser().post("/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"UTC"}})

	p := adminB.get("/admin/accounts?q=NOU")
	mustStatus(t, "account search", p, http.StatusOK)
	mustContain(t, "account search", p, "<th scope=\"row\">nour</th>", e.de("admintools.role.client"), `href="/admin/accounts"`, `href="/admin/session-counts"`)
	if strings.Contains(p.body, "/second-factor/reset") {
		t.Error("a client's row offers a second-factor reset")
	}
	p = adminB.get("/admin/accounts?q=" + url.QueryEscape("amir"))
	mustContain(t, "counselor in search", p, `action="/admin/users/`+string(id)+`/second-factor/reset"`, `href="/admin/counselors/`+string(id)+`/standing"`)

	p = adminB.post("/admin/counselors/"+string(id)+"/deactivate", url.Values{})
	mustStatus(t, "deactivate", p, http.StatusOK)
	mustContain(t, "deactivated", p, `action="/admin/counselors/`+string(id)+`/reactivate"`)
	mustContain(t, "session counts", adminB.get("/admin/session-counts"), e.de("admintools.counts.heading"), e.de("admintools.deactivated"))

	for _, path := range []string{"/admin/accounts?q=nour", "/admin/session-counts", "/admin/counselors/" + string(id) + "/standing"} {
		mustStatus(t, "counselor on "+path, counselorB.raw(http.MethodGet, path, nil), http.StatusForbidden)
	}
	if p := counselorB.raw(http.MethodPost, "/admin/counselors/"+string(id)+"/reactivate", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("counselor reactivating: %d", p.status)
	}
}
