package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// TestAPIRatings: ratings are shown per counselor only from five on, and
// never as a sum.
func TestAPIRatings(t *testing.T) {
	w := newWorld(t)
	x := string(w.ids[counselorX])
	type summary struct {
		CounselorID  string         `json:"counselor_id"`
		DisplayName  string         `json:"display_name"`
		Count        int            `json:"count"`
		Suppressed   bool           `json:"suppressed"`
		Mean         *float64       `json:"mean"`
		Distribution map[string]int `json:"distribution"`
		Comments     []string       `json:"comments"`
	}
	get := func(who role) (summary, string) {
		t.Helper()
		r := w.do(t, who, "GET", "/api/v1/counselors/"+x+"/ratings", nil)
		r.wantStatus(t, 200)
		var s summary
		r.decode(t, &s)
		return s, string(r.Body)
	}
	if s, body := get(counselorX); !s.Suppressed || s.Count != 0 || s.DisplayName != "Counselor counselor-x" || s.Mean != nil || s.Distribution != nil || s.Comments != nil {
		t.Errorf("no ratings yet: %s", body)
	}

	// Five more clients each have a session with X on Thursday.
	stars := []int{5, 4, 4, 3, 5}
	comments := []string{"Zuhören hat geholfen.", "", "Danke!", "Too short.", " Again soon. "}
	var tokens []string
	for i := range stars {
		name := fmt.Sprintf("rater-%d", i)
		u, err := w.svc.AddUser(w.ctx, eyelevel.RoleClient, name, password, "UTC")
		must(t, err)
		tok := w.login(t, name)
		tokens = append(tokens, tok)
		start := time.Date(2026, 12, 3, 8+i, 0, 0, 0, time.UTC)
		_, err = w.svc.Book(w.ctx, eyelevel.Actor{UserID: u.ID, Role: eyelevel.RoleClient, Language: "de", TimeZone: "UTC"}, service.BookInput{CounselorID: w.ids[counselorX], Start: start})
		must(t, err)
	}
	// A session cannot be rated before it starts.
	r := w.doToken(t, tokens[0], "GET", "/api/v1/ratings/pending", nil)
	if got := strings.TrimSpace(string(r.Body)); got != `{"sessions":[]}` {
		t.Errorf("pending before the sessions = %s", got)
	}
	w.clock.Advance(4 * 24 * time.Hour)
	// A declines, which is not counted.
	r = w.do(t, clientA, "POST", "/api/v1/appointments/"+string(w.apptA)+"/rating", map[string]any{"decline": true, "stars": 1, "comment": "x"})
	r.wantStatus(t, 201)
	if got := strings.TrimSpace(string(r.Body)); got != `{"appointment_id":"`+string(w.apptA)+`","stars":0,"comment":"","declined":true}` {
		t.Errorf("declined = %s", got)
	}
	for i, tok := range tokens {
		var pending struct {
			Sessions []struct {
				ID eyelevel.AppointmentID `json:"id"`
			} `json:"sessions"`
		}
		w.doToken(t, tok, "GET", "/api/v1/ratings/pending", nil).decode(t, &pending)
		if len(pending.Sessions) != 1 {
			t.Fatalf("rater %d: pending %+v", i, pending)
		}
		target := "/api/v1/appointments/" + string(pending.Sessions[0].ID) + "/rating"
		r := w.doToken(t, tok, "POST", target, map[string]any{"stars": stars[i], "comment": comments[i]})
		r.wantStatus(t, 201)
		var got struct {
			Stars    int    `json:"stars"`
			Comment  string `json:"comment"`
			Declined bool   `json:"declined"`
		}
		r.decode(t, &got)
		if got.Stars != stars[i] || got.Comment != strings.TrimSpace(comments[i]) || got.Declined {
			t.Errorf("rating %d = %s", i, r.Body)
		}
		w.doToken(t, tok, "POST", target, map[string]any{"stars": 1}).wantError(t, 409, eyelevel.ECONFLICT)
		// While the quarter runs, nothing but that it is suppressed.
		if s, body := get(counselorX); !s.Suppressed || s.Count != 0 || s.Mean != nil || s.Distribution != nil || s.Comments != nil {
			t.Errorf("%d ratings in a running quarter: %s", i+1, body)
		}
	}
	// Once the quarter is over, five clients' ratings show; comments only
	// to the counselor.
	w.clock.Advance(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Sub(w.clock.Now()))
	for _, who := range []role{counselorX, admin} {
		w.tokens[who] = w.login(t, w.names[who]) // the old tokens have expired
	}
	for _, who := range []role{counselorX, admin} {
		s, body := get(who)
		wantComments := []string{"Again soon.", "Danke!", "Too short.", "Zuhören hat geholfen."}
		if who == admin {
			wantComments = nil
		}
		if s.Suppressed || s.Count != 5 || s.Mean == nil || *s.Mean != 4.2 ||
			!mapsEqual(s.Distribution, map[string]int{"1": 0, "2": 0, "3": 1, "4": 2, "5": 2}) ||
			!slices.Equal(s.Comments, wantComments) {
			t.Errorf("%s: five ratings: %s", who, body)
		}
		if strings.Contains(body, "sum") {
			t.Errorf("%s: the sum shows: %s", who, body)
		}
	}
	r = w.do(t, admin, "GET", "/api/v1/ratings", nil)
	r.wantStatus(t, 200)
	var all struct {
		Counselors []summary `json:"counselors"`
	}
	r.decode(t, &all)
	// Every counselor is listed; Y has no ratings and shows only that.
	if len(all.Counselors) != 2 || all.Counselors[0].CounselorID != x || *all.Counselors[0].Mean != 4.2 || all.Counselors[0].Comments != nil ||
		!all.Counselors[1].Suppressed || all.Counselors[1].Mean != nil {
		t.Errorf("all ratings = %s", r.Body)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// TestAPIImpactReport: a small deployment's report is all suppressed; the
// period is widened to one whole quarter or year.
func TestAPIImpactReport(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct{ query, from, to string }{
		{"from=2026-08-15&to=2026-09-30", "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z"},
		{"from=2026-07-01&to=2026-07-01", "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z"},
		{"from=2026-04-01T00:00:00Z&to=2026-07-01T00:00:00Z", "2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z"},
		{"from=2025-01-01&to=2025-12-31", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
	} {
		r := w.do(t, admin, "GET", "/api/v1/reports/impact?"+c.query, nil)
		r.wantStatus(t, 200)
		var rep struct {
			From     string `json:"from"`
			To       string `json:"to"`
			Outcomes []struct {
				Instrument string `json:"instrument"`
				Suppressed bool   `json:"suppressed"`
			} `json:"outcomes"`
		}
		r.decode(t, &rep)
		if rep.From != c.from || rep.To != c.to || len(rep.Outcomes) != 3 || !rep.Outcomes[0].Suppressed {
			t.Errorf("%s: %s", c.query, r.Body)
		}
		for _, stat := range []string{`"clients":{"suppressed":true}`, `"sessions":{"suppressed":true}`, `"average_rating":{"suppressed":true}`,
			`{"instrument":"phq9","suppressed":true}`} {
			if !strings.Contains(string(r.Body), stat) {
				t.Errorf("%s: no %s in %s", c.query, stat, r.Body)
			}
		}
	}
}
