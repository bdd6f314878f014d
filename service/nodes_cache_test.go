package service_test

import (
	"context"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store/storetest"
)

// TestDirectoryAcrossNodes: two nodes on one database, each with its own
// store and so its own directory in memory (store/directory.go). Each
// change made on node A — a counselor's profile and languages, their
// schedule, an absence, a deactivation and reactivation — shows in the
// very next search on node B, and B refuses to book a counselor A has
// just deactivated although B's copy, warm from before, still lists them.
func TestDirectoryAcrossNodes(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			dbA, dbB := storetest.OpenAt(t, dsn, dir), storetest.OpenAt(t, dsn, dir)
			clk := &clock{t: monday}
			a := &env{t: t, ctx: context.Background(), db: dbA, svc: servicetest.NewService(t, dbA, clk.Now), clock: clk}
			a.admin = a.user(eyelevel.RoleAdmin, "admin")
			b := servicetest.NewService(t, dbB, clk.Now)

			mia := a.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
			client := a.client("alice")
			// searchB is B's search: mia's display name and next slot, or
			// "" when she is not listed.
			searchB := func(lang string) (name string, next time.Time) {
				t.Helper()
				ms, err := b.Search(a.ctx, eyelevel.Actor{}, service.SearchInput{Language: lang})
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					if m.Counselor.ID == mia.UserID {
						if m.NextSlot != nil {
							next = m.NextSlot.Start
						}
						return m.Counselor.DisplayName, next
					}
				}
				return "", time.Time{}
			}
			if name, next := searchB("de"); name != "Counselor mia" || !next.Equal(at(0, 9, 0)) {
				t.Fatalf("B before any change: %q next %v", name, next)
			}
			if name, _ := searchB("tr"); name != "" {
				t.Fatalf("B lists mia for Turkish before she speaks it")
			}

			// Profile and languages.
			_, err := a.svc.UpdateCounselor(a.ctx, a.admin, mia.UserID, service.ProfileInput{DisplayName: "Mia K.", Gender: eyelevel.GenderFemale,
				Languages: []eyelevel.LanguageSkill{{Code: "de", Native: true}, {Code: "tr"}}, TimeZone: "UTC"})
			if err != nil {
				t.Fatal(err)
			}
			if name, _ := searchB("tr"); name != "Mia K." {
				t.Errorf("B after A changed the profile: %q for Turkish, want Mia K.", name)
			}

			// Schedule: Wednesdays only.
			wed := []eyelevel.WeeklyWindow{{Weekday: time.Wednesday, Start: 9 * 60, End: 17 * 60}}
			if err := a.svc.SetAvailability(a.ctx, a.admin, mia.UserID, eyelevel.Availability{Weekly: wed}); err != nil {
				t.Fatal(err)
			}
			if _, next := searchB("de"); !next.Equal(at(2, 9, 0)) {
				t.Errorf("B after A changed the schedule: next slot %v, want %v", next, at(2, 9, 0))
			}

			// An absence on that Wednesday.
			if _, err := a.svc.AddAbsence(a.ctx, mia, service.AbsenceInput{From: "2026-12-02", To: "2026-12-02", Message: "Fortbildung"}); err != nil {
				t.Fatal(err)
			}
			if _, next := searchB("de"); !next.Equal(at(9, 9, 0)) {
				t.Errorf("B after A added an absence: next slot %v, want %v", next, at(9, 9, 0))
			}

			// Deactivated on A: gone from B's search, and B does not book
			// her though its cached copy (CachedDirectory) still lists her.
			// (So does A itself: the copy is not renewed by A's own change.)
			for i, n := range []*service.Service{a.svc, b} {
				if _, err := n.Book(a.ctx, client, service.BookInput{CounselorID: mia.UserID, Start: at(9, 10+i, 0)}); err != nil {
					t.Fatal(err) // warms the node's copy for booking
				}
			}
			if err := a.svc.DeactivateCounselor(a.ctx, a.admin, mia.UserID); err != nil {
				t.Fatal(err)
			}
			for i, n := range []*service.Service{a.svc, b} {
				_, err := n.Book(a.ctx, client, service.BookInput{CounselorID: mia.UserID, Start: at(9, 13+i, 0)})
				wantCode(t, err, eyelevel.ENOTFOUND)
			}
			if name, _ := searchB("de"); name != "" {
				t.Errorf("B after A deactivated mia still lists %q", name)
			}
			if err := a.svc.ReactivateCounselor(a.ctx, a.admin, mia.UserID); err != nil {
				t.Fatal(err)
			}
			if name, _ := searchB("de"); name != "Mia K." {
				t.Errorf("B after A reactivated mia: %q", name)
			}
		})
	}
}
