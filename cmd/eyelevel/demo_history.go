package main

import (
	"context"
	"fmt"
	"time"

	"eyelevel"
	"eyelevel/questionnaire"
	"eyelevel/service"
)

// demoHistoryClients is how many finished courses the demo has: enough that
// the impact report and the organization's buyer report show numbers
// (groups under five, and under ten for buyers, are suppressed).
const demoHistoryClients = 10

// seedDemoHistory gives the demo a past: clients who had three weekly
// sessions with Anna Schneider about four months ago, answered the outcome
// questionnaires before and after, rated their sessions, and mostly the
// three-month follow-up too. It runs the ordinary use cases on a service
// whose clock is set back, so the data is what real use would have left.
// Their sessions are paid by the demo organization's contract: each
// redeemed one of its codes first.
func seedDemoHistory(ctx context.Context, svc *service.Service, counselor eyelevel.UserID, contract string) error {
	now := svc.Now().UTC()
	start := time.Date(now.Year(), now.Month(), now.Day(), 5, 0, 0, 0, time.UTC).AddDate(0, 0, -130)
	var clk time.Time
	past := svc.WithClock(func() time.Time { return clk })

	for i := range demoHistoryClients {
		clk = start
		u, err := past.AddUser(ctx, eyelevel.RoleClient, fmt.Sprintf("demo-past-%d", i+1), demoPassword, "Europe/Berlin")
		if err != nil {
			return err
		}
		a := eyelevel.Actor{UserID: u.ID, Role: u.Role, Language: u.Language, TimeZone: u.TimeZone}
		code, err := past.IssueCodes(ctx, service.Operator, contract, 1, false)
		if err != nil {
			return fmt.Errorf("demo history: code: %w", err)
		}
		if _, err := past.RedeemCode(ctx, a, code[0], ""); err != nil {
			return fmt.Errorf("demo history: redeem: %w", err)
		}
		// Three sessions a week apart, each client at their own hour.
		var course []eyelevel.Appointment
		for week := range 3 {
			day := start.AddDate(0, 0, 7+7*week)
			free, err := past.Slots(ctx, eyelevel.Actor{}, service.SlotsInput{CounselorID: counselor, From: day, To: day.AddDate(0, 0, 7)})
			if err != nil {
				return err
			}
			if len(free) <= i {
				return fmt.Errorf("demo history: too few free times")
			}
			ap, err := past.Book(ctx, a, service.BookInput{CounselorID: counselor, Start: free[i].Start})
			if err != nil {
				return fmt.Errorf("demo history: book: %w", err)
			}
			course = append(course, ap)
		}
		pre := 9 + (i*7)%12
		post := pre - 1 - (i*3)%8
		answer := func(inst string, total, items, most int) error {
			vs := make([]int, items)
			for j := range vs {
				vs[j] = min(most, total)
				total -= vs[j]
			}
			if inst == "phq9" {
				vs[8] = 0 // the demo has no safety signals
			}
			_, err := past.SubmitResponse(ctx, a, inst, service.ResponseInput{Answers: questionnaire.Ints(vs...)})
			return err
		}
		outcome := func(phq, gad, who int) error {
			if err := answer("phq9", phq, 9, 3); err != nil {
				return err
			}
			if err := answer("gad7", gad, 7, 3); err != nil {
				return err
			}
			return answer("who5", who, 5, 5)
		}
		whoPre := 6 + (i*5)%9
		whoPost := whoPre + 3 + (i*3)%7
		if err := outcome(pre, pre-2, whoPre); err != nil {
			return fmt.Errorf("demo history: intake: %w", err)
		}
		clk = course[len(course)-1].End.Add(8 * 24 * time.Hour) // the course is over a week after its last session
		// Nobody joined these rooms: record the sessions as held, as the
		// rooms would have, so that the reports count them.
		ids := make([]eyelevel.AppointmentID, len(course))
		for j, ap := range course {
			ids[j] = ap.ID
		}
		if err := past.SeedHeld(ctx, ids); err != nil {
			return fmt.Errorf("demo history: held: %w", err)
		}
		if err := outcome(post, post-1, whoPost); err != nil {
			return fmt.Errorf("demo history: after: %w", err)
		}
		for j, ap := range course {
			if _, err := past.Rate(ctx, a, ap.ID, service.RatingInput{Stars: 4 + (i+j)%2}); err != nil {
				return fmt.Errorf("demo history: rate: %w", err)
			}
		}
		if i < demoHistoryClients-2 {
			clk = course[len(course)-1].End.Add(91 * 24 * time.Hour)
			if err := outcome(post-1, post-2, whoPost); err != nil {
				return fmt.Errorf("demo history: follow-up: %w", err)
			}
		}
	}
	return nil
}
