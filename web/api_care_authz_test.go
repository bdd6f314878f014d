package web_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/web"
)

// afterSessions is the care fixture's "now": Wednesday 2 December 2026,
// 12:00 UTC, when both fixture sessions are over.
var afterSessions = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// Reflection texts of the care fixture, distinct enough to search for in
// any response body.
const (
	privateA = "PRIVATE-A river note"
	sharedA  = "SHARED-A bridge note"
	privateB = "PRIVATE-B forest note"
)

// careWorld is the world of newWorld with a master key, at afterSessions:
//
//   - client A has answered a PHQ-9 (responseA), kept a private reflection
//     on step 1, shared one on step 2, and raised a safety alert (alertA);
//   - client B has answered a PHQ-9 (responseB) and kept a private
//     reflection on step 1.
type careWorld struct {
	*world
	responseA, responseB string
	alertA               string
}

func newCareWorld(tb testing.TB) *careWorld {
	tb.Helper()
	w := newWorld(tb)
	useKeys(tb, w, 1)
	w.clock.Advance(afterSessions.Sub(monday))
	c := &careWorld{world: w}
	a, b := w.actor(tb, clientA), w.actor(tb, clientB)
	phq9 := service.ResponseInput{Answers: ints(1, 0, 0, 0, 0, 0, 0, 0, 0)}
	ra, err := w.svc.SubmitResponse(w.ctx, a, "phq9", phq9)
	must(tb, err)
	rb, err := w.svc.SubmitResponse(w.ctx, b, "phq9", phq9)
	must(tb, err)
	c.responseA, c.responseB = ra.ID, rb.ID
	_, err = w.svc.SaveReflection(w.ctx, a, 1, service.ReflectionInput{Text: privateA, Done: true})
	must(tb, err)
	_, err = w.svc.SaveReflection(w.ctx, a, 2, service.ReflectionInput{Text: sharedA, Shared: true})
	must(tb, err)
	_, err = w.svc.SaveReflection(w.ctx, b, 1, service.ReflectionInput{Text: privateB})
	must(tb, err)
	al, err := w.svc.RaiseAlert(w.ctx, a)
	must(tb, err)
	c.alertA = al.ID
	return c
}

// useKeys gives w a service with the test master key of seed, on the same
// database and clock.
func useKeys(tb testing.TB, w *world, seed byte) {
	tb.Helper()
	w.svc = service.New(w.db, service.Config{SecondFactorOptional: true, Password: servicetest.CheapPasswords, Keys: servicetest.Keys(seed)}, nil, w.clock.Now)
	useService(w)
}

// useService serves w.svc, after a test has replaced it.
func useService(w *world) {
	w.h = web.NewServer(web.Deps{Service: w.svc, Catalog: w.cat})
}

// actor returns who as the service knows them.
func (w *world) actor(tb testing.TB, who role) eyelevel.Actor {
	tb.Helper()
	a, err := w.svc.Authenticate(w.ctx, w.tokens[who], service.SessionAPI)
	must(tb, err)
	return a
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func ints(vs ...int) []*int {
	out := make([]*int, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

// careSnapshot is snapshot plus everything the care program stores for the
// fixture's clients and counselors.
func (w *world) careSnapshot(tb testing.TB) string {
	tb.Helper()
	state := map[string]any{"base": w.snapshot(tb)}
	for _, who := range []role{clientA, clientB} {
		id := w.ids[who]
		rs, err := w.db.Responses(w.ctx, id, "")
		must(tb, err)
		refl, err := w.db.Reflections(w.ctx, id, false)
		must(tb, err)
		alerts, err := w.db.OpenSafetyAlerts(w.ctx, "", id, time.Time{})
		must(tb, err)
		unrated, err := w.db.UnratedSessions(w.ctx, id, time.Time{}, afterSessions.AddDate(1, 0, 0))
		must(tb, err)
		state[string(who)] = []any{rs, refl, alerts, unrated}
	}
	ratings, err := w.db.RatingRows(w.ctx, "", afterSessions.AddDate(10, 0, 0))
	must(tb, err)
	state["ratings"] = ratings
	b, err := json.Marshal(state)
	must(tb, err)
	return string(b)
}

// careCase is one care API operation called by every role.
type careCase struct {
	name    string
	method  string
	path    func(c *careWorld) string
	body    func(c *careWorld, who role) any // nil: no body
	mutates bool                             // needs a fresh world for every caller
	want    expect
	check   func(t *testing.T, c *careWorld, who role, r *response)
}

func careFixed(p string) func(*careWorld) string { return func(*careWorld) string { return p } }

// TestCareAuthzTable states who may do what in the care program's API, as
// TestAuthzTable does for the rest. Beyond the statuses, every answer to
// every caller is searched for what that caller must never see: another
// client's reflection, and item answers anywhere but with their client.
func TestCareAuthzTable(t *testing.T) {
	shared := newCareWorld(t)
	phq9 := func(*careWorld, role) any { return map[string]any{"answers": []int{0, 0, 1, 0, 0, 0, 0, 0, 0}} }
	id := func(who role) func(c *careWorld) string {
		return func(c *careWorld) string { return string(c.ids[who]) }
	}
	cases := []careCase{
		// Public.
		{name: "GET hotlines", method: "GET", path: careFixed("/api/v1/hotlines"), want: expect{200, 200, 200, 200, 200, 200}},
		{name: "GET questionnaires", method: "GET", path: careFixed("/api/v1/questionnaires"), want: expect{200, 200, 200, 200, 200, 200}},
		{name: "GET questionnaire", method: "GET", path: careFixed("/api/v1/questionnaires/phq9"), want: expect{200, 200, 200, 200, 200, 200}},
		{name: "GET unknown questionnaire", method: "GET", path: careFixed("/api/v1/questionnaires/mmpi"), want: expect{404, 404, 404, 404, 404, 404}},

		// A client's own questionnaires.
		{name: "POST response", method: "POST", path: careFixed("/api/v1/questionnaires/phq9/responses"), body: phq9, mutates: true,
			want: expect{401, 201, 201, 403, 403, 403},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				for _, client := range []role{clientA, clientB} {
					rs, err := c.db.Responses(c.ctx, c.ids[client], "phq9")
					must(t, err)
					if want := map[bool]int{true: 2, false: 1}[who == client]; len(rs) != want {
						t.Errorf("%s has %d responses, want %d", client, len(rs), want)
					}
				}
			}},
		{name: "GET responses", method: "GET", path: careFixed("/api/v1/questionnaires/phq9/responses"),
			want: expect{401, 200, 200, 403, 403, 403},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				if r.Status != 200 {
					return
				}
				var list struct {
					Responses []struct {
						ID      string `json:"id"`
						Answers []int  `json:"answers"`
					} `json:"responses"`
				}
				r.decode(t, &list)
				want := map[role]string{clientA: c.responseA, clientB: c.responseB}[who]
				if len(list.Responses) != 1 || list.Responses[0].ID != want || len(list.Responses[0].Answers) != 9 {
					t.Errorf("listed %s, want only %s with its answers", r.Body, want)
				}
			}},
		{name: "GET response of A", method: "GET", path: func(c *careWorld) string { return "/api/v1/responses/" + c.responseA },
			want: expect{401, 200, 404, 403, 403, 403}},
		{name: "GET response of B", method: "GET", path: func(c *careWorld) string { return "/api/v1/responses/" + c.responseB },
			want: expect{401, 404, 200, 403, 403, 403}},
		{name: "POST self-test", method: "POST", path: careFixed("/api/v1/self-test"), mutates: true,
			body: func(*careWorld, role) any {
				return map[string]any{"phq4": []int{0, 1, 0, 1}, "who5": []int{3, 3, 3, 3, 3}}
			},
			want: expect{401, 201, 201, 403, 403, 403}},
		{name: "GET outcome tasks", method: "GET", path: careFixed("/api/v1/outcome-tasks"),
			want: expect{401, 200, 200, 403, 403, 403}},

		// The program: each client's own.
		{name: "GET program", method: "GET", path: careFixed("/api/v1/program"),
			want: expect{401, 200, 200, 403, 403, 403},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				if r.Status != 200 {
					return
				}
				var p struct {
					Steps []struct {
						Done      bool   `json:"done"`
						Shared    bool   `json:"shared"`
						UpdatedAt string `json:"updated_at"`
					} `json:"steps"`
				}
				r.decode(t, &p)
				if len(p.Steps) != 7 {
					t.Fatalf("%d steps", len(p.Steps))
				}
				s1, s2 := p.Steps[0], p.Steps[1]
				ok := map[role]bool{
					clientA: s1.Done && !s1.Shared && s1.UpdatedAt != "" && s2.Shared && !s2.Done,
					clientB: !s1.Done && !s1.Shared && s1.UpdatedAt != "" && s2.UpdatedAt == "",
				}[who]
				if !ok {
					t.Errorf("progress of %s: %s", who, r.Body)
				}
			}},
		{name: "GET step 1", method: "GET", path: careFixed("/api/v1/program/steps/1"),
			want: expect{401, 200, 200, 403, 403, 403},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				if want := map[role]string{clientA: privateA, clientB: privateB}[who]; want != "" && !strings.Contains(string(r.Body), want) {
					t.Errorf("%s does not get their own reflection: %s", who, r.Body)
				}
			}},
		{name: "PUT reflection", method: "PUT", path: careFixed("/api/v1/program/steps/3/reflection"), mutates: true,
			body: func(*careWorld, role) any { return map[string]any{"text": "new words", "done": true, "shared": true} },
			want: expect{401, 200, 200, 403, 403, 403},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				for _, client := range []role{clientA, clientB} {
					rs, err := c.db.Reflections(c.ctx, c.ids[client], false)
					must(t, err)
					has := slices.ContainsFunc(rs, func(r eyelevel.Reflection) bool { return r.Step == 3 })
					if has != (who == client) {
						t.Errorf("after %s wrote: %s has a step 3 reflection = %v", who, client, has)
					}
				}
			}},

		// Counselors see their own clients.
		{name: "GET client A", method: "GET", path: func(c *careWorld) string { return "/api/v1/clients/" + id(clientA)(c) },
			want: expect{401, 404, 404, 200, 404, 404},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				if r.Status != 200 {
					return
				}
				var v struct {
					Username     string `json:"username"`
					Scores       []map[string]any
					SafetyAlerts []struct{ ID string } `json:"safety_alerts"`
					SharedSteps  []struct {
						Number int    `json:"number"`
						Text   string `json:"text"`
					} `json:"shared_steps"`
				}
				r.decode(t, &v)
				if v.Username != "client-a" || len(v.Scores) != 1 || len(v.SafetyAlerts) != 1 || v.SafetyAlerts[0].ID != c.alertA ||
					len(v.SharedSteps) != 1 || v.SharedSteps[0].Number != 2 || v.SharedSteps[0].Text != sharedA {
					t.Errorf("client view: %s", r.Body)
				}
			}},
		{name: "GET client B", method: "GET", path: func(c *careWorld) string { return "/api/v1/clients/" + id(clientB)(c) },
			want: expect{401, 404, 404, 404, 200, 404}},
		{name: "GET client: a counselor", method: "GET", path: func(c *careWorld) string { return "/api/v1/clients/" + id(counselorX)(c) },
			want: expect{401, 404, 404, 404, 404, 404}},

		// Safety alerts.
		{name: "GET safety alerts", method: "GET", path: careFixed("/api/v1/safety-alerts"),
			want: expect{401, 403, 403, 200, 200, 403},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				if r.Status != 200 {
					return
				}
				var list struct {
					SafetyAlerts []struct {
						ID             string `json:"id"`
						ClientUsername string `json:"client_username"`
					} `json:"safety_alerts"`
				}
				r.decode(t, &list)
				if n := map[role]int{counselorX: 1, counselorY: 0}[who]; len(list.SafetyAlerts) != n ||
					n == 1 && (list.SafetyAlerts[0].ID != c.alertA || list.SafetyAlerts[0].ClientUsername != "client-a") {
					t.Errorf("%s sees %s", who, r.Body)
				}
			}},
		{name: "POST safety alert", method: "POST", path: careFixed("/api/v1/safety-alerts"), mutates: true,
			want: expect{401, 201, 201, 403, 403, 403},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				for _, client := range []role{clientA, clientB} {
					as, err := c.db.OpenSafetyAlerts(c.ctx, "", c.ids[client], time.Time{})
					must(t, err)
					want := map[role]int{clientA: 1, clientB: 0}[client]
					if who == client {
						want++
					}
					if len(as) != want {
						t.Errorf("%s has %d open alerts, want %d", client, len(as), want)
					}
				}
			}},
		{name: "POST acknowledge alert of A", method: "POST", path: func(c *careWorld) string { return "/api/v1/safety-alerts/" + c.alertA + "/acknowledge" },
			mutates: true,
			want:    expect{401, 403, 403, 204, 404, 403},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				as, err := c.db.OpenSafetyAlerts(c.ctx, c.ids[counselorX], "", time.Time{})
				must(t, err)
				if open := len(as) == 1; open == (r.Status == 204) {
					t.Errorf("status %d, but %d alerts open", r.Status, len(as))
				}
			}},

		// Ratings.
		{name: "POST rating of A's session", method: "POST", path: func(c *careWorld) string { return "/api/v1/appointments/" + string(c.apptA) + "/rating" },
			body: func(*careWorld, role) any { return map[string]any{"stars": 4, "comment": "Helpful."} }, mutates: true,
			want: expect{401, 201, 404, 403, 403, 403}},
		{name: "GET pending ratings", method: "GET", path: careFixed("/api/v1/ratings/pending"),
			want: expect{401, 200, 200, 403, 403, 403},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				if r.Status != 200 {
					return
				}
				var list struct {
					Sessions []struct{ ID eyelevel.AppointmentID } `json:"sessions"`
				}
				r.decode(t, &list)
				want := map[role]eyelevel.AppointmentID{clientA: c.apptA, clientB: c.apptB}[who]
				if len(list.Sessions) != 1 || list.Sessions[0].ID != want {
					t.Errorf("%s: %s, want %s", who, r.Body, want)
				}
			}},
		{name: "GET all ratings", method: "GET", path: careFixed("/api/v1/ratings"), want: expect{401, 403, 403, 403, 403, 200}},
		{name: "GET ratings of X", method: "GET", path: func(c *careWorld) string { return "/api/v1/counselors/" + id(counselorX)(c) + "/ratings" },
			want: expect{401, 403, 403, 200, 403, 200}},
		{name: "GET ratings of Y", method: "GET", path: func(c *careWorld) string { return "/api/v1/counselors/" + id(counselorY)(c) + "/ratings" },
			want: expect{401, 403, 403, 403, 200, 200}},

		// The client's own copy of their data.
		{name: "GET own data export", method: "GET", path: careFixed("/api/v1/me/export"),
			want: expect{401, 200, 200, 403, 403, 403},
			check: func(t *testing.T, c *careWorld, who role, r *response) {
				if r.Status != 200 {
					return
				}
				own := map[role][]string{clientA: {privateA, sharedA, `"answers":[1,0,0,0,0,0,0,0,0]`, `"source":"client"`}, clientB: {privateB}}[who]
				for _, want := range own {
					if !strings.Contains(string(r.Body), want) {
						t.Errorf("%s: export lacks %s: %s", who, want, r.Body)
					}
				}
				if !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") {
					t.Errorf("%s: Content-Disposition %q", who, r.Header.Get("Content-Disposition"))
				}
			}},

		// Reports.
		{name: "GET impact report", method: "GET", path: careFixed("/api/v1/reports/impact?from=2025-01-01&to=2025-12-31"),
			want: expect{401, 403, 403, 403, 403, 200}},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for i, who := range roles {
				t.Run(string(who), func(t *testing.T) {
					w := shared
					if c.mutates {
						w = newCareWorld(t)
					}
					var body any
					if c.body != nil {
						body = c.body(w, who)
					}
					before := w.careSnapshot(t)
					r := w.do(t, who, c.method, c.path(w), body)
					if r.Status >= 400 {
						r.wantError(t, c.want[i], codeOf(r.Status))
						if after := w.careSnapshot(t); after != before {
							t.Errorf("refused request changed the database")
						}
					} else {
						r.wantStatus(t, c.want[i])
					}
					wantNothingPrivate(t, who, r)
					if c.check != nil {
						c.check(t, w, who, r)
					}
				})
			}
		})
	}
}

// wantNothingPrivate fails if an answer shows who something that is not
// theirs to see: a reflection of another client (a shared one only to the
// client's counselor X), or item answers to anyone but a client.
func wantNothingPrivate(t *testing.T, who role, r *response) {
	t.Helper()
	body := string(r.Body)
	for text, allowed := range map[string][]role{privateA: {clientA}, sharedA: {clientA, counselorX}, privateB: {clientB}} {
		if strings.Contains(body, text) && !slices.Contains(allowed, who) {
			t.Errorf("%s got the reflection %q: %s", who, text, body)
		}
	}
	if who != clientA && who != clientB && strings.Contains(body, `"answers"`) {
		t.Errorf("%s got item answers: %s", who, body)
	}
}
