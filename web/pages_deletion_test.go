package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"eyelevel"
)

// TestPagesDeleteAccount: the settings link to the deletion page, its
// explanation, the confirmation box and the password; afterwards the
// browser is signed out and the start page says it is done.
func TestPagesDeleteAccount(t *testing.T) {
	e := newPagesEnv(t)
	u, err := e.svc.AddUser(t.Context(), eyelevel.RoleClient, "deleting-dana", "client-password", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	c.login("deleting-dana", "client-password")
	mustContain(t, "settings", c.get("/settings"), `href="/account/delete"`)
	p := c.get("/account/delete")
	mustStatus(t, "page", p, http.StatusOK)
	mustContain(t, "page", p, e.de("erase.intro"), e.de("erase.what.figures"), `name="password"`, `name="confirm"`)

	p = c.post("/account/delete", url.Values{"password": {"client-password"}})
	mustStatus(t, "no confirmation", p, http.StatusBadRequest)
	mustContain(t, "no confirmation", p, e.de("erase.err.confirm"))
	p = c.post("/account/delete", url.Values{"password": {"wrong-password"}, "confirm": {"yes"}})
	mustStatus(t, "wrong password", p, http.StatusBadRequest)
	mustContain(t, "wrong password", p, e.de("settings.err.current"), `checked`)
	if _, err := e.db.UserByID(t.Context(), u.ID); err != nil {
		t.Fatalf("refused deletion deleted: %v", err)
	}

	p = c.post("/account/delete", url.Values{"password": {"client-password"}, "confirm": {"yes"}})
	mustStatus(t, "deleted", p, http.StatusOK)
	mustContain(t, "deleted", p, e.de("erase.done"))
	if _, err := e.db.UserByID(t.Context(), u.ID); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
		t.Errorf("account still there: %v", err)
	}
	if p := c.raw(http.MethodGet, "/settings", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Errorf("settings after the deletion: %d %s", p.status, p.location)
	}
}

// TestPagesDeleteCounselor: an admin deletes a counselor from the admin
// list after a confirmation page; the counselor's own browser is signed
// out, and a counselor cannot open the admin page.
func TestPagesDeleteCounselor(t *testing.T) {
	e := newPagesEnv(t)
	admin, counselor, id := e.setup()
	path := "/admin/counselors/" + string(id) + "/delete"
	mustContain(t, "admin list", admin.get("/admin/counselors"), `href="`+path+`"`)
	if p := counselor.get(path); p.status != http.StatusNotFound {
		t.Errorf("a counselor opened the admin deletion page: %d", p.status)
	}
	p := admin.get(path)
	mustStatus(t, "confirm page", p, http.StatusOK)
	mustContain(t, "confirm page", p, "Amira K.", e.de("erase.counselor.clients"), `method="post" action="`+path+`"`)
	p = admin.post(path, url.Values{})
	mustStatus(t, "deleted", p, http.StatusOK)
	mustContain(t, "deleted", p, e.de("erase.counselor.done"))
	if strings.Contains(p.body, "Amira K.") {
		t.Error("the admin list still shows the deleted counselor")
	}
	if p := counselor.raw(http.MethodGet, "/availability", nil); p.status != http.StatusSeeOther {
		t.Errorf("the deleted counselor's browser: %d", p.status)
	}
}
