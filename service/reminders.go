package service

import (
	"context"
	"slices"
	"time"

	"eyelevel"
)

// reminderBatch bounds one run's work per offset; the next run (a minute
// later) goes on.
const reminderBatch = 200

// SendReminders queues the reminders that are due (Config.Mail.Reminders
// before each booked session) and reports how many it queued. Each goes
// once: a row per appointment and offset, inserted in the transaction that
// queues the mail, stops a second run. None goes after a cancellation
// (the appointment's row is held and checked in that transaction), none
// for a reminder time that had already passed when the session was
// booked or moved, and an earlier reminder that is overdue while a later
// one is due is skipped. serve runs it every minute.
func (s *Service) SendReminders(ctx context.Context) (int, error) {
	if !s.cfg.Mail.On {
		return 0, nil
	}
	offs := slices.Clone(s.cfg.Mail.Reminders)
	slices.Sort(offs) // the nearest first
	n := 0
	for i, off := range offs {
		now := s.now().UTC()
		due, err := s.db.DueReminders(ctx, now, off, reminderBatch)
		if err != nil {
			return n, err
		}
		for _, appt := range due {
			// A nearer reminder is due too: this one came too late to matter.
			skip := i > 0 && !appt.Start.Add(-offs[0]).After(now)
			sent, err := s.remind(ctx, appt, off, now, skip)
			if err != nil {
				return n, err
			}
			if sent {
				n++
			}
		}
	}
	if n > 0 {
		s.log.Info("reminders queued", "count", n)
	}
	return n, nil
}

// remind queues one reminder for appt unless skip, or unless it is no
// longer booked at that time, and records it; it reports whether it
// queued a mail.
func (s *Service) remind(ctx context.Context, appt eyelevel.Appointment, off time.Duration, now time.Time, skip bool) (bool, error) {
	sent := false
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		// Holding the row waits for a cancellation or move in progress
		// and sees its outcome.
		ok, err := s.db.HoldBooked(ctx, appt.ID, appt.Start)
		if err != nil || !ok {
			return err
		}
		claimed, err := s.db.ClaimReminder(ctx, appt.ID, off, now, skip)
		if err != nil || !claimed || skip {
			return err
		}
		client, err := s.db.UserByID(ctx, appt.ClientID)
		if err != nil {
			return err
		}
		if !client.Wants(eyelevel.NotifyReminders) {
			return nil
		}
		seq, err := s.db.ICSSequence(ctx, appt.ID)
		if err != nil {
			return err
		}
		when := s.mailTime(client.Language, appt.Start, zoneOf(client.TimeZone))
		m := Mail{Kind: mailReminder, Subject: Line{Key: "reminder.subject"},
			Lines: []Line{{Key: "reminder.mail", Args: []any{"name", appt.CounselorName, "time", when}},
				{Key: "appt_mail.room", Args: []any{"url", s.Link(roomPath(appt.ID))}}}}
		s.addCancelLink(&m, appt, seq)
		sent = true
		return s.mailUser(ctx, client.ID, eyelevel.NotifyReminders, m)
	})
	return sent && err == nil, err
}
