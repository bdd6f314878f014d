package service

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/vault"
)

// MaxNote is the longest session note, in characters: a note is a short
// reminder for the next session, not a case file.
const MaxNote = 2000

// Note is a counselor's private note on one of their sessions, decrypted.
// UpdatedAt is zero when there is none yet.
type Note struct {
	AppointmentID eyelevel.AppointmentID
	Text          string
	UpdatedAt     time.Time
}

// Notes are sealed with the client's data key, like reflections and
// messages: what is written about a client goes with the client's key (one
// key to rotate or destroy per client), and the context names the
// appointment and the counselor, so a sealed note opens only as that
// counselor's note on that appointment, never moved to another.
func noteContext(appt eyelevel.AppointmentID, counselor eyelevel.UserID) string {
	return "note|" + string(appt) + "|" + string(counselor)
}

// noteAppointment returns the appointment if a is its counselor. Everyone
// else — its client, admins, other counselors, a colleague who took the
// client over — gets ENOTFOUND: a note is its author's alone.
func (s *Service) noteAppointment(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID) (eyelevel.Appointment, error) {
	if a.Anonymous() {
		return eyelevel.Appointment{}, unauthorized()
	} else if a.Role != eyelevel.RoleCounselor {
		return eyelevel.Appointment{}, eyelevel.ErrNotFound()
	}
	appt, err := s.db.Appointment(ctx, id)
	if err != nil {
		return eyelevel.Appointment{}, err
	} else if appt.CounselorID != a.UserID {
		return eyelevel.Appointment{}, eyelevel.ErrNotFound()
	}
	return appt, nil
}

// SessionNote returns the acting counselor's note on their appointment
// (empty text when there is none). Errors: EUNAUTHORIZED, ENOTFOUND (not
// their appointment), EUNAVAILABLE (the key is missing).
func (s *Service) SessionNote(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID) (Note, error) {
	appt, err := s.noteAppointment(ctx, a, id)
	if err != nil {
		return Note{}, err
	}
	n, err := s.db.GetSessionNote(ctx, id)
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return Note{AppointmentID: id}, nil
	} else if err != nil {
		return Note{}, err
	}
	return s.openNote(ctx, appt.ClientID, n)
}

func (s *Service) openNote(ctx context.Context, client eyelevel.UserID, n store.SessionNote) (Note, error) {
	key, err := s.dataKey(ctx, client, false)
	if err != nil {
		return Note{}, err
	}
	text, err := vault.Open(key, n.Sealed, noteContext(n.AppointmentID, n.CounselorID))
	if err != nil {
		return Note{}, s.keyUnavailable(err)
	}
	return Note{AppointmentID: n.AppointmentID, Text: string(text), UpdatedAt: n.UpdatedAt}, nil
}

// PutSessionNote replaces the acting counselor's note on their
// appointment; empty text deletes it. Errors: EUNAUTHORIZED, ENOTFOUND,
// EINVALID (too long), EUNAVAILABLE.
func (s *Service) PutSessionNote(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID, text string) (Note, error) {
	if a.Anonymous() {
		return Note{}, unauthorized()
	}
	text = strings.TrimSpace(text)
	p := problems{}
	p.check(utf8.RuneCountInString(text) <= MaxNote, "text", "notes.err.long")
	if err := p.err(); err != nil {
		return Note{}, err
	}
	out := Note{AppointmentID: id, Text: text}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		appt, err := s.noteAppointment(ctx, a, id)
		if err != nil {
			return err
		}
		if text == "" {
			return s.db.DeleteSessionNote(ctx, id)
		}
		key, err := s.dataKey(ctx, appt.ClientID, true)
		if err != nil {
			return err
		}
		n := store.SessionNote{AppointmentID: id, CounselorID: a.UserID, UpdatedAt: s.now().UTC()}
		if n.Sealed, err = vault.Seal(key, []byte(text), noteContext(id, a.UserID)); err != nil {
			return err
		}
		out.UpdatedAt = n.UpdatedAt
		return s.db.PutSessionNote(ctx, n)
	})
	if err != nil {
		return Note{}, err
	}
	s.log.Info("session note saved", "appointment", id)
	return out, nil
}

// NotedSession is one of a counselor's sessions with a client and their
// note on it.
type NotedSession struct {
	eyelevel.Appointment
	Note Note
}

// ClientSessions lists the acting counselor's own sessions with one of
// their clients, newest first, each with the counselor's note. Errors:
// EUNAUTHORIZED, ENOTFOUND (not their client), EUNAVAILABLE.
func (s *Service) ClientSessions(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) ([]NotedSession, error) {
	var appts []eyelevel.Appointment
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.requireClientOf(ctx, a, client); err != nil {
			return err
		}
		var err error
		if appts, err = s.db.PairAppointments(ctx, a.UserID, client); err != nil {
			return err
		}
		// The client's page of the workspace; the counselor's own notes
		// on it are no access to the client's data.
		return s.logAccess(ctx, a, client, eyelevel.ViewClient)
	})
	if err != nil {
		return nil, err
	}
	notes, err := s.db.SessionNotesOf(ctx, a.UserID, client)
	if err != nil {
		return nil, err
	}
	out := make([]NotedSession, 0, len(appts))
	for _, ap := range appts {
		ns := NotedSession{Appointment: ap, Note: Note{AppointmentID: ap.ID}}
		if n, ok := notes[ap.ID]; ok {
			if ns.Note, err = s.openNote(ctx, client, n); err != nil {
				return nil, err
			}
		}
		out = append(out, ns)
	}
	return out, nil
}

// requireClientOf returns nil when a is a counselor and client is theirs
// (store.IsClientOf); EUNAUTHORIZED or ENOTFOUND otherwise.
func (s *Service) requireClientOf(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) error {
	if a.Anonymous() {
		return unauthorized()
	} else if a.Role != eyelevel.RoleCounselor {
		return eyelevel.ErrNotFound()
	}
	ok, err := s.db.IsClientOf(ctx, a.UserID, client, s.careSince())
	if err != nil {
		return err
	} else if !ok {
		return eyelevel.ErrNotFound()
	}
	return nil
}
