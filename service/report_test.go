package service_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// treat gives n clients one session each with x on day 1 (from hour on),
// a PHQ-9 and WHO-5 at intake with pre and after it with post, and a rating.
func (e *env) treat(x eyelevel.Actor, n, hour int, pre, post []int, prefix string) {
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
		e.clock.Advance(3 * 24 * time.Hour)
		dec := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)

		r, err := e.svc.ImpactReport(e.ctx, e.admin, dec, dec)
		wantCode(t, err, "")
		if !r.From.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !r.To.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("period %v–%v, want December", r.From, r.To)
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
		e.clock.Advance(-3 * 24 * time.Hour)
		e.treat(x, 1, 13, pre[4:], post[4:], "five")
		e.clock.Advance(3 * 24 * time.Hour)
		r, err = e.svc.ImpactReport(e.ctx, e.admin, dec, dec)
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
		// Follow-ups fall due in March: none yet in December.
		if !r.FollowUpCompletion.Suppressed {
			t.Fatalf("follow-up = %+v", r.FollowUpCompletion)
		}
		_, err = e.svc.ImpactReport(e.ctx, e.admin, dec, dec.AddDate(0, -2, 0))
		wantField(t, err, "to")
	})
}
