package web

import (
	"testing"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/service"
)

// TestAuditWording: who and what of a client's access log in words, for
// every kind and role, in every language; a deleted actor by role only.
func TestAuditWording(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.Languages() {
		for _, k := range eyelevel.AuditKinds {
			if got := auditWhat(c, l.Code, k); got == auditWhat(c, l.Code, "no.such_kind") && k != "no.such_kind" {
				t.Errorf("%s: %s has no wording of its own", l.Code, k)
			}
		}
	}
	for _, tc := range []struct {
		e    service.AccessEntry
		want string
	}{
		{service.AccessEntry{ActorRole: eyelevel.RoleCounselor, ActorName: "Leyla Ahmadi"}, "\u2068Leyla Ahmadi\u2069 (your counselor)"},
		{service.AccessEntry{ActorRole: eyelevel.RoleCounselor, ActorGone: true}, "A former counselor"},
		{service.AccessEntry{ActorRole: eyelevel.RoleAdmin, ActorGone: true}, "A former staff member"},
		{service.AccessEntry{ActorRole: eyelevel.RoleAdmin}, "An administrator"},
		{service.AccessEntry{ActorRole: eyelevel.RoleCarePoint}, "Your care point"},
		{service.AccessEntry{}, "The operator of the service"},
	} {
		if got := auditActor(c, "en", tc.e); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.e, got, tc.want)
		}
	}
}
