package web_test

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/web"
)

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

func TestOpenAPIDocument(t *testing.T) {
	doc := loadDoc(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Fatalf("openapi = %q, want 3.1.x", v)
	}
	if obj(doc, "info")["title"] == nil || obj(doc, "info")["version"] == nil {
		t.Errorf("info needs a title and a version")
	}
	walkRefs(doc, func(ref string) {
		if resolve(doc, map[string]any{"$ref": ref}) == nil {
			t.Errorf("$ref %q does not resolve", ref)
		}
	})
	if s := obj(doc, "components", "securitySchemes", "bearerAuth"); s["type"] != "http" || s["scheme"] != "bearer" {
		t.Errorf("bearerAuth = %v, want an http bearer scheme", s)
	}
	if sec, _ := doc["security"].([]any); len(sec) != 1 || obj(sec[0])["bearerAuth"] == nil {
		t.Errorf("global security = %v, want bearerAuth", doc["security"])
	}

	// The error codes are exactly the domain's plus the web layer's 405 and 415.
	codes := obj(doc, "components", "schemas", "Error", "properties", "error", "properties", "code")["enum"]
	want := []any{eyelevel.EINVALID, eyelevel.EUNAUTHORIZED, eyelevel.EFORBIDDEN, eyelevel.ENOTFOUND,
		eyelevel.ECONFLICT, eyelevel.ETOOLARGE, eyelevel.ETOOMANY, web.EMETHOD, web.EMEDIATYPE, eyelevel.EUNAVAILABLE, eyelevel.EINTERNAL, eyelevel.EPAYMENT, eyelevel.EEXPIRED, eyelevel.ESECONDFACTOR}
	if got, _ := codes.([]any); !slices.Equal(got, want) {
		t.Errorf("Error code enum = %v, want %v", codes, want)
	}

	ids := map[string]bool{}
	for tmpl, item := range obj(doc, "paths") {
		for _, m := range httpMethods {
			op := obj(item, m)
			if op == nil {
				continue
			}
			name := strings.ToUpper(m) + " " + tmpl
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s: operationId %q missing or repeated", name, id)
			}
			ids[id] = true
			if op["summary"] == nil {
				t.Errorf("%s: no summary", name)
			}
			// Every path wildcard is a declared, required path parameter.
			for _, w := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(tmpl, -1) {
				declared := false
				params, _ := op["parameters"].([]any)
				for _, p := range params {
					p := obj(p)
					declared = declared || p["name"] == w[1] && p["in"] == "path" && p["required"] == true
				}
				if !declared {
					t.Errorf("%s: path parameter %q not declared", name, w[1])
				}
			}
			resps := obj(op, "responses")
			if len(resps) == 0 {
				t.Errorf("%s: no responses", name)
			}
			for status, r := range resps {
				r := resolve(doc, obj(r))
				if r["description"] == nil {
					t.Errorf("%s %s: no description", name, status)
				}
				if status >= "400" && !(tmpl == "/healthz" && status == "503") {
					schema := obj(r, "content", "application/json", "schema")
					if schema["$ref"] != "#/components/schemas/Error" {
						t.Errorf("%s %s: error response is not the Error schema", name, status)
					}
				}
			}
			if b := obj(op, "requestBody"); b != nil {
				if obj(b, "content", "application/json", "schema") == nil {
					t.Errorf("%s: request body without a JSON schema", name)
				}
				// Every body can be malformed or too large.
				if resps["400"] == nil || resps["413"] == nil {
					t.Errorf("%s: has a body but does not document 400 and 413", name)
				}
			}
			if sec, ok := op["security"].([]any); !(ok && len(sec) == 0) && resps["401"] == nil {
				t.Errorf("%s: needs a token but does not document 401", name)
			}
		}
	}
}

// routePattern matches a route in routes.go: method, path, and the handler.
var routePattern = regexp.MustCompile(`mux\.Handle\("([A-Z]+) (/[^"]*)", (.*)\)`)

// TestOpenAPIMatchesRoutes keeps openapi.json and routes.go in step: every
// /api/v1 route and /healthz is documented, nothing else is, and exactly
// the routes without authed() are documented as needing no token.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{} // "METHOD /path" → needs login
	for _, m := range routePattern.FindAllStringSubmatch(string(src), -1) {
		if strings.HasPrefix(m[2], "/api/v1/") || m[2] == "/healthz" {
			routes[m[1]+" "+m[2]] = strings.HasPrefix(m[3], "authed(")
		}
	}
	if len(routes) < 10 {
		t.Fatalf("found only %d API routes in routes.go; has its form changed?", len(routes))
	}
	doc := loadDoc(t)
	documented := map[string]bool{}
	for tmpl, item := range obj(doc, "paths") {
		for _, m := range httpMethods {
			op := obj(item, m)
			if op == nil {
				continue
			}
			key := strings.ToUpper(m) + " " + tmpl
			sec, hasSec := op["security"].([]any)
			documented[key] = !(hasSec && len(sec) == 0)
		}
	}
	for r, authed := range routes {
		d, ok := documented[r]
		switch {
		case !ok:
			t.Errorf("route %s is not in openapi.json", r)
		case authed != d:
			t.Errorf("route %s: authed() = %v, but openapi.json says a token is needed = %v", r, authed, d)
		}
	}
	for d := range documented {
		if _, ok := routes[d]; !ok {
			t.Errorf("openapi.json documents %s, which routes.go does not register", d)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	w := newWorld(t)
	r := w.do(t, anon, "GET", "/api/v1/openapi.json", nil)
	r.wantStatus(t, 200)
	file, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Body, file) {
		t.Errorf("served document differs from openapi.json")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestAPIHealthz(t *testing.T) {
	w := newWorld(t)
	r := w.do(t, anon, "GET", "/healthz", nil)
	r.wantStatus(t, 200)
	var h struct{ Status string }
	r.decode(t, &h)
	if h.Status != "ok" {
		t.Errorf("status = %q", h.Status)
	}
}

func TestAPIUnknownPath(t *testing.T) {
	w := newWorld(t)
	for _, who := range []role{anon, clientA} {
		for _, c := range []struct{ method, path string }{
			{"GET", "/api/"},
			{"GET", "/api/v1/nope"},
			{"GET", "/api/v2/me"},
			{"POST", "/api/v1/nope"},
			{"GET", "/api/v1/counselors/" + string(w.ids[counselorX]) + "/nope"},
			{"GET", "/api/v1/appointments/a/b"},
		} {
			t.Run(string(who)+" "+c.method+" "+c.path, func(t *testing.T) {
				w.do(t, who, c.method, c.path, nil).wantError(t, 404, eyelevel.ENOTFOUND)
			})
		}
	}
}

// TestAPIWrongMethod: a wrong method on a known path gets a JSON 405 with
// an Allow header, although the "/api/" catch-all matches every method.
func TestAPIWrongMethod(t *testing.T) {
	w := newWorld(t)
	x := string(w.ids[counselorX])
	for _, c := range []struct{ method, path, allow string }{
		{"POST", "/api/v1/me", "GET, PATCH, DELETE"},
		{"PUT", "/api/v1/appointments", "GET, POST"},
		{"PATCH", "/api/v1/counselors/" + x, "GET, PUT, DELETE"},
		{"POST", "/api/v1/counselors/" + x + "/slots", "GET"},
		{"GET", "/api/v1/tokens", "POST"},
		{"PATCH", "/api/v1/appointments/" + string(w.apptA), "GET, PUT, DELETE"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			res := w.do(t, clientA, c.method, c.path, nil)
			res.wantError(t, 405, web.EMETHOD)
			if got := res.Header.Get("Allow"); got != c.allow {
				t.Errorf("Allow = %q, want %q", got, c.allow)
			}
		})
	}
}

func TestAPIBadToken(t *testing.T) {
	w := newWorld(t)
	for _, auth := range []string{
		"Bearer not-a-token",
		"Bearer " + w.tokens[clientA] + "x",
		"Bearer ",
		"Bearer " + strings.Repeat("a", 200),
		"Basic " + w.tokens[clientA],
		"bearer" + w.tokens[clientA],
	} {
		t.Run(auth, func(t *testing.T) {
			r := w.doToken(t, "", "GET", "/api/v1/me", nil, "Authorization", auth)
			e := r.wantError(t, 401, eyelevel.EUNAUTHORIZED)
			if want := w.cat.T("de", "error.bad_token"); e.Message != want {
				t.Errorf("message = %q, want %q", e.Message, want)
			}
		})
	}
	t.Run("public routes too", func(t *testing.T) {
		before := w.snapshot(t)
		body := map[string]string{"username": "newbie", "password": password, "language": "de", "timezone": "UTC"}
		w.doToken(t, "garbage", "POST", "/api/v1/accounts", body).wantError(t, 401, eyelevel.EUNAUTHORIZED)
		if w.snapshot(t) != before {
			t.Errorf("refused sign-up wrote to the database")
		}
		w.doToken(t, "garbage", "GET", "/healthz", nil).wantError(t, 401, eyelevel.EUNAUTHORIZED)
	})
}

func TestAPIExpiredToken(t *testing.T) {
	w := newWorld(t)
	w.do(t, clientA, "GET", "/api/v1/me", nil).wantStatus(t, 200)
	w.clock.Advance(w.svc.Config().TokenTTL + time.Second)
	w.do(t, clientA, "GET", "/api/v1/me", nil).wantError(t, 401, eyelevel.EUNAUTHORIZED)
	// A new login works again.
	r := w.do(t, anon, "POST", "/api/v1/tokens", map[string]string{"username": "client-a", "password": password})
	r.wantStatus(t, 201)
	var tok struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	r.decode(t, &tok)
	if want := w.clock.Now().Add(w.svc.Config().TokenTTL); !tok.ExpiresAt.Equal(want) {
		t.Errorf("expires_at = %v, want %v", tok.ExpiresAt, want)
	}
	w.doToken(t, tok.Token, "GET", "/api/v1/me", nil).wantStatus(t, 200)
}

func TestAPILogout(t *testing.T) {
	w := newWorld(t)
	other := w.login(t, "client-a") // a second session of the same account
	r := w.do(t, clientA, "DELETE", "/api/v1/tokens/current", nil)
	r.wantStatus(t, 204)
	if len(r.Body) != 0 {
		t.Errorf("204 with body %q", r.Body)
	}
	w.do(t, clientA, "GET", "/api/v1/me", nil).wantError(t, 401, eyelevel.EUNAUTHORIZED)
	w.do(t, clientA, "DELETE", "/api/v1/tokens/current", nil).wantError(t, 401, eyelevel.EUNAUTHORIZED)
	w.do(t, clientA, "GET", "/api/v1/appointments", nil).wantError(t, 401, eyelevel.EUNAUTHORIZED)
	w.doToken(t, other, "GET", "/api/v1/me", nil).wantStatus(t, 200)
}

func TestAPILanguage(t *testing.T) {
	w := newWorld(t)
	bad := map[string]string{"username": "x", "password": password, "language": "de", "timezone": "UTC"}
	en, de := w.cat.T("en", "error.invalid"), w.cat.T("de", "error.invalid")
	if en == de {
		t.Fatalf("catalog has the same text in English and German: %q", en)
	}
	for _, c := range []struct {
		name   string
		target string
		header []string
		want   string
	}{
		{"default German", "/api/v1/accounts", nil, "de"},
		{"Accept-Language en", "/api/v1/accounts", []string{"Accept-Language", "en"}, "en"},
		{"Accept-Language en-GB with weights", "/api/v1/accounts", []string{"Accept-Language", "fr;q=0.9, en-GB;q=0.8"}, "en"},
		{"unsupported language", "/api/v1/accounts", []string{"Accept-Language", "ja"}, "de"},
		{"lang parameter", "/api/v1/accounts?lang=en", []string{"Accept-Language", "de"}, "en"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := w.do(t, anon, "POST", c.target, bad, c.header...).wantError(t, 400, eyelevel.EINVALID, "username")
			if want := w.cat.T(c.want, "error.invalid"); e.Message != want {
				t.Errorf("message = %q, want %q", e.Message, want)
			}
			if want := w.cat.T(c.want, "account.err.username"); e.Fields["username"] != want {
				t.Errorf("fields.username = %q, want %q", e.Fields["username"], want)
			}
		})
	}

	// A logged-in caller gets the account's language, whatever the browser says.
	reg := map[string]any{"username": "english", "password": password, "language": "en", "timezone": "UTC", "consent": true}
	w.do(t, anon, "POST", "/api/v1/accounts", reg).wantStatus(t, 201)
	tok := w.login(t, "english")
	e := w.doToken(t, tok, "GET", "/api/v1/counselors", nil, "Accept-Language", "de").wantError(t, 400, eyelevel.EINVALID, "language")
	if e.Message != en {
		t.Errorf("account language en: message = %q, want %q", e.Message, en)
	}
	e = w.do(t, clientA, "GET", "/api/v1/counselors", nil, "Accept-Language", "en").wantError(t, 400, eyelevel.EINVALID, "language")
	if e.Message != de {
		t.Errorf("account language de: message = %q, want %q", e.Message, de)
	}
}

// TestAPIHappyPath walks one client through the API; the response bodies
// are checked against openapi.json on the way.
func TestAPIHappyPath(t *testing.T) {
	w := newWorld(t)
	reg := map[string]any{"username": "stern-42", "password": password, "language": "fa", "timezone": "Asia/Tehran", "email": "stern@example.org", "consent": true}
	r := w.do(t, anon, "POST", "/api/v1/accounts", reg)
	r.wantStatus(t, 201)
	var acct struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Role     string `json:"role"`
		Language string `json:"language"`
		TimeZone string `json:"timezone"`
	}
	r.decode(t, &acct)
	if acct.ID == "" || acct.Username != "stern-42" || acct.Role != "client" || acct.Language != "fa" || acct.TimeZone != "Asia/Tehran" {
		t.Errorf("account = %+v", acct)
	}

	r = w.do(t, anon, "POST", "/api/v1/tokens", map[string]string{"username": "STERN-42", "password": password})
	r.wantStatus(t, 201)
	var tok struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	r.decode(t, &tok)
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("token Cache-Control = %q, want no-store", cc)
	}

	r = w.doToken(t, tok.Token, "GET", "/api/v1/me", nil)
	r.wantStatus(t, 200)
	var me struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Role     string `json:"role"`
		Language string `json:"language"`
		TimeZone string `json:"timezone"`
	}
	r.decode(t, &me)
	if me != acct {
		t.Errorf("me = %+v, want %+v", me, acct)
	}

	// Y speaks Arabic natively and has a slot at 09:00 UTC today.
	r = w.doToken(t, tok.Token, "GET", "/api/v1/counselors?language=ar", nil)
	r.wantStatus(t, 200)
	var found struct {
		Counselors []struct {
			ID       eyelevel.UserID `json:"id"`
			NextSlot *struct {
				Start time.Time `json:"start"`
			} `json:"next_slot"`
		} `json:"counselors"`
	}
	r.decode(t, &found)
	if len(found.Counselors) != 1 || found.Counselors[0].ID != w.ids[counselorY] || found.Counselors[0].NextSlot == nil ||
		!found.Counselors[0].NextSlot.Start.Equal(monday.Add(time.Hour)) {
		t.Fatalf("search = %s", r.Body)
	}

	book := map[string]any{"counselor_id": w.ids[counselorY], "start": "2026-11-30T09:00:00Z"}
	r = w.doToken(t, tok.Token, "POST", "/api/v1/appointments", book)
	r.wantStatus(t, 201)
	var appt struct {
		ID            eyelevel.AppointmentID `json:"id"`
		Start         time.Time              `json:"start"`
		End           time.Time              `json:"end"`
		Status        string                 `json:"status"`
		CounselorName string                 `json:"counselor_name"`
	}
	r.decode(t, &appt)
	if appt.Status != "booked" || !appt.End.Equal(appt.Start.Add(50*time.Minute)) || appt.CounselorName != "Counselor counselor-y" {
		t.Errorf("booked = %s", r.Body)
	}
	// The same start with an offset is the same slot, and now taken.
	book["start"] = "2026-11-30T12:30:00+03:30"
	w.do(t, clientB, "POST", "/api/v1/appointments", book).wantError(t, 409, eyelevel.ECONFLICT)

	r = w.doToken(t, tok.Token, "GET", "/api/v1/appointments", nil)
	r.wantStatus(t, 200)
	if got := appointmentIDs(t, r); !slices.Equal(got, []eyelevel.AppointmentID{appt.ID}) {
		t.Errorf("list = %v, want [%s]", got, appt.ID)
	}
	// Within 24 hours of the start the counselor may cancel (and the
	// client too, late: see TestInputCancel).
	r = w.do(t, counselorY, "DELETE", "/api/v1/appointments/"+string(appt.ID), nil)
	r.wantStatus(t, 200)
	w.do(t, counselorY, "DELETE", "/api/v1/appointments/"+string(appt.ID), nil).wantError(t, 409, eyelevel.ECONFLICT)

	// Once it has ended it shows only with past=true.
	w.clock.Advance(2 * time.Hour)
	if got := appointmentIDs(t, w.doToken(t, tok.Token, "GET", "/api/v1/appointments", nil)); len(got) != 0 {
		t.Errorf("after the end: %v", got)
	}
	if got := appointmentIDs(t, w.doToken(t, tok.Token, "GET", "/api/v1/appointments?past=true", nil)); len(got) != 1 {
		t.Errorf("past=true: %v", got)
	}
}

// TestAPICrossOrigin checks that a browser's cross-site request that changes
// data is refused even with a valid token, and a same-origin one is not.
func TestAPICrossOrigin(t *testing.T) {
	w := newWorld(t)
	book := map[string]any{"counselor_id": w.ids[counselorX], "start": "2026-12-02T09:00:00Z"}
	before := w.snapshot(t)
	w.do(t, clientB, "POST", "/api/v1/appointments", book, "Sec-Fetch-Site", "cross-site").wantError(t, 403, eyelevel.EFORBIDDEN)
	w.do(t, clientB, "POST", "/api/v1/appointments", book, "Origin", "https://evil.example").wantError(t, 403, eyelevel.EFORBIDDEN)
	if w.snapshot(t) != before {
		t.Errorf("refused cross-site request wrote to the database")
	}
	w.do(t, clientB, "GET", "/api/v1/appointments", nil, "Sec-Fetch-Site", "cross-site").wantStatus(t, 200)
	w.do(t, clientB, "POST", "/api/v1/appointments", book, "Sec-Fetch-Site", "same-origin").wantStatus(t, 201)
}
