package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"eyelevel"
	"eyelevel/service"
)

// noteSecret is a session note's text, distinct enough to search every
// answer for.
const noteSecret = "NOTE-SECRET insomnia since the move"

// wsWebWorld is newWorld with a master key and counselor X's note on A's
// session (apptA).
func wsWebWorld(tb testing.TB) *world {
	tb.Helper()
	w := newWorld(tb)
	useKeys(tb, w, 1)
	_, err := w.svc.PutSessionNote(w.ctx, w.actor(tb, counselorX), w.apptA, noteSecret)
	must(tb, err)
	return w
}

// wsColleague creates a counselor nobody has proposed yet.
func wsColleague(tb testing.TB, w *world, n int) eyelevel.UserID {
	tb.Helper()
	return w.mustCounselor(tb, fmt.Sprintf("colleague-%d", n), "UTC", []eyelevel.LanguageSkill{{Code: "de"}}, weekdays(8*60, 16*60))
}

// TestWorkspaceAPIAuthz: the workspace's API by every role of the fixture
// (anonymous, client A, client B, counselor X, counselor Y, admin), each
// call on a fresh target where it changes something.
func TestWorkspaceAPIAuthz(t *testing.T) {
	w := wsWebWorld(t)
	x := w.actor(t, counselorX)
	n := 0
	absenceOfX := func() string {
		ab, err := w.svc.AddAbsence(w.ctx, x, service.AbsenceInput{From: "2027-02-01", To: "2027-02-02", Message: "Away"})
		must(t, err)
		return ab.ID
	}
	proposalToA := func() string {
		n++
		h, err := w.svc.ProposeHandover(w.ctx, x, service.HandoverInput{ClientID: w.ids[clientA], ToCounselorID: wsColleague(t, w, n)})
		must(t, err)
		return h.ID
	}
	note := "/api/v1/appointments/" + string(w.apptA) + "/note"
	cases := []struct {
		name, method string
		path         func() string
		body         func() any
		want         expect
	}{
		{"GET workspace", "GET", wsFixed("/api/v1/workspace"), nil, expect{401, 403, 403, 200, 200, 403}},
		{"GET caseload", "GET", wsFixed("/api/v1/caseload"), nil, expect{401, 403, 403, 200, 200, 403}},
		{"GET note", "GET", wsFixed(note), nil, expect{401, 404, 404, 200, 404, 404}},
		{"PUT note", "PUT", wsFixed(note), func() any { return map[string]string{"text": noteSecret} }, expect{401, 404, 404, 200, 404, 404}},
		{"GET absences", "GET", wsFixed("/api/v1/absences"), nil, expect{401, 403, 403, 200, 200, 403}},
		{"POST absence", "POST", wsFixed("/api/v1/absences"), func() any {
			return map[string]string{"from": "2027-01-04", "to": "2027-01-08", "message": "Back on the 11th."}
		}, expect{401, 403, 403, 201, 201, 403}},
		{"DELETE X's absence", "DELETE", func() string { return "/api/v1/absences/" + absenceOfX() }, nil, expect{401, 403, 403, 204, 404, 403}},
		{"POST cancel sessions of X's absence", "POST", func() string { return "/api/v1/absences/" + absenceOfX() + "/cancel-sessions" }, nil,
			expect{401, 403, 403, 200, 404, 403}},
		{"POST hand-over of A", "POST", wsFixed("/api/v1/handovers"), func() any {
			n++
			return map[string]string{"client_id": string(w.ids[clientA]), "to_counselor_id": string(wsColleague(t, w, n))}
		}, expect{401, 404, 404, 201, 404, 404}},
		{"GET hand-overs", "GET", wsFixed("/api/v1/handovers"), nil, expect{401, 200, 200, 200, 200, 403}},
		{"POST accept a proposal to A", "POST", func() string { return "/api/v1/handovers/" + proposalToA() + "/accept" }, nil,
			expect{401, 200, 404, 404, 404, 404}},
		{"POST decline a proposal to A", "POST", func() string { return "/api/v1/handovers/" + proposalToA() + "/decline" }, nil,
			expect{401, 200, 404, 404, 404, 404}},
	}
	for _, c := range cases {
		for i, who := range roles {
			var body any
			if c.body != nil {
				body = c.body()
			}
			r := w.do(t, who, c.method, c.path(), body)
			if r.Status != c.want[i] {
				t.Errorf("%s by %s: %d, want %d: %s", c.name, who, r.Status, c.want[i], r.Body)
			}
			if r.Status >= 400 {
				wsErrorShape(t, r)
			}
		}
	}
}

func wsFixed(p string) func() string { return func() string { return p } }

// wsErrorShape fails unless r is the JSON error shape.
func wsErrorShape(t *testing.T, r *response) {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
		t.Errorf("status %d without the error shape: %s", r.Status, r.Body)
	}
}

// wsState is snapshot plus the workspace's own records of counselor X.
func wsState(t *testing.T, w *world) string {
	t.Helper()
	x := w.actor(t, counselorX)
	as, err := w.svc.Absences(w.ctx, x)
	must(t, err)
	hs, err := w.svc.Handovers(w.ctx, x, "")
	must(t, err)
	n, err := w.svc.SessionNote(w.ctx, x, w.apptA)
	must(t, err)
	return fmt.Sprint(w.snapshot(t), as, hs, n)
}

// TestWorkspaceAPIColleague: a colleague proposed to a client sees the
// client's page only after the client accepted (404 before).
func TestWorkspaceAPIColleague(t *testing.T) {
	w := wsWebWorld(t)
	client := "/api/v1/clients/" + string(w.ids[clientA])
	r := w.do(t, counselorX, "POST", "/api/v1/handovers", map[string]string{
		"client_id": string(w.ids[clientA]), "to_counselor_id": string(w.ids[counselorY]), "note": "Y speaks Arabic too."})
	r.wantStatus(t, http.StatusCreated)
	var h struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	r.decode(t, &h)
	w.do(t, counselorY, "GET", client, nil).wantError(t, http.StatusNotFound, eyelevel.ENOTFOUND)
	w.do(t, counselorY, "GET", "/clients/"+string(w.ids[clientA]), nil).wantStatus(t, http.StatusNotFound)
	r = w.do(t, clientA, "GET", "/api/v1/handovers", nil)
	if !strings.Contains(string(r.Body), "Y speaks Arabic too.") || !strings.Contains(string(r.Body), `"proposed"`) {
		t.Errorf("client's proposals: %s", r.Body)
	}
	w.do(t, clientA, "POST", "/api/v1/handovers/"+h.ID+"/accept", nil).wantStatus(t, http.StatusOK)
	w.do(t, counselorY, "GET", client, nil).wantStatus(t, http.StatusOK)
	w.do(t, counselorY, "GET", "/clients/"+string(w.ids[clientA]), nil).wantStatus(t, http.StatusOK)
	if r := w.do(t, counselorY, "GET", "/api/v1/caseload", nil); !strings.Contains(string(r.Body), "client-a") {
		t.Errorf("Y's caseload after the hand-over: %s", r.Body)
	}
	// The colleague still does not see X's note.
	w.do(t, counselorY, "GET", "/api/v1/appointments/"+string(w.apptA)+"/note", nil).wantError(t, http.StatusNotFound, eyelevel.ENOTFOUND)
	w.do(t, clientA, "POST", "/api/v1/handovers/"+h.ID+"/decline", nil).wantError(t, http.StatusConflict, eyelevel.ECONFLICT)
}

// TestWorkspaceNoteNeverShown: a session note appears in no answer to
// anyone but its author's own note requests and pages — not the client's
// appointments or export, not an admin's or another counselor's view.
func TestWorkspaceNoteNeverShown(t *testing.T) {
	w := wsWebWorld(t)
	a := string(w.ids[clientA])
	paths := []string{
		"/api/v1/me", "/api/v1/me/export", "/api/v1/appointments", "/api/v1/appointments?past=true", "/api/v1/appointments/" + string(w.apptA),
		"/api/v1/appointments/" + string(w.apptA) + "/note", "/api/v1/workspace", "/api/v1/caseload", "/api/v1/clients/" + a,
		"/api/v1/handovers", "/api/v1/absences", "/api/v1/safety-alerts", "/api/v1/reports/impact", "/api/v1/ratings", "/api/v1/program",
		"/appointments", "/clients/" + a, "/workspace", "/workspace/clients", "/export", "/admin/report", "/ratings",
	}
	for _, who := range roles {
		for _, p := range paths {
			r := w.do(t, who, "GET", p, nil)
			own := who == counselorX && strings.HasSuffix(p, "/note")
			if strings.Contains(string(r.Body), "NOTE-SECRET") != own {
				t.Errorf("GET %s by %s: note shown = %v", p, who, !own)
			}
		}
	}
	// Only on the author's page of that client.
	if r := w.do(t, counselorX, "GET", "/workspace/clients/"+a, nil); !strings.Contains(string(r.Body), "NOTE-SECRET") {
		t.Errorf("X's client page lacks the note: %d", r.Status)
	}
}

// TestWorkspaceAPIBadInput: malformed requests get 4xx with the error
// shape, never 500, and change nothing.
func TestWorkspaceAPIBadInput(t *testing.T) {
	w := wsWebWorld(t)
	note := "/api/v1/appointments/" + string(w.apptA) + "/note"
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
		fields       []string
	}{
		{"PUT", note, `{"text":`, 400, eyelevel.EINVALID, nil},
		{"PUT", note, `{"text": 5}`, 400, eyelevel.EINVALID, nil},
		{"PUT", note, `{"text": "x", "extra": 1}`, 400, eyelevel.EINVALID, nil},
		{"PUT", note, map[string]string{"text": strings.Repeat("x", service.MaxNote+1)}, 400, eyelevel.EINVALID, []string{"text"}},
		{"PUT", note, map[string]string{"text": "a\x00b"}, 400, eyelevel.EINVALID, nil},
		{"PUT", "/api/v1/appointments/nope/note", map[string]string{"text": "x"}, 404, eyelevel.ENOTFOUND, nil},
		{"POST", "/api/v1/absences", `[]`, 400, eyelevel.EINVALID, nil},
		{"POST", "/api/v1/absences", map[string]string{"from": "tomorrow", "to": "2026-12-04", "message": "m"}, 400, eyelevel.EINVALID, []string{"from"}},
		{"POST", "/api/v1/absences", map[string]string{"from": "2026-12-04", "to": "2026-12-03", "message": "m"}, 400, eyelevel.EINVALID, []string{"to"}},
		{"POST", "/api/v1/absences", map[string]string{"from": "2026-12-04", "to": "2026-12-04"}, 400, eyelevel.EINVALID, []string{"message"}},
		{"POST", "/api/v1/absences", map[string]string{"from": "2020-01-01", "to": "2020-01-02", "message": "m"}, 400, eyelevel.EINVALID, []string{"from"}},
		{"DELETE", "/api/v1/absences/nope", nil, 404, eyelevel.ENOTFOUND, nil},
		{"POST", "/api/v1/absences/nope/cancel-sessions", nil, 404, eyelevel.ENOTFOUND, nil},
		{"POST", "/api/v1/absences/nope/cancel-sessions", `{"x":1}`, 400, eyelevel.EINVALID, nil},
		{"POST", "/api/v1/handovers", map[string]string{"client_id": string(w.ids[clientA])}, 400, eyelevel.EINVALID, []string{"to_counselor_id"}},
		{"POST", "/api/v1/handovers", map[string]string{"client_id": string(w.ids[clientA]), "to_counselor_id": string(w.ids[counselorX])}, 400, eyelevel.EINVALID, []string{"to_counselor_id"}},
		{"POST", "/api/v1/handovers", map[string]string{"client_id": string(w.ids[clientB]), "to_counselor_id": string(w.ids[counselorY])}, 404, eyelevel.ENOTFOUND, nil},
		{"POST", "/api/v1/handovers", map[string]any{"client_id": 7}, 400, eyelevel.EINVALID, nil},
	} {
		before := wsState(t, w)
		r := w.do(t, counselorX, c.method, c.path, c.body)
		r.wantError(t, c.status, c.code, c.fields...)
		if after := wsState(t, w); after != before {
			t.Errorf("%s %s %v changed the state", c.method, c.path, c.body)
		}
	}
	for _, p := range []string{"/api/v1/handovers/nope/accept", "/api/v1/handovers/nope/decline"} {
		w.do(t, clientA, "POST", p, nil).wantError(t, http.StatusNotFound, eyelevel.ENOTFOUND)
	}
	r := w.do(t, counselorX, "GET", note, nil)
	if !strings.Contains(string(r.Body), noteSecret) {
		t.Errorf("the note changed: %s", r.Body)
	}
}

// TestWorkspaceAPIAbsence: through the API, an absence lists the session
// in it and hides the day's slots; confirming cancels the session and
// writes to its client.
func TestWorkspaceAPIAbsence(t *testing.T) {
	w := wsWebWorld(t)
	slots := "/api/v1/counselors/" + string(w.ids[counselorX]) + "/slots?from=2026-12-02T00:00:00Z&to=2026-12-03T00:00:00Z"
	count := func() int {
		var list struct {
			Slots []any `json:"slots"`
		}
		r := w.do(t, admin, "GET", slots, nil) // (a client with a session that day would see none)
		r.wantStatus(t, http.StatusOK)
		r.decode(t, &list)
		return len(list.Slots)
	}
	if count() == 0 {
		t.Fatal("no slots on Wednesday before the absence")
	}
	r := w.do(t, counselorX, "POST", "/api/v1/absences", map[string]string{"from": "2026-12-02", "to": "2026-12-02", "message": "Back on Thursday."})
	r.wantStatus(t, http.StatusCreated)
	var ab struct {
		ID       string `json:"id"`
		Sessions []struct {
			ID eyelevel.AppointmentID `json:"id"`
		} `json:"sessions"`
	}
	r.decode(t, &ab)
	if len(ab.Sessions) != 1 || ab.Sessions[0].ID != w.apptA {
		t.Fatalf("sessions in the absence: %s", r.Body)
	}
	if n := count(); n != 0 {
		t.Errorf("%d slots on Wednesday in the absence", n)
	}
	r = w.do(t, counselorX, "POST", "/api/v1/absences/"+ab.ID+"/cancel-sessions", nil)
	r.wantStatus(t, http.StatusOK)
	if !strings.Contains(string(r.Body), `"cancelled"`) || !strings.Contains(string(r.Body), string(w.apptA)) {
		t.Errorf("cancelled: %s", r.Body)
	}
	ms, err := w.db.Messages(w.ctx, w.ids[clientA], w.ids[counselorX])
	must(t, err)
	if len(ms) != 1 {
		t.Errorf("client A got %d messages", len(ms))
	}
	w.do(t, counselorX, "DELETE", "/api/v1/absences/"+ab.ID, nil).wantStatus(t, http.StatusNoContent)
	if count() == 0 {
		t.Error("no slots on Wednesday after deleting the absence")
	}
}
