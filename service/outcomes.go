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

// OutcomeTasks returns the questionnaires due for the acting client:
//   - intake: once a session is booked, until the end of the first session;
//   - post: once the last booked session has ended, until follow-up time;
//   - followup: FollowUpAfter (3 months) after that, for 60 days.
//
// A questionnaire counts as done for an occasion when its response was
// given for that occasion (after the last session, for post and followup).
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
	first, last := appts[0], appts[0]
	for _, ap := range appts {
		if ap.End.After(last.End) {
			last = ap
		}
	}
	pending := func(occasion string, since time.Time) []string {
		var out []string
		for _, inst := range OutcomeInstruments {
			done := slices.ContainsFunc(rs, func(r store.Response) bool {
				return r.Instrument == inst && r.Occasion == occasion && !r.CreatedAt.Before(since)
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
	add(OccasionIntake, time.Time{}, first.CreatedAt, first.End)
	follow := last.End.Add(s.cfg.FollowUpAfter)
	add(OccasionPost, last.End, last.End, follow)
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
