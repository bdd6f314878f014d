package service

import (
	"context"
	"slices"
	"strings"
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
	slices.SortStableFunc(out, compareMatches)
	return out, nil
}

// OnlyGenderMissing reports whether a search for in finds nobody only
// because of its gender filter: counselors of another gender speak the
// language (or a close one). Then the client is told so and offered to drop
// the filter, rather than that nobody speaks the language. Errors: EINVALID.
func (s *Service) OnlyGenderMissing(ctx context.Context, in SearchInput) (bool, error) {
	code, ok := CanonicalLanguage(in.Language)
	if !ok || in.Gender == "" {
		return false, nil
	}
	dir, err := s.db.Directory(ctx, s.earliestStart())
	if err != nil {
		return false, err
	}
	langs := []string{code}
	if other, ok := closeLanguages[code]; ok {
		langs = append(langs, other)
	}
	var filtered, all int
	for _, l := range langs {
		filtered += len(dir.ByLanguage(l, in.Gender))
		all += len(dir.ByLanguage(l, ""))
	}
	return filtered == 0 && all > 0, nil
}

// compareMatches orders search results: those who speak the language before
// the fallback, native speakers first, then by earliest free slot (none
// last), then by name.
func compareMatches(a, b Match) int {
	if c := cmpTrueFirst(a.Fallback == "", b.Fallback == ""); c != 0 {
		return c
	}
	if c := cmpTrueFirst(a.Native, b.Native); c != 0 {
		return c
	}
	if c := cmpTrueFirst(a.NextSlot != nil, b.NextSlot != nil); c != 0 {
		return c
	}
	if a.NextSlot != nil {
		if c := a.NextSlot.Start.Compare(b.NextSlot.Start); c != 0 {
			return c
		}
	}
	return strings.Compare(a.Counselor.DisplayName, b.Counselor.DisplayName)
}

func cmpTrueFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// nextSlots finds each counselor's first free slot from from on. Bookings
// only ever push it later, so the first start the schedule allows is a lower
// bound, found without I/O; counselors with none in the horizon have no slot.
// For the others it reads, in one query, the bookings in a short window from
// each one's own lower bound, and computes the first free slot there; those
// whose window was full get one four times as long from the next start their
// schedule allows, and so on. Most counselors have a free slot within a few
// hours of their first possible one, so few bookings are read.
func (s *Service) nextSlots(ctx context.Context, dir *store.Directory, cs []eyelevel.Counselor, from time.Time) (map[eyelevel.UserID]*eyelevel.Slot, error) {
	r := s.cfg.Rules
	end := from.Add(s.cfg.Horizon)
	next := make(map[eyelevel.UserID]*eyelevel.Slot, len(cs))
	type candidate struct {
		id    eyelevel.UserID
		plan  *slots.Plan
		lower time.Time // no free slot before this
	}
	pending := make([]candidate, 0, len(cs))
	for _, c := range cs {
		plan := s.plan(dir, c)
		if first := plan.Compute(from, end, nil, 1); len(first) > 0 {
			pending = append(pending, candidate{c.ID, plan, first[0].Start})
		}
	}
	for span := firstWindow; len(pending) > 0; span *= 4 {
		ws := make([]store.Window, len(pending))
		for i, p := range pending {
			to := earlier(p.lower.Add(span), end)
			// Bookings that touch a slot starting in [lower, to), buffers included.
			ws[i] = store.Window{CounselorID: p.id, From: p.lower.Add(-r.Buffer), To: to.Add(r.Length + r.Buffer)}
		}
		busy, err := s.db.BusyIn(ctx, ws)
		if err != nil {
			return nil, err
		}
		still := pending[:0]
		for _, p := range pending {
			to := earlier(p.lower.Add(span), end)
			if found := p.plan.Compute(p.lower, to, busy[p.id], 1); len(found) > 0 {
				next[p.id] = &found[0]
			} else if later := p.plan.Compute(to, end, nil, 1); len(later) > 0 {
				p.lower = later[0].Start
				still = append(still, p)
			}
		}
		pending = still
	}
	return next, nil
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// firstWindow is how far past each counselor's first possible slot a search
// first reads bookings: with four or five slots in it, it holds a free one for
// most counselors. Growing by four, five queries cover an eight-week horizon
// for the few counselors booked out for weeks (each is a round trip on
// PostgreSQL).
const firstWindow = 4 * time.Hour

// plan returns the counselor's schedule prepared for slot computations,
// kept as long as dir is current.
func (s *Service) plan(dir *store.Directory, c eyelevel.Counselor) *slots.Plan {
	type key struct {
		id    eyelevel.UserID
		rules slots.Rules
	}
	return dir.Derived(key{c.ID, s.cfg.Rules}, func() any {
		return slots.NewPlan(dir.Availability(c.ID), zoneOf(c.TimeZone), s.cfg.Rules)
	}).(*slots.Plan)
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
	out := slots.Compute(av, zoneOf(c.TimeZone), s.cfg.Rules, from, to, busy[c.ID], 0)
	if a.Role == eyelevel.RoleClient {
		return s.withoutFullDays(ctx, a, out)
	}
	return out, nil
}

// withoutFullDays leaves out the slots a client could not book because
// they fall on a calendar day (in the client's zone) on which the client
// already has as many sessions as one day may hold, so that the pages do
// not offer times that booking refuses.
func (s *Service) withoutFullDays(ctx context.Context, a eyelevel.Actor, free []eyelevel.Slot) ([]eyelevel.Slot, error) {
	lim := s.limits()
	if len(free) == 0 || lim.PerDay == 0 {
		return free, nil
	}
	zone := zoneOf(a.TimeZone)
	own, err := s.db.Appointments(ctx, store.AppointmentFilter{ClientID: a.UserID, EndsAfter: free[0].Start.Add(-48 * time.Hour), BookedOnly: true})
	if err != nil {
		return nil, err
	}
	perDay := map[string]int{}
	for _, ap := range own {
		perDay[ap.Start.In(zone).Format(time.DateOnly)]++
	}
	out := free[:0]
	for _, sl := range free {
		if !lim.DayFull(perDay[sl.Start.In(zone).Format(time.DateOnly)]) {
			out = append(out, sl)
		}
	}
	return out, nil
}

// zoneOf loads a zone that was validated when stored; UTC guards against a
// zone database that lost it since.
func zoneOf(name string) *time.Location {
	if loc, ok := LoadZone(name); ok {
		return loc
	}
	return time.UTC
}
