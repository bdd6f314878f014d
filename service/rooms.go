package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// Room returns the video room of an appointment to one of its two
// participants while it is open, with fresh ICE credentials that expire
// when the room closes. Errors: EUNAUTHORIZED; ENOTFOUND for anyone else,
// for unknown and for cancelled appointments (a cancelled appointment has
// no room); ECONFLICT before it opens (saying when) and after it closed.
func (s *Service) Room(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID) (eyelevel.Room, error) {
	appt, err := s.Appointment(ctx, a, id)
	if err != nil {
		return eyelevel.Room{}, err
	}
	if appt.Status != eyelevel.StatusBooked {
		return eyelevel.Room{}, eyelevel.ErrNotFound()
	}
	room := eyelevel.Room{
		Appointment: appt, Role: a.Role,
		OpensAt:  appt.Start.Add(-s.cfg.RoomOpenBefore),
		ClosesAt: appt.End.Add(s.cfg.RoomCloseAfter),
	}
	now := s.now()
	if now.Before(room.OpensAt) {
		when := room.OpensAt.In(zoneOf(a.TimeZone)).Format("2006-01-02 15:04 MST")
		e := eyelevel.Errorf(eyelevel.ECONFLICT, "room.err.not_open", "The room opens at %s.", when)
		e.Args = []any{"time", when}
		return eyelevel.Room{}, e
	}
	if !now.Before(room.ClosesAt) {
		return eyelevel.Room{}, eyelevel.Errorf(eyelevel.ECONFLICT, "room.err.closed", "This session's room has closed.")
	}
	if s.cfg.ICE != nil {
		room.ICEServers = s.cfg.ICE(a.UserID, room.ClosesAt)
	}
	if room.ICEServers == nil {
		room.ICEServers = []eyelevel.ICEServer{}
	}
	return room, nil
}

// RecordRoomEvent keeps that a participant joined or left; it is the only
// metadata stored about a session.
func (s *Service) RecordRoomEvent(ctx context.Context, id eyelevel.AppointmentID, user eyelevel.UserID, event string) error {
	return s.db.AddRoomEvent(ctx, store.RoomEvent{AppointmentID: id, UserID: user, Event: event, At: s.now().UTC()})
}

// PurgeRoomMetadata deletes join/leave records older than the retention
// period; serve runs it periodically.
func (s *Service) PurgeRoomMetadata(ctx context.Context) (int64, error) {
	return s.db.DeleteRoomEventsBefore(ctx, s.now().Add(-s.cfg.RoomRetention))
}

// RoomOpen reports whether room's time window still includes now (for
// closing signaling connections when the room closes).
func (s *Service) RoomOpen(room eyelevel.Room) bool {
	now := s.now()
	return !now.Before(room.OpensAt) && now.Before(room.ClosesAt)
}

// Until returns how long until t by the service's clock.
func (s *Service) Until(t time.Time) time.Duration { return t.Sub(s.now()) }
