package web_test

import (
	"testing"

	"eyelevel"
)

type auditLogJSON struct {
	Entries []struct {
		Seq       int64  `json:"seq"`
		At        string `json:"at"`
		Actor     string `json:"actor"`
		ActorRole string `json:"actor_role"`
		What      string `json:"what"`
	} `json:"entries"`
	NextBefore int64 `json:"next_before"`
}

// TestAuditAuthzTable: roles × the access-log endpoints. Only a client
// reads a log, their own; only admins read staff actions.
func TestAuditAuthzTable(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct {
		name string
		path string
		want expect
	}{
		{"GET me/access-log", "/api/v1/me/access-log", expect{401, 200, 200, 403, 403, 403}},
		{"GET me/access-log bad cursor", "/api/v1/me/access-log?before=x", expect{401, 400, 400, 400, 400, 400}},
		{"GET admin/audit", "/api/v1/admin/audit", expect{401, 403, 403, 403, 403, 200}},
	} {
		for i, who := range roles {
			r := w.do(t, who, "GET", c.path, nil)
			if r.Status >= 400 {
				r.wantError(t, c.want[i], codeOf(r.Status))
			} else {
				r.wantStatus(t, c.want[i])
			}
		}
	}
}

// TestAccessLogAPI: a counselor's read of client A's page shows in A's log
// (by the counselor's name, in the caller's language), once per kind and
// request, and in nobody else's; admins see staff actions but no reads.
func TestAccessLogAPI(t *testing.T) {
	w := newWorld(t)
	w.do(t, counselorX, "GET", "/api/v1/clients/"+string(w.ids[clientA]), nil).wantStatus(t, 200)
	w.do(t, counselorX, "GET", "/api/v1/conversations/"+string(w.ids[clientA])+"/messages", nil).wantStatus(t, 200)
	// Not X's client: refused, and not logged.
	w.do(t, counselorX, "GET", "/api/v1/clients/"+string(w.ids[clientB]), nil).wantError(t, 404, eyelevel.ENOTFOUND)

	// In the account's language (German here).
	var log auditLogJSON
	w.do(t, clientA, "GET", "/api/v1/me/access-log", nil).decode(t, &log)
	var whats []string
	for _, e := range log.Entries {
		if e.Actor != "Counselor counselor-x" || e.ActorRole != "counselor" || e.At == "" {
			t.Errorf("entry %+v", e)
		}
		whats = append(whats, e.What)
	}
	want := []string{"hat Ihre gemeinsamen Nachrichten geöffnet", "hat Ihre Klientenseite geöffnet"} // newest first
	if len(whats) != len(want) || whats[0] != want[0] || whats[1] != want[1] {
		t.Fatalf("A's log says %q, want %q", whats, want)
	}
	w.do(t, clientB, "GET", "/api/v1/me/access-log", nil).decode(t, &log)
	if len(log.Entries) != 0 {
		t.Fatalf("B's log has %+v", log.Entries)
	}

	var staff struct {
		Entries []struct{ Actor, Subject, Kind string } `json:"entries"`
	}
	w.do(t, admin, "GET", "/api/v1/admin/audit", nil).decode(t, &staff)
	if len(staff.Entries) == 0 {
		t.Fatal("no staff actions (the fixture's counselors were created by the admin)")
	}
	for _, e := range staff.Entries {
		if !eyelevel.AuditForAdmins(e.Kind) {
			t.Errorf("admins see %+v", e)
		}
	}
}
