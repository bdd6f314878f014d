package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
	"eyelevel/web"
)

// TestMain runs the whole suite on SQLite and again on PostgreSQL.
func TestMain(m *testing.M) { os.Exit(storetest.RunSuite(m)) }

// monday is the fake "now" of every test: Monday, 30 November 2026, 08:00
// UTC. With the one-hour lead the first bookable start is 09:00 UTC.
var monday = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

// clock is a fake clock that tests move forward by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// role names a caller of the API in the fixture world.
type role string

const (
	anon       role = "anonymous"
	clientA    role = "client A"
	clientB    role = "client B"
	counselorX role = "counselor X"
	counselorY role = "counselor Y"
	admin      role = "admin"
)

// roles are all callers, in the column order of the authorization table.
var roles = []role{anon, clientA, clientB, counselorX, counselorY, admin}

const password = "correct horse battery"

// world is one test's eyelevel: a fresh database (SQLite, then PostgreSQL:
// see TestMain), a service on a fake
// clock, the whole HTTP handler, and these accounts, each with a token:
//
//   - client A (Europe/Berlin) and client B (UTC);
//   - counselor X in Europe/Berlin, available Monday to Friday 09:00–17:00
//     local time (08:00–16:00 UTC in winter), speaking German natively and English;
//   - counselor Y in UTC, available Monday to Friday 08:00–16:00, speaking
//     German and Arabic natively;
//   - an admin.
//
// A has booked X on Wednesday 2 December 08:00 UTC (apptA); B has booked Y
// the same day at 10:00 UTC (apptB).
type world struct {
	ctx    context.Context
	db     *store.DB
	dsn    string // where db is (storetest.Location), to break it on purpose
	dir    string
	svc    *service.Service
	cat    *i18n.Catalog
	clock  *clock
	h      http.Handler
	ids    map[role]eyelevel.UserID
	names  map[role]string
	tokens map[role]string
	apptA  eyelevel.AppointmentID
	apptB  eyelevel.AppointmentID
	reqs   atomic.Int64 // gives every request its own client IP, clear of rate limits
}

// Times of the fixture's appointments.
var (
	apptAStart = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	apptBStart = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
)

// weekdays returns windows from..to (minutes after midnight) Monday to Friday.
func weekdays(from, to int) []eyelevel.WeeklyWindow {
	var ws []eyelevel.WeeklyWindow
	for d := time.Monday; d <= time.Friday; d++ {
		ws = append(ws, eyelevel.WeeklyWindow{Weekday: d, Start: from, End: to})
	}
	return ws
}

// newWorld builds the fixture described at world.
func newWorld(tb testing.TB) *world {
	tb.Helper()
	ctx := context.Background()
	dsn, dir := storetest.Location(tb, storetest.Suite())
	db := storetest.OpenAt(tb, dsn, dir)
	cat, err := i18n.Load()
	if err != nil {
		tb.Fatalf("load catalog: %v", err)
	}
	clk := &clock{t: monday}
	log := slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc := service.New(db, service.Config{SecondFactorOptional: true, Password: service.PasswordParams{Memory: 64, Time: 1, Threads: 1}, SessionsPerDay: -1, Keys: servicetest.Keys(1)}, log, clk.Now)
	w := &world{
		ctx: ctx, db: db, dsn: dsn, dir: dir, svc: svc, cat: cat, clock: clk,
		h:   web.NewServer(web.Deps{Service: svc, Catalog: cat, Log: log}),
		ids: map[role]eyelevel.UserID{}, tokens: map[role]string{},
		names: map[role]string{
			clientA: "client-a", clientB: "client-b", counselorX: "counselor-x", counselorY: "counselor-y", admin: "admin",
		},
	}
	for who, tz := range map[role]string{clientA: "Europe/Berlin", clientB: "UTC", admin: "Europe/Berlin"} {
		r := eyelevel.RoleClient
		if who == admin {
			r = eyelevel.RoleAdmin
		}
		u, err := svc.AddUser(ctx, r, w.names[who], password, tz)
		if err != nil {
			tb.Fatalf("add %s: %v", who, err)
		}
		w.ids[who] = u.ID
	}
	w.ids[counselorX] = w.mustCounselor(tb, w.names[counselorX], "Europe/Berlin", []eyelevel.LanguageSkill{{Code: "de", Native: true}, {Code: "en"}}, weekdays(9*60, 17*60))
	w.ids[counselorY] = w.mustCounselor(tb, w.names[counselorY], "UTC", []eyelevel.LanguageSkill{{Code: "de", Native: true}, {Code: "ar", Native: true}}, weekdays(8*60, 16*60))
	for _, who := range roles[1:] {
		w.tokens[who] = w.login(tb, w.names[who])
	}
	w.apptA = w.mustBook(tb, clientA, counselorX, apptAStart)
	w.apptB = w.mustBook(tb, clientB, counselorY, apptBStart)
	return w
}

func (w *world) mustCounselor(tb testing.TB, username, tz string, langs []eyelevel.LanguageSkill, weekly []eyelevel.WeeklyWindow) eyelevel.UserID {
	tb.Helper()
	c, err := w.svc.CreateCounselor(w.ctx, service.Operator, service.CounselorInput{
		Username: username, Password: password, DisplayName: "Counselor " + username, Gender: eyelevel.GenderFemale,
		Languages: langs, TimeZone: tz, Bio: "Bio of " + username, Qualifications: "Qualified",
	})
	if err != nil {
		tb.Fatalf("create counselor %s: %v", username, err)
	}
	if err := w.svc.SetAvailability(w.ctx, service.Operator, c.ID, eyelevel.Availability{Weekly: weekly}); err != nil {
		tb.Fatalf("availability of %s: %v", username, err)
	}
	return c.ID
}

// login returns a new API token of username.
func (w *world) login(tb testing.TB, username string) string {
	tb.Helper()
	tok, _, _, err := w.svc.Login(w.ctx, username, password, w.ip(), true)
	if err != nil {
		tb.Fatalf("log in %s: %v", username, err)
	}
	return tok
}

func (w *world) mustBook(tb testing.TB, client, counselor role, start time.Time) eyelevel.AppointmentID {
	tb.Helper()
	a, err := w.svc.Authenticate(w.ctx, w.tokens[client], service.SessionAPI)
	if err != nil {
		tb.Fatalf("authenticate %s: %v", client, err)
	}
	appt, err := w.svc.Book(w.ctx, a, service.BookInput{CounselorID: w.ids[counselor], Start: start})
	if err != nil {
		tb.Fatalf("book %s with %s: %v", client, counselor, err)
	}
	return appt.ID
}

func (w *world) ip() string {
	n := w.reqs.Add(1)
	return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
}

// response is what the handler answered.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request as who (anon sends no credentials). body is nil for
// none, a string or []byte sent as is, or anything else marshalled to JSON.
// header holds extra key/value pairs. Every answer is checked against
// openapi.json (a documented status and a body of its schema), and a 5xx
// fails the test: no input may crash the server.
func (w *world) do(tb testing.TB, who role, method, target string, body any, header ...string) *response {
	tb.Helper()
	return w.doToken(tb, w.tokens[who], method, target, body, header...)
}

// doToken is do with an explicit bearer token ("" sends none).
func (w *world) doToken(tb testing.TB, token, method, target string, body any, header ...string) *response {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("marshal body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, target, rd)
	req.RemoteAddr = w.ip() + ":40000"
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	r := &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	if r.Status >= 500 {
		tb.Errorf("%s %s: status %d: %s", method, target, r.Status, r.Body)
	}
	checkDocumented(tb, method, target, r)
	return r
}

// decode unmarshals the body into v. (Its shape is checked against
// openapi.json already.)
func (r *response) decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// apiError is the JSON error shape.
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
}

// wantStatus fails unless the status is want.
func (r *response) wantStatus(tb testing.TB, want int) {
	tb.Helper()
	if r.Status != want {
		tb.Fatalf("status = %d, want %d; body: %s", r.Status, want, r.Body)
	}
}

// wantError fails unless the response is the JSON error shape with status,
// code, a message, and a non-empty entry for each of fields.
func (r *response) wantError(tb testing.TB, status int, code string, fields ...string) apiError {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("Content-Type = %q, want JSON; body: %s", ct, r.Body)
	}
	var body struct {
		Error *apiError `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		tb.Fatalf("error body %s: %v", r.Body, err)
	}
	e := body.Error
	if e == nil {
		tb.Fatalf("no error object in %s", r.Body)
	}
	if e.Code != code {
		tb.Fatalf("error.code = %q, want %q; body: %s", e.Code, code, r.Body)
	}
	if strings.TrimSpace(e.Message) == "" {
		tb.Fatalf("empty error.message: %s", r.Body)
	}
	for _, f := range fields {
		if e.Fields[f] == "" {
			tb.Fatalf("error.fields[%q] missing; body: %s", f, r.Body)
		}
	}
	return *e
}

// snapshot captures what a refused request must leave alone: the number of
// accounts, every counselor's profile, availability and appointments.
func (w *world) snapshot(tb testing.TB) string {
	tb.Helper()
	n, err := w.db.CountUsers(w.ctx)
	if err != nil {
		tb.Fatalf("count users: %v", err)
	}
	cs, err := w.db.Counselors(w.ctx)
	if err != nil {
		tb.Fatalf("counselors: %v", err)
	}
	type entry struct {
		Counselor    eyelevel.Counselor
		Availability eyelevel.Availability
		Appointments []eyelevel.Appointment
	}
	state := struct {
		Users      int
		Counselors []entry
	}{Users: n}
	for _, c := range cs {
		av, err := w.db.Availability(w.ctx, c.ID)
		if err != nil {
			tb.Fatalf("availability: %v", err)
		}
		as, err := w.db.Appointments(w.ctx, store.AppointmentFilter{CounselorID: c.ID})
		if err != nil {
			tb.Fatalf("appointments: %v", err)
		}
		state.Counselors = append(state.Counselors, entry{c, av, as})
	}
	b, err := json.Marshal(state)
	if err != nil {
		tb.Fatalf("marshal snapshot: %v", err)
	}
	return string(b)
}

// appointmentIDs returns the IDs of a list of appointments, sorted.
func appointmentIDs(tb testing.TB, r *response) []eyelevel.AppointmentID {
	tb.Helper()
	var list struct {
		Appointments []struct {
			ID eyelevel.AppointmentID `json:"id"`
		} `json:"appointments"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	if err := dec.Decode(&list); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
	if list.Appointments == nil {
		tb.Fatalf("appointments is not a list: %s", r.Body)
	}
	ids := make([]eyelevel.AppointmentID, 0, len(list.Appointments))
	for _, a := range list.Appointments {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// openapiDoc is openapi.json, parsed once.
var openapiDoc = sync.OnceValues(func() (map[string]any, error) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	return doc, json.Unmarshal(b, &doc)
})

func loadDoc(tb testing.TB) map[string]any {
	tb.Helper()
	doc, err := openapiDoc()
	if err != nil {
		tb.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// obj returns v[keys...] as a JSON object, or nil.
func obj(v any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	m, _ := v.(map[string]any)
	return m
}

// resolve follows a local "$ref" like "#/components/schemas/Slot".
func resolve(doc map[string]any, v map[string]any) map[string]any {
	for v != nil {
		ref, ok := v["$ref"].(string)
		if !ok {
			return v
		}
		v = obj(doc, strings.Split(strings.TrimPrefix(ref, "#/"), "/")...)
	}
	return nil
}

// matchTemplate reports whether path fits an OpenAPI path template.
func matchTemplate(tmpl, path string) bool {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if strings.HasPrefix(ts[i], "{") && strings.HasSuffix(ts[i], "}") {
			if ps[i] == "" {
				return false
			}
		} else if ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// checkDocumented checks a response against openapi.json: its status must
// be listed for the operation and its body must fit the schema given there.
// Requests to undocumented paths or methods are not checked.
func checkDocumented(tb testing.TB, method, target string, r *response) {
	tb.Helper()
	doc := loadDoc(tb)
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatalf("parse %q: %v", target, err)
	}
	var op map[string]any
	for tmpl := range obj(doc, "paths") {
		if matchTemplate(tmpl, u.Path) {
			op = obj(doc, "paths", tmpl, strings.ToLower(method))
			break
		}
	}
	if exact := obj(doc, "paths", u.Path); exact != nil {
		op = obj(exact, strings.ToLower(method)) // a literal path wins over a template, as in the router
	}
	if op == nil {
		return
	}
	resp := resolve(doc, obj(op, "responses", strconv.Itoa(r.Status)))
	if resp == nil {
		tb.Errorf("%s %s: status %d is not documented in openapi.json; body: %s", method, u.Path, r.Status, r.Body)
		return
	}
	schema := obj(resp, "content", "application/json", "schema")
	if schema == nil {
		// A body of another media type (text/csv) is documented by its content.
		if len(r.Body) != 0 && obj(resp, "content") == nil {
			tb.Errorf("%s %s: status %d is documented without a body, got %s", method, u.Path, r.Status, r.Body)
		}
		return
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		tb.Errorf("%s %s: status %d: body is not JSON: %v", method, u.Path, r.Status, err)
		return
	}
	var problems []string
	validate(doc, schema, v, "body", &problems)
	for _, p := range problems {
		tb.Errorf("%s %s: status %d: %s; body: %s", method, u.Path, r.Status, p, r.Body)
	}
}

// validate checks v against the subset of JSON Schema that openapi.json
// uses: $ref, type, enum, properties, required, additionalProperties,
// items, pattern, minimum/maximum and the date-time and date formats.
func validate(doc, schema map[string]any, v any, at string, problems *[]string) {
	schema = resolve(doc, schema)
	if schema == nil {
		*problems = append(*problems, at+": unresolvable schema")
		return
	}
	bad := func(format string, args ...any) {
		*problems = append(*problems, at+": "+fmt.Sprintf(format, args...))
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		bad("%v is not one of %v", v, enum)
	}
	switch schema["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("want an object, got %T", v)
			return
		}
		required, _ := schema["required"].([]any)
		for _, k := range required {
			if _, ok := m[k.(string)]; !ok {
				bad("required property %q missing", k)
			}
		}
		props := obj(schema, "properties")
		for k, pv := range m {
			if ps := obj(props, k); ps != nil {
				validate(doc, ps, pv, at+"."+k, problems)
			} else if extra, ok := schema["additionalProperties"].(map[string]any); ok {
				validate(doc, extra, pv, at+"."+k, problems)
			} else if schema["additionalProperties"] == false {
				bad("undocumented property %q", k)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("want an array, got %T", v)
			return
		}
		for i, e := range a {
			validate(doc, obj(schema, "items"), e, fmt.Sprintf("%s[%d]", at, i), problems)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			bad("want a string, got %T", v)
			return
		}
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(s) {
			bad("%q does not match %s", s, p)
		}
		switch schema["format"] {
		case "date-time":
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				bad("%q is not RFC 3339", s)
			}
		case "date":
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				bad("%q is not a date", s)
			}
		}
	case "integer":
		n, ok := v.(float64)
		if !ok || n != float64(int64(n)) {
			bad("want an integer, got %v", v)
			return
		}
		if lo, ok := schema["minimum"].(float64); ok && n < lo {
			bad("%v < minimum %v", n, lo)
		}
		if hi, ok := schema["maximum"].(float64); ok && n > hi {
			bad("%v > maximum %v", n, hi)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("want a boolean, got %T", v)
		}
	}
}

// walkRefs calls fn with every "$ref" in v.
func walkRefs(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "$ref" {
				fn(s)
			}
			walkRefs(e, fn)
		}
	case []any:
		for _, e := range v {
			walkRefs(e, fn)
		}
	}
}
