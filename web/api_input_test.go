package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"eyelevel"
)

// inputCase is one bad request and the refusal it must get.
type inputCase struct {
	name   string
	who    role
	method string
	path   string
	body   any // as for world.do
	status int
	code   string
	fields []string // keys that must be in error.fields
	// key, if set, is the catalog key whose German text must be the message
	// of fields[0] (or, without fields, the error message).
	key string
}

// runInput runs cases one after another on w. Each must be refused as
// stated, never with a 5xx, and leave the database as it was.
func runInput(t *testing.T, w *world, cases []inputCase) {
	t.Helper()
	runInputSnapshot(t, w, w.snapshot, cases)
}

// runInputSnapshot is runInput with snapshot saying what must stay unchanged.
func runInputSnapshot(t *testing.T, w *world, snapshot func(testing.TB) string, cases []inputCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t)
			e := w.do(t, c.who, c.method, c.path, c.body).wantError(t, c.status, c.code, c.fields...)
			if c.key != "" {
				got, want := e.Message, w.cat.T("de", c.key)
				if len(c.fields) > 0 {
					got = e.Fields[c.fields[0]]
				}
				if got != want {
					t.Errorf("message = %q, want %q (%s)", got, want, c.key)
				}
			}
			if after := snapshot(t); after != before {
				t.Errorf("refused request changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// jsonWith returns a copy of m with key set to v (or removed when v is nil).
func jsonWith(m map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, e := range m {
		out[k] = e
	}
	if v == nil {
		delete(out, key)
	} else {
		out[key] = v
	}
	return out
}

// big returns a JSON object whose string field key makes it just over 1 MiB.
func big(key string) string {
	return `{"` + key + `":"` + strings.Repeat("a", 1<<20) + `"}`
}

// syntaxCases are the malformed bodies every endpoint with a body refuses.
// valid is a body the endpoint would accept.
func syntaxCases(who role, method, path, valid string, stringField string) []inputCase {
	return []inputCase{
		{name: "malformed JSON", who: who, method: method, path: path, body: `{"a":`, status: 400, code: eyelevel.EINVALID, key: "error.bad_json"},
		{name: "trailing comma", who: who, method: method, path: path, body: strings.TrimSuffix(valid, "}") + `,}`, status: 400, code: eyelevel.EINVALID, key: "error.bad_json"},
		{name: "empty body", who: who, method: method, path: path, body: "", status: 400, code: eyelevel.EINVALID, key: "error.bad_json"},
		{name: "array body", who: who, method: method, path: path, body: `[]`, status: 400, code: eyelevel.EINVALID, fields: []string{"body"}, key: "error.wrong_type"},
		{name: "string body", who: who, method: method, path: path, body: `"hello"`, status: 400, code: eyelevel.EINVALID, fields: []string{"body"}},
		{name: "unknown field", who: who, method: method, path: path, body: strings.TrimSuffix(valid, "}") + `,"surprise":1}`, status: 400, code: eyelevel.EINVALID},
		{name: "trailing garbage", who: who, method: method, path: path, body: valid + ` x`, status: 400, code: eyelevel.EINVALID, key: "error.bad_json"},
		{name: "two values", who: who, method: method, path: path, body: valid + valid, status: 400, code: eyelevel.EINVALID, key: "error.bad_json"},
		{name: "over 1 MiB", who: who, method: method, path: path, body: big(stringField), status: 413, code: eyelevel.ETOOLARGE, key: "error.too_large"},
		{name: "over 1 MiB of trailing space", who: who, method: method, path: path, body: valid + strings.Repeat(" ", 1<<20), status: 413, code: eyelevel.ETOOLARGE},
	}
}

func TestInputRegister(t *testing.T) {
	w := newWorld(t)
	valid := map[string]any{"username": "neu-hier", "password": password, "language": "de", "timezone": "Europe/Berlin", "consent": true}
	reg := func(name string, body any, status int, code string, fields []string, key string) inputCase {
		return inputCase{name: name, who: anon, method: "POST", path: "/api/v1/accounts", body: body, status: status, code: code, fields: fields, key: key}
	}
	inv := eyelevel.EINVALID
	cases := syntaxCases(anon, "POST", "/api/v1/accounts", `{"username":"neu-hier","password":"correct horse battery","language":"de","timezone":"UTC"}`, "username")
	cases = append(cases,
		reg("empty object", `{}`, 400, inv, []string{"username", "password", "language", "timezone", "consent"}, ""),
		reg("consent missing", jsonWith(valid, "consent", nil), 400, inv, []string{"consent"}, "consent.err.required"),
		reg("consent false", jsonWith(valid, "consent", false), 400, inv, []string{"consent"}, "consent.err.required"),
		reg("consent as text", jsonWith(valid, "consent", "yes"), 400, inv, []string{"consent"}, "error.wrong_type"),
		reg("wrong type", jsonWith(valid, "username", 5), 400, inv, []string{"username"}, "error.wrong_type"),
		reg("null username", `{"username":null,"password":"correct horse battery","language":"de","timezone":"UTC"}`, 400, inv, []string{"username"}, "account.err.username"),
		reg("username 2 characters", jsonWith(valid, "username", "ab"), 400, inv, []string{"username"}, "account.err.username"),
		reg("username 41 characters", jsonWith(valid, "username", strings.Repeat("a", 41)), 400, inv, []string{"username"}, "account.err.username"),
		reg("username with space", jsonWith(valid, "username", "two words"), 400, inv, []string{"username"}, "account.err.username"),
		reg("username with NUL", jsonWith(valid, "username", "abc\x00def"), 400, inv, []string{"username"}, "error.bad_text"),
		reg("empty password", jsonWith(valid, "password", ""), 400, inv, []string{"password"}, "account.err.password"),
		reg("password 9 characters", jsonWith(valid, "password", "123456789"), 400, inv, []string{"password"}, "account.err.password"),
		reg("password 257 characters", jsonWith(valid, "password", strings.Repeat("plum pear ", 25)+"1234567"), 400, inv, []string{"password"}, "account.err.password_long"),
		reg("password ten a", jsonWith(valid, "password", "aaaaaaaaaa"), 400, inv, []string{"password"}, "account.err.password_repeated"),
		reg("password ten spaces", jsonWith(valid, "password", "          "), 400, inv, []string{"password"}, "account.err.password_repeated"),
		reg("common password", jsonWith(valid, "password", "qwertyuiop"), 400, inv, []string{"password"}, "account.err.password_common"),
		reg("password is the username", jsonWith(jsonWith(valid, "username", "Sunny-Garden"), "password", "sunny-garden"), 400, inv, []string{"password"}, "account.err.password_username"),
		reg("demo password", jsonWith(valid, "password", "eyelevel-demo"), 400, inv, []string{"password"}, "account.err.password_demo"),
		reg("language xx", jsonWith(valid, "language", "xx"), 400, inv, []string{"language"}, "account.err.language"),
		reg("language missing", jsonWith(valid, "language", nil), 400, inv, []string{"language"}, "account.err.language"),
		reg("time zone invalid", jsonWith(valid, "timezone", "Mars/Olympus_Mons"), 400, inv, []string{"timezone"}, "account.err.timezone"),
		reg("time zone Local", jsonWith(valid, "timezone", "Local"), 400, inv, []string{"timezone"}, "account.err.timezone"),
		reg("time zone missing", jsonWith(valid, "timezone", nil), 400, inv, []string{"timezone"}, "account.err.timezone"),
		reg("email invalid", jsonWith(valid, "email", "not an address"), 400, inv, []string{"email"}, "account.err.email"),
		reg("email with name", jsonWith(valid, "email", "Anna <anna@example.org>"), 400, inv, []string{"email"}, "account.err.email"),
		reg("duplicate username", jsonWith(valid, "username", "client-a"), 409, eyelevel.ECONFLICT, nil, "account.err.username_taken"),
		reg("duplicate username in other case", jsonWith(valid, "username", "CLIENT-A"), 409, eyelevel.ECONFLICT, nil, "account.err.username_taken"),
		reg("duplicate of a counselor", jsonWith(valid, "username", "Counselor-X"), 409, eyelevel.ECONFLICT, nil, "account.err.username_taken"),
	)
	runInput(t, w, cases)

	// The limits themselves are allowed.
	ok := jsonWith(jsonWith(valid, "username", strings.Repeat("ü", 40)), "password", "plum pear9")
	w.do(t, anon, "POST", "/api/v1/accounts", ok).wantStatus(t, 201)
	padded := `{"username":"padded","password":"correct horse battery","language":"de","timezone":"UTC","consent":true}`
	padded += strings.Repeat(" ", 1<<20-len(padded)) // exactly 1 MiB
	w.do(t, anon, "POST", "/api/v1/accounts", padded).wantStatus(t, 201)
}

func TestInputTokens(t *testing.T) {
	w := newWorld(t)
	tok := func(name string, body any, status int, code string, fields []string, key string) inputCase {
		return inputCase{name: name, who: anon, method: "POST", path: "/api/v1/tokens", body: body, status: status, code: code, fields: fields, key: key}
	}
	cases := syntaxCases(anon, "POST", "/api/v1/tokens", `{"username":"client-b","password":"correct horse battery"}`, "password")
	cases = append(cases,
		tok("wrong type", `{"username":"client-a","password":12345678901}`, 400, eyelevel.EINVALID, []string{"password"}, "error.wrong_type"),
		tok("wrong password", map[string]string{"username": "client-a", "password": "wrong horse battery"}, 401, eyelevel.EUNAUTHORIZED, nil, "login.err.credentials"),
		tok("unknown user", map[string]string{"username": "nobody", "password": password}, 401, eyelevel.EUNAUTHORIZED, nil, "login.err.credentials"),
		tok("empty", `{}`, 401, eyelevel.EUNAUTHORIZED, nil, "login.err.credentials"),
		tok("huge password", map[string]string{"username": "client-a", "password": strings.Repeat("p", 2000)}, 401, eyelevel.EUNAUTHORIZED, nil, "login.err.credentials"),
	)
	runInput(t, w, cases)

	// A client that logged in before keeps a device token...
	var first struct {
		DeviceToken string `json:"device_token"`
	}
	w.do(t, anon, "POST", "/api/v1/tokens", map[string]string{"username": "client-b", "password": password}).decode(t, &first)
	if first.DeviceToken == "" {
		t.Fatal("no device_token in the answer")
	}
	// ...so when 100 failures from as many addresses spend the account's
	// daily budget, a new client is refused but the known one gets in.
	for i := 0; i < 100; i++ {
		w.do(t, anon, "POST", "/api/v1/tokens", map[string]string{"username": "client-b", "password": "wrong"}).wantError(t, 401, eyelevel.EUNAUTHORIZED)
	}
	w.do(t, anon, "POST", "/api/v1/tokens", map[string]string{"username": "client-b", "password": password}).
		wantError(t, 429, eyelevel.ETOOMANY)
	w.do(t, anon, "POST", "/api/v1/tokens", map[string]string{"username": "client-b", "password": password, "device_token": first.DeviceToken}).
		wantStatus(t, 201)
	// Another account's device token is no exemption.
	var other struct {
		DeviceToken string `json:"device_token"`
	}
	w.do(t, anon, "POST", "/api/v1/tokens", map[string]string{"username": "client-a", "password": password}).decode(t, &other)
	w.do(t, anon, "POST", "/api/v1/tokens", map[string]string{"username": "client-b", "password": password, "device_token": other.DeviceToken}).
		wantError(t, 429, eyelevel.ETOOMANY)
}

func TestInputCreateCounselor(t *testing.T) {
	w := newWorld(t)
	valid := map[string]any{
		"username": "counselor-z", "password": password, "display_name": "Zahra", "gender": "female",
		"languages": []map[string]any{{"code": "fa-AF", "native": true}}, "timezone": "Asia/Kabul", "bio": "", "qualifications": "",
	}
	cc := func(name string, body any, status int, code string, fields []string, key string) inputCase {
		return inputCase{name: name, who: admin, method: "POST", path: "/api/v1/counselors", body: body, status: status, code: code, fields: fields, key: key}
	}
	inv := eyelevel.EINVALID
	langs := func(ls ...map[string]any) []map[string]any { return ls }
	cases := syntaxCases(admin, "POST", "/api/v1/counselors", `{"username":"counselor-z","password":"correct horse battery","display_name":"Z","gender":"male","languages":[{"code":"de"}],"timezone":"UTC"}`, "bio")
	cases = append(cases,
		cc("empty object", `{}`, 400, inv, []string{"username", "password", "display_name", "gender", "languages", "timezone"}, ""),
		cc("languages not a list", jsonWith(valid, "languages", "de"), 400, inv, []string{"languages"}, "error.wrong_type"),
		cc("native not a boolean", jsonWith(valid, "languages", langs(map[string]any{"code": "de", "native": "yes"})), 400, inv, []string{"languages.native"}, "error.wrong_type"),
		cc("unknown field in a language", jsonWith(valid, "languages", langs(map[string]any{"code": "de", "level": "C2"})), 400, inv, nil, ""),
		cc("language zz", jsonWith(valid, "languages", langs(map[string]any{"code": "zz"})), 400, inv, []string{"languages"}, "counselor.err.language_code"),
		cc("language empty", jsonWith(valid, "languages", langs(map[string]any{"code": ""})), 400, inv, []string{"languages"}, "counselor.err.language_code"),
		cc("language not a tag", jsonWith(valid, "languages", langs(map[string]any{"code": "de_DE!"})), 400, inv, []string{"languages"}, "counselor.err.language_code"),
		cc("language twice", jsonWith(valid, "languages", langs(map[string]any{"code": "fa-AF"}, map[string]any{"code": "FA-af"})), 400, inv, []string{"languages"}, "counselor.err.language_code"),
		cc("no languages", jsonWith(valid, "languages", langs()), 400, inv, []string{"languages"}, "counselor.err.languages"),
		cc("21 languages", jsonWith(valid, "languages", func() (ls []map[string]any) {
			for _, c := range strings.Fields("de en ar fa ps tr ru uk ku fr es it pt pl nl sv da fi el he hi") {
				ls = append(ls, map[string]any{"code": c})
			}
			return ls
		}()), 400, inv, []string{"languages"}, "counselor.err.languages"),
		cc("display name empty", jsonWith(valid, "display_name", ""), 400, inv, []string{"display_name"}, "counselor.err.display_name"),
		cc("display name 81 characters", jsonWith(valid, "display_name", strings.Repeat("ä", 81)), 400, inv, []string{"display_name"}, "counselor.err.display_name"),
		cc("display name blank", jsonWith(valid, "display_name", " \t\u3000 "), 400, inv, []string{"display_name"}, "counselor.err.display_name"),
		cc("display name with a bell", jsonWith(valid, "display_name", "Zah\u0007ra"), 400, inv, []string{"display_name"}, "counselor.err.hidden_chars"),
		cc("display name with a line break", jsonWith(valid, "display_name", "Zahra\nAdmin"), 400, inv, []string{"display_name"}, "counselor.err.hidden_chars"),
		cc("display name with a right-to-left override", jsonWith(valid, "display_name", "\u202eardaZ"), 400, inv, []string{"display_name"}, "counselor.err.hidden_chars"),
		cc("display name with an isolate", jsonWith(valid, "display_name", "Zahra\u2068x\u2069"), 400, inv, []string{"display_name"}, "counselor.err.hidden_chars"),
		cc("bio with an escape sequence", jsonWith(valid, "bio", "Hallo\u001b[2J"), 400, inv, []string{"bio"}, "counselor.err.hidden_chars"),
		cc("qualifications with an override", jsonWith(valid, "qualifications", "M.Sc.\u202d"), 400, inv, []string{"qualifications"}, "counselor.err.hidden_chars"),
		cc("bio 2001 characters", jsonWith(valid, "bio", strings.Repeat("b", 2001)), 400, inv, []string{"bio"}, "counselor.err.bio"),
		cc("qualifications 2001 characters", jsonWith(valid, "qualifications", strings.Repeat("q", 2001)), 400, inv, []string{"qualifications"}, "counselor.err.qualifications"),
		cc("gender unknown", jsonWith(valid, "gender", "x"), 400, inv, []string{"gender"}, "counselor.err.gender"),
		cc("time zone invalid", jsonWith(valid, "timezone", "Europe/Atlantis"), 400, inv, []string{"timezone"}, "account.err.timezone"),
		cc("username 41 characters", jsonWith(valid, "username", strings.Repeat("z", 41)), 400, inv, []string{"username"}, "account.err.username"),
		cc("password too short", jsonWith(valid, "password", "short"), 400, inv, []string{"password"}, "account.err.password"),
		cc("email invalid", jsonWith(valid, "email", "@"), 400, inv, []string{"email"}, "account.err.email"),
		cc("username of a client", jsonWith(valid, "username", "client-a"), 409, eyelevel.ECONFLICT, nil, "account.err.username_taken"),
	)
	runInput(t, w, cases)

	// The limits themselves are allowed, and codes are stored canonically.
	ok := jsonWith(jsonWith(jsonWith(valid, "display_name", strings.Repeat("ä", 80)), "bio", strings.Repeat("b", 2000)),
		"languages", langs(map[string]any{"code": "FA-af", "native": true}))
	r := w.do(t, admin, "POST", "/api/v1/counselors", ok)
	r.wantStatus(t, 201)
	var c struct {
		Languages []eyelevel.LanguageSkill `json:"languages"`
	}
	r.decode(t, &c)
	if len(c.Languages) != 1 || c.Languages[0].Code != "fa-AF" {
		t.Errorf("languages = %+v, want fa-AF", c.Languages)
	}
}

func TestInputSearch(t *testing.T) {
	w := newWorld(t)
	s := func(name, query string, fields ...string) inputCase {
		return inputCase{name: name, who: clientA, method: "GET", path: "/api/v1/counselors" + query, status: 400, code: eyelevel.EINVALID, fields: fields}
	}
	runInput(t, w, []inputCase{
		s("no language", "", "language"),
		s("empty language", "?language=", "language"),
		s("language zz", "?language=zz", "language"),
		s("language garbage", "?language=%00%01", "language"),
		s("gender unknown", "?language=de&gender=x", "gender"),
	})
	r := w.do(t, clientA, "GET", "/api/v1/counselors?language=tr", nil)
	r.wantStatus(t, 200)
	if got := strings.TrimSpace(string(r.Body)); got != `{"counselors":[]}` {
		t.Errorf("nobody speaks Turkish: %s", got)
	}
}

func TestInputSlots(t *testing.T) {
	w := newWorld(t)
	base := "/api/v1/counselors/" + string(w.ids[counselorX]) + "/slots"
	q := func(from, to string) string {
		return base + "?" + url.Values{"from": {from}, "to": {to}}.Encode()
	}
	s := func(name, path string, fields ...string) inputCase {
		return inputCase{name: name, who: clientA, method: "GET", path: path, status: 400, code: eyelevel.EINVALID, fields: fields}
	}
	runInput(t, w, []inputCase{
		s("no parameters", base, "from", "to"),
		s("from not RFC 3339", q("tomorrow", "2026-12-02T00:00:00Z"), "from"),
		s("from without zone", q("2026-12-01T00:00:00", "2026-12-02T00:00:00Z"), "from"),
		s("to a date only", q("2026-12-01T00:00:00Z", "2026-12-02"), "to"),
		s("from after to", q("2026-12-02T00:00:00Z", "2026-12-01T00:00:00Z"), "to"),
		s("from equals to", q("2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"), "to"),
		s("63 days", q("2026-12-01T00:00:00Z", "2027-02-02T00:00:00Z"), "to"),
		// A raw "+" in a query string means a space.
		s("unencoded plus", base+"?from=2026-12-01T01:00:00+01:00&to=2026-12-02T00:00:00Z", "from"),
		{name: "unknown counselor", who: clientA, method: "GET", path: "/api/v1/counselors/nobody/slots?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z",
			status: 404, code: eyelevel.ENOTFOUND, key: "error.not_found"},
		{name: "a client is no counselor", who: clientA, method: "GET",
			path:   "/api/v1/counselors/" + string(w.ids[clientB]) + "/slots?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z",
			status: 404, code: eyelevel.ENOTFOUND},
	})
	w.do(t, clientA, "GET", q("2026-12-01T00:00:00Z", "2027-01-31T00:00:00Z"), nil).wantStatus(t, 200) // 61 days
	w.do(t, clientA, "GET", q("2026-12-01T01:00:00+01:00", "2027-02-01T01:00:00+01:00"), nil).wantStatus(t, 200)
}

func TestInputCounselorLookups(t *testing.T) {
	w := newWorld(t)
	runInput(t, w, []inputCase{
		{name: "profile of nobody", who: clientA, method: "GET", path: "/api/v1/counselors/nobody", status: 404, code: eyelevel.ENOTFOUND},
		{name: "profile of a client", who: clientA, method: "GET", path: "/api/v1/counselors/" + string(w.ids[clientB]), status: 404, code: eyelevel.ENOTFOUND},
		{name: "availability of nobody, as admin", who: admin, method: "GET", path: "/api/v1/counselors/nobody/availability", status: 404, code: eyelevel.ENOTFOUND},
		{name: "availability of nobody, as counselor", who: counselorX, method: "GET", path: "/api/v1/counselors/nobody/availability", status: 403, code: eyelevel.EFORBIDDEN},
		{name: "appointment of nobody", who: clientA, method: "GET", path: "/api/v1/appointments/nobody", status: 404, code: eyelevel.ENOTFOUND},
		{name: "cancel appointment of nobody", who: clientA, method: "DELETE", path: "/api/v1/appointments/nobody", status: 404, code: eyelevel.ENOTFOUND},
	})
}

func TestInputUpdateProfile(t *testing.T) {
	w := newWorld(t)
	path := "/api/v1/counselors/" + string(w.ids[counselorX])
	valid := map[string]any{"display_name": "X", "gender": "female", "timezone": "Europe/Berlin",
		"languages": []map[string]any{{"code": "de", "native": true}}, "bio": "", "qualifications": ""}
	runInput(t, w, []inputCase{
		{name: "malformed", who: counselorX, method: "PUT", path: path, body: `{"display_name":`, status: 400, code: eyelevel.EINVALID},
		{name: "unknown field", who: counselorX, method: "PUT", path: path, body: jsonWith(valid, "username", "new"), status: 400, code: eyelevel.EINVALID},
		{name: "no name", who: counselorX, method: "PUT", path: path, body: jsonWith(valid, "display_name", ""), status: 400, code: eyelevel.EINVALID, fields: []string{"display_name"}},
		{name: "long name", who: counselorX, method: "PUT", path: path, body: jsonWith(valid, "display_name", strings.Repeat("x", 81)), status: 400, code: eyelevel.EINVALID, fields: []string{"display_name"}},
		{name: "bad gender", who: counselorX, method: "PUT", path: path, body: jsonWith(valid, "gender", "robot"), status: 400, code: eyelevel.EINVALID, fields: []string{"gender"}},
		{name: "bad zone", who: counselorX, method: "PUT", path: path, body: jsonWith(valid, "timezone", "Mars/Base"), status: 400, code: eyelevel.EINVALID, fields: []string{"timezone"}},
		{name: "no languages", who: counselorX, method: "PUT", path: path, body: jsonWith(valid, "languages", []any{}), status: 400, code: eyelevel.EINVALID, fields: []string{"languages"}},
		{name: "bad language", who: counselorX, method: "PUT", path: path, body: jsonWith(valid, "languages", []map[string]any{{"code": "xx-yy-zz"}}), status: 400, code: eyelevel.EINVALID, fields: []string{"languages"}},
		{name: "long bio", who: counselorX, method: "PUT", path: path, body: jsonWith(valid, "bio", strings.Repeat("b", 2001)), status: 400, code: eyelevel.EINVALID, fields: []string{"bio"}},
		{name: "nobody, as admin", who: admin, method: "PUT", path: "/api/v1/counselors/nobody", body: valid, status: 404, code: eyelevel.ENOTFOUND},
	})
}

func TestInputAvailability(t *testing.T) {
	w := newWorld(t)
	path := "/api/v1/counselors/" + string(w.ids[counselorX]) + "/availability"
	type m = map[string]any
	av := func(weekly []m, exceptions []m) m { return m{"weekly": weekly, "exceptions": exceptions} }
	win := func(day int, start, end string) m { return m{"weekday": day, "start": start, "end": end} }
	exc := func(date string, available bool, times ...string) m {
		e := m{"date": date, "available": available}
		if len(times) == 2 {
			e["start"], e["end"] = times[0], times[1]
		}
		return e
	}
	a := func(name string, body any, fields ...string) inputCase {
		return inputCase{name: name, who: counselorX, method: "PUT", path: path, body: body, status: 400, code: eyelevel.EINVALID, fields: fields}
	}
	many := func(n int, f func(i int) m) []m {
		out := make([]m, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	cases := syntaxCases(counselorX, "PUT", path, `{"weekly":[{"weekday":1,"start":"09:00","end":"12:00"}],"exceptions":[]}`, "weekly")
	// big("weekly") puts a string where a list belongs; its size is refused first.
	cases = append(cases,
		a("weekly not a list", `{"weekly":{}}`, "weekly"),
		a("weekday a string", av([]m{{"weekday": "monday", "start": "09:00", "end": "12:00"}}, nil), "weekly.weekday"),
		a("time a number", av([]m{{"weekday": 1, "start": 900, "end": "12:00"}}, nil), "weekly.start"),
		a("unknown field in a window", av([]m{{"weekday": 1, "start": "09:00", "end": "12:00", "tz": "UTC"}}, nil)),
		a("time without leading zero", av([]m{win(1, "9:00", "12:00")}, nil), "weekly[0].start"),
		a("time with seconds", av([]m{win(1, "09:00:00", "12:00")}, nil), "weekly[0].start"),
		a("hour 25", av([]m{win(1, "09:00", "25:00")}, nil), "weekly[0].end"),
		a("24:30", av([]m{win(1, "09:00", "24:30")}, nil), "weekly[0].end"),
		a("minute 60", av([]m{win(1, "09:60", "12:00")}, nil), "weekly[0].start"),
		a("empty times", av([]m{win(1, "", "")}, nil), "weekly[0].start", "weekly[0].end"),
		a("end before start", av([]m{win(1, "12:00", "09:00")}, nil), "weekly[0].end"),
		a("end equals start", av([]m{win(1, "09:00", "09:00")}, nil), "weekly[0].end"),
		a("shorter than a session", av([]m{win(1, "09:00", "09:30")}, nil), "weekly[0].end"),
		a("overlapping windows", av([]m{win(1, "09:00", "12:00"), win(1, "11:00", "14:00")}, nil), "weekly[1].start"),
		a("weekday 7", av([]m{win(7, "09:00", "12:00")}, nil), "weekly[0].weekday"),
		a("weekday -1", av([]m{win(-1, "09:00", "12:00")}, nil), "weekly[0].weekday"),
		a("101 windows", av(many(101, func(i int) m { return win(i%7, "09:00", "10:00") }), nil), "weekly"),
		a("1001 windows", av(many(1001, func(i int) m { return win(i%7, "09:00", "10:00") }), nil), "weekly"),
		a("exception date invalid", av(nil, []m{exc("2026-13-01", false)}), "exceptions[0].date"),
		a("exception date in another format", av(nil, []m{exc("24.12.2026", false)}), "exceptions[0].date"),
		a("exception date missing", av(nil, []m{{"available": false}}), "exceptions[0].date"),
		a("exception time invalid", av(nil, []m{exc("2026-12-24", false, "9", "12:00")}), "exceptions[0].start"),
		a("exception with only an end", av(nil, []m{{"date": "2026-12-24", "available": false, "end": "12:00"}}), "exceptions[0].start"),
		a("exception end before start", av(nil, []m{exc("2026-12-24", false, "12:00", "10:00")}), "exceptions[0].end"),
		a("extra hours without times", av(nil, []m{exc("2026-12-26", true)}), "exceptions[0].start"),
		a("exception twice", av(nil, []m{exc("2026-12-24", false), exc("2026-12-24", false)}), "exceptions[1].date"),
		a("501 exceptions", av(nil, many(501, func(i int) m { return exc(monday.AddDate(0, 0, i).Format(time.DateOnly), false) })), "exceptions"),
		a("1001 exceptions", av(nil, many(1001, func(i int) m { return exc("2026-12-24", false) })), "exceptions"),
		inputCase{name: "unknown counselor, as admin", who: admin, method: "PUT", path: "/api/v1/counselors/nobody/availability",
			body: av([]m{win(1, "09:00", "12:00")}, nil), status: 404, code: eyelevel.ENOTFOUND},
	)
	runInput(t, w, cases)

	// The edges of the day are allowed, and what is stored comes back.
	body := av([]m{win(0, "00:00", "24:00"), win(1, "09:00", "12:00"), win(1, "12:00", "13:00")},
		[]m{exc("2026-12-24", false), exc("2026-12-26", true, "10:00", "14:00"), exc("2026-12-28", false, "09:00", "10:00")})
	w.do(t, counselorX, "PUT", path, body).wantStatus(t, 200)
	r := w.do(t, counselorX, "GET", path, nil)
	r.wantStatus(t, 200)
	want := `{"weekly":[{"weekday":0,"start":"00:00","end":"24:00"},{"weekday":1,"start":"09:00","end":"12:00"},{"weekday":1,"start":"12:00","end":"13:00"}],` +
		`"exceptions":[{"date":"2026-12-24","available":false},{"date":"2026-12-26","available":true,"start":"10:00","end":"14:00"},{"date":"2026-12-28","available":false,"start":"09:00","end":"10:00"}]}`
	if got := strings.TrimSpace(string(r.Body)); got != want {
		t.Errorf("stored availability:\n got %s\nwant %s", got, want)
	}
}

func TestInputBook(t *testing.T) {
	w := newWorld(t)
	x := w.ids[counselorX]
	book := func(start string) map[string]any { return map[string]any{"counselor_id": x, "start": start} }
	b := func(name string, who role, body any, status int, code string, fields []string, key string) inputCase {
		return inputCase{name: name, who: who, method: "POST", path: "/api/v1/appointments", body: body, status: status, code: code, fields: fields, key: key}
	}
	inv := eyelevel.EINVALID
	start := []string{"start"}
	cases := syntaxCases(clientB, "POST", "/api/v1/appointments", `{"counselor_id":"`+string(x)+`","start":"2026-12-02T09:00:00Z"}`, "start")
	cases = append(cases,
		b("empty object", clientB, `{}`, 400, inv, []string{"counselor_id", "start"}, ""),
		b("counselor id a number", clientB, `{"counselor_id":5,"start":"2026-12-02T09:00:00Z"}`, 400, inv, []string{"counselor_id"}, "error.wrong_type"),
		b("start a number", clientB, map[string]any{"counselor_id": x, "start": 5}, 400, inv, start, "error.wrong_type"),
		b("start not RFC 3339", clientB, book("2026-12-02 09:00"), 400, inv, start, "error.bad_time"),
		b("start without zone", clientB, book("2026-12-02T09:00:00"), 400, inv, start, "error.bad_time"),
		b("start a date only", clientB, book("2026-12-02"), 400, inv, start, "error.bad_time"),
		b("start in the past", clientB, book("2026-11-30T07:00:00Z"), 400, inv, start, "booking.err.past"),
		b("start now", clientB, book("2026-11-30T08:00:00Z"), 400, inv, start, "booking.err.past"),
		b("start too soon", clientB, book("2026-11-30T08:30:00Z"), 400, inv, start, "booking.err.too_soon"),
		b("start beyond the horizon", clientB, book("2027-02-01T09:00:00Z"), 400, inv, start, "booking.err.too_far"),
		b("start off the grid", clientB, book("2026-12-02T09:30:00Z"), 400, inv, start, "booking.err.not_a_slot"),
		b("start a second off", clientB, book("2026-12-02T09:00:01Z"), 400, inv, start, "booking.err.not_a_slot"),
		b("start on a Saturday", clientB, book("2026-12-05T10:00:00Z"), 400, inv, start, "booking.err.not_a_slot"),
		// X works 09:00–17:00 in Berlin: 16:00 UTC is 17:00 there.
		b("start after hours in the counselor's zone", clientB, book("2026-12-02T16:00:00Z"), 400, inv, start, "booking.err.not_a_slot"),
		b("slot taken by another client", clientB, book("2026-12-02T08:00:00Z"), 409, eyelevel.ECONFLICT, nil, "booking.err.taken"),
		b("own session at that time", clientA, map[string]any{"counselor_id": w.ids[counselorY], "start": "2026-12-02T08:00:00Z"}, 409, eyelevel.ECONFLICT, nil, "booking.err.overlap"),
		b("unknown counselor", clientB, map[string]any{"counselor_id": "nobody", "start": "2026-12-02T09:00:00Z"}, 404, eyelevel.ENOTFOUND, nil, "error.not_found"),
		b("a client as counselor", clientB, map[string]any{"counselor_id": w.ids[clientA], "start": "2026-12-02T09:00:00Z"}, 404, eyelevel.ENOTFOUND, nil, ""),
		b("counselors do not book", counselorY, book("2026-12-02T09:00:00Z"), 403, eyelevel.EFORBIDDEN, nil, "booking.err.clients_only"),
	)
	runInput(t, w, cases)
}

func TestInputBookTooMany(t *testing.T) {
	w := newWorld(t)
	max := w.svc.Config().MaxOpen
	// A already holds one; fill up to the limit on Thursdays and Fridays.
	for i := 1; i < max; i++ {
		start := fmt.Sprintf("2026-12-%02dT%02d:00:00Z", 3+i/8, 8+i%8)
		w.do(t, clientA, "POST", "/api/v1/appointments", map[string]any{"counselor_id": w.ids[counselorY], "start": start}).wantStatus(t, 201)
	}
	runInput(t, w, []inputCase{{name: "one too many", who: clientA, method: "POST", path: "/api/v1/appointments",
		body:   map[string]any{"counselor_id": w.ids[counselorY], "start": "2026-12-07T09:00:00Z"},
		status: 409, code: eyelevel.ECONFLICT, key: "booking.err.too_many"}})
}

func TestInputCancel(t *testing.T) {
	w := newWorld(t)
	// A books X for today 11:00 Berlin time, well within the 24-hour notice.
	soon := w.mustBook(t, clientA, counselorX, monday.Add(2*time.Hour))
	c := func(name string, who role, id eyelevel.AppointmentID, status int, code, key string) inputCase {
		return inputCase{name: name, who: who, method: "DELETE", path: "/api/v1/appointments/" + string(id), status: status, code: code, key: key}
	}
	runInput(t, w, []inputCase{
		c("unknown appointment", clientA, "nobody", 404, eyelevel.ENOTFOUND, "error.not_found"),
		c("another client", clientB, soon, 404, eyelevel.ENOTFOUND, "error.not_found"),
	})
	// The counselor may still cancel; then nobody can cancel again.
	w.do(t, counselorX, "DELETE", "/api/v1/appointments/"+string(soon), nil).wantStatus(t, 200)
	// The client may too, within the notice period: a late cancellation.
	late := w.mustBook(t, clientA, counselorX, monday.Add(3*time.Hour))
	var got struct {
		Status     string  `json:"status"`
		PaidBy     string  `json:"paid_by"`
		Attendance *string `json:"attendance"`
	}
	r := w.do(t, clientA, "DELETE", "/api/v1/appointments/"+string(late), nil)
	r.wantStatus(t, 200)
	r.decode(t, &got)
	if got.Status != "cancelled" || got.PaidBy != "free" || got.Attendance != nil {
		t.Errorf("late cancellation = %+v", got)
	}
	runInput(t, w, []inputCase{
		c("already cancelled, by the client", clientA, soon, 409, eyelevel.ECONFLICT, "appointment.err.not_booked"),
		c("already cancelled, by the counselor", counselorX, soon, 409, eyelevel.ECONFLICT, "appointment.err.not_booked"),
	})
	// Once a session has started, nobody can cancel it.
	w.clock.Advance(apptAStart.Sub(monday) + time.Minute)
	runInput(t, w, []inputCase{
		c("started, by the counselor", counselorX, w.apptA, 409, eyelevel.ECONFLICT, "cancel.err.started"),
	})
}
