package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// addAppointments stores n appointments of counselor X with client A, one
// an hour from monday on, and a cancelled one at every third booked one's
// start (so that starts tie and the id must order them). It returns the
// ids of all X's appointments in list order.
func addAppointments(t *testing.T, w *world, n int) []eyelevel.AppointmentID {
	t.Helper()
	for i := range n {
		start := monday.Add(time.Duration(i-n/2)*time.Hour + 30*time.Minute) // clear of the fixture's
		for j := range 1 + boolInt(i%3 == 0) {
			a := eyelevel.Appointment{
				ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: w.ids[counselorX], ClientID: w.ids[clientA],
				Start: start, End: start.Add(50 * time.Minute), Status: eyelevel.StatusBooked, CreatedAt: monday,
			}
			if j == 1 {
				a.Status = eyelevel.StatusCancelled
			}
			if err := w.db.CreateAppointment(w.ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	all, err := w.db.Appointments(w.ctx, store.AppointmentFilter{CounselorID: w.ids[counselorX], Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]eyelevel.AppointmentID, len(all))
	for i, a := range all {
		ids[i] = a.ID
	}
	return ids
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

type appointmentPage struct {
	Appointments []struct {
		ID    eyelevel.AppointmentID `json:"id"`
		Start time.Time              `json:"start"`
	} `json:"appointments"`
	NextCursor *string `json:"next_cursor"`
}

// TestAPIAppointmentsPaginated: a counselor with more appointments than a
// page holds gets them all, page by page, in order, without duplicates or
// gaps; the last page has no next_cursor. (The list used to stop at 500
// rows without a sign of more.)
func TestAPIAppointmentsPaginated(t *testing.T) {
	forEachWorld(t, func(t *testing.T, w *world) {
		want := addAppointments(t, w, 620)
		if len(want) < 800 {
			t.Fatalf("only %d appointments", len(want))
		}
		for _, limit := range []string{"", "7", "200"} {
			t.Run("limit "+limit, func(t *testing.T) {
				var got []eyelevel.AppointmentID
				cursor, pages := "", 0
				for {
					q := "/api/v1/appointments?past=true"
					if limit != "" {
						q += "&limit=" + limit
					}
					if cursor != "" {
						q += "&cursor=" + cursor
					}
					var p appointmentPage
					w.do(t, counselorX, "GET", q, nil).decode(t, &p)
					pages++
					size := 50
					if limit != "" {
						size, _ = strconv.Atoi(limit)
					}
					if len(p.Appointments) > size || p.NextCursor != nil && len(p.Appointments) != size {
						t.Fatalf("page %d has %d items (limit %d), next %v", pages, len(p.Appointments), size, p.NextCursor)
					}
					for _, a := range p.Appointments {
						got = append(got, a.ID)
					}
					if p.NextCursor == nil {
						break
					}
					cursor = *p.NextCursor
					if pages > len(want) {
						t.Fatal("pages without end")
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("paged through %d appointments in %d pages, want the %d in list order", len(got), pages, len(want))
				}
			})
		}

		// Without past=true the list starts at appointments that have not ended.
		var p appointmentPage
		w.do(t, counselorX, "GET", "/api/v1/appointments?limit=3", nil).decode(t, &p)
		if len(p.Appointments) != 3 || p.NextCursor == nil || p.Appointments[0].Start.Before(monday.Add(-50*time.Minute)) {
			t.Errorf("upcoming page = %+v", p)
		}

		// Bad page parameters are refused; the message names the maximum.
		for _, q := range []string{"limit=0", "limit=-1", "limit=201", "limit=abc", "limit=", "limit=1.5"} {
			e := w.do(t, counselorX, "GET", "/api/v1/appointments?"+q, nil).wantError(t, 400, eyelevel.EINVALID, "limit")
			if want := w.cat.T("de", "error.bad_limit", "max", 200); e.Fields["limit"] != want {
				t.Errorf("%s: limit message %q, want %q", q, e.Fields["limit"], want)
			}
		}
		for _, c := range []string{"x", "MS4x", "!!!", "MS4xMjM", strings.Repeat("A", 40)} {
			w.do(t, counselorX, "GET", "/api/v1/appointments?cursor="+c, nil).wantError(t, 400, eyelevel.EINVALID, "cursor")
		}
	})
}

// TestPagesAppointmentsMore: the appointments page shows one page and a
// link to the next, which shows the rest.
func TestPagesAppointmentsMore(t *testing.T) {
	w := newWorld(t)
	want := addAppointments(t, w, 120)
	session, _, _, err := w.svc.Login(w.ctx, w.names[counselorX], password, w.ip(), false)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = w.ip() + ":40000"
		req.AddCookie(&http.Cookie{Name: "__Host-eyelevel-session", Value: session})
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	upcoming := 0
	for _, id := range want {
		a, err := w.db.Appointment(w.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.End.After(monday) {
			upcoming++
		}
	}
	seen, path := 0, "/appointments"
	for range 10 {
		body := get(path)
		seen += strings.Count(body, `<li class="card`) - strings.Count(body, `<li class="card task`) - strings.Count(body, `<li class="card recent`)
		i := strings.Index(body, `rel="next"`)
		if i < 0 {
			break
		}
		href := body[strings.LastIndex(body[:i], `href="`)+6:]
		path = strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
	}
	if seen != upcoming {
		t.Errorf("pages showed %d appointments, want %d", seen, upcoming)
	}
}

// TestAPIListsPaginated: every list of the API pages the same way — limit=1
// pages through exactly the items of one big page, in order — and refuses
// bad limits and cursors. On both databases: responses and safety alerts
// are paged in the store query.
func TestAPIListsPaginated(t *testing.T) {
	forEachWorld(t, func(t *testing.T, w *world) {
		addAppointments(t, w, 10) // A's sessions with X, four of them over and unrated
		for range 3 {
			w.do(t, clientA, "POST", "/api/v1/questionnaires/phq9/responses", map[string]any{"answers": []int{0, 0, 0, 0, 0, 0, 0, 0, 1}}).wantStatus(t, 201)
			w.do(t, clientA, "POST", "/api/v1/questionnaires/who5/responses", map[string]any{"answers": []int{3, 3, 3, 3, 3}}).wantStatus(t, 201)
			w.do(t, clientA, "POST", "/api/v1/safety-alerts", nil).wantStatus(t, 201)
		}
		for _, lang := range []string{"ar", "tr", "ps"} {
			w.do(t, clientA, "POST", "/api/v1/waitlist", map[string]any{"language": lang})
		}
		for _, c := range []struct {
			who       role
			path, key string
			min       int
		}{
			{clientA, "/api/v1/appointments?past=true", "appointments", 10},
			{clientA, "/api/v1/counselors?language=de", "counselors", 2},
			{clientA, "/api/v1/questionnaires/phq9/responses", "responses", 3},
			{counselorX, "/api/v1/safety-alerts", "safety_alerts", 3},
			{clientA, "/api/v1/ratings/pending", "sessions", 4},
			{admin, "/api/v1/ratings", "counselors", 2},
			{clientA, "/api/v1/waitlist", "waitlist", 2},
		} {
			t.Run(c.path, func(t *testing.T) {
				sep := "?"
				if strings.Contains(c.path, "?") {
					sep = "&"
				}
				items := func(r *response) ([]string, *string) {
					var body map[string]any
					r.decode(t, &body)
					var out []string
					list, ok := body[c.key].([]any)
					if !ok {
						t.Fatalf("no list %q in %s", c.key, r.Body)
					}
					for _, it := range list {
						b, _ := json.Marshal(it)
						out = append(out, string(b))
					}
					next, _ := body["next_cursor"].(string)
					if next == "" {
						return out, nil
					}
					return out, &next
				}
				all, next := items(w.do(t, c.who, "GET", c.path+sep+"limit=200", nil))
				if next != nil || len(all) < c.min {
					t.Fatalf("one page: %d items, next %v; want at least %d, no next", len(all), next, c.min)
				}
				var paged []string
				cursor := ""
				for range len(all) + 2 {
					page, next := items(w.do(t, c.who, "GET", c.path+sep+"limit=1"+cursor, nil))
					paged = append(paged, page...)
					if next == nil {
						break
					}
					cursor = "&cursor=" + *next
				}
				if !slices.Equal(paged, all) {
					t.Errorf("limit=1 pages gave\n%v\nwant\n%v", paged, all)
				}
				w.do(t, c.who, "GET", c.path+sep+"limit=201", nil).wantError(t, 400, eyelevel.EINVALID, "limit")
				w.do(t, c.who, "GET", c.path+sep+"cursor=bm9wZQ", nil).wantError(t, 400, eyelevel.EINVALID, "cursor")
			})
		}
	})
}

// TestPagesAlertsMore: a counselor with more open alerts than the banner
// shows is told so, instead of the list ending silently.
func TestPagesAlertsMore(t *testing.T) {
	w := newWorld(t)
	session, _, _, err := w.svc.Login(w.ctx, w.names[counselorX], password, w.ip(), false)
	if err != nil {
		t.Fatal(err)
	}
	page := func() string {
		req := httptest.NewRequest("GET", "/appointments", nil)
		req.RemoteAddr = w.ip() + ":40000"
		req.AddCookie(&http.Cookie{Name: "__Host-eyelevel-session", Value: session})
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		return rec.Body.String()
	}
	add := func(n int) {
		for range n {
			err := w.db.CreateSafetyAlert(w.ctx, eyelevel.SafetyAlert{ID: eyelevel.NewID(), ClientID: w.ids[clientA], Source: "client", CreatedAt: monday})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	more := html.EscapeString(w.cat.T("de", "alerts.more"))
	add(200)
	if strings.Contains(page(), more) {
		t.Errorf("200 alerts: the banner says there are more")
	}
	add(1)
	if !strings.Contains(page(), more) {
		t.Errorf("201 alerts: the banner does not say there are more")
	}
}
