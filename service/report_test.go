package service_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// treat gives n clients one session held each with x on day 1 (from hour on),
// a PHQ-9 and WHO-5 at intake with pre and after it with post, and a rating.
func (e *env) treat(x eyelevel.Actor, n, hour int, pre, post []int, prefix string) []eyelevel.Actor {
	e.t.Helper()
	start := e.clock.Now()
	var clients []eyelevel.Actor
	var appts []eyelevel.Appointment
	for i := range n {
		c := e.client(fmt.Sprintf("%s%d", prefix, i))
		clients = append(clients, c)
		appts = append(appts, e.book(c, x, at(1, hour+i, 0)))
		if _, err := e.svc.SubmitResponse(e.ctx, c, "phq9", answers(spread9(pre[i])...)); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.svc.SubmitResponse(e.ctx, c, "who5", answers(3, 3, 3, 3, 3)); err != nil {
			e.t.Fatal(err)
		}
	}
	e.clock.Advance(at(9, 9, 0).Sub(e.clock.Now())) // a week after the session
	ids := make([]eyelevel.AppointmentID, len(appts))
	for i, a := range appts {
		ids[i] = a.ID
	}
	if err := e.db.MarkHeld(e.ctx, ids, "", e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
	for i, c := range clients {
		r, err := e.svc.SubmitResponse(e.ctx, c, "phq9", answers(spread9(post[i])...))
		if err != nil || r.Occasion != service.OccasionPost {
			e.t.Fatalf("post: %v %s", err, r.Occasion)
		}
		if _, err := e.svc.SubmitResponse(e.ctx, c, "who5", answers(4, 4, 4, 4, 4)); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.svc.Rate(e.ctx, c, appts[i].ID, service.RatingInput{Stars: 4}); err != nil {
			e.t.Fatal(err)
		}
	}
	e.clock.Advance(start.Sub(e.clock.Now()))
	return clients
}

// spread9 returns PHQ-9 answers totalling t with item 9 at 0.
func spread9(t int) []int {
	out := make([]int, 9)
	for i := 0; i < 8 && t > 0; i++ {
		out[i] = min(3, t)
		t -= out[i]
	}
	return out
}

func TestImpactReportSuppressesSmallGroups(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		pre, post := []int{15, 12, 20, 10, 18}, []int{8, 9, 12, 6, 10}
		e.treat(x, 4, 9, pre, post, "four")
		dec := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
		q4 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

		// The quarter is not over yet: no report.
		_, err := e.svc.ImpactReport(e.ctx, e.admin, dec, dec)
		wantField(t, err, "to")
		e.clock.Advance(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC).Sub(e.clock.Now()))

		r, err := e.svc.ImpactReport(e.ctx, e.admin, dec, dec)
		wantCode(t, err, "")
		if r.Period != "2026-Q4" || !r.From.Equal(q4) || !r.To.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("period %s %v–%v, want the fourth quarter", r.Period, r.From, r.To)
		}
		if !r.Clients.Suppressed || !r.Sessions.Suppressed || !r.SessionsPerClient.Suppressed || !r.Rating.Suppressed || r.Sessions.Value != 0 {
			t.Fatalf("4 clients shown: %+v", r)
		}
		for _, o := range r.Outcomes {
			if !o.Suppressed || o.N != 0 || o.Pre != 0 {
				t.Fatalf("4 clients' %s shown: %+v", o.Instrument, o)
			}
		}

		// A fifth client: now every group has five.
		e.clock.Advance(monday.Sub(e.clock.Now()))
		e.treat(x, 1, 13, pre[4:], post[4:], "five")
		e.clock.Advance(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC).Sub(e.clock.Now()))
		r, err = e.svc.ImpactReport(e.ctx, e.admin, q4, time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
		wantCode(t, err, "")
		if r.Clients.Suppressed || r.Clients.Value != 5 || r.Sessions.Value != 5 || r.SessionsPerClient.Value != 1 || r.Rating.Value != 4 {
			t.Fatalf("5 clients: %+v", r)
		}
		byInst := map[string]service.Outcome{}
		for _, o := range r.Outcomes {
			byInst[o.Instrument] = o
		}
		phq := byInst["phq9"]
		// Pre mean 15, post 9; sample variances 17 and 5: d = -6 / √11.
		if phq.Suppressed || phq.N != 5 || phq.Pre != 15 || phq.Post != 9 || phq.Change != -6 || phq.EffectSize != math.Round(-6/math.Sqrt(11)*100)/100 {
			t.Fatalf("phq9 outcome = %+v", phq)
		}
		who := byInst["who5"]
		if who.Suppressed || who.Pre != 60 || who.Post != 80 || who.Change != 20 || who.EffectSize != 0 {
			t.Fatalf("who5 outcome (percent) = %+v", who)
		}
		if !byInst["gad7"].Suppressed {
			t.Fatalf("gad7 without responses shown: %+v", byInst["gad7"])
		}
		// Follow-up windows close in 2027: none in this quarter.
		if !r.FollowUpCompletion.Suppressed {
			t.Fatalf("follow-up = %+v", r.FollowUpCompletion)
		}
		// The year: its first three quarters had nobody, which is all the
		// year minus Q4 reveals, so the year shows Q4's figures; what Q4
		// hides (gad7, the follow-ups) stays hidden.
		y, err := e.svc.ImpactReport(e.ctx, e.admin, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
		wantCode(t, err, "")
		if y.Period != "2026" || y.Clients.Suppressed || y.Clients.Value != 5 || y.Rating.Suppressed || y.Outcomes[0].Suppressed || !y.Outcomes[1].Suppressed {
			t.Fatalf("year 2026 = %+v", y)
		}
		// Anything but one quarter or one year is refused.
		for _, p := range [][2]time.Time{{q4, q4.AddDate(0, 4, 0)}, {time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}} {
			_, err = e.svc.ImpactReport(e.ctx, e.admin, p[0], p[1])
			wantField(t, err, "to")
		}
	})
}

// Follow-ups count in the quarter in which their 60-day window closes, done
// only when answered within it.
func TestImpactReportFollowUps(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		pre, post := []int{15, 12, 20, 10, 18}, []int{8, 9, 12, 6, 10}
		clients := e.treat(x, 5, 9, pre, post, "client")
		// Sessions end on 1 December 2026: follow-ups are due from 1 March
		// 2027 and their windows close on 30 April, in the second quarter.
		e.clock.Advance(time.Date(2027, 3, 5, 9, 0, 0, 0, time.UTC).Sub(e.clock.Now()))
		for i := range 3 {
			r, err := e.svc.SubmitResponse(e.ctx, clients[i], "who5", answers(4, 4, 4, 4, 4))
			if err != nil || r.Occasion != service.OccasionFollowUp {
				t.Fatalf("follow-up %d: %v %s", i, err, r.Occasion)
			}
		}
		e.clock.Advance(time.Date(2027, 5, 5, 9, 0, 0, 0, time.UTC).Sub(e.clock.Now()))
		if r, _ := e.svc.SubmitResponse(e.ctx, clients[3], "who5", answers(4, 4, 4, 4, 4)); r.Occasion == service.OccasionFollowUp {
			t.Fatalf("a follow-up after its window counts as one")
		}
		e.clock.Advance(time.Date(2027, 7, 2, 0, 0, 0, 0, time.UTC).Sub(e.clock.Now()))
		q2 := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
		r, err := e.svc.ImpactReport(e.ctx, e.admin, q2, q2.AddDate(0, 3, 0))
		wantCode(t, err, "")
		if f := r.FollowUpCompletion; f.Suppressed || f.N != 5 || f.Value != 0.6 {
			t.Fatalf("follow-up completion = %+v", f)
		}
		q1 := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		if r, _ := e.svc.ImpactReport(e.ctx, e.admin, q1, q1.AddDate(0, 3, 0)); !r.FollowUpCompletion.Suppressed {
			t.Fatalf("first quarter follow-ups = %+v", r.FollowUpCompletion)
		}
	})
}

// Only sessions held count: a booked session that ended without both
// joining, or with the client absent, is no session.
func TestImpactReportCountsHeldSessionsOnly(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		pre, post := []int{15, 12, 20, 10, 18}, []int{8, 9, 12, 6, 10}
		clients := e.treat(x, 5, 9, pre, post, "held")
		noShow := e.book(clients[0], x, at(2, 9, 0))
		e.book(clients[1], x, at(2, 10, 0)) // ended, attendance never set
		e.clock.Advance(at(3, 9, 0).Sub(e.clock.Now()))
		if _, err := e.db.Exec(e.ctx, `UPDATE appointments SET attendance = 'no_show_client' WHERE id = $1`, string(noShow.ID)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC).Sub(e.clock.Now()))
		q4 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		r, err := e.svc.ImpactReport(e.ctx, e.admin, q4, q4.AddDate(0, 3, 0))
		wantCode(t, err, "")
		if r.Sessions.Value != 5 || r.Clients.Value != 5 || r.SessionsPerClient.Value != 1 {
			t.Fatalf("sessions %+v clients %+v: a no-show or a session without attendance counted", r.Sessions, r.Clients)
		}
	})
}
