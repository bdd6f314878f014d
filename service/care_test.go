package service_test

import (
	"slices"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/questionnaire"
	"eyelevel/service"
)

func answers(vs ...int) service.ResponseInput {
	return service.ResponseInput{Answers: questionnaire.Ints(vs...)}
}

// courseOf books a client with a counselor at the given days' 10:00 UTC.
func (e *env) courseOf(client, counselor eyelevel.Actor, days ...int) []eyelevel.Appointment {
	e.t.Helper()
	var out []eyelevel.Appointment
	for _, d := range days {
		out = append(out, e.book(client, counselor, at(d, 10, 0)))
	}
	return out
}

func TestSafetyItemRaisesAlertWhateverTheTotal(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		y := e.counselor("yusuf", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
		a := e.client("anna")
		e.courseOf(a, x, 1)

		// Total 1: "minimal", and still an alert.
		r, err := e.svc.SubmitResponse(e.ctx, a, "phq9", answers(0, 0, 0, 0, 0, 0, 0, 0, 1))
		wantCode(t, err, "")
		if !r.Result.SafetyAlert() || r.Band != "minimal" || r.Score != 1 || !slices.Equal(r.Result.SafetyItems, []int{9}) {
			t.Fatalf("result = %+v", r.Result)
		}
		alerts, err := e.svc.SafetyAlerts(e.ctx, x)
		wantCode(t, err, "")
		if len(alerts) != 1 || alerts[0].ClientID != a.UserID || alerts[0].Source != "questionnaire" {
			t.Fatalf("counselor x alerts = %+v", alerts)
		}
		if other, _ := e.svc.SafetyAlerts(e.ctx, y); len(other) != 0 {
			t.Fatalf("counselor y sees %d alerts of x's client", len(other))
		}
		_, err = e.svc.SafetyAlerts(e.ctx, e.admin)
		wantCode(t, err, eyelevel.EFORBIDDEN)
		wantCode(t, e.svc.AcknowledgeAlert(e.ctx, y, alerts[0].ID), eyelevel.ENOTFOUND)
		wantCode(t, e.svc.AcknowledgeAlert(e.ctx, x, alerts[0].ID), "")
		if left, _ := e.svc.SafetyAlerts(e.ctx, x); len(left) != 0 {
			t.Fatalf("acknowledged alert still open: %+v", left)
		}

		// No safety item, high total: no alert.
		r, _ = e.svc.SubmitResponse(e.ctx, a, "phq9", answers(3, 3, 3, 3, 3, 3, 3, 3, 0))
		if r.Result.SafetyAlert() || r.Band != "severe" {
			t.Fatalf("result = %+v", r.Result)
		}
		if left, _ := e.svc.SafetyAlerts(e.ctx, x); len(left) != 0 {
			t.Fatalf("alert without a safety answer: %+v", left)
		}
		// The client's own "tell my counselor".
		_, err = e.svc.RaiseAlert(e.ctx, a)
		wantCode(t, err, "")
		if left, _ := e.svc.SafetyAlerts(e.ctx, x); len(left) != 1 || left[0].Source != "client" {
			t.Fatalf("client alert = %+v", left)
		}
	})
}

func TestResponsesRefuseBadInput(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		a := e.client("anna")
		_, err := e.svc.SubmitResponse(e.ctx, a, "phq9", answers(0, 0, 0))
		wantField(t, err, "answers")
		_, err = e.svc.SubmitResponse(e.ctx, a, "phq9", answers(0, 0, 0, 4, 0, 0, 0, 0, 0))
		wantField(t, err, "answers.4")
		in := answers(0, 0, 0, 0, 0, 0, 0, 0, 0)
		in.Answers[6] = nil
		_, err = e.svc.SubmitResponse(e.ctx, a, "phq9", in)
		wantField(t, err, "answers.7")
		_, err = e.svc.SubmitResponse(e.ctx, a, "bdi", answers(0))
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = e.svc.SubmitSelfTest(e.ctx, a, service.SelfTestInput{PHQ4: questionnaire.Ints(0, 0, 0, 9), WHO5: questionnaire.Ints(5, 5)})
		wantField(t, err, "phq4.answers.4")
		wantField(t, err, "who5.answers")
		if rs, _ := e.svc.Responses(e.ctx, a, ""); len(rs) != 0 {
			t.Fatalf("a refused response was stored: %+v", rs)
		}
	})
}

func TestSelfTestAdvice(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		a := e.client("anna")
		cases := []struct {
			phq4, who5 []int
			want       service.Advice
		}{
			{[]int{0, 1, 1, 0}, []int{4, 4, 3, 3, 3}, service.AdviceCounseling}, // PHQ-4 2, WHO-5 68 %
			{[]int{2, 1, 1, 1}, []int{3, 3, 3, 2, 2}, service.AdviceCounseling}, // PHQ-4 5 (mild), WHO-5 52 %
			{[]int{2, 2, 1, 1}, []int{3, 3, 3, 2, 2}, service.AdviceDoctorToo},  // PHQ-4 6 (moderate)
			{[]int{0, 0, 0, 0}, []int{2, 2, 1, 1, 1}, service.AdviceDoctorToo},  // WHO-5 7 raw = 28 %
			{[]int{3, 3, 2, 1}, []int{1, 1, 2, 2, 1}, service.AdviceImmediate},  // PHQ-4 9 (severe) and WHO-5 28 %
			{[]int{3, 3, 2, 1}, []int{2, 2, 2, 2, 0}, service.AdviceDoctorToo},  // severe, WHO-5 8 raw (32 %)
			{[]int{3, 3, 3, 3}, []int{0, 0, 0, 0, 0}, service.AdviceImmediate},  // both at their worst
		}
		for i, c := range cases {
			e.clock.Advance(time.Minute)
			got, err := e.svc.SubmitSelfTest(e.ctx, a, service.SelfTestInput{PHQ4: questionnaire.Ints(c.phq4...), WHO5: questionnaire.Ints(c.who5...)})
			wantCode(t, err, "")
			if got.Advice != c.want {
				t.Errorf("case %d: advice %s, want %s (phq4 %d %s, who5 %d%%)", i, got.Advice, c.want, got.PHQ4.Score, got.PHQ4.Band, got.WHO5.Result.Percent)
			}
		}
		last, err := e.svc.LastSelfTest(e.ctx, a)
		wantCode(t, err, "")
		if last.Advice != service.AdviceImmediate || last.PHQ4.Occasion != service.OccasionSelfTest {
			t.Fatalf("last self-test = %+v", last)
		}
	})
}

func TestOutcomeSchedule(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		a := e.client("anna")
		tasks := func() []service.Task {
			t.Helper()
			ts, err := e.svc.OutcomeTasks(e.ctx, a)
			wantCode(t, err, "")
			return ts
		}
		if ts := tasks(); len(ts) != 0 {
			t.Fatalf("tasks before booking: %+v", ts)
		}
		course := e.courseOf(a, x, 1, 8, 15) // Tuesdays 1, 8 and 15 December
		if ts := tasks(); len(ts) != 1 || ts[0].Occasion != service.OccasionIntake || len(ts[0].Instruments) != 3 {
			t.Fatalf("after booking: %+v", ts)
		}
		r, _ := e.svc.SubmitResponse(e.ctx, a, "phq9", answers(2, 2, 2, 2, 2, 1, 1, 1, 0))
		if r.Occasion != service.OccasionIntake {
			t.Fatalf("phq9 occasion = %s", r.Occasion)
		}
		if ts := tasks(); len(ts) != 1 || !slices.Equal(ts[0].Instruments, []string{"gad7", "who5"}) {
			t.Fatalf("after phq9: %+v", ts)
		}
		// A PHQ-4 is never an outcome measure.
		if r, _ := e.svc.SubmitResponse(e.ctx, a, "phq4", answers(1, 1, 1, 1)); r.Occasion != service.OccasionCheckIn {
			t.Fatalf("phq4 occasion = %s", r.Occasion)
		}
		// Right after the last session nothing is due yet: another
		// session may follow. A week later the course is over: post.
		e.clock.Advance(course[2].End.Sub(e.clock.Now()) + time.Minute)
		if ts := tasks(); len(ts) != 0 {
			t.Fatalf("right after the course: %+v", ts)
		}
		e.clock.Advance(7 * 24 * time.Hour)
		ts := tasks()
		if len(ts) != 1 || ts[0].Occasion != service.OccasionPost || len(ts[0].Instruments) != 3 {
			t.Fatalf("after the course: %+v", ts)
		}
		for _, inst := range []string{"phq9", "gad7"} {
			r, _ := e.svc.SubmitResponse(e.ctx, a, inst, answers(make([]int, map[string]int{"phq9": 9, "gad7": 7}[inst])...))
			if r.Occasion != service.OccasionPost {
				t.Fatalf("%s occasion = %s", inst, r.Occasion)
			}
		}
		// Three months later the post task is gone and the follow-up is due.
		e.clock.Advance(90 * 24 * time.Hour)
		if ts := tasks(); len(ts) != 1 || ts[0].Occasion != service.OccasionFollowUp || len(ts[0].Instruments) != 3 {
			t.Fatalf("at follow-up: %+v", ts)
		}
		r, _ = e.svc.SubmitResponse(e.ctx, a, "who5", answers(3, 3, 3, 3, 3))
		if r.Occasion != service.OccasionFollowUp || !r.Result.HasPercent || r.Result.Percent != 60 {
			t.Fatalf("who5 = %+v %+v", r.Response, r.Result)
		}
		e.clock.Advance(61 * 24 * time.Hour)
		if ts := tasks(); len(ts) != 0 {
			t.Fatalf("follow-up still due after its window: %+v", ts)
		}
		// A new booking months later starts a new course with its own intake.
		later := e.clock.Now()
		day := int(later.Sub(monday).Hours()/24) + 3
		for later.AddDate(0, 0, 3).Weekday() == time.Saturday || later.AddDate(0, 0, 3).Weekday() == time.Sunday {
			later = later.AddDate(0, 0, 1)
			day++
		}
		e.book(a, x, at(day, 10, 0))
		if ts := tasks(); len(ts) != 1 || ts[0].Occasion != service.OccasionIntake || len(ts[0].Instruments) != 3 {
			t.Fatalf("second course: %+v", ts)
		}
	})
}

func TestCareAuthorization(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		y := e.counselor("yusuf", eyelevel.GenderMale, []string{"de*"}, officeHours...)
		a, b := e.client("anna"), e.client("bert")
		ap := e.courseOf(a, x, 1)[0]
		resp, _ := e.svc.SubmitResponse(e.ctx, a, "gad7", answers(1, 1, 1, 1, 1, 1, 1))
		_, err := e.svc.SaveReflection(e.ctx, a, 1, service.ReflectionInput{Text: "shared text", Shared: true})
		wantCode(t, err, "")
		anon := eyelevel.Actor{}
		roles := []struct {
			name  string
			actor eyelevel.Actor
		}{{"anonymous", anon}, {"client A", a}, {"client B", b}, {"counselor X", x}, {"counselor Y", y}, {"admin", e.admin}}
		actions := []struct {
			name string
			do   func(eyelevel.Actor) error
			want []string // per role, in the order above
		}{
			{"read response", func(ac eyelevel.Actor) error { _, err := e.svc.Response(e.ctx, ac, resp.ID); return err },
				[]string{"unauthorized", "", "not_found", "forbidden", "forbidden", "forbidden"}},
			{"list responses", func(ac eyelevel.Actor) error { _, err := e.svc.Responses(e.ctx, ac, ""); return err },
				[]string{"unauthorized", "", "", "forbidden", "forbidden", "forbidden"}},
			{"submit", func(ac eyelevel.Actor) error {
				_, err := e.svc.SubmitResponse(e.ctx, ac, "who5", answers(1, 1, 1, 1, 1))
				return err
			}, []string{"unauthorized", "", "", "forbidden", "forbidden", "forbidden"}},
			{"read own step", func(ac eyelevel.Actor) error { _, err := e.svc.ProgramStep(e.ctx, ac, 1); return err },
				[]string{"unauthorized", "", "", "forbidden", "forbidden", "forbidden"}},
			{"client view", func(ac eyelevel.Actor) error { _, err := e.svc.Client(e.ctx, ac, a.UserID); return err },
				[]string{"unauthorized", "not_found", "not_found", "", "not_found", "not_found"}},
			{"alerts", func(ac eyelevel.Actor) error { _, err := e.svc.SafetyAlerts(e.ctx, ac); return err },
				[]string{"unauthorized", "forbidden", "forbidden", "", "", "forbidden"}},
			{"rate", func(ac eyelevel.Actor) error {
				_, err := e.svc.Rate(e.ctx, ac, ap.ID, service.RatingInput{Stars: 0, Decline: true})
				return err
			}, []string{"unauthorized", "conflict", "not_found", "forbidden", "forbidden", "forbidden"}},
			{"ratings of X", func(ac eyelevel.Actor) error { _, err := e.svc.CounselorRatings(e.ctx, ac, x.UserID); return err },
				[]string{"unauthorized", "forbidden", "forbidden", "", "forbidden", ""}},
			{"all ratings", func(ac eyelevel.Actor) error { _, err := e.svc.AllRatings(e.ctx, ac); return err },
				[]string{"unauthorized", "forbidden", "forbidden", "forbidden", "forbidden", ""}},
			{"impact report", func(ac eyelevel.Actor) error {
				_, err := e.svc.ImpactReport(e.ctx, ac, monday.AddDate(-1, 0, 0), monday.AddDate(-1, 0, 0))
				return err
			}, []string{"unauthorized", "forbidden", "forbidden", "forbidden", "forbidden", ""}},
			{"instrument list", func(ac eyelevel.Actor) error { _, err := e.svc.Forms(ac); return err },
				[]string{"unauthorized", "forbidden", "forbidden", "forbidden", "forbidden", ""}},
		}
		for _, act := range actions {
			for i, r := range roles {
				if got := eyelevel.ErrorCode(act.do(r.actor)); got != act.want[i] {
					t.Errorf("%s as %s: %q, want %q", act.name, r.name, got, act.want[i])
				}
			}
		}
		// What counselor X sees: scores, no item answers, the shared text.
		v, err := e.svc.Client(e.ctx, x, a.UserID)
		wantCode(t, err, "")
		if len(v.Scores) == 0 || v.Scores[0].Answers != nil || len(v.Shared) != 1 || v.Shared[0].Text != "shared text" {
			t.Fatalf("client view = %+v", v)
		}
		// Half a year after the last session X is no longer A's counselor.
		e.clock.Advance(ap.End.Sub(e.clock.Now()) + 179*24*time.Hour)
		_, err = e.svc.Client(e.ctx, x, a.UserID)
		wantCode(t, err, "")
		e.clock.Advance(2 * 24 * time.Hour)
		_, err = e.svc.Client(e.ctx, x, a.UserID)
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = e.svc.RaiseAlert(e.ctx, a)
		wantCode(t, err, "")
		if alerts, _ := e.svc.SafetyAlerts(e.ctx, x); len(alerts) != 0 {
			t.Fatalf("a former counselor sees alerts: %+v", alerts)
		}
	})
}
