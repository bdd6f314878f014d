package web_test

import (
	"slices"
	"testing"

	"eyelevel"
	"eyelevel/store"
)

// expect lists the status each caller gets, in the order of roles:
// anonymous, client A, client B, counselor X, counselor Y, admin.
type expect [6]int

// authzCase is one API operation called by every role.
type authzCase struct {
	name    string
	method  string
	path    func(w *world) string
	body    func(w *world, who role) any // nil: no body
	mutates bool                         // needs a fresh world for every caller
	want    expect
	// check, if set, looks closer at the answer (and at the database).
	check func(t *testing.T, w *world, who role, r *response)
}

func fixed(p string) func(*world) string { return func(*world) string { return p } }

// TestAuthzTable states who may do what through the API: every operation ×
// every kind of caller → status. A and B are clients, X and Y counselors;
// A's appointment is with X, B's with Y.
func TestAuthzTable(t *testing.T) {
	shared := newWorld(t)
	validAvailability := func(*world, role) any {
		return map[string]any{
			"weekly":     []map[string]any{{"weekday": 1, "start": "10:00", "end": "12:00"}},
			"exceptions": []map[string]any{{"date": "2026-12-24", "available": false}},
		}
	}
	cases := []authzCase{
		// Public.
		{name: "GET healthz", method: "GET", path: fixed("/healthz"),
			want: expect{200, 200, 200, 200, 200, 200}},
		{name: "GET openapi.json", method: "GET", path: fixed("/api/v1/openapi.json"),
			want: expect{200, 200, 200, 200, 200, 200}},
		{name: "POST accounts", method: "POST", path: fixed("/api/v1/accounts"), mutates: true,
			body: func(w *world, who role) any {
				return map[string]any{"username": "new-" + string(who[len(who)-1:]), "password": password, "language": "en", "timezone": "UTC", "consent": true}
			},
			want: expect{201, 201, 201, 201, 201, 201}},
		{name: "POST tokens", method: "POST", path: fixed("/api/v1/tokens"),
			body: func(*world, role) any { return map[string]string{"username": "client-b", "password": password} },
			want: expect{201, 201, 201, 201, 201, 201}},

		// Own account.
		{name: "DELETE tokens/current", method: "DELETE", path: fixed("/api/v1/tokens/current"), mutates: true,
			want: expect{401, 204, 204, 204, 204, 204},
			check: func(t *testing.T, w *world, who role, r *response) {
				if r.Status == 204 {
					w.do(t, who, "GET", "/api/v1/me", nil).wantError(t, 401, eyelevel.EUNAUTHORIZED)
				}
			}},
		{name: "DELETE sessions", method: "DELETE", path: fixed("/api/v1/sessions"), mutates: true,
			want: expect{401, 204, 204, 204, 204, 204},
			check: func(t *testing.T, w *world, who role, r *response) {
				if r.Status == 204 {
					w.do(t, who, "GET", "/api/v1/me", nil).wantError(t, 401, eyelevel.EUNAUTHORIZED)
					if who != clientA {
						w.do(t, clientA, "GET", "/api/v1/me", nil).wantStatus(t, 200)
					}
				}
			}},
		{name: "GET me", method: "GET", path: fixed("/api/v1/me"),
			want: expect{401, 200, 200, 200, 200, 200},
			check: func(t *testing.T, w *world, who role, r *response) {
				var me struct{ ID eyelevel.UserID }
				if r.Status == 200 {
					r.decode(t, &me)
					if me.ID != w.ids[who] {
						t.Errorf("me = %s, want %s", me.ID, w.ids[who])
					}
				}
			}},

		// Counselors.
		{name: "POST counselors", method: "POST", path: fixed("/api/v1/counselors"), mutates: true,
			body: func(*world, role) any {
				return map[string]any{"username": "counselor-z", "password": password, "display_name": "Z", "gender": "male",
					"languages": []map[string]any{{"code": "ps", "native": true}}, "timezone": "Asia/Kabul", "bio": "", "qualifications": ""}
			},
			want: expect{401, 403, 403, 403, 403, 201},
			check: func(t *testing.T, w *world, who role, r *response) {
				cs, err := w.db.Counselors(w.ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int{true: 3, false: 2}[r.Status == 201]; len(cs) != want {
					t.Errorf("%d counselors, want %d", len(cs), want)
				}
			}},
		{name: "GET counselors?language=de", method: "GET", path: fixed("/api/v1/counselors?language=de"),
			want: expect{401, 200, 200, 200, 200, 200},
			check: func(t *testing.T, w *world, who role, r *response) {
				if r.Status != 200 {
					return
				}
				var list struct {
					Counselors []struct{ ID eyelevel.UserID }
				}
				r.decode(t, &list)
				var ids []eyelevel.UserID
				for _, c := range list.Counselors {
					ids = append(ids, c.ID)
				}
				if !slices.Contains(ids, w.ids[counselorX]) || !slices.Contains(ids, w.ids[counselorY]) || len(ids) != 2 {
					t.Errorf("found %v, want X and Y", ids)
				}
			}},
		{name: "GET counselor X", method: "GET", path: func(w *world) string { return "/api/v1/counselors/" + string(w.ids[counselorX]) },
			want: expect{401, 200, 200, 200, 200, 200}},
		{name: "GET availability of X", method: "GET", path: func(w *world) string { return "/api/v1/counselors/" + string(w.ids[counselorX]) + "/availability" },
			want: expect{401, 403, 403, 200, 403, 200},
			check: func(t *testing.T, w *world, who role, r *response) {
				var av struct{ Weekly []struct{ Weekday int } }
				if r.Status == 200 {
					r.decode(t, &av)
					if len(av.Weekly) != 5 {
						t.Errorf("weekly = %s", r.Body)
					}
				}
			}},
		{name: "PUT availability of X", method: "PUT", path: func(w *world) string { return "/api/v1/counselors/" + string(w.ids[counselorX]) + "/availability" },
			body: validAvailability, mutates: true,
			want: expect{401, 403, 403, 200, 403, 200},
			check: func(t *testing.T, w *world, who role, r *response) {
				av, err := w.db.Availability(w.ctx, w.ids[counselorX])
				if err != nil {
					t.Fatal(err)
				}
				if changed := len(av.Weekly) == 1; changed != (r.Status == 200) {
					t.Errorf("status %d but availability now %+v", r.Status, av)
				}
			}},
		{name: "PUT profile of X", method: "PUT", path: func(w *world) string { return "/api/v1/counselors/" + string(w.ids[counselorX]) },
			body: func(*world, role) any {
				return map[string]any{"display_name": "X renamed", "gender": "female", "timezone": "Europe/Berlin",
					"languages": []map[string]any{{"code": "de", "native": true}}, "bio": "", "qualifications": ""}
			},
			mutates: true,
			want:    expect{401, 403, 403, 200, 403, 200},
			check: func(t *testing.T, w *world, who role, r *response) {
				c, err := w.db.Counselor(w.ctx, w.ids[counselorX])
				if err != nil {
					t.Fatal(err)
				}
				if changed := c.DisplayName == "X renamed"; changed != (r.Status == 200) {
					t.Errorf("status %d but the name is now %q", r.Status, c.DisplayName)
				}
			}},
		{name: "PUT availability of Y", method: "PUT", path: func(w *world) string { return "/api/v1/counselors/" + string(w.ids[counselorY]) + "/availability" },
			body: validAvailability, mutates: true,
			want: expect{401, 403, 403, 403, 200, 200}},
		{name: "GET slots of X", method: "GET",
			path: func(w *world) string {
				return "/api/v1/counselors/" + string(w.ids[counselorX]) + "/slots?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z"
			},
			want: expect{401, 200, 200, 200, 200, 200},
			check: func(t *testing.T, w *world, who role, r *response) {
				var s struct{ Slots []struct{ Start string } }
				if r.Status == 200 {
					r.decode(t, &s)
					// 09:00 to 16:00 in Berlin is 08:00 to 15:00 UTC.
					if len(s.Slots) != 8 || s.Slots[0].Start != "2026-12-01T08:00:00Z" || s.Slots[7].Start != "2026-12-01T15:00:00Z" {
						t.Errorf("slots = %s", r.Body)
					}
				}
			}},

		// Appointments.
		{name: "POST appointments", method: "POST", path: fixed("/api/v1/appointments"), mutates: true,
			body: func(w *world, _ role) any {
				return map[string]any{"counselor_id": w.ids[counselorX], "start": "2026-12-02T09:00:00Z"}
			},
			want: expect{401, 201, 201, 403, 403, 403},
			check: func(t *testing.T, w *world, who role, r *response) {
				as, err := w.db.Appointments(w.ctx, store.AppointmentFilter{CounselorID: w.ids[counselorX]})
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int{true: 2, false: 1}[r.Status == 201]; len(as) != want {
					t.Errorf("X has %d appointments, want %d", len(as), want)
				}
				if r.Status == 201 {
					var a struct {
						ClientID eyelevel.UserID `json:"client_id"`
					}
					r.decode(t, &a)
					if a.ClientID != w.ids[who] {
						t.Errorf("booked for %s, want %s", a.ClientID, w.ids[who])
					}
				}
			}},
		{name: "GET appointments", method: "GET", path: fixed("/api/v1/appointments"),
			want: expect{401, 200, 200, 200, 200, 200},
			check: func(t *testing.T, w *world, who role, r *response) {
				if r.Status != 200 {
					return
				}
				want := map[role][]eyelevel.AppointmentID{
					clientA: {w.apptA}, counselorX: {w.apptA},
					clientB: {w.apptB}, counselorY: {w.apptB},
					admin: {}, // who meets whom is private, even to admins
				}[who]
				if got := appointmentIDs(t, r); !slices.Equal(got, want) {
					t.Errorf("listed %v, want %v", got, want)
				}
			}},
		{name: "GET appointment of A", method: "GET", path: func(w *world) string { return "/api/v1/appointments/" + string(w.apptA) },
			want:  expect{401, 200, 404, 200, 404, 404},
			check: wantAppointment(func(w *world) eyelevel.AppointmentID { return w.apptA }, "booked")},
		{name: "GET appointment of B", method: "GET", path: func(w *world) string { return "/api/v1/appointments/" + string(w.apptB) },
			want:  expect{401, 404, 200, 404, 200, 404},
			check: wantAppointment(func(w *world) eyelevel.AppointmentID { return w.apptB }, "booked")},
		{name: "DELETE appointment of A", method: "DELETE", path: func(w *world) string { return "/api/v1/appointments/" + string(w.apptA) },
			mutates: true,
			want:    expect{401, 200, 404, 200, 404, 404},
			check:   wantAppointment(func(w *world) eyelevel.AppointmentID { return w.apptA }, "cancelled")},
		{name: "DELETE appointment of B", method: "DELETE", path: func(w *world) string { return "/api/v1/appointments/" + string(w.apptB) },
			mutates: true,
			want:    expect{401, 404, 200, 404, 200, 404},
			check:   wantAppointment(func(w *world) eyelevel.AppointmentID { return w.apptB }, "cancelled")},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for i, who := range roles {
				t.Run(string(who), func(t *testing.T) {
					w := shared
					if c.mutates {
						w = newWorld(t)
					}
					var body any
					if c.body != nil {
						body = c.body(w, who)
					}
					before := w.snapshot(t)
					r := w.do(t, who, c.method, c.path(w), body)
					if r.Status >= 400 {
						r.wantError(t, c.want[i], codeOf(r.Status))
						if after := w.snapshot(t); after != before {
							t.Errorf("refused request changed the database")
						}
					} else {
						r.wantStatus(t, c.want[i])
					}
					if c.check != nil {
						c.check(t, w, who, r)
					}
				})
			}
		})
	}
}

// codeOf returns the error code that goes with an HTTP status.
func codeOf(status int) string {
	return map[int]string{
		400: eyelevel.EINVALID, 401: eyelevel.EUNAUTHORIZED, 403: eyelevel.EFORBIDDEN, 404: eyelevel.ENOTFOUND,
		409: eyelevel.ECONFLICT, 413: eyelevel.ETOOLARGE, 429: eyelevel.ETOOMANY,
	}[status]
}

// wantAppointment checks that a 200 carries the appointment id with status,
// and that after a refusal the appointment is still booked.
func wantAppointment(id func(*world) eyelevel.AppointmentID, status string) func(*testing.T, *world, role, *response) {
	return func(t *testing.T, w *world, who role, r *response) {
		if r.Status == 200 {
			var a struct {
				ID     eyelevel.AppointmentID `json:"id"`
				Status string                 `json:"status"`
			}
			r.decode(t, &a)
			if a.ID != id(w) || a.Status != status {
				t.Errorf("got %s, want %s %s", r.Body, id(w), status)
			}
			return
		}
		a, err := w.db.Appointment(w.ctx, id(w))
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != eyelevel.StatusBooked {
			t.Errorf("refused with %d, but the appointment is now %s", r.Status, a.Status)
		}
	}
}

// TestAuthzNotFoundLooksTheSame checks that a stranger cannot tell someone
// else's appointment from one that does not exist.
func TestAuthzNotFoundLooksTheSame(t *testing.T) {
	w := newWorld(t)
	for _, method := range []string{"GET", "DELETE"} {
		theirs := w.do(t, clientB, method, "/api/v1/appointments/"+string(w.apptA), nil)
		none := w.do(t, clientB, method, "/api/v1/appointments/doesnotexist", nil)
		theirs.wantError(t, 404, eyelevel.ENOTFOUND)
		if string(theirs.Body) != string(none.Body) || theirs.Status != none.Status {
			t.Errorf("%s: someone else's: %d %s; nonexistent: %d %s", method, theirs.Status, theirs.Body, none.Status, none.Body)
		}
	}
}

// TestAuthzRoleEscalation checks that sign-up cannot choose a role.
func TestAuthzRoleEscalation(t *testing.T) {
	w := newWorld(t)
	before := w.snapshot(t)
	body := map[string]string{"username": "sneaky", "password": password, "language": "de", "timezone": "UTC", "role": "admin"}
	e := w.do(t, anon, "POST", "/api/v1/accounts", body).wantError(t, 400, eyelevel.EINVALID)
	if w.snapshot(t) != before {
		t.Errorf("refused sign-up wrote to the database")
	}
	if want := w.cat.T("de", "error.unknown_field", "field", "role"); e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
}
