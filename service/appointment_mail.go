package service

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"eyelevel"
	"eyelevel/ical"
)

// The mails about an appointment: a confirmation, a change or a
// cancellation to the client and to the counselor, each with a calendar
// object (same UID for the appointment's whole life, a higher SEQUENCE for
// every change), and reminders to the client. They name the other person
// (the counselor's display name, the client's pseudonym) and the time,
// nothing else: no health data, neutral subjects.

// Appointment mail kinds (the outbox's kind column).
const (
	mailBooked      = "booking"
	mailCancelled   = "cancel"
	mailRescheduled = "reschedule"
	mailReminder    = "reminder"
)

// apptUID is the calendar UID of an appointment: stable across changes.
func (s *Service) apptUID(id eyelevel.AppointmentID) string {
	return string(id) + "@" + s.publicHost()
}

func (s *Service) publicHost() string {
	if u, err := url.Parse(s.cfg.Mail.PublicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "eyelevel.invalid"
}

// roomPath is the page of an appointment's video room.
func roomPath(id eyelevel.AppointmentID) string {
	return "/appointments/" + url.PathEscape(string(id)) + "/room"
}

// apptChange is what happened to an appointment, for its mails.
type apptChange struct {
	kind     string // mailBooked, mailCancelled, mailRescheduled
	appt     eyelevel.Appointment
	seq      int       // the calendar SEQUENCE after the change
	oldStart time.Time // rescheduled: the time it had
}

// mailAppointment queues the mails about a change of appt to its client
// and its counselor, in the transaction ctx carries. Without mail it does
// nothing.
func (s *Service) mailAppointment(ctx context.Context, ch apptChange) error {
	if !s.cfg.Mail.On {
		return nil
	}
	client, err := s.db.UserByID(ctx, ch.appt.ClientID)
	if err != nil {
		return err
	}
	counselor, err := s.db.UserByID(ctx, ch.appt.CounselorID)
	if err != nil {
		return err
	}
	if ch.appt.CounselorName == "" {
		ch.appt.CounselorName = counselor.Username
		if c, err := s.db.Counselor(ctx, counselor.ID); err == nil {
			ch.appt.CounselorName = c.DisplayName
		}
	}
	if err := s.mailSide(ctx, ch, client, ch.appt.CounselorName, true); err != nil {
		return err
	}
	return s.mailSide(ctx, ch, counselor, client.Username, false)
}

// mailSide queues one side's mail: to is the recipient, other the name of
// the person they meet.
func (s *Service) mailSide(ctx context.Context, ch apptChange, to eyelevel.User, other string, isClient bool) error {
	if !to.Wants(eyelevel.NotifyAppointments) {
		return nil
	}
	if err := s.openEmail(ctx, &to); err != nil {
		return err
	}
	lang, zone := to.Language, zoneOf(to.TimeZone)
	when := s.mailTime(lang, ch.appt.Start, zone)
	m := Mail{Kind: ch.kind, Button: &Button{Label: Line{Key: "appt_mail.open"}, URL: s.Link("/appointments")}}
	method := ical.Request
	switch ch.kind {
	case mailBooked:
		m.Subject = Line{Key: "appt_mail.subject"}
		m.Lines = []Line{{Key: "appt_mail.booked", Args: []any{"name", other, "time", when}}}
	case mailRescheduled:
		m.Subject = Line{Key: "reschedule.subject"}
		m.Lines = []Line{{Key: "reschedule.mail", Args: []any{"name", other, "old", s.mailTime(lang, ch.oldStart, zone), "time", when}}}
	case mailCancelled:
		method = ical.Cancel
		m.Subject = Line{Key: "appt_mail.subject_cancelled"}
		m.Lines = []Line{{Key: "appt_mail.cancelled", Args: []any{"name", other, "time", when}}}
		if ch.appt.LateCancel && isClient {
			m.Lines = append(m.Lines, Line{Key: "appt_mail.cancelled_late"})
		}
	}
	if ch.kind != mailCancelled {
		m.Lines = append(m.Lines, Line{Key: "appt_mail.room", Args: []any{"url", s.Link(roomPath(ch.appt.ID))}})
		if isClient {
			s.addCancelLink(&m, ch.appt, ch.seq)
		}
	}
	m.Lines = append(m.Lines, Line{Key: "appt_mail.calendar"})
	m.ICS = s.apptICS(ch.appt, method, ch.seq, lang, to)
	return s.mailUser(ctx, to.ID, eyelevel.NotifyAppointments, m)
}

// addCancelLink makes the one-click cancel link m's button.
func (s *Service) addCancelLink(m *Mail, appt eyelevel.Appointment, seq int) {
	m.Lines = append(m.Lines, Line{Key: "cancel_link.mail", Args: []any{"url", s.Link("/appointments")}})
	m.Button = &Button{Label: Line{Key: "cancel_link.button"}, URL: s.Link("/cancel/" + s.cancelToken(appt, seq))}
}

// apptICS is appt's calendar object for to, who attends; the organizer is
// the service itself, so that nobody's address is passed on.
func (s *Service) apptICS(appt eyelevel.Appointment, method string, seq int, lang string, to eyelevel.User) string {
	return ical.Calendar{Method: method, Stamp: s.now(), Events: []ical.Event{{
		UID: s.apptUID(appt.ID), Sequence: seq, Start: appt.Start, End: appt.End,
		Summary: s.catalog().T(lang, "ics.summary"), URL: s.Link(roomPath(appt.ID)),
		Organizer: &ical.Person{Name: "eyelevel", Email: "noreply@" + s.publicHost()},
		Attendees: []ical.Person{{Name: to.Username, Email: to.Email}},
		Cancelled: method == ical.Cancel,
	}}}.String()
}

// mailTime writes t for a mail in lang and zone, as pages do (see
// web/timefmt.go): "Mo., 1. Dez. 2026, 09:00 (Europe/Berlin)".
func (s *Service) mailTime(lang string, t time.Time, loc *time.Location) string {
	c := s.catalog()
	t = t.In(loc)
	date := c.T(lang, "format.date",
		"weekday", c.T(lang, "weekday."+strconv.Itoa(int(t.Weekday()))),
		"day", strconv.Itoa(t.Day()),
		"month", c.T(lang, "month."+strconv.Itoa(int(t.Month()))),
		"year", strconv.Itoa(t.Year()))
	return c.T(lang, "format.datetime", "date", date, "time", t.Format("15:04"), "zone", loc.String())
}
