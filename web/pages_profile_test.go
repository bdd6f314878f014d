package web

import (
	"net/http"
	"net/url"
	"testing"

	"eyelevel"
)

// TestProfilePages: an admin and the counselor themself edit a profile over
// the HTML form; a client may not.
func TestProfilePages(t *testing.T) {
	e := newPagesEnv(t)
	admin, counselor, id := e.setup()

	p := admin.get("/profile?counselor=" + string(id))
	mustStatus(t, "admin's profile form", p, http.StatusOK)
	mustContain(t, "admin's profile form", p, `value="Amira K."`, `name="lang.ar" value="yes" checked`, `name="native.ar" value="yes" checked`, `value="so*"`)
	form := url.Values{"display_name": {"Amira Karimi"}, "gender": {"female"}, "lang.ar": {"yes"}, "native.ar": {"yes"},
		"lang.uk": {"yes"}, "timezone": {"Europe/Berlin"}, "bio": {"Neu."}, "qualifications": {"M.Sc."}}
	p = admin.post("/profile?counselor="+string(id), form)
	mustStatus(t, "admin saves", p, http.StatusOK)
	mustContain(t, "admin saves", p, e.de("notice.saved"), `value="Amira Karimi"`, `name="lang.uk" value="yes" checked`)
	if c, _ := e.svc.Counselor(t.Context(), eyelevel.Actor{}, id); c.DisplayName != "Amira Karimi" || len(c.Languages) != 2 {
		t.Fatalf("profile = %+v", c)
	}

	form.Set("display_name", "")
	p = counselor.post("/profile", form)
	mustStatus(t, "empty name", p, http.StatusBadRequest)
	mustContain(t, "empty name", p, e.de("counselor.err.display_name"))
	form.Set("display_name", "Amira")
	p = counselor.post("/profile", form)
	mustContain(t, "counselor saves own", p, e.de("notice.saved"), `value="Amira"`)

	c := e.browser()
	c.post("/register", url.Values{"consent": {"yes"}, "username": {"leser"}, "password": {"client-password"}, "language": {"de"}, "timezone": {"Europe/Berlin"}})
	mustStatus(t, "client on a profile form", c.get("/profile?counselor="+string(id)), http.StatusForbidden)
	mustStatus(t, "client posts a profile", c.post("/profile?counselor="+string(id), form), http.StatusForbidden)
}
