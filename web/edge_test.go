package web_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/web"
)

// forEachWorld runs fn on a fixture world of each database of
// storetest.Dialects.
func forEachWorld(t *testing.T, fn func(t *testing.T, w *world)) {
	// The suite itself runs once per database (storetest.RunSuite).
	fn(t, newWorld(t))
}

// TestInputBadText: a NUL byte or invalid UTF-8 anywhere a client can put
// text — path ids, query parameters, JSON bodies, page forms — is refused
// with 400 before it reaches the database, on both databases. (PostgreSQL
// answered 500 to these.)
func TestInputBadText(t *testing.T) {
	forEachWorld(t, func(t *testing.T, w *world) {
		x, a := string(w.ids[counselorX]), string(w.apptA)
		start := apptAStart.Add(2 * time.Hour).Format(time.RFC3339)
		bad := func(name string, who role, method, path string, body any, fields ...string) inputCase {
			return inputCase{name: name, who: who, method: method, path: path, body: body, status: 400, code: eyelevel.EINVALID, fields: fields, key: "error.bad_text"}
		}
		runInput(t, w, []inputCase{
			// Path ids of every kind.
			bad("appointment id NUL", clientA, "GET", "/api/v1/appointments/%00", nil),
			bad("appointment id invalid UTF-8", clientA, "GET", "/api/v1/appointments/%FF", nil),
			bad("cancel id NUL", clientA, "DELETE", "/api/v1/appointments/a%00b", nil),
			bad("room id overlong UTF-8", clientA, "GET", "/api/v1/appointments/%C0%AF/room", nil),
			bad("counselor id NUL", clientA, "GET", "/api/v1/counselors/x%00", nil),
			bad("counselor update id NUL", admin, "PUT", "/api/v1/counselors/%00", `{}`),
			bad("slots id invalid UTF-8", clientA, "GET", "/api/v1/counselors/%ED%A0%80/slots", nil),
			bad("response id NUL", clientA, "GET", "/api/v1/responses/%00", nil),
			bad("client id NUL", counselorX, "GET", "/api/v1/clients/%00", nil),
			bad("alert id NUL", counselorX, "POST", "/api/v1/safety-alerts/%00/acknowledge", nil),
			bad("rating id NUL", clientA, "POST", "/api/v1/appointments/%00/rating", `{"stars":5}`),
			bad("counselor ratings id NUL", admin, "GET", "/api/v1/counselors/%00/ratings", nil),
			bad("waitlist language NUL", clientA, "DELETE", "/api/v1/waitlist/%00", nil),
			bad("questionnaire NUL", clientA, "GET", "/api/v1/questionnaires/%00", nil),
			bad("program step invalid UTF-8", clientA, "GET", "/api/v1/program/steps/%FF", nil),
			// Query parameters.
			bad("search language NUL", clientA, "GET", "/api/v1/counselors?language=de%00", nil, "language"),
			bad("search gender invalid UTF-8", clientA, "GET", "/api/v1/counselors?language=de&gender=%FE", nil, "gender"),
			bad("slots from NUL", clientA, "GET", "/api/v1/counselors/"+x+"/slots?from=%00", nil, "from"),
			bad("query key NUL", clientA, "GET", "/api/v1/appointments?%00=1", nil),
			// JSON bodies: escaped NUL in a string, and raw invalid UTF-8.
			bad("login username NUL", anon, "POST", "/api/v1/tokens", `{"username":"client-a\u0000","password":"x"}`, "username"),
			bad("login body invalid UTF-8", anon, "POST", "/api/v1/tokens", "{\"username\":\"client-\xff\",\"password\":\"x\"}"),
			bad("register username NUL", anon, "POST", "/api/v1/accounts", `{"username":"neu\u0000","password":"correct horse battery","language":"de","timezone":"UTC"}`, "username"),
			bad("booking counselor NUL", clientA, "POST", "/api/v1/appointments", `{"counselor_id":"`+x+`\u0000","start":"`+start+`"}`, "counselor_id"),
			bad("booking invalid UTF-8", clientA, "POST", "/api/v1/appointments", "{\"counselor_id\":\""+x+"\xc3\",\"start\":\""+start+"\"}"),
			bad("rating comment NUL", clientA, "POST", "/api/v1/appointments/"+a+"/rating", `{"stars":5,"comment":"gut\u0000"}`, "comment"),
			bad("rating comment invalid UTF-8", clientA, "POST", "/api/v1/appointments/"+a+"/rating", "{\"stars\":5,\"comment\":\"gut\x80\"}"),
			bad("profile nested language NUL", counselorX, "PUT", "/api/v1/counselors/"+x, `{"display_name":"X","gender":"female","timezone":"UTC","languages":[{"code":"de\u0000"}]}`, "languages"),
			bad("waitlist language NUL", clientA, "POST", "/api/v1/waitlist", `{"language":"de\u0000"}`, "language"),
			bad("reflection NUL", clientA, "PUT", "/api/v1/program/steps/1/reflection", `{"text":"a\u0000b"}`, "text"),
			bad("alert body invalid UTF-8", clientA, "POST", "/api/v1/safety-alerts", "\"\xff\""),
		})

		// Pages answer with a 400 page.
		for _, c := range []struct{ name, method, path, form string }{
			{"page path NUL", "GET", "/counselors/%00", ""},
			{"page room id invalid UTF-8", "GET", "/appointments/%FF/room", ""},
			{"page query NUL", "GET", "/counselors?language=%00", ""},
			{"login form username NUL", "POST", "/login", "username=client-a%00&password=x"},
			{"register form invalid UTF-8", "POST", "/register", "username=%FF&password=correct+horse+battery&language=de&timezone=UTC"},
			{"book form NUL", "POST", "/book", "counselor=" + x + "%00&start=" + url.QueryEscape(start)},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := w.snapshot(t)
				var req *http.Request
				if c.form != "" {
					req = httptest.NewRequest(c.method, c.path, strings.NewReader(c.form))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				} else {
					req = httptest.NewRequest(c.method, c.path, nil)
				}
				req.RemoteAddr = w.ip() + ":40000"
				rec := httptest.NewRecorder()
				w.h.ServeHTTP(rec, req)
				if rec.Code != 400 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
					t.Fatalf("status %d, %s, want a 400 page", rec.Code, rec.Header().Get("Content-Type"))
				}
				if want := w.cat.T("de", "error.bad_text"); !strings.Contains(rec.Body.String(), want) {
					t.Errorf("page does not say %q", want)
				}
				if w.snapshot(t) != before {
					t.Errorf("refused request changed the database")
				}
			})
		}
	})
}

// TestInputContentType: the API reads a body only when it is declared as
// JSON; anything else is 415 with the JSON error shape.
func TestInputContentType(t *testing.T) {
	w := newWorld(t)
	body := `{"username":"client-a","password":"` + password + `"}`
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/jsonx", "json"} {
		t.Run("refuse "+ct, func(t *testing.T) {
			w.do(t, anon, "POST", "/api/v1/tokens", body, "Content-Type", ct).wantError(t, 415, web.EMEDIATYPE)
		})
	}
	// Every endpoint with a body refuses a form post.
	x, a := string(w.ids[counselorX]), string(w.apptA)
	for _, c := range []struct {
		who          role
		method, path string
	}{
		{anon, "POST", "/api/v1/accounts"}, {admin, "POST", "/api/v1/counselors"}, {counselorX, "PUT", "/api/v1/counselors/" + x},
		{counselorX, "PUT", "/api/v1/counselors/" + x + "/availability"}, {clientA, "POST", "/api/v1/appointments"},
		{clientA, "POST", "/api/v1/waitlist"}, {clientA, "POST", "/api/v1/questionnaires/phq9/responses"},
		{clientA, "POST", "/api/v1/self-test"}, {clientA, "PUT", "/api/v1/program/steps/1/reflection"},
		{clientA, "POST", "/api/v1/safety-alerts"}, {clientA, "POST", "/api/v1/appointments/" + a + "/rating"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			before := w.snapshot(t)
			w.do(t, c.who, c.method, c.path, "a=b", "Content-Type", "application/x-www-form-urlencoded").wantError(t, 415, web.EMEDIATYPE)
			if w.snapshot(t) != before {
				t.Errorf("refused request changed the database")
			}
		})
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; Charset=UTF-8"} {
		w.do(t, anon, "POST", "/api/v1/tokens", body, "Content-Type", ct).wantStatus(t, 201)
	}
}

// TestHSTS: Strict-Transport-Security only over HTTPS — TLS to us, or a
// trusted proxy's X-Forwarded-Proto — never over plain HTTP.
func TestHSTS(t *testing.T) {
	w := newWorld(t)
	trusting := web.NewServer(web.Deps{Service: w.svc, Catalog: w.cat, TrustProxy: true})
	for _, c := range []struct {
		name  string
		h     http.Handler
		tls   bool
		proto string
		want  bool
	}{
		{"plain HTTP", w.h, false, "", false},
		{"TLS", w.h, true, "", true},
		{"untrusted X-Forwarded-Proto", w.h, false, "https", false},
		{"trusted X-Forwarded-Proto https", trusting, false, "https", true},
		{"trusted X-Forwarded-Proto http", trusting, false, "http", false},
		{"trusted proxy, last hop http", trusting, false, "https, http", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/help", nil)
			if c.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if c.proto != "" {
				req.Header.Set("X-Forwarded-Proto", c.proto)
			}
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, req)
			if got := rec.Header().Get("Strict-Transport-Security") != ""; got != c.want {
				t.Errorf("HSTS sent = %v, want %v", got, c.want)
			}
		})
	}
}

// TestInputProfileText: a counselor editing their own profile over the API
// is held to the same rule as the pages: no control characters or
// direction overrides, no blank name, surrounding space trimmed.
func TestInputProfileText(t *testing.T) {
	w := newWorld(t)
	path := "/api/v1/counselors/" + string(w.ids[counselorX])
	valid := map[string]any{"display_name": "Xenia", "gender": "female", "languages": []map[string]any{{"code": "de", "native": true}}, "timezone": "Europe/Berlin", "bio": "", "qualifications": ""}
	put := func(name string, field string, v any, key string) inputCase {
		return inputCase{name: name, who: counselorX, method: "PUT", path: path, body: jsonWith(valid, field, v), status: 400, code: eyelevel.EINVALID, fields: []string{field}, key: key}
	}
	runInput(t, w, []inputCase{
		put("blank name", "display_name", "   ", "counselor.err.display_name"),
		put("override in name", "display_name", "X\u202enia", "counselor.err.hidden_chars"),
		put("control character in name", "display_name", "Xe\u0000nia", "error.bad_text"),
		put("escape in name", "display_name", "Xe\u001bnia", "counselor.err.hidden_chars"),
		put("isolate in bio", "bio", "Hallo \u2066Welt", "counselor.err.hidden_chars"),
	})
	var c struct {
		DisplayName string `json:"display_name"`
		Bio         string `json:"bio"`
	}
	w.do(t, counselorX, "PUT", path, jsonWith(jsonWith(valid, "display_name", "  Xenia P.\u200f "), "bio", "Zeile eins\nZeile zwei")).decode(t, &c)
	if c.DisplayName != "Xenia P.\u200f" || c.Bio != "Zeile eins\nZeile zwei" {
		t.Errorf("saved %q, %q", c.DisplayName, c.Bio)
	}
}
