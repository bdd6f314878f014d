package store_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

func ids(cs []eyelevel.Counselor) []eyelevel.UserID {
	out := make([]eyelevel.UserID, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	slices.Sort(out)
	return out
}

func sortedIDs(us ...eyelevel.UserID) []eyelevel.UserID {
	out := slices.Clone(us)
	slices.Sort(out)
	return out
}

func TestCounselors(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		de, deNative, faAF, en := eyelevel.LanguageSkill{Code: "de"}, eyelevel.LanguageSkill{Code: "de", Native: true}, eyelevel.LanguageSkill{Code: "fa-AF", Native: true}, eyelevel.LanguageSkill{Code: "en"}
		mia := newCounselor(t, db, "mia", eyelevel.GenderFemale, deNative, en)
		omid := newCounselor(t, db, "omid", eyelevel.GenderMale, faAF, de)
		sam := newCounselor(t, db, "sam", eyelevel.GenderDiverse, en)

		got, err := db.Counselor(ctx, omid.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Languages come native first, then by code.
		if !reflect.DeepEqual(got, omid) {
			t.Errorf("Counselor = %+v, want %+v", got, omid)
		}
		_, err = db.Counselor(ctx, "nobody")
		wantCode(t, err, eyelevel.ENOTFOUND)

		byDE, err := db.CounselorsByLanguage(ctx, "de", "")
		if err != nil {
			t.Fatal(err)
		}
		if want := sortedIDs(mia.ID, omid.ID); !slices.Equal(ids(byDE), want) {
			t.Errorf("CounselorsByLanguage(de) = %v, want %v", ids(byDE), want)
		}
		for _, c := range byDE {
			if c.ID == mia.ID && !reflect.DeepEqual(c.Languages, mia.Languages) {
				t.Errorf("languages of mia = %v, want all of hers, %v", c.Languages, mia.Languages)
			}
		}
		female, err := db.CounselorsByLanguage(ctx, "de", eyelevel.GenderFemale)
		if err != nil || !slices.Equal(ids(female), []eyelevel.UserID{mia.ID}) {
			t.Errorf("CounselorsByLanguage(de, female) = %v, %v; want mia", ids(female), err)
		}
		diverse, err := db.CounselorsByLanguage(ctx, "de", eyelevel.GenderDiverse)
		if err != nil || len(diverse) != 0 {
			t.Errorf("CounselorsByLanguage(de, diverse) = %v, %v; want none", ids(diverse), err)
		}
		if fa, err := db.CounselorsByLanguage(ctx, "fa-AF", ""); err != nil || !slices.Equal(ids(fa), []eyelevel.UserID{omid.ID}) {
			t.Errorf("CounselorsByLanguage(fa-AF) = %v, %v; want omid", ids(fa), err)
		}
		if fa, err := db.CounselorsByLanguage(ctx, "fa", ""); err != nil || len(fa) != 0 {
			t.Errorf("CounselorsByLanguage(fa) = %v, %v; want none (fa-AF is another code)", ids(fa), err)
		}

		all, err := db.Counselors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range all {
			names = append(names, c.Username)
		}
		if want := []string{"mia", "omid", "sam"}; !slices.Equal(names, want) {
			t.Errorf("Counselors = %v, want %v (by display name)", names, want)
		}

		// A second profile for the same account conflicts, and takes no languages with it.
		wantCode(t, db.CreateCounselor(ctx, eyelevel.Counselor{ID: sam.ID, DisplayName: "x", Gender: eyelevel.GenderMale, TimeZone: "UTC", Languages: []eyelevel.LanguageSkill{{Code: "tr"}}}), eyelevel.ECONFLICT)
		if tr, err := db.CounselorsByLanguage(ctx, "tr", ""); err != nil || len(tr) != 0 {
			t.Errorf("failed CreateCounselor left languages behind: %v, %v", ids(tr), err)
		}
	})
}

func TestAvailability(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newCounselor(t, db, "a", eyelevel.GenderFemale, eyelevel.LanguageSkill{Code: "de"})
		b := newCounselor(t, db, "b", eyelevel.GenderMale, eyelevel.LanguageSkill{Code: "de"})
		c := newCounselor(t, db, "c", eyelevel.GenderMale, eyelevel.LanguageSkill{Code: "de"})

		if av, err := db.Availability(ctx, a.ID); err != nil || len(av.Weekly)+len(av.Exceptions) != 0 {
			t.Fatalf("Availability before any is set = %+v, %v; want empty", av, err)
		}
		avA := eyelevel.Availability{
			Weekly: []eyelevel.WeeklyWindow{{Weekday: 1, Start: 540, End: 720}, {Weekday: 1, Start: 780, End: 1020}, {Weekday: 3, Start: 0, End: 1440}},
			Exceptions: []eyelevel.Exception{
				{Date: "2026-12-24", Available: false},
				{Date: "2026-12-27", Available: true, Start: 600, End: 720},
				{Date: "2026-12-28", Available: false, Start: 540, End: 600},
			},
		}
		avB := eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{{Weekday: 5, Start: 480, End: 600}}}
		for id, av := range map[eyelevel.UserID]eyelevel.Availability{a.ID: {Weekly: avB.Weekly}, b.ID: avB} {
			if err := db.SetAvailability(ctx, id, av); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetAvailability(ctx, a.ID, avA); err != nil { // replaces, not adds
			t.Fatal(err)
		}
		got, err := db.Availability(ctx, a.ID)
		if err != nil || !reflect.DeepEqual(got, avA) {
			t.Fatalf("Availability(a) = %+v, %v; want %+v", got, err, avA)
		}

		m, err := db.AvailabilityOf(ctx, []eyelevel.UserID{a.ID, b.ID, c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m[a.ID], avA) || !reflect.DeepEqual(m[b.ID], avB) {
			t.Errorf("AvailabilityOf = %+v", m)
		}
		if av := m[c.ID]; len(av.Weekly)+len(av.Exceptions) != 0 {
			t.Errorf("AvailabilityOf(c) = %+v, want empty", av)
		}
		if m, err := db.AvailabilityOf(ctx, nil); err != nil || len(m) != 0 {
			t.Errorf("AvailabilityOf(nil) = %v, %v", m, err)
		}

		if err := db.SetAvailability(ctx, b.ID, eyelevel.Availability{}); err != nil {
			t.Fatal(err)
		}
		if av, err := db.Availability(ctx, b.ID); err != nil || len(av.Weekly)+len(av.Exceptions) != 0 {
			t.Errorf("Availability after clearing = %+v, %v", av, err)
		}
	})
}
