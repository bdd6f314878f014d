package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestProgramFollowsPageLanguage: a client whose account is in Dari but
// who reads the pages in English gets the program in English — on the
// pages and over the API, by the same rule (explicit choice > account >
// Accept-Language).
func TestProgramFollowsPageLanguage(t *testing.T) {
	e := newPagesEnv(t)
	c := e.browser()
	p := c.raw(http.MethodPost, "/register", url.Values{"username": {"nour"}, "password": {"client-password"}, "language": {"fa-AF"}, "timezone": {"Europe/Berlin"}})
	mustStatus(t, "register", p, http.StatusSeeOther)
	const en, dari = "My situation", "وضعیت من"

	p = c.get("/program")
	mustContain(t, "program in the account's language", p, dari)
	p = c.get("/program?lang=en")
	mustStatus(t, "program in English", p, http.StatusOK)
	mustContain(t, "program in English", p, `lang="en"`, en)
	if strings.Contains(p.body, dari) {
		t.Error("English program page shows the Dari step title")
	}
	p = c.get("/program/1") // the language cookie now says English
	mustContain(t, "step in English", p, en)
	if strings.Contains(p.body, dari) {
		t.Error("English step page shows Dari content")
	}

	// The API: the account's language unless the caller asks for another.
	tok, _, _, err := e.svc.Login(t.Context(), "nour", "client-password", "10.0.0.1", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, accept, want string }{
		{"/api/v1/program/steps/1", "", dari},
		{"/api/v1/program/steps/1?lang=en", "", en},
		{"/api/v1/program?lang=en", "", en},
	} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !json.Valid(body) || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: %d, want %q in %.300s", tc.path, res.StatusCode, tc.want, body)
		}
	}
}

// TestFavicon: browsers ask for /favicon.ico on their own; every page
// links the SVG icon, which the strict CSP allows (same origin).
func TestFavicon(t *testing.T) {
	e := newPagesEnv(t)
	b := e.browser()
	p := b.get("/favicon.ico")
	mustStatus(t, "favicon.ico", p, http.StatusOK)
	if ct := p.header.Get("Content-Type"); ct != "image/vnd.microsoft.icon" || !strings.HasPrefix(p.body, "\x00\x00\x01\x00") {
		t.Errorf("favicon.ico: Content-Type %q, starts %q", ct, p.body[:min(4, len(p.body))])
	}
	for _, path := range []string{"/", "/login", "/help"} {
		p := b.get(path)
		mustContain(t, path, p, `<link rel="icon" href="`+assetURL("favicon.svg")+`" type="image/svg+xml">`)
	}
	p = b.get(assetURL("favicon.svg"))
	mustStatus(t, "favicon.svg", p, http.StatusOK)
	if ct := p.header.Get("Content-Type"); ct != "image/svg+xml" || !strings.Contains(p.body, "<svg") {
		t.Errorf("favicon.svg: Content-Type %q", ct)
	}
}
