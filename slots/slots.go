// Package slots computes bookable session slots from a counselor's
// availability. It is pure: no I/O, no clock; callers pass "now" as from.
package slots

import (
	"cmp"
	"slices"
	"time"

	"eyelevel"
)

// Reasons returned by IsFree when a start time cannot be booked.
const (
	ReasonNotASlot = "not_a_slot" // not on the grid or outside availability
	ReasonTaken    = "taken"      // a busy interval (plus buffer) overlaps
)

// Rules are the operator's booking rules.
type Rules struct {
	Length time.Duration // session length
	Buffer time.Duration // pause after each session; also kept before busy intervals
}

// DefaultRules returns 50-minute sessions with a 10-minute buffer, which puts
// sessions on the hour.
func DefaultRules() Rules {
	return Rules{Length: 50 * time.Minute, Buffer: 10 * time.Minute}
}

// Compute returns the free slots whose start lies in [from, to), in
// chronological order, in UTC, at most limit of them (limit <= 0 means no
// limit). Weekly windows and exceptions are wall-clock times in loc (nil means
// UTC). A slot is taken when a busy interval [bs, be) satisfies
// s < be+Buffer && bs < s+Length+Buffer. busy is not modified.
func Compute(av eyelevel.Availability, loc *time.Location, r Rules, from, to time.Time, busy []eyelevel.Slot, limit int) []eyelevel.Slot {
	return newPlan(av, loc, r).compute(from, to, busy, limit)
}

// Plan is an availability prepared once for many computations: a search
// looks for each counselor's first free slot in growing windows, and keeps
// plans as long as the schedules do not change. It is safe for concurrent
// use.
type Plan struct{ p *plan }

// NewPlan prepares av in loc (nil means UTC) under r.
func NewPlan(av eyelevel.Availability, loc *time.Location, r Rules) *Plan {
	return &Plan{newPlan(av, loc, r)}
}

// Compute is Compute on the plan's availability.
func (pl *Plan) Compute(from, to time.Time, busy []eyelevel.Slot, limit int) []eyelevel.Slot {
	return pl.p.compute(from, to, busy, limit)
}

// IsFree is IsFree on the plan's availability.
func (pl *Plan) IsFree(start time.Time, busy []eyelevel.Slot) (ok bool, reason string) {
	return pl.p.isFree(start, busy)
}

func (p *plan) compute(from, to time.Time, busy []eyelevel.Slot, limit int) []eyelevel.Slot {
	if p == nil || !from.Before(to) {
		return nil
	}
	merged := busyOffsets(busy, from)
	out := make([]eyelevel.Slot, 0, p.estimate(from, to, limit))
	i := 0
	for o := range p.starts(from, to) {
		// Starts ascend and merged intervals are disjoint and sorted, so the
		// first interval that could still touch o only moves forward.
		for i < len(merged) && merged[i].end <= o-p.buffer {
			i++
		}
		if i < len(merged) && merged[i].start < o+p.length+p.buffer {
			continue
		}
		s := from.Add(o)
		out = append(out, eyelevel.Slot{Start: s.UTC(), End: s.Add(p.length).UTC()})
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// IsFree reports whether start is exactly the start of a free slot, the check
// used when booking. When it is not, reason is ReasonNotASlot or ReasonTaken.
func IsFree(av eyelevel.Availability, loc *time.Location, r Rules, start time.Time, busy []eyelevel.Slot) (ok bool, reason string) {
	return newPlan(av, loc, r).isFree(start, busy)
}

func (p *plan) isFree(start time.Time, busy []eyelevel.Slot) (ok bool, reason string) {
	if p == nil {
		return false, ReasonNotASlot
	}
	if !p.onGrid(start) {
		return false, ReasonNotASlot
	}
	lo, hi := Rules{p.length, p.buffer}.Window(start)
	for _, b := range busy {
		if b.End.Before(b.Start) {
			continue // inverted interval: garbage, ignored as in Compute
		}
		if b.End.After(lo) && b.Start.Before(hi) {
			return false, ReasonTaken
		}
	}
	return true, ""
}

// onGrid reports whether start is a start of the schedule, bookings aside.
// It uses Compute's generator, so booking accepts exactly what was offered.
func (p *plan) onGrid(start time.Time) bool {
	if p == nil {
		return false
	}
	for o := range p.starts(start, start.Add(1)) {
		return o == 0
	}
	return false
}

// offsetSpan is a busy interval as offsets from the start of the range.
type offsetSpan struct{ start, end time.Duration }

// busyOffsets returns busy relative to base (Sub saturates, so far-off
// intervals stay correctly ordered), sorted, with overlapping or touching
// intervals merged: the taken test against a union equals the test against
// its parts, and disjoint sorted intervals allow a single forward sweep.
func busyOffsets(busy []eyelevel.Slot, base time.Time) []offsetSpan {
	if len(busy) == 0 {
		return nil
	}
	out := make([]offsetSpan, 0, len(busy))
	for _, b := range busy {
		if !b.End.Before(b.Start) { // inverted intervals are garbage
			out = append(out, offsetSpan{b.Start.Sub(base), b.End.Sub(base)})
		}
	}
	slices.SortFunc(out, func(a, b offsetSpan) int { return cmp.Compare(a.start, b.start) })
	n := 0
	for _, b := range out {
		if n > 0 && b.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, b.end)
			continue
		}
		out[n] = b
		n++
	}
	return out[:n]
}
