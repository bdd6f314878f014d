package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// Export is everything eyelevel keeps about a client, for the client: the
// right to a copy of one's data (GDPR Art. 15 and 20), in one file.
type Export struct {
	ExportedAt   time.Time
	Account      eyelevel.User // without the password hash
	Appointments []eyelevel.Appointment
	Responses    []eyelevel.Response
	Reflections  []ReflectionView
	Ratings      []eyelevel.Rating
	SafetyAlerts []eyelevel.SafetyAlert
	Waitlist     []Waitlisted
}

// Export returns the acting client's own data, reflections decrypted.
// Errors: EUNAUTHORIZED, EFORBIDDEN (not a client: staff data is the
// operator's), EUNAVAILABLE (the key to the reflections is missing).
func (s *Service) Export(ctx context.Context, a eyelevel.Actor) (Export, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return Export{}, err
	}
	x := Export{ExportedAt: s.now().UTC()}
	var err error
	if x.Account, err = s.db.UserByID(ctx, a.UserID); err != nil {
		return Export{}, err
	}
	x.Account.PasswordHash = ""
	x.Appointments, err = readAll(func(after store.After, limit int) ([]eyelevel.Appointment, error) {
		return s.db.Appointments(ctx, store.AppointmentFilter{ClientID: a.UserID, AfterStart: after.At, AfterID: eyelevel.AppointmentID(after.ID), Limit: limit})
	}, func(ap eyelevel.Appointment) store.After { return store.After{At: ap.Start, ID: string(ap.ID)} })
	if err != nil {
		return Export{}, err
	}
	if x.Responses, err = s.db.Responses(ctx, a.UserID, ""); err != nil {
		return Export{}, err
	}
	if x.Reflections, err = s.reflections(ctx, a.UserID, a.Language, false); err != nil {
		return Export{}, err
	}
	if x.Ratings, err = s.db.ClientRatings(ctx, a.UserID); err != nil {
		return Export{}, err
	}
	if x.SafetyAlerts, err = s.db.ClientSafetyAlerts(ctx, a.UserID); err != nil {
		return Export{}, err
	}
	if x.Waitlist, err = s.Waitlist(ctx, a); err != nil {
		return Export{}, err
	}
	return x, nil
}
