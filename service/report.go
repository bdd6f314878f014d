package service

import (
	"context"
	"math"
	"time"

	"eyelevel"
)

// Stat is one number in the impact report. Suppressed is set, and Value
// left 0, when it would be computed from fewer than MinGroup people.
type Stat struct {
	Value      float64
	N          int
	Suppressed bool
}

// Outcome is the pre→post change of one instrument: mean scores before and
// after (WHO-5 in percent), the mean change, and Cohen's d (the mean change
// over the pooled standard deviation of pre and post scores).
type Outcome struct {
	Instrument string
	N          int
	Suppressed bool
	Pre, Post  float64
	Change     float64
	EffectSize float64
}

// ImpactReport is the operator's report for funders: aggregates only.
type ImpactReport struct {
	From, To           time.Time // whole months, UTC
	Clients            Stat      // clients with at least one session held
	Sessions           Stat      // sessions held
	SessionsPerClient  Stat
	Outcomes           []Outcome
	FollowUpCompletion Stat // share (0–1) of due follow-ups filled in
	Rating             Stat // mean stars
}

// ImpactReport aggregates the months from from to to (both snapped outward
// to whole months, so that reports cannot be narrowed to a day around one
// person). Every figure resting on fewer than MinGroup clients is suppressed.
// Errors: EUNAUTHORIZED, EFORBIDDEN (not an admin), EINVALID.
func (s *Service) ImpactReport(ctx context.Context, a eyelevel.Actor, from, to time.Time) (ImpactReport, error) {
	if err := requireRole(a, eyelevel.RoleAdmin); err != nil {
		return ImpactReport{}, err
	}
	from = time.Date(from.UTC().Year(), from.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	if t := to.UTC(); t.Day() != 1 || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
		to = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	to = to.UTC()
	if !to.After(from) || to.Sub(from) > 20*366*24*time.Hour {
		return ImpactReport{}, fieldErr("to", "report.err.period", "The end must be after the start, at most 20 years later.")
	}
	now := s.now().UTC()
	r := ImpactReport{From: from, To: to}
	sessions, clients, err := s.db.SessionsHeld(ctx, from, to, now)
	if err != nil {
		return r, err
	}
	r.Clients = count(clients, clients)
	r.Sessions = count(sessions, clients)
	r.SessionsPerClient = stat(float64(sessions)/math.Max(1, float64(clients)), clients)
	for _, inst := range OutcomeInstruments {
		pairs, err := s.db.OutcomePairs(ctx, inst, from, to)
		if err != nil {
			return r, err
		}
		mult := 1
		if f, ok := s.cfg.Instruments.Form(inst, "en"); ok && f.PercentMultiplier > 0 {
			mult = f.PercentMultiplier
		}
		r.Outcomes = append(r.Outcomes, outcome(inst, pairs, mult))
	}
	due, done, err := s.db.FollowUps(ctx, from, to, now, s.cfg.FollowUpAfter)
	if err != nil {
		return r, err
	}
	r.FollowUpCompletion = stat(float64(done)/math.Max(1, float64(due)), due)
	n, sum, err := s.db.RatingsIn(ctx, from, to)
	if err != nil {
		return r, err
	}
	r.Rating = stat(float64(sum)/math.Max(1, float64(n)), n)
	return r, nil
}

// count is a count of people or sessions resting on n people.
func count(v, n int) Stat { return stat(float64(v), n) }

func stat(v float64, n int) Stat {
	if n < MinGroup {
		return Stat{Suppressed: true}
	}
	return Stat{Value: round2(v), N: n}
}

func outcome(inst string, pairs [][2]int, mult int) Outcome {
	o := Outcome{Instrument: inst, N: len(pairs)}
	if len(pairs) < MinGroup {
		return Outcome{Instrument: inst, Suppressed: true}
	}
	n := float64(len(pairs))
	var sumPre, sumPost float64
	for _, p := range pairs {
		sumPre += float64(p[0] * mult)
		sumPost += float64(p[1] * mult)
	}
	mPre, mPost := sumPre/n, sumPost/n
	var vPre, vPost float64
	for _, p := range pairs {
		vPre += math.Pow(float64(p[0]*mult)-mPre, 2)
		vPost += math.Pow(float64(p[1]*mult)-mPost, 2)
	}
	vPre, vPost = vPre/(n-1), vPost/(n-1)
	o.Pre, o.Post, o.Change = round2(mPre), round2(mPost), round2(mPost-mPre)
	if sd := math.Sqrt((vPre + vPost) / 2); sd > 0 {
		o.EffectSize = round2((mPost - mPre) / sd)
	}
	return o
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round2(v float64) float64 { return math.Round(v*100) / 100 }
