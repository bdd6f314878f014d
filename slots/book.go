package slots

import (
	"time"

	"eyelevel"
)

// This file is the one home of the booking rule: whether a client may book a
// counselor's slot. Search offers what Compute finds free, and booking accepts
// what Bookable accepts, from the same grid and the same test against busy
// intervals. The store only supplies the facts (read under the counselor's
// and the client's locks) and enforces uniqueness; it decides nothing.

// More reasons returned by Bookable, in the order it checks them after
// ReasonNotASlot.
const (
	ReasonOwn     = "own"      // the client's own booking with this counselor is at that time
	ReasonOverlap = "overlap"  // the client has another session at that time
	ReasonTooMany = "too_many" // the client holds the most open bookings allowed
	ReasonSameDay = "same_day" // the client has the most sessions allowed on that day
)

// Limits are the operator's course rules a booking must keep.
type Limits struct {
	MaxOpen int // open bookings a client may hold
	PerDay  int // sessions a client may have on one calendar day (their zone); 0: no limit
}

// DayFull reports whether a client with n sessions on a calendar day may
// not book another that day.
func (l Limits) DayFull(n int) bool { return l.PerDay > 0 && n >= l.PerDay }

// Window returns the interval whose bookings decide whether a slot starting at
// start is free: a busy interval that overlaps it takes the slot, since the
// buffer is kept on both sides of every session.
func (r Rules) Window(start time.Time) (lo, hi time.Time) {
	b := max(r.Buffer, 0)
	return start.Add(-b), start.Add(r.Length + b)
}

// Held is one of the counselor's bookings near a slot; Own says that the
// client asking holds it, which changes what they are told.
type Held struct {
	eyelevel.Slot
	Own bool
}

// Facts are what Bookable decides on, as the database holds them.
type Facts struct {
	Near    []Held // the counselor's bookings that overlap Window(start)
	Overlap bool   // the client holds a booking (with anyone) overlapping the slot
	Open    int    // the client's bookings that have not ended, counted up to the limit
	Day     int    // the client's bookings starting on the slot's calendar day in their zone, counted up to the limit
}

// Bookable reports whether the client the facts describe may book the slot
// starting at start within the limits l. When not, reason is
// ReasonNotASlot, ReasonOwn, ReasonTaken, ReasonOverlap, ReasonTooMany or
// ReasonSameDay, the first that applies. It never accepts facts that it
// refuses with fewer open bookings or fewer on the day: the store relies on
// that to book in one round trip on PostgreSQL (see store.Book).
func (pl *Plan) Bookable(start time.Time, f Facts, l Limits) (ok bool, reason string) {
	if !pl.p.onGrid(start) {
		return false, ReasonNotASlot
	}
	end := start.Add(pl.p.length)
	busy := make([]eyelevel.Slot, len(f.Near))
	for i, h := range f.Near {
		if h.Own && h.Start.Before(end) && h.End.After(start) {
			return false, ReasonOwn
		}
		busy[i] = h.Slot
	}
	if ok, reason := pl.p.isFree(start, busy); !ok {
		return false, reason
	}
	switch {
	case f.Overlap:
		return false, ReasonOverlap
	case f.Open >= l.MaxOpen:
		return false, ReasonTooMany
	case l.DayFull(f.Day):
		return false, ReasonSameDay
	}
	return true, ""
}
