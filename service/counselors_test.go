package service_test

import (
	"reflect"
	"testing"

	"eyelevel"
	"eyelevel/service"
)

func counselorInput(username string, langs ...string) service.CounselorInput {
	in := service.CounselorInput{Username: username, Password: password, DisplayName: "Dr. " + username, Gender: eyelevel.GenderFemale, TimeZone: "Europe/Berlin", Bio: "Hello", Qualifications: "M.Sc."}
	for _, l := range langs {
		in.Languages = append(in.Languages, eyelevel.LanguageSkill{Code: l})
	}
	return in
}

func TestCreateCounselorPermissions(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		client := e.client("alice")
		counselor := e.counselor("mia", eyelevel.GenderFemale, []string{"de"})
		_, err := e.svc.CreateCounselor(e.ctx, eyelevel.Actor{}, counselorInput("c1", "de"))
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		_, err = e.svc.CreateCounselor(e.ctx, client, counselorInput("c2", "de"))
		wantCode(t, err, eyelevel.EFORBIDDEN)
		_, err = e.svc.CreateCounselor(e.ctx, counselor, counselorInput("c3", "de"))
		wantCode(t, err, eyelevel.EFORBIDDEN)
		// Refused before validation: an invalid input from a client is still forbidden.
		_, err = e.svc.CreateCounselor(e.ctx, client, service.CounselorInput{})
		wantCode(t, err, eyelevel.EFORBIDDEN)
		if all, err := e.svc.Counselors(e.ctx, e.admin); err != nil || len(all) != 1 {
			t.Fatalf("Counselors = %d, %v; want only mia", len(all), err)
		}
		_, err = e.svc.Counselors(e.ctx, client)
		wantCode(t, err, eyelevel.EFORBIDDEN)
		_, err = e.svc.Counselors(e.ctx, eyelevel.Actor{})
		wantCode(t, err, eyelevel.EUNAUTHORIZED)

		// The new counselor can log in with the role counselor.
		c, err := e.svc.CreateCounselor(e.ctx, e.admin, counselorInput("omid", "de"))
		if err != nil {
			t.Fatal(err)
		}
		_, _, u, err := e.svc.Login(e.ctx, "omid", password, e.ip(), false)
		if err != nil || u.ID != c.ID || u.Role != eyelevel.RoleCounselor {
			t.Fatalf("counselor login = %+v, %v", u, err)
		}
		_, err = e.svc.CreateCounselor(e.ctx, e.admin, counselorInput("OMID", "de"))
		wantCode(t, err, eyelevel.ECONFLICT)
		_, err = e.svc.CreateCounselor(e.ctx, e.admin, counselorInput("alice", "de"))
		wantCode(t, err, eyelevel.ECONFLICT)
	})
}

func TestCreateCounselorValidation(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		in := counselorInput("omid", "FA-af", "DE", "en")
		in.Languages[0].Native = true
		c, err := e.svc.CreateCounselor(e.ctx, e.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		want := []eyelevel.LanguageSkill{{Code: "fa-AF", Native: true}, {Code: "de"}, {Code: "en"}}
		if !reflect.DeepEqual(c.Languages, want) {
			t.Errorf("languages = %v, want %v", c.Languages, want)
		}
		stored, err := e.svc.Counselor(e.ctx, eyelevel.Actor{}, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stored.Languages, want) || stored.DisplayName != "Dr. omid" || stored.TimeZone != "Europe/Berlin" || stored.Bio != "Hello" {
			t.Errorf("stored counselor = %+v", stored)
		}
		if matches, err := e.svc.Search(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "fa-af"}); err != nil || len(matches) != 1 || !matches[0].Native {
			t.Errorf("search for fa-AF = %+v, %v", matches, err)
		}
		_, err = e.svc.Counselor(e.ctx, eyelevel.Actor{}, "nobody")
		wantCode(t, err, eyelevel.ENOTFOUND)

		bad := []struct {
			field string
			edit  func(in *service.CounselorInput)
		}{
			{"languages", func(in *service.CounselorInput) { in.Languages = nil }},
			{"languages", func(in *service.CounselorInput) { in.Languages[0].Code = "xx" }},
			{"languages", func(in *service.CounselorInput) { in.Languages[0].Code = "" }},
			{"languages", func(in *service.CounselorInput) { in.Languages[0].Code = "not a language" }},
			{"languages", func(in *service.CounselorInput) {
				in.Languages = append(in.Languages, eyelevel.LanguageSkill{Code: "DE"})
			}},
			{"languages", func(in *service.CounselorInput) { in.Languages = make([]eyelevel.LanguageSkill, 21) }},
			{"username", func(in *service.CounselorInput) { in.Username = "a b" }},
			{"password", func(in *service.CounselorInput) { in.Password = "short" }},
			{"display_name", func(in *service.CounselorInput) { in.DisplayName = "" }},
			{"display_name", func(in *service.CounselorInput) { in.DisplayName = " \u00a0\t " }},
			{"display_name", func(in *service.CounselorInput) { in.DisplayName = "Dr.\u0007Bell" }},
			{"display_name", func(in *service.CounselorInput) { in.DisplayName = "Anna\nBerg" }},
			{"display_name", func(in *service.CounselorInput) { in.DisplayName = "\u202eAnna" }},
			{"display_name", func(in *service.CounselorInput) { in.DisplayName = "Anna\u2067x" }},
			{"display_name", func(in *service.CounselorInput) { in.DisplayName = "An\u0085na" }},
			{"bio", func(in *service.CounselorInput) { in.Bio = "Hello \u202d olleH" }},
			{"bio", func(in *service.CounselorInput) { in.Bio = "Hello\x1b[31m" }},
			{"qualifications", func(in *service.CounselorInput) { in.Qualifications = "M.Sc.\u2066" }},
			{"gender", func(in *service.CounselorInput) { in.Gender = "robot" }},
			{"timezone", func(in *service.CounselorInput) { in.TimeZone = "Mars/Olympus" }},
			{"timezone", func(in *service.CounselorInput) { in.TimeZone = "Local" }},
			{"email", func(in *service.CounselorInput) { in.Email = "nope" }},
		}
		for _, c := range bad {
			in := counselorInput("newone", "de")
			c.edit(&in)
			_, err := e.svc.CreateCounselor(e.ctx, e.admin, in)
			wantField(t, err, c.field)
		}
		if all, err := e.svc.Counselors(e.ctx, e.admin); err != nil || len(all) != 1 {
			t.Errorf("invalid input stored counselors: %d, %v", len(all), err)
		}

		// Right-to-left names with direction marks, and bios with line
		// breaks and tabs, are fine; surrounding space is trimmed.
		in = counselorInput("maryam", "fa")
		in.DisplayName, in.Bio = "  مریم (Dr.)\u200f ", "Line one\r\nLine\ttwo"
		c, err = e.svc.CreateCounselor(e.ctx, e.admin, in)
		if err != nil {
			t.Fatalf("right-to-left name: %v", err)
		}
		if c.DisplayName != "مریم (Dr.)\u200f" || c.Bio != in.Bio {
			t.Errorf("stored name %q, bio %q", c.DisplayName, c.Bio)
		}
	})
}

func TestSetAvailability(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"})
		omid := e.counselor("omid", eyelevel.GenderMale, []string{"de"})
		client := e.client("alice")
		av := eyelevel.Availability{
			Weekly:     officeHours,
			Exceptions: []eyelevel.Exception{{Date: "2026-12-05", Available: true, Start: 600, End: 720}, {Date: "2026-12-24"}}, // in stored order
		}

		if err := e.svc.SetAvailability(e.ctx, mia, mia.UserID, av); err != nil {
			t.Fatalf("by self: %v", err)
		}
		got, err := e.svc.Availability(e.ctx, mia, mia.UserID)
		if err != nil || !reflect.DeepEqual(got, av) {
			t.Fatalf("Availability = %+v, %v; want %+v", got, err, av)
		}
		if err := e.svc.SetAvailability(e.ctx, e.admin, omid.UserID, av); err != nil {
			t.Fatalf("by admin: %v", err)
		}
		if got, err := e.svc.Availability(e.ctx, e.admin, omid.UserID); err != nil || !reflect.DeepEqual(got, av) {
			t.Fatalf("Availability by admin = %+v, %v", got, err)
		}

		wantCode(t, e.svc.SetAvailability(e.ctx, omid, mia.UserID, eyelevel.Availability{}), eyelevel.EFORBIDDEN)
		wantCode(t, e.svc.SetAvailability(e.ctx, client, mia.UserID, eyelevel.Availability{}), eyelevel.EFORBIDDEN)
		wantCode(t, e.svc.SetAvailability(e.ctx, eyelevel.Actor{}, mia.UserID, eyelevel.Availability{}), eyelevel.EUNAUTHORIZED)
		wantCode(t, e.svc.SetAvailability(e.ctx, e.admin, client.UserID, av), eyelevel.ENOTFOUND)
		wantCode(t, e.svc.SetAvailability(e.ctx, e.admin, "nobody", av), eyelevel.ENOTFOUND)
		_, err = e.svc.Availability(e.ctx, omid, mia.UserID)
		wantCode(t, err, eyelevel.EFORBIDDEN)
		_, err = e.svc.Availability(e.ctx, client, mia.UserID)
		wantCode(t, err, eyelevel.EFORBIDDEN)
		_, err = e.svc.Availability(e.ctx, eyelevel.Actor{}, mia.UserID)
		wantCode(t, err, eyelevel.EUNAUTHORIZED)
		_, err = e.svc.Availability(e.ctx, e.admin, "nobody")
		wantCode(t, err, eyelevel.ENOTFOUND)

		invalid := []struct {
			field string
			av    eyelevel.Availability
		}{
			{"weekly[0].end", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{{Weekday: 1, Start: 600, End: 540}}}},
			{"weekly[0].end", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{{Weekday: 1, Start: 540, End: 580}}}}, // shorter than a session
			{"weekly[0].end", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{{Weekday: 1, Start: 540, End: 1500}}}},
			{"weekly[0].weekday", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{{Weekday: 7, Start: 540, End: 600}}}},
			{"weekly[1].start", eyelevel.Availability{Weekly: []eyelevel.WeeklyWindow{{Weekday: 1, Start: 540, End: 720}, {Weekday: 1, Start: 660, End: 800}}}},
			{"exceptions[0].date", eyelevel.Availability{Exceptions: []eyelevel.Exception{{Date: "24.12.2026"}}}},
			{"exceptions[0].start", eyelevel.Availability{Exceptions: []eyelevel.Exception{{Date: "2026-12-24", Available: true}}}},
		}
		for _, c := range invalid {
			err := e.svc.SetAvailability(e.ctx, mia, mia.UserID, c.av)
			wantField(t, err, c.field)
		}
		if got, err := e.svc.Availability(e.ctx, mia, mia.UserID); err != nil || !reflect.DeepEqual(got, av) {
			t.Errorf("invalid input changed the availability: %+v, %v", got, err)
		}
	})
}

func TestUpdateCounselorProfile(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		y := e.counselor("yusuf", eyelevel.GenderMale, []string{"de*"}, officeHours...)
		a := e.client("anna")
		in := service.ProfileInput{DisplayName: "Xenia P.", Gender: eyelevel.GenderFemale, TimeZone: "Europe/Berlin",
			Languages: []eyelevel.LanguageSkill{{Code: "DE", Native: true}, {Code: "uk"}}, Bio: "Neu.", Qualifications: "M.Sc."}
		for _, c := range []struct {
			who  eyelevel.Actor
			id   eyelevel.UserID
			want string
		}{
			{eyelevel.Actor{}, x.UserID, eyelevel.EUNAUTHORIZED},
			{a, x.UserID, eyelevel.EFORBIDDEN},
			{y, x.UserID, eyelevel.EFORBIDDEN},
			{e.admin, "nobody", eyelevel.ENOTFOUND},
			{x, x.UserID, ""},
			{e.admin, x.UserID, ""},
		} {
			_, err := e.svc.UpdateCounselor(e.ctx, c.who, c.id, in)
			wantCode(t, err, c.want)
		}
		got, err := e.svc.Counselor(e.ctx, eyelevel.Actor{}, x.UserID)
		wantCode(t, err, "")
		if got.DisplayName != "Xenia P." || got.TimeZone != "Europe/Berlin" || len(got.Languages) != 2 || got.Languages[0].Code != "de" || got.Bio != "Neu." {
			t.Fatalf("profile = %+v", got)
		}
		// Search sees the new language at once.
		ms, err := e.svc.Search(e.ctx, a, service.SearchInput{Language: "uk"})
		wantCode(t, err, "")
		if len(ms) != 1 || ms[0].Counselor.ID != x.UserID || ms[0].Native {
			t.Fatalf("search for Ukrainian = %+v", ms)
		}
		bad := in
		bad.DisplayName, bad.Languages, bad.TimeZone = "", nil, "Mars/Base"
		_, err = e.svc.UpdateCounselor(e.ctx, e.admin, x.UserID, bad)
		wantField(t, err, "display_name")
		wantField(t, err, "languages")
		wantField(t, err, "timezone")
		if got, _ := e.svc.Counselor(e.ctx, eyelevel.Actor{}, x.UserID); got.DisplayName != "Xenia P." {
			t.Fatalf("a refused change was written: %+v", got)
		}
	})
}
