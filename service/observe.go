package service

import (
	"errors"
	"strings"

	"eyelevel"
)

// Observer is told of bookings, cancellations and refused bookings, for
// the metrics (metrics.Metrics is one). It is told roles and fixed words
// only: never ids.
type Observer interface {
	Booked(by string)
	Cancelled(by string, n int)
	BookingConflict(reason string)
}

// noObserver is the Observer of a service configured without one.
type noObserver struct{}

func (noObserver) Booked(string)          {}
func (noObserver) Cancelled(string, int)  {}
func (noObserver) BookingConflict(string) {}

// observer returns the configured Observer, or one that ignores all.
func (s *Service) observer() Observer {
	if s.cfg.Observer == nil {
		return noObserver{}
	}
	return s.cfg.Observer
}

// observeBooking tells the observer how a booking by a ended: booked, or
// refused by the booking rules (the reason is the last word of the
// refusal's message key, such as "taken").
func (s *Service) observeBooking(a eyelevel.Actor, err error) {
	var e *eyelevel.Error
	switch {
	case err == nil:
		s.observer().Booked(string(a.Role))
	case eyelevel.ErrorCode(err) == eyelevel.ECONFLICT && errors.As(err, &e):
		s.observer().BookingConflict(strings.TrimPrefix(e.Key, "booking.err."))
	}
}
