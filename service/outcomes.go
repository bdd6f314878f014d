package service

import (
	"context"
	"slices"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// Task is an outcome questionnaire set that is due for a client.
type Task struct {
	Occasion    string    // intake, post or followup
	Instruments []string  // those still to fill in, in OutcomeInstruments order
	Since       time.Time // due since
}

// followUpWindow is how long a follow-up stays on the task list.
const followUpWindow = 60 * 24 * time.Hour

// courseGap is the pause between sessions after which a new booking starts
// a new course (with its own intake); postDelay is how long after a
// session without a next one booked the course counts as finished, so
// that clients who book one session at a time are not asked after each.
const (
	courseGap = 60 * 24 * time.Hour
	postDelay = 7 * 24 * time.Hour
)

// OutcomeTasks returns the questionnaires due for the acting client in
// their current course (sessions less than 60 days apart):
//   - intake: once its first session is booked, until that session ends;
//   - post: 7 days after its last session if no other is booked, until
//     follow-up time;
//   - followup: FollowUpAfter (3 months) after the last session, for 60 days.
//
// A questionnaire counts as done for an occasion when a response was given
// for it within the course (after the last session, for post and followup).
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) OutcomeTasks(ctx context.Context, a eyelevel.Actor) ([]Task, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return nil, err
	}
	return s.outcomeTasks(ctx, a.UserID, s.now().UTC())
}

func (s *Service) outcomeTasks(ctx context.Context, client eyelevel.UserID, now time.Time) ([]Task, error) {
	appts, err := s.db.Appointments(ctx, store.AppointmentFilter{ClientID: client, BookedOnly: true})
	if err != nil || len(appts) == 0 {
		return nil, err
	}
	rs, err := s.db.Responses(ctx, client, "")
	if err != nil {
		return nil, err
	}
	// The current course: the latest run of sessions without a long gap.
	// Appointments come by start time.
	first, last, begun := appts[0], appts[0], time.Time{}
	for i, ap := range appts {
		if i > 0 && ap.Start.Sub(last.End) > courseGap {
			first, begun = ap, last.End
		}
		if ap.End.After(last.End) {
			last = ap
		}
	}
	pending := func(occasion string, since time.Time) []string {
		var out []string
		for _, inst := range OutcomeInstruments {
			done := slices.ContainsFunc(rs, func(r eyelevel.Response) bool {
				return r.Instrument == inst && r.Occasion == occasion && r.CreatedAt.After(since)
			})
			if !done {
				out = append(out, inst)
			}
		}
		return out
	}
	var tasks []Task
	add := func(occasion string, since, from, until time.Time) {
		if now.Before(from) || !now.Before(until) {
			return
		}
		if left := pending(occasion, since); len(left) > 0 {
			tasks = append(tasks, Task{Occasion: occasion, Instruments: left, Since: from})
		}
	}
	add(OccasionIntake, begun, first.CreatedAt, first.End)
	follow := last.End.Add(s.cfg.FollowUpAfter)
	add(OccasionPost, last.End, last.End.Add(postDelay), follow)
	add(OccasionFollowUp, last.End, follow, follow.Add(followUpWindow))
	return tasks, nil
}

// occasionFor returns the occasion a new response to instrument counts for.
func (s *Service) occasionFor(ctx context.Context, client eyelevel.UserID, instrument string, now time.Time) (string, error) {
	if !slices.Contains(OutcomeInstruments, instrument) {
		return OccasionCheckIn, nil
	}
	tasks, err := s.outcomeTasks(ctx, client, now)
	if err != nil {
		return "", err
	}
	for _, t := range tasks {
		if slices.Contains(t.Instruments, instrument) {
			return t.Occasion, nil
		}
	}
	return OccasionCheckIn, nil
}
