package web

import (
	"html"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"eyelevel/i18n"
)

var externalURL = regexp.MustCompile(`(?i)(?:src|href|action)\s*=\s*"(?:[a-z][a-z0-9+.-]*:)?//`)

// TestPagesRender opens every page as the role that sees it and checks the
// shell: status, language and direction, crisis link, no outside resources.
func TestPagesRender(t *testing.T) {
	e := newPagesEnv(t)
	admin, counselor, id := e.setup()
	client := e.browser()
	client.post("/register", url.Values{"consent": {"yes"}, "username": {"nour"}, "password": {"client-password"}, "language": {"ar"}, "timezone": {"Asia/Kabul"}})
	anon := e.browser()
	slot := slotLink.FindStringSubmatch(client.get("/counselors?language=ar").body)
	if slot == nil {
		t.Fatal("no slot")
	}
	cases := []struct {
		who    *browser
		path   string
		status int
	}{
		{anon, "/", 200}, {e.browser(), "/?lang=en", 200}, {anon, "/help", 200}, {anon, "/register", 200},
		{anon, "/login", 200}, {anon, "/counselors", 200}, {anon, "/counselors?language=ar&gender=female", 200},
		{anon, "/counselors/" + string(id), 200}, {anon, "/counselors/nobody", 404}, {anon, "/no/such/page", 404},
		{anon, "/counselors?language=", 200}, {anon, "/counselors?language=zz-invalid!", 400},
		{client, "/", 200}, {client, "/counselors?language=ar", 200}, {client, html.UnescapeString(slot[1]), 200},
		{client, "/appointments", 200}, {client, "/book?counselor=" + string(id) + "&start=garbage", 400},
		{counselor, "/appointments", 200}, {counselor, "/availability", 200},
		{admin, "/admin/counselors", 200}, {admin, "/admin/counselors/new", 200}, {admin, "/appointments", 200},
	}
	for _, c := range cases {
		p := c.who.get(c.path)
		if p.status != c.status {
			t.Errorf("%s: status %d, want %d\n%.1500s", c.path, p.status, c.status, p.body)
			continue
		}
		lang, dir := "de", "ltr"
		if strings.Contains(c.path, "lang=en") {
			lang = "en"
		}
		if c.who == client { // registered with Arabic as the UI language
			lang, dir = "ar", "rtl"
		}
		if !strings.Contains(p.body, `<html lang="`+lang+`" dir="`+dir+`">`) {
			t.Errorf("%s: no <html lang dir>:\n%.300s", c.path, p.body)
		}
		if strings.Count(p.body, "<h1") != 1 {
			t.Errorf("%s: %d h1 elements", c.path, strings.Count(p.body, "<h1"))
		}
		if !strings.Contains(p.body, `href="/help"`) {
			t.Errorf("%s: no crisis link", c.path)
		}
		if m := externalURL.FindString(p.body); m != "" {
			t.Errorf("%s: links another host: %s", c.path, m)
		}
		if strings.Contains(p.body, "style=") || strings.Contains(p.body, "<script") {
			t.Errorf("%s: inline style or script", c.path)
		}
		if ct := p.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: content type %q", c.path, ct)
		}
	}

	p := anon.get("/help")
	mustContain(t, "help", p, "112", "0800 111 0 111", "0800 111 0 222", "116 123", e.de("help.not_emergency"))
	p = e.browser().get("/?lang=en")
	mustContain(t, "landing", p, `href="/?lang=de"`, `lang="de"`, ">Deutsch<", ">English<", `href="/register?lang=en"`)
}

func TestPagesStatic(t *testing.T) {
	e := newPagesEnv(t)
	b := e.browser()
	p := b.get(assetURL("style.css"))
	mustStatus(t, "style.css", p, http.StatusOK)
	if cc := p.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("Cache-Control = %q", cc)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}
	for _, path := range []string{"/static/", "/static/nothing.css"} {
		if p := b.get(path); p.status != http.StatusNotFound {
			t.Errorf("%s: %d", path, p.status)
		}
	}
	// Logical properties only, so right-to-left languages mirror.
	css, _ := fs.ReadFile(staticFS, "static/style.css")
	if m := regexp.MustCompile(`(?m)(margin|padding|border)-(left|right)|\b(left|right)\s*:|text-align:\s*(left|right)`).Find(css); m != nil {
		t.Errorf("style.css uses a physical property: %s", m)
	}
}

func TestFormatTime(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	loc := berlin(t)
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC) // a Tuesday, 09:00 in Berlin
	for _, c := range []struct {
		lang  string
		style timeStyle
		want  string
	}{
		{"en", styleDateTime, "Tue 1 Dec 2026, 09:00 (Europe/Berlin)"},
		{"de", styleDateTime, "Di., 1. Dez. 2026, 09:00 Uhr (Europe/Berlin)"},
		{"de", styleDate, "Di., 1. Dez. 2026"},
		{"en", styleClock, "09:00"},
	} {
		if got := formatTime(cat, c.lang, at, loc, c.style); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.style, got, c.want)
		}
	}
}

// TestTemplatesTranslated guards the catalog rule: once tags, attributes
// and template actions are removed, no template may contain visible text
// other than punctuation, digits and spaces; and every key a template
// names exists in English and German.
func TestTemplatesTranslated(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	actions := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	comments := regexp.MustCompile(`(?s)<!--.*?-->`)
	tags := regexp.MustCompile(`(?s)<[^>]*>`)
	entities := regexp.MustCompile(`&[a-zA-Z]+;|&#[0-9]+;`)
	allowed := regexp.MustCompile(`^[\p{P}\p{Zs}\s0-9]*$`)
	literalAttr := regexp.MustCompile(`(?:aria-label|title|placeholder|alt)="[^"{]*\pL`)
	keyRef := regexp.MustCompile(`\bt "([^"]+)"`)
	names, _ := fs.Glob(templateFS, "templates/*.html")
	if len(names) == 0 {
		t.Fatal("no templates")
	}
	for _, name := range names {
		b, _ := fs.ReadFile(templateFS, name)
		src := string(b)
		text := entities.ReplaceAllString(tags.ReplaceAllString(comments.ReplaceAllString(actions.ReplaceAllString(src, " "), " "), " "), " ")
		for _, line := range strings.Split(text, "\n") {
			if !allowed.MatchString(line) {
				t.Errorf("%s: untranslated text %q", name, strings.TrimSpace(line))
			}
		}
		if m := literalAttr.FindString(actions.ReplaceAllString(src, "")); m != "" {
			t.Errorf("%s: untranslated attribute %s", name, m)
		}
		for _, m := range keyRef.FindAllStringSubmatch(src, -1) {
			for _, lang := range []string{"en", "de"} {
				if _, ok := cat.Entry(lang, m[1]); !ok {
					t.Errorf("%s: key %q missing in %s", name, m[1], lang)
				}
			}
		}
	}
	// Keys the pages build at run time.
	var dynamic []string
	for i := range 7 {
		dynamic = append(dynamic, "weekday."+itoa(i), "weekday.long."+itoa(i))
	}
	for i := 1; i <= 12; i++ {
		dynamic = append(dynamic, "month."+itoa(i))
	}
	dynamic = append(dynamic, "gender.female", "gender.male", "gender.diverse", "appointments.status.booked",
		"appointments.status.cancelled", "format.date", "format.datetime", "error.bad_form",
		"availability.from", "availability.to", "availability.from_optional", "availability.to_optional",
		"landing.title", "help.title", "register.title", "login.title", "search.title", "counselor.title",
		"book.title", "error.page_not_found", "appointments.title", "availability.title", "admin.counselors.title", "admin.new.title", "error.title")
	for _, key := range notices {
		dynamic = append(dynamic, key)
	}
	for _, key := range errorHeadings {
		dynamic = append(dynamic, key)
	}
	for _, key := range dynamic {
		for _, lang := range []string{"en", "de"} {
			if _, ok := cat.Entry(lang, key); !ok {
				t.Errorf("key %q missing in %s", key, lang)
			}
		}
	}
}

// TestPagesRTL renders with a right-to-left catalog, as Arabic will have
// one: a copy of the English texts stands in for the translation.
func TestPagesRTL(t *testing.T) {
	fsys := fstest.MapFS{}
	for name, file := range map[string]string{"en": "en.json", "de": "de.json", "ar": "en.json"} {
		b, err := os.ReadFile("../i18n/catalog/" + file)
		if err != nil {
			t.Fatal(err)
		}
		fsys["catalog/"+name+".json"] = &fstest.MapFile{Data: b}
	}
	cat, err := i18n.LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	e := newPagesEnv(t)
	srv := httptest.NewServer(NewServer(Deps{Service: e.svc, Catalog: cat}))
	t.Cleanup(srv.Close)
	e.srv, e.cat = srv, cat
	p := e.browser().get("/help?lang=ar")
	mustStatus(t, "rtl", p, http.StatusOK)
	mustContain(t, "rtl", p, `<html lang="ar" dir="rtl">`, `href="/help?lang=de"`, `lang="ar" hreflang="ar" aria-current="true">العربية</a>`)
}
