package web_test

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// careResponse is the response object of the questionnaire endpoints.
type careResponse struct {
	ID                 string `json:"id"`
	Instrument         string `json:"instrument"`
	Language           string `json:"language"`
	Occasion           string `json:"occasion"`
	Score              int    `json:"score"`
	Band               string `json:"band"`
	Percent            *int   `json:"percent"`
	DepressionPositive *bool  `json:"depression_positive"`
	AnxietyPositive    *bool  `json:"anxiety_positive"`
	Subscales          []struct {
		ID       string `json:"id"`
		Score    int    `json:"score"`
		Positive bool   `json:"positive"`
	} `json:"subscales"`
	SafetyAlert bool      `json:"safety_alert"`
	SafetyItems []int     `json:"safety_items"`
	CreatedAt   time.Time `json:"created_at"`
	Answers     []int     `json:"answers"`
}

// TestAPICareSafety: a PHQ-9 with only item 9 answered above 0 is a minimal
// total and still a safety alert, which the client's counselor is shown
// until they acknowledge it.
func TestAPICareSafety(t *testing.T) {
	w := newWorld(t)
	r := w.do(t, clientA, "POST", "/api/v1/questionnaires/phq9/responses", map[string]any{"answers": []int{0, 0, 0, 0, 0, 0, 0, 0, 1}})
	r.wantStatus(t, 201)
	var got careResponse
	r.decode(t, &got)
	if !got.SafetyAlert || got.Band != "minimal" || got.Score != 1 || !slices.Equal(got.SafetyItems, []int{9}) {
		t.Fatalf("response = %s", r.Body)
	}
	// The fixture's session is still ahead: the intake questionnaire.
	if got.Occasion != "intake" || got.Language != "de" || !slices.Equal(got.Answers, []int{0, 0, 0, 0, 0, 0, 0, 0, 1}) {
		t.Errorf("occasion, language or answers: %s", r.Body)
	}

	type alerts struct {
		SafetyAlerts []struct {
			ID             string          `json:"id"`
			ClientID       eyelevel.UserID `json:"client_id"`
			ClientUsername string          `json:"client_username"`
			Source         string          `json:"source"`
		} `json:"safety_alerts"`
	}
	var x alerts
	r = w.do(t, counselorX, "GET", "/api/v1/safety-alerts", nil)
	r.wantStatus(t, 200)
	r.decode(t, &x)
	if len(x.SafetyAlerts) != 1 || x.SafetyAlerts[0].ClientID != w.ids[clientA] || x.SafetyAlerts[0].ClientUsername != "client-a" ||
		x.SafetyAlerts[0].Source != "questionnaire" {
		t.Fatalf("X's alerts = %s", r.Body)
	}
	if strings.Contains(string(r.Body), `"score"`) || strings.Contains(string(r.Body), `"answers"`) {
		t.Errorf("an alert carries the score or answers: %s", r.Body)
	}
	var y alerts
	w.do(t, counselorY, "GET", "/api/v1/safety-alerts", nil).decode(t, &y)
	if len(y.SafetyAlerts) != 0 {
		t.Errorf("Y sees A's alert")
	}

	// Y may not acknowledge it, X may, twice.
	ack := "/api/v1/safety-alerts/" + x.SafetyAlerts[0].ID + "/acknowledge"
	w.do(t, counselorY, "POST", ack, nil).wantError(t, 404, eyelevel.ENOTFOUND)
	for range 2 {
		r = w.do(t, counselorX, "POST", ack, nil)
		r.wantStatus(t, 204)
		if len(r.Body) != 0 {
			t.Errorf("204 with a body: %s", r.Body)
		}
	}
	w.do(t, counselorX, "GET", "/api/v1/safety-alerts", nil).decode(t, &x)
	if len(x.SafetyAlerts) != 0 {
		t.Errorf("acknowledged alert still listed")
	}

	// A client's own call for help, with no body or an empty object.
	w.do(t, clientA, "POST", "/api/v1/safety-alerts", nil).wantStatus(t, 201)
	w.do(t, clientA, "POST", "/api/v1/safety-alerts", "{}").wantStatus(t, 201)
	w.do(t, counselorX, "GET", "/api/v1/safety-alerts", nil).decode(t, &x)
	if len(x.SafetyAlerts) != 2 || x.SafetyAlerts[0].Source != "client" {
		t.Errorf("after two calls for help: %+v", x)
	}
}

func TestAPIQuestionnaires(t *testing.T) {
	w := newWorld(t)
	r := w.do(t, anon, "GET", "/api/v1/questionnaires?lang=en", nil)
	r.wantStatus(t, 200)
	var list struct {
		Questionnaires []struct {
			ID, Language string
		} `json:"questionnaires"`
	}
	r.decode(t, &list)
	var ids []string
	for _, q := range list.Questionnaires {
		ids = append(ids, q.ID)
		if q.Language != "en" {
			t.Errorf("%s in %s, want en", q.ID, q.Language)
		}
	}
	if !slices.Equal(ids, []string{"gad7", "phq4", "phq9", "who5"}) {
		t.Errorf("instruments = %v", ids)
	}

	// In the caller's language: the account's for a client, German by default.
	type form struct {
		ID       string `json:"id"`
		Language string `json:"language"`
		Options  []struct {
			Value int    `json:"value"`
			Label string `json:"label"`
		} `json:"options"`
		Items []struct {
			Number int    `json:"number"`
			ID     string `json:"id"`
			Text   string `json:"text"`
			Safety bool   `json:"safety"`
		} `json:"items"`
	}
	for _, c := range []struct {
		who    role
		target string
		lang   string
	}{
		{anon, "/api/v1/questionnaires/phq9", "de"},
		{anon, "/api/v1/questionnaires/phq9?lang=fa-AF", "fa-AF"},
		{clientA, "/api/v1/questionnaires/phq9?lang=uk", "uk"},
		{clientA, "/api/v1/questionnaires/phq9", "de"},
	} {
		var f form
		r := w.do(t, c.who, "GET", c.target, nil)
		r.wantStatus(t, 200)
		r.decode(t, &f)
		if f.ID != "phq9" || f.Language != c.lang || len(f.Items) != 9 || len(f.Options) != 4 || f.Options[3].Value != 3 {
			t.Errorf("%s: %s", c.target, r.Body)
			continue
		}
		for i, it := range f.Items {
			if it.Number != i+1 || it.Text == "" || it.Safety != (i == 8) {
				t.Errorf("%s: item %d = %+v", c.target, i+1, it)
			}
		}
	}
	w.do(t, anon, "GET", "/api/v1/questionnaires/PHQ9", nil).wantError(t, 404, eyelevel.ENOTFOUND)
}

func TestAPIHotlines(t *testing.T) {
	w := newWorld(t)
	var h struct {
		Hotlines []struct {
			Number, Dial, Label string
		} `json:"hotlines"`
		NotEmergency string `json:"not_emergency"`
	}
	r := w.do(t, anon, "GET", "/api/v1/hotlines?lang=en", nil)
	r.wantStatus(t, 200)
	r.decode(t, &h)
	if len(h.Hotlines) != 4 || h.Hotlines[0].Dial != "112" || h.Hotlines[0].Label != w.cat.T("en", "help.emergency") {
		t.Errorf("hotlines = %s", r.Body)
	}
	if h.NotEmergency != w.cat.T("en", "help.not_emergency") {
		t.Errorf("not_emergency = %q", h.NotEmergency)
	}

	// An operator's own numbers carry their labels per language.
	w.svc = service.New(w.db, service.Config{SecondFactorOptional: true, Hotlines: []service.Hotline{
		{Number: "1", Dial: "1", Label: map[string]string{"en": "One", "tr": "Bir"}},
	}}, nil, w.clock.Now)
	useService(w)
	for lang, want := range map[string]string{"tr": "Bir", "en": "One", "de": "One"} {
		w.do(t, anon, "GET", "/api/v1/hotlines?lang="+lang, nil).decode(t, &h)
		if len(h.Hotlines) != 1 || h.Hotlines[0].Label != want {
			t.Errorf("%s: %+v, want %q", lang, h.Hotlines, want)
		}
	}
}

// TestAPICareScores: WHO-5 has a percent, PHQ-4 its subscales; the
// client reads their responses back with the answers.
func TestAPICareScores(t *testing.T) {
	w := newWorld(t)
	var who5 careResponse
	r := w.do(t, clientA, "POST", "/api/v1/questionnaires/who5/responses", map[string]any{"answers": []int{3, 3, 2, 2, 2}, "self_test": true})
	r.wantStatus(t, 201)
	r.decode(t, &who5)
	if who5.Score != 12 || who5.Percent == nil || *who5.Percent != 48 || who5.Band != "low" || who5.Occasion != "selftest" || who5.Subscales != nil {
		t.Errorf("WHO-5 = %s", r.Body)
	}
	w.clock.Advance(time.Minute) // lists are by time
	var phq4 careResponse
	r = w.do(t, clientA, "POST", "/api/v1/questionnaires/phq4/responses", map[string]any{"answers": []int{2, 1, 0, 1}})
	r.wantStatus(t, 201)
	r.decode(t, &phq4)
	if phq4.Percent != nil || len(phq4.Subscales) != 2 || phq4.AnxietyPositive == nil || !*phq4.AnxietyPositive ||
		phq4.DepressionPositive == nil || *phq4.DepressionPositive || phq4.Occasion != "checkin" || phq4.SafetyItems != nil {
		t.Errorf("PHQ-4 = %s", r.Body)
	}
	// A WHO-5 of 0 shows a percent of 0, not none.
	var zero careResponse
	w.do(t, clientA, "POST", "/api/v1/questionnaires/who5/responses", map[string]any{"answers": []int{0, 0, 0, 0, 0}}).decode(t, &zero)
	if zero.Percent == nil || *zero.Percent != 0 {
		t.Errorf("WHO-5 of 0: percent %v", zero.Percent)
	}

	var list struct {
		Responses []careResponse `json:"responses"`
	}
	r = w.do(t, clientA, "GET", "/api/v1/questionnaires/who5/responses", nil)
	r.wantStatus(t, 200)
	r.decode(t, &list)
	if len(list.Responses) != 2 || list.Responses[0].ID != who5.ID || !slices.Equal(list.Responses[0].Answers, []int{3, 3, 2, 2, 2}) ||
		*list.Responses[0].Percent != 48 {
		t.Errorf("WHO-5 list = %s", r.Body)
	}
	var one careResponse
	w.do(t, clientA, "GET", "/api/v1/responses/"+phq4.ID, nil).decode(t, &one)
	if one.ID != phq4.ID || !slices.Equal(one.Answers, []int{2, 1, 0, 1}) || len(one.Subscales) != 2 || !one.CreatedAt.Equal(monday.Add(time.Minute)) {
		t.Errorf("PHQ-4 read back = %+v", one)
	}
	w.do(t, clientB, "GET", "/api/v1/responses/"+phq4.ID, nil).wantError(t, 404, eyelevel.ENOTFOUND)
	r = w.do(t, clientB, "GET", "/api/v1/questionnaires/who5/responses", nil)
	if got := strings.TrimSpace(string(r.Body)); got != `{"responses":[]}` {
		t.Errorf("B's list = %s", got)
	}
}

func TestAPISelfTest(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct {
		phq4, who5 []int
		advice     string
	}{
		{[]int{0, 0, 1, 1}, []int{4, 4, 4, 4, 4}, "counseling"},
		{[]int{2, 2, 1, 1}, []int{4, 4, 4, 4, 4}, "doctor"},
		{[]int{0, 0, 0, 0}, []int{1, 1, 1, 1, 1}, "doctor"},
		{[]int{3, 3, 3, 3}, []int{1, 1, 1, 1, 1}, "immediate"},
	} {
		r := w.do(t, clientA, "POST", "/api/v1/self-test", map[string]any{"phq4": c.phq4, "who5": c.who5})
		r.wantStatus(t, 201)
		var st struct {
			PHQ4   careResponse `json:"phq4"`
			WHO5   careResponse `json:"who5"`
			Advice string       `json:"advice"`
		}
		r.decode(t, &st)
		if st.Advice != c.advice || st.PHQ4.Instrument != "phq4" || st.WHO5.Instrument != "who5" ||
			st.PHQ4.Occasion != "selftest" || st.WHO5.Percent == nil || !slices.Equal(st.PHQ4.Answers, c.phq4) {
			t.Errorf("%v %v: %s", c.phq4, c.who5, r.Body)
		}
	}
}

func TestAPIOutcomeTasks(t *testing.T) {
	w := newWorld(t)
	type tasks struct {
		Tasks []struct {
			Occasion    string    `json:"occasion"`
			Instruments []string  `json:"instruments"`
			Since       time.Time `json:"since"`
		} `json:"tasks"`
	}
	var ts tasks
	w.do(t, clientA, "GET", "/api/v1/outcome-tasks", nil).decode(t, &ts)
	if len(ts.Tasks) != 1 || ts.Tasks[0].Occasion != "intake" || !slices.Equal(ts.Tasks[0].Instruments, []string{"phq9", "gad7", "who5"}) {
		t.Fatalf("tasks = %+v", ts)
	}
	w.do(t, clientA, "POST", "/api/v1/questionnaires/gad7/responses", map[string]any{"answers": []int{0, 1, 0, 1, 0, 1, 0}}).wantStatus(t, 201)
	w.do(t, clientA, "GET", "/api/v1/outcome-tasks", nil).decode(t, &ts)
	if len(ts.Tasks) != 1 || !slices.Equal(ts.Tasks[0].Instruments, []string{"phq9", "who5"}) {
		t.Errorf("after GAD-7: %+v", ts)
	}
	// A week after the session with none booked since: the post questionnaires.
	w.clock.Advance(afterSessions.Sub(monday) + 7*24*time.Hour)
	r := w.do(t, clientA, "GET", "/api/v1/outcome-tasks", nil)
	r.decode(t, &ts)
	if len(ts.Tasks) != 1 || ts.Tasks[0].Occasion != "post" || !ts.Tasks[0].Since.Equal(apptAStart.Add(50*time.Minute+7*24*time.Hour)) {
		t.Errorf("after the session: %s", r.Body)
	}
}

// TestAPIProgram walks a client through a step and its reflection.
func TestAPIProgram(t *testing.T) {
	w := newWorld(t)
	useKeys(t, w, 1)
	type step struct {
		Number     int      `json:"number"`
		Slug       string   `json:"slug"`
		Title      string   `json:"title"`
		Prompts    []string `json:"prompts"`
		BodyHTML   string   `json:"body_html"`
		Reflection *struct {
			Text      string    `json:"text"`
			Done      bool      `json:"done"`
			Shared    bool      `json:"shared"`
			UpdatedAt time.Time `json:"updated_at"`
		} `json:"reflection"`
	}
	var s step
	r := w.do(t, clientA, "GET", "/api/v1/program/steps/3", nil)
	r.wantStatus(t, 200)
	r.decode(t, &s)
	if s.Number != 3 || s.Slug == "" || s.Title == "" || len(s.Prompts) == 0 || !strings.Contains(s.BodyHTML, "<p>") || s.Reflection != nil {
		t.Fatalf("step 3 = %s", r.Body)
	}

	text := "Mein Bruder hat angerufen.\n<script>alert(1)</script>"
	r = w.do(t, clientA, "PUT", "/api/v1/program/steps/3/reflection", map[string]any{"text": text, "done": true, "shared": false})
	r.wantStatus(t, 200)
	r.decode(t, &s)
	if s.Reflection == nil || s.Reflection.Text != text || !s.Reflection.Done || s.Reflection.Shared || !s.Reflection.UpdatedAt.Equal(monday) {
		t.Fatalf("saved = %s", r.Body)
	}
	// The maximum length is allowed.
	long := strings.Repeat("ü", service.MaxReflection-5) + "XYZZY"
	w.do(t, clientA, "PUT", "/api/v1/program/steps/4/reflection", map[string]any{"text": long}).wantStatus(t, 200)

	var p struct {
		Steps []map[string]any `json:"steps"`
	}
	r = w.do(t, clientA, "GET", "/api/v1/program", nil)
	r.decode(t, &p)
	if len(p.Steps) != 7 || p.Steps[2]["done"] != true || p.Steps[2]["updated_at"] == nil || p.Steps[0]["updated_at"] != nil {
		t.Errorf("program = %s", r.Body)
	}
	if strings.Contains(string(r.Body), "Bruder") || strings.Contains(string(r.Body), "XYZZY") {
		t.Errorf("the overview contains reflection text")
	}

	// Sharing makes it visible to X, not to Y, and never to the admin.
	w.do(t, clientA, "PUT", "/api/v1/program/steps/3/reflection", map[string]any{"text": text, "done": true, "shared": true}).wantStatus(t, 200)
	r = w.do(t, counselorX, "GET", "/api/v1/clients/"+string(w.ids[clientA]), nil)
	r.wantStatus(t, 200)
	var v struct {
		SharedSteps []struct {
			Number   int       `json:"number"`
			Text     string    `json:"text"`
			SharedAt time.Time `json:"shared_at"`
		} `json:"shared_steps"`
	}
	r.decode(t, &v)
	if len(v.SharedSteps) != 1 || v.SharedSteps[0].Number != 3 || v.SharedSteps[0].Text != text || !v.SharedSteps[0].SharedAt.Equal(monday) {
		t.Errorf("X's view = %s", r.Body)
	}
	w.do(t, counselorY, "GET", "/api/v1/clients/"+string(w.ids[clientA]), nil).wantError(t, 404, eyelevel.ENOTFOUND)
	w.do(t, admin, "GET", "/api/v1/clients/"+string(w.ids[clientA]), nil).wantError(t, 404, eyelevel.ENOTFOUND)
}

// TestAPIProgramKeyLost: without the master key that sealed them,
// reflections cannot be read or replaced: 503, and nothing is lost.
func TestAPIProgramKeyLost(t *testing.T) {
	w := newWorld(t)
	useKeys(t, w, 1)
	w.do(t, clientA, "PUT", "/api/v1/program/steps/2/reflection", map[string]any{"text": "kept", "shared": true}).wantStatus(t, 200)
	useKeys(t, w, 9)
	before := w.careSnapshot(t)
	e := w.doUnavailable(t, clientA, "GET", "/api/v1/program/steps/2", "")
	if want := w.cat.T("de", "error.key_unavailable"); e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
	w.doUnavailable(t, clientA, "PUT", "/api/v1/program/steps/2/reflection", `{"text":"lost"}`)
	w.doUnavailable(t, counselorX, "GET", "/api/v1/clients/"+string(w.ids[clientA]), "")
	w.do(t, clientA, "GET", "/api/v1/program", nil).wantStatus(t, 200)
	if w.careSnapshot(t) != before {
		t.Errorf("a refused write changed the database")
	}
	useKeys(t, w, 1)
	if r := w.do(t, clientA, "GET", "/api/v1/program/steps/2", nil); !strings.Contains(string(r.Body), `"kept"`) {
		t.Errorf("after the key is back: %s", r.Body)
	}
}

// doUnavailable is do for a request that must be answered 503 unavailable,
// which do counts as a crash.
func (w *world) doUnavailable(tb testing.TB, who role, method, target, body string) apiError {
	tb.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = w.ip() + ":40000"
	req.Header.Set("Authorization", "Bearer "+w.tokens[who])
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	r := &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	checkDocumented(tb, method, target, r)
	return r.wantError(tb, 503, eyelevel.EUNAVAILABLE)
}
