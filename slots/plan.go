package slots

import (
	"iter"
	"slices"
	"time"

	"eyelevel"
)

const dayMinutes = 24 * 60

// span is a half-open interval of minutes after local midnight.
type span struct{ start, end int }

// dayKey is a civil date; parsed once so the day loop never formats strings.
type dayKey struct {
	y int
	m time.Month
	d int
}

// dayRules are the exceptions of one local date.
type dayRules struct {
	off   bool // whole-day absence
	add   []span
	block []span
}

// plan is an availability prepared for generating slot starts.
type plan struct {
	loc    *time.Location
	length time.Duration
	buffer time.Duration
	step   time.Duration
	weekly [7][]span // sorted and merged per weekday
	days   map[dayKey]*dayRules
	empty  bool // no window and no extra hours: skip the day loop entirely
}

// scratch is the memory windows works in, one per iteration of starts, so
// that a plan stays read-only once made and can be shared.
type scratch struct{ buf, tmp []span }

// newPlan prepares av. It returns nil when r has no positive length, which
// would make the grid step meaningless. Invalid windows and exceptions are
// skipped; Validate is where they are reported.
func newPlan(av eyelevel.Availability, loc *time.Location, r Rules) *plan {
	if r.Length <= 0 {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	p := &plan{loc: loc, length: r.Length, buffer: max(r.Buffer, 0)}
	p.step = p.length + p.buffer
	for _, w := range av.Weekly {
		if sp, ok := clampSpan(w.Start, w.End); ok && w.Weekday >= time.Sunday && w.Weekday <= time.Saturday {
			p.weekly[w.Weekday] = append(p.weekly[w.Weekday], sp)
		}
	}
	for wd := range p.weekly {
		p.weekly[wd] = mergeSpans(p.weekly[wd])
	}
	for _, e := range av.Exceptions {
		t, err := time.Parse(time.DateOnly, e.Date)
		if err != nil {
			continue
		}
		whole := e.Start == 0 && e.End == 0
		sp, ok := clampSpan(e.Start, e.End)
		if !whole && !ok || whole && e.Available {
			continue
		}
		if p.days == nil {
			p.days = make(map[dayKey]*dayRules)
		}
		k := keyOf(t)
		dr := p.days[k]
		if dr == nil {
			dr = &dayRules{}
			p.days[k] = dr
		}
		switch {
		case whole:
			dr.off = true
		case e.Available:
			dr.add = append(dr.add, sp)
		default:
			dr.block = append(dr.block, sp)
		}
	}
	p.empty = true
	for _, ws := range p.weekly {
		p.empty = p.empty && len(ws) == 0
	}
	for _, dr := range p.days {
		p.empty = p.empty && len(dr.add) == 0
	}
	return p
}

func keyOf(t time.Time) dayKey {
	y, m, d := t.Date()
	return dayKey{y, m, d}
}

func clampSpan(start, end int) (span, bool) {
	s, e := max(start, 0), min(end, dayMinutes)
	return span{s, e}, s < e
}

// windows returns the merged windows of the civil date day (a UTC midnight).
// Blocks win over extra hours, so the result does not depend on the order
// in which exceptions were entered. The result is valid until the next call
// with the same scratch.
func (p *plan) windows(day time.Time, sc *scratch) []span {
	base := p.weekly[day.Weekday()]
	if p.days == nil {
		return base
	}
	dr := p.days[keyOf(day)]
	if dr == nil {
		return base
	}
	if dr.off {
		return nil
	}
	ws := append(append(sc.buf[:0], base...), dr.add...)
	ws = mergeSpans(ws)
	for _, b := range dr.block {
		out := sc.tmp[:0]
		for _, w := range ws {
			if b.end <= w.start || w.end <= b.start {
				out = append(out, w)
				continue
			}
			if w.start < b.start {
				out = append(out, span{w.start, b.start})
			}
			if b.end < w.end {
				out = append(out, span{b.end, w.end})
			}
		}
		ws, sc.tmp = out, ws[:0]
	}
	sc.buf = ws
	return ws
}

// mergeSpans sorts spans in place and merges overlapping or touching ones:
// availability is a set of minutes, so 09–12 plus 12–15 is one 09–15 window.
func mergeSpans(ws []span) []span {
	if len(ws) < 2 {
		return ws
	}
	slices.SortFunc(ws, func(a, b span) int { return a.start - b.start })
	n := 1
	for _, w := range ws[1:] {
		if w.start <= ws[n-1].end {
			ws[n-1].end = max(ws[n-1].end, w.end)
			continue
		}
		ws[n] = w
		n++
	}
	return ws[:n]
}

// estimate returns the number of slots the weekly windows give in [from, to),
// rounded up, so Compute allocates its result once.
func (p *plan) estimate(from, to time.Time, limit int) int {
	if limit == 1 {
		return 1 // a search's first free slot: not worth counting
	}
	perWeek := 0
	for _, ws := range p.weekly {
		for _, w := range ws {
			perWeek += int(time.Duration(w.end-w.start)*time.Minute/p.step) + 1
		}
	}
	week := 7 * 24 * time.Hour
	weeks := int((to.Sub(from) + week - 1) / week)
	n := min(perWeek*weeks, 1024) // a huge range with a limit must not pre-allocate
	if limit > 0 {
		n = min(n, limit)
	}
	return n
}

// starts yields the grid starts in [from, to), ascending, ignoring busy, as
// offsets from from: integer arithmetic keeps the per-slot loop cheap. Wall
// times become instants via time.Date in p.loc and the grid then steps in
// absolute time, so DST days have fewer or more real hours.
func (p *plan) starts(from, to time.Time) iter.Seq[time.Duration] {
	return func(yield func(time.Duration) bool) {
		horizon := to.Sub(from)
		if horizon <= 0 || p.empty {
			return
		}
		// A day of slack on both ends: a gap or overlap at midnight can move
		// a slot of one date across local midnight.
		lf, lt := from.In(p.loc), to.In(p.loc)
		day := time.Date(lf.Year(), lf.Month(), lf.Day()-1, 0, 0, 0, 0, time.UTC)
		last := time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, time.UTC)
		var sc scratch
		for ; !day.After(last); day = day.AddDate(0, 0, 1) {
			for _, w := range p.windows(day, &sc) {
				end := p.instant(day, w.end).Sub(from)
				for o := p.instant(day, w.start).Sub(from); o+p.length <= end; o += p.step {
					if o < 0 {
						continue
					}
					if o >= horizon || !yield(o) {
						return
					}
				}
			}
		}
	}
}

// instant returns the instant of the wall time min minutes after midnight of
// the civil date day (a UTC midnight) in p.loc. time.Date resolves a wall time
// that a DST change skips or repeats with whichever offset its lookup hits
// first, which differs between zones east and west of UTC; we pin it like
// RFC 5545: a skipped time moves forward by the gap, a repeated time means
// its first occurrence.
func (p *plan) instant(day time.Time, min int) time.Time {
	y, m, d := day.Date()
	t := time.Date(y, m, d, 0, min, 0, 0, p.loc)
	start, end := t.ZoneBounds()
	if t.Sub(start) > 48*time.Hour && (end.IsZero() || end.Sub(t) > 48*time.Hour) {
		return t // no transition nearby: the common case, one lookup
	}
	wall := day.Unix() + int64(min)*60
	_, off := t.Zone()
	if shown := t.Unix() + int64(off); shown < wall {
		return t.Add(time.Duration(wall-shown) * time.Second) // skipped; Go went back
	}
	if start.IsZero() {
		return t
	}
	// Repeated when the previous period had a larger offset that also maps
	// wall to an instant inside that period.
	_, prev := start.Add(-time.Second).Zone()
	if e := wall - int64(prev); prev > off && e < start.Unix() {
		return time.Unix(e, 0)
	}
	return t
}
