package service

import (
	"context"
	"sort"
	"time"

	"eyelevel"
	"eyelevel/slots"
	"eyelevel/store"
)

// Match is a counselor found for a client, with the earliest free slot.
type Match struct {
	Counselor eyelevel.Counselor
	Native    bool           // speaks the language natively
	NextSlot  *eyelevel.Slot // nil when nothing is free within the horizon
	// Fallback is set when the counselor does not speak the language asked
	// for but a close one (Dari for Farsi and the other way round).
	Fallback string
}

// closeLanguages are distinct languages whose speakers understand each
// other well enough that one is offered when the other is asked for.
var closeLanguages = map[string]string{"fa": "fa-AF", "fa-AF": "fa"}

// SearchInput is what a client looks for.
type SearchInput struct {
	Language string
	Gender   eyelevel.Gender // optional
}

// Search lists counselors who speak the language: native speakers first,
// then by earliest free slot; then, for Farsi and Dari, those who speak only
// the other one. Anyone may search, so that people can see who
// is there before they register. Errors: EINVALID.
func (s *Service) Search(ctx context.Context, a eyelevel.Actor, in SearchInput) ([]Match, error) {
	p := problems{}
	code, ok := CanonicalLanguage(in.Language)
	p.check(ok, "language", "search.err.language")
	p.check(in.Gender == "" || in.Gender.Valid(), "gender", "search.err.gender")
	if err := p.err(); err != nil {
		return nil, err
	}
	from := s.earliestStart()
	dir, err := s.db.Directory(ctx, from)
	if err != nil {
		return nil, err
	}
	cs := dir.ByLanguage(code, in.Gender)
	fallback := map[eyelevel.UserID]string{}
	if other, ok := closeLanguages[code]; ok {
		have := map[eyelevel.UserID]bool{}
		for _, c := range cs {
			have[c.ID] = true
		}
		for _, c := range dir.ByLanguage(other, in.Gender) {
			if !have[c.ID] {
				cs = append(cs, c)
				fallback[c.ID] = other
			}
		}
	}
	if len(cs) == 0 {
		return nil, nil
	}
	next, err := s.nextSlots(ctx, dir, cs, from)
	if err != nil {
		return nil, err
	}
	out := make([]Match, len(cs))
	for i, c := range cs {
		_, native := c.Speaks(code)
		out[i] = Match{Counselor: c, Native: native, NextSlot: next[c.ID], Fallback: fallback[c.ID]}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Fallback == "") != (b.Fallback == "") {
			return a.Fallback == ""
		}
		if a.Native != b.Native {
			return a.Native
		}
		if (a.NextSlot == nil) != (b.NextSlot == nil) {
			return a.NextSlot != nil
		}
		if a.NextSlot != nil && !a.NextSlot.Start.Equal(b.NextSlot.Start) {
			return a.NextSlot.Start.Before(b.NextSlot.Start)
		}
		return a.Counselor.DisplayName < b.Counselor.DisplayName
	})
	return out, nil
}

// nextSlots finds each counselor's first free slot. It looks ahead in
// windows that double in length (a day, two, four, …, up to the horizon) and
// reads each window's bookings only for the counselors still without a
// slot: most have one within a day or two, so the bookings read stay few even
// when a weekend or a busy counselor pushes some further out.
func (s *Service) nextSlots(ctx context.Context, dir *store.Directory, cs []eyelevel.Counselor, from time.Time) (map[eyelevel.UserID]*eyelevel.Slot, error) {
	end := from.Add(s.cfg.Horizon)
	next := make(map[eyelevel.UserID]*eyelevel.Slot, len(cs))
	pending := cs
	for span := 24 * time.Hour; len(pending) > 0 && from.Before(end); span *= 2 {
		to := from.Add(span)
		if to.After(end) {
			to = end
		}
		ids := make([]eyelevel.UserID, len(pending))
		for i, c := range pending {
			ids[i] = c.ID
		}
		busy, err := s.db.Busy(ctx, ids, from.Add(-s.cfg.Rules.Buffer), to.Add(s.cfg.Rules.Length+s.cfg.Rules.Buffer))
		if err != nil {
			return nil, err
		}
		var still []eyelevel.Counselor
		for _, c := range pending {
			if found := slots.Compute(dir.Availability(c.ID), zoneOf(c.TimeZone), s.cfg.Rules, from, to, busy[c.ID], 1); len(found) > 0 {
				next[c.ID] = &found[0]
			} else {
				still = append(still, c)
			}
		}
		pending, from = still, to
	}
	return next, nil
}

// earliestStart is the first moment a session may be booked to start.
func (s *Service) earliestStart() time.Time {
	return s.now().UTC().Add(s.cfg.MinLead)
}

// SlotsInput asks for a counselor's free slots in [From, To).
type SlotsInput struct {
	CounselorID eyelevel.UserID
	From, To    time.Time
}

// MaxSlotRange is the longest span one slots request may cover.
const MaxSlotRange = 62 * 24 * time.Hour

// Slots returns a counselor's free slots in [From, To), never earlier than
// the minimum lead time nor beyond the booking horizon. Anyone may look.
// Errors: EINVALID, ENOTFOUND.
func (s *Service) Slots(ctx context.Context, a eyelevel.Actor, in SlotsInput) ([]eyelevel.Slot, error) {
	p := problems{}
	p.check(!in.From.IsZero(), "from", "slots.err.from")
	p.check(!in.To.IsZero(), "to", "slots.err.to")
	p.check(in.To.After(in.From), "to", "slots.err.order")
	p.check(in.To.Sub(in.From) <= MaxSlotRange, "to", "slots.err.range")
	if err := p.err(); err != nil {
		return nil, err
	}
	c, err := s.db.Counselor(ctx, in.CounselorID)
	if err != nil {
		return nil, err
	}
	from, to := in.From, in.To
	if e := s.earliestStart(); from.Before(e) {
		from = e
	}
	if h := s.now().Add(s.cfg.Horizon); to.After(h) {
		to = h
	}
	if !to.After(from) {
		return []eyelevel.Slot{}, nil
	}
	avs, err := s.db.AvailabilityFrom(ctx, []eyelevel.UserID{c.ID}, from)
	if err != nil {
		return nil, err
	}
	av := avs[c.ID]
	busy, err := s.db.Busy(ctx, []eyelevel.UserID{c.ID}, from.Add(-s.cfg.Rules.Length-s.cfg.Rules.Buffer), to.Add(s.cfg.Rules.Length+s.cfg.Rules.Buffer))
	if err != nil {
		return nil, err
	}
	return slots.Compute(av, zoneOf(c.TimeZone), s.cfg.Rules, from, to, busy[c.ID], 0), nil
}

// zoneOf loads a zone that was validated when stored; UTC guards against a
// zone database that lost it since.
func zoneOf(name string) *time.Location {
	if loc, ok := LoadZone(name); ok {
		return loc
	}
	return time.UTC
}
