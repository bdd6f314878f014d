package web_test

import (
	"strings"
	"testing"

	"eyelevel"
	"eyelevel/store"
)

// TestDeletionAuthz: who may delete which account through the API, every
// operation × every kind of caller. Nobody can
// reach another account through DELETE /me; only admins delete
// counselors, and an admin naming a client gets 404. Each success runs
// on a fresh world, refusals on a shared one.
func TestDeletionAuthz(t *testing.T) {
	withPassword := func(*world, role) any { return map[string]string{"password": password} }
	gone := func(t *testing.T, w *world, who role, r *response) {
		t.Helper()
		if r.Status != 204 {
			return
		}
		w.do(t, who, "GET", "/api/v1/me", nil).wantError(t, 401, eyelevel.EUNAUTHORIZED)
		if _, err := w.db.UserByID(w.ctx, w.ids[who]); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Errorf("%s still exists: %v", who, err)
		}
	}
	cases := []authzCase{
		{name: "DELETE me", method: "DELETE", path: fixed("/api/v1/me"), body: withPassword,
			want: expect{401, 204, 204, 403, 403, 403}, check: gone},
		{name: "DELETE me, wrong password", method: "DELETE", path: fixed("/api/v1/me"),
			body: func(*world, role) any { return map[string]string{"password": "not the password"} },
			want: expect{401, 400, 400, 403, 403, 403}},
		{name: "DELETE counselor X", method: "DELETE", path: func(w *world) string { return "/api/v1/counselors/" + string(w.ids[counselorX]) },
			want: expect{401, 403, 403, 403, 403, 204},
			check: func(t *testing.T, w *world, who role, r *response) {
				if r.Status == 204 {
					w.do(t, counselorX, "GET", "/api/v1/me", nil).wantError(t, 401, eyelevel.EUNAUTHORIZED)
					w.do(t, clientB, "GET", "/api/v1/counselors/"+string(w.ids[counselorX]), nil).wantError(t, 404, eyelevel.ENOTFOUND)
				}
			}},
		{name: "DELETE counselors/{client A}", method: "DELETE", path: func(w *world) string { return "/api/v1/counselors/" + string(w.ids[clientA]) },
			want: expect{401, 403, 403, 403, 403, 404}},
		{name: "DELETE counselors/{unknown}", method: "DELETE", path: fixed("/api/v1/counselors/nobody"),
			want: expect{401, 403, 403, 403, 403, 404}},
	}
	shared := newWorld(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i, who := range roles {
				t.Run(string(who), func(t *testing.T) {
					w := shared // refusals change nothing (checked below)
					if c.want[i] < 300 {
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

// TestDeleteMeAPI: the export works until the deletion; a wrong password
// names the field and deletes nothing; afterwards the username cannot log
// in, the token is dead, and counselor X's lists no longer show client A.
func TestDeleteMeAPI(t *testing.T) {
	w := newWorld(t)
	w.do(t, clientA, "GET", "/api/v1/me/export", nil).wantStatus(t, 200)
	w.do(t, clientA, "DELETE", "/api/v1/me", map[string]string{"password": "wrong"}).wantError(t, 400, eyelevel.EINVALID, "password")
	w.do(t, clientA, "DELETE", "/api/v1/me", map[string]any{}).wantError(t, 400, eyelevel.EINVALID, "password")
	w.do(t, clientA, "GET", "/api/v1/me/export", nil).wantStatus(t, 200)
	if r := w.do(t, counselorX, "GET", "/api/v1/appointments", nil); !strings.Contains(string(r.Body), string(w.apptA)) {
		t.Fatalf("X's appointments before: %s", r.Body)
	}

	w.do(t, clientA, "DELETE", "/api/v1/me", map[string]string{"password": password}).wantStatus(t, 204)

	w.do(t, clientA, "GET", "/api/v1/me/export", nil).wantError(t, 401, eyelevel.EUNAUTHORIZED)
	w.do(t, anon, "POST", "/api/v1/tokens", map[string]string{"username": "client-a", "password": password}).wantError(t, 401, eyelevel.EUNAUTHORIZED)
	r := w.do(t, counselorX, "GET", "/api/v1/appointments", nil)
	if strings.Contains(string(r.Body), string(w.apptA)) || strings.Contains(string(r.Body), "client-a") {
		t.Errorf("X's appointments after: %s", r.Body)
	}
	as, err := w.db.Appointments(w.ctx, store.AppointmentFilter{CounselorID: w.ids[counselorX]})
	if err != nil || len(as) != 0 {
		t.Errorf("X's appointments in the store: %v %v", as, err)
	}
}
