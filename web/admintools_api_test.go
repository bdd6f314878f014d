package web_test

import (
	"strings"
	"testing"

	"eyelevel"
)

// TestAdminToolsAuthz is the roles × actions table of the admin tooling,
// over the API and the pages: only admins; others 401 (anonymous) or 403.
func TestAdminToolsAuthz(t *testing.T) {
	w := newWorld(t)
	x := string(w.ids[counselorX])
	type action struct {
		name, method, path string
		body               any
		want               expect
	}
	ok := func(s int) expect { return expect{401, 403, 403, 403, 403, s} }
	for _, a := range []action{
		{"find accounts", "GET", "/api/v1/admin/accounts?q=client", nil, ok(200)},
		{"session counts", "GET", "/api/v1/admin/session-counts", nil, ok(200)},
		{"reactivate", "POST", "/api/v1/admin/counselors/" + x + "/reactivate", nil, ok(200)},
		{"cancel sessions of an active counselor", "POST", "/api/v1/admin/counselors/" + x + "/cancel-sessions", map[string]string{"message": "Sorry."}, ok(409)},
		{"deactivate", "POST", "/api/v1/admin/counselors/" + x + "/deactivate", nil, ok(200)},
	} {
		for i, who := range roles {
			r := w.do(t, who, a.method, a.path, a.body)
			if r.Status != a.want[i] {
				t.Errorf("%s as %s: %d, want %d: %s", a.name, who, r.Status, a.want[i], r.Body)
			}
		}
	}
	if r := w.do(t, admin, "POST", "/api/v1/admin/counselors/"+string(w.ids[clientA])+"/deactivate", nil); r.Status != 404 {
		t.Errorf("deactivating a client: %d, want 404", r.Status)
	}
}

func TestAdminToolsDeactivatedCounselorHidden(t *testing.T) {
	w := newWorld(t)
	x := w.ids[counselorX]
	found := func() bool {
		r := w.do(t, clientA, "GET", "/api/v1/counselors?language=de", nil)
		r.wantStatus(t, 200)
		return strings.Contains(string(r.Body), string(x))
	}
	if !found() {
		t.Fatal("counselor X not found before deactivation")
	}
	r := w.do(t, admin, "POST", "/api/v1/admin/counselors/"+string(x)+"/deactivate", nil)
	r.wantStatus(t, 200)
	var st struct {
		Deactivated bool `json:"deactivated"`
		Upcoming    []struct {
			ID string `json:"id"`
		} `json:"upcoming"`
	}
	r.decode(t, &st)
	if !st.Deactivated || len(st.Upcoming) != 1 || st.Upcoming[0].ID != string(w.apptA) {
		t.Fatalf("standing %+v, want deactivated with appointment A", st)
	}
	if found() {
		t.Fatal("deactivated counselor found by search")
	}
	w.do(t, clientB, "POST", "/api/v1/appointments", map[string]any{"counselor_id": x, "start": "2026-12-03T09:00:00Z"}).wantError(t, 404, eyelevel.ENOTFOUND)

	w.do(t, admin, "POST", "/api/v1/admin/counselors/"+string(x)+"/reactivate", nil).wantStatus(t, 200)
	if !found() {
		t.Fatal("reactivated counselor not found")
	}
	w.do(t, clientB, "POST", "/api/v1/appointments", map[string]any{"counselor_id": x, "start": "2026-12-03T09:00:00Z"}).wantStatus(t, 201)
}
