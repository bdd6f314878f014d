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
	// empty marks a figure suppressed because it rests on nobody: the
	// period minus the others reveals only that nobody is in it, so it
	// does not hide the periods made of it.
	empty bool
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
	empty      bool // suppressed because nobody answered (see Stat)
}

// ImpactReport is the operator's report for funders: aggregates only.
type ImpactReport struct {
	Period             string    // "2026-Q3" or "2026"
	From, To           time.Time // the period, UTC, To exclusive
	Clients            Stat      // clients with at least one session held
	Sessions           Stat      // sessions held
	SessionsPerClient  Stat
	Outcomes           []Outcome
	FollowUpCompletion Stat // share (0–1) of follow-ups filled in within their window
	Rating             Stat // mean stars
}

// ImpactReport aggregates one closed calendar quarter or one closed
// calendar year: from and to are widened to whole quarters and must then
// span exactly one of them. Only these fixed, non-overlapping periods exist
// and only once they are over, so that no two reports differ by one person
// (a day later, or a period one month longer). Every figure resting on
// fewer than MinGroup people is suppressed, and a year's figure also when
// it is suppressed in any of its quarters, so that the year minus the
// other quarters cannot reveal it.
// Errors: EUNAUTHORIZED, EFORBIDDEN (not an admin), EINVALID.
func (s *Service) ImpactReport(ctx context.Context, a eyelevel.Actor, from, to time.Time) (ImpactReport, error) {
	if err := requireRole(a, eyelevel.RoleAdmin); err != nil {
		return ImpactReport{}, err
	}
	p, ok := widenPeriod(from, to, false)
	if !ok {
		return ImpactReport{}, fieldErr("to", "report.err.period", "A report covers one calendar quarter or one calendar year.")
	}
	if p.To.After(s.now().UTC()) {
		return ImpactReport{}, fieldErr("to", "report.err.open", "Reports cover only periods that are over.")
	}
	if r, ok, err := s.storedImpact(ctx, p); ok || err != nil {
		return r, err // a closed period's figures as published (report_snapshot.go)
	}
	r, err := s.periodReport(ctx, p)
	if err != nil {
		return r, err
	}
	for _, q := range p.parts(false) {
		qr, err := s.periodReport(ctx, q)
		if err != nil {
			return r, err
		}
		suppressAllLike(r.stats(), qr.values())
		suppressOutcomesLike(r.Outcomes, qr.Outcomes)
	}
	return s.keepImpact(ctx, p, r)
}

// stats lists the report's figures for secondary suppression, in the
// order of values.
func (r *ImpactReport) stats() []*Stat {
	return []*Stat{&r.Clients, &r.Sessions, &r.SessionsPerClient, &r.FollowUpCompletion, &r.Rating}
}

func (r *ImpactReport) values() []Stat {
	return []Stat{r.Clients, r.Sessions, r.SessionsPerClient, r.FollowUpCompletion, r.Rating}
}

// periodReport computes the figures of [from, to), a closed period.
func (s *Service) periodReport(ctx context.Context, p period) (ImpactReport, error) {
	from, to := p.From, p.To
	r := ImpactReport{From: from, To: to, Period: p.Name}
	sessions, clients, err := s.db.SessionsHeld(ctx, from, to, to)
	if err != nil {
		return r, err
	}
	r.Clients = count(clients, clients)
	r.Sessions = count(sessions, clients)
	r.SessionsPerClient = stat(float64(sessions)/math.Max(1, float64(clients)), clients)
	ks := s.keys()
	for _, inst := range OutcomeInstruments {
		pairs, err := s.db.OutcomePairs(ctx, inst, from, to, ks.score(ctx))
		if err != nil {
			return r, err
		}
		r.Outcomes = append(r.Outcomes, outcomeOf(inst, pairs, s.percentMultiplier(inst), MinGroup))
	}
	due, done, err := s.db.FollowUps(ctx, from, to, s.cfg.FollowUpAfter, followUpWindow)
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

func stat(v float64, n int) Stat { return statOf(v, n, MinGroup) }

// percentMultiplier scales an instrument's score to percent (WHO-5), or 1.
func (s *Service) percentMultiplier(inst string) int {
	if f, ok := s.cfg.Instruments.Form(inst, "en"); ok && f.PercentMultiplier > 0 {
		return f.PercentMultiplier
	}
	return 1
}

// outcome computes the pre→post outcome of pairs (at least two).
func outcome(inst string, pairs [][2]int, mult int) Outcome {
	o := Outcome{Instrument: inst, N: len(pairs)}
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
