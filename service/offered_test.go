package service_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/slots"
)

// What search offers is exactly what booking accepts, on random worlds:
// counselors in several zones (some across a daylight-saving change) with
// random weekly windows and exceptions, and bookings of other clients that
// are off the grid, longer than four hours, or end or start exactly at the
// edge of a slot's buffer (or a minute inside it). Every slot that Slots
// lists, and each counselor's next slot in Search, books (each on a fresh
// state: undone after, or in a transaction that is rolled back); every
// start near an offered one that is not offered is refused, for the reason
// a brute-force check of the facts gives.
func TestSearchOffersWhatBookingAccepts(t *testing.T) {
	nows := []time.Time{
		monday,
		time.Date(2027, 3, 24, 7, 0, 0, 0, time.UTC),  // Europe and Lord Howe change in the next two weeks
		time.Date(2026, 10, 28, 9, 0, 0, 0, time.UTC), // Europe, then New York, fall back
	}
	clear(seenKeys)
	for round, now := range nows {
		seed := uint64(round*7919 + 17)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			forEach(t, func(t *testing.T, e *env) {
				testOffered(t, e, now, rand.New(rand.NewPCG(seed, seed)))
			})
		})
	}
	t.Logf("refusals tested: %v", seenKeys)
	for _, key := range []string{"booking.err.not_a_slot", "booking.err.already_yours", "booking.err.taken", "booking.err.overlap", "booking.err.too_many", "booked"} {
		if seenKeys[key] == 0 {
			t.Errorf("no refusal with %s tested", key)
		}
	}
}

var offeredZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kabul", "Australia/Lord_Howe", "Asia/Kathmandu"}

// offeredWorld is what testOffered made, in the test's own terms.
type offeredWorld struct {
	rules   slots.Rules
	from    time.Time // earliest start
	to      time.Time // end of the horizon
	grid    map[eyelevel.UserID]map[time.Time]bool
	appts   []eyelevel.Appointment // booked
	client  eyelevel.Actor
	full    eyelevel.Actor // holds the most open bookings allowed
	maxOpen int
}

func testOffered(t *testing.T, e *env, now time.Time, rnd *rand.Rand) {
	ctx := e.ctx
	clk := &clock{t: now}
	const maxOpen = 4
	svc := servicetest.NewServiceConfig(t, e.db, service.Config{Horizon: 14 * 24 * time.Hour, MaxOpen: maxOpen}, clk.Now)
	w := offeredWorld{rules: slots.DefaultRules(), from: now.Add(time.Hour), to: now.Add(14 * 24 * time.Hour),
		grid: map[eyelevel.UserID]map[time.Time]bool{}, client: e.client("client"), full: e.client("full"), maxOpen: maxOpen}
	others := []eyelevel.Actor{e.client("other1"), e.client("other2")}
	var counselors []eyelevel.Actor
	var edges []time.Time // slots whose buffer a booking touches exactly, or just overlaps
	insert := func(counselor, client eyelevel.UserID, start, end time.Time) {
		t.Helper()
		a := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: counselor, ClientID: client,
			Start: start.UTC(), End: end.UTC(), Status: eyelevel.StatusBooked, CreatedAt: now}
		if err := e.db.CreateAppointment(ctx, a); eyelevel.ErrorCode(err) == eyelevel.ECONFLICT {
			return // the counselor has a booking at that start already
		} else if err != nil {
			t.Fatalf("insert %+v: %v", a, err)
		}
		w.appts = append(w.appts, a)
	}
	for i := range 4 {
		zone := offeredZones[rnd.IntN(len(offeredZones))]
		c, err := svc.CreateCounselor(ctx, e.admin, service.CounselorInput{Username: fmt.Sprintf("counselor%d", i), Password: password,
			DisplayName: fmt.Sprintf("Counselor %d", i), Gender: eyelevel.GenderFemale, TimeZone: zone,
			Languages: []eyelevel.LanguageSkill{{Code: "de", Native: true}}})
		if err != nil {
			t.Fatal(err)
		}
		loc, _ := time.LoadLocation(zone)
		av := randomAvailability(rnd, now.In(loc))
		if err := svc.SetAvailability(ctx, e.admin, c.ID, av); err != nil {
			t.Fatalf("availability %+v: %v", av, err)
		}
		counselors = append(counselors, eyelevel.Actor{UserID: c.ID, Role: eyelevel.RoleCounselor})
		grid := map[time.Time]bool{}
		for _, s := range slots.Compute(av, loc, w.rules, w.from, w.to, nil, 0) {
			grid[s.Start] = true
		}
		w.grid[c.ID] = grid
		starts := sortedTimes(grid)
		if len(starts) == 0 {
			continue
		}
		// Bookings of others: on the grid, off it, long, at the buffer's edge.
		pick := func() time.Time { return starts[rnd.IntN(len(starts))] }
		for range 1 + len(starts)/6 {
			s := pick()
			switch rnd.IntN(6) {
			case 0:
				insert(c.ID, others[0].UserID, s, s.Add(w.rules.Length))
			case 1: // off the grid
				s = s.Add(time.Duration(rnd.IntN(90)-45) * time.Minute)
				insert(c.ID, others[1].UserID, s, s.Add(time.Duration(10+rnd.IntN(80))*time.Minute))
			case 2: // longer than four hours
				s = s.Add(time.Duration(rnd.IntN(120)-60) * time.Minute)
				insert(c.ID, others[0].UserID, s, s.Add(time.Duration(241+rnd.IntN(600))*time.Minute))
			case 3: // ends exactly where the buffer before s begins, or a minute later
				end := s.Add(-w.rules.Buffer + time.Duration(rnd.IntN(2))*time.Minute)
				edges = append(edges, s)
				insert(c.ID, others[1].UserID, end.Add(-30*time.Minute), end)
			case 4: // starts exactly where the buffer after s ends, or a minute earlier
				st := s.Add(w.rules.Length + w.rules.Buffer - time.Duration(rnd.IntN(2))*time.Minute)
				edges = append(edges, s)
				insert(c.ID, others[0].UserID, st, st.Add(20*time.Minute))
			case 5: // cancelled: blocks nothing
				a := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: c.ID, ClientID: others[1].UserID,
					Start: s, End: s.Add(w.rules.Length), Status: eyelevel.StatusBooked, CreatedAt: now}
				if err := e.db.CreateAppointment(ctx, a); eyelevel.ErrorCode(err) == eyelevel.ECONFLICT {
					continue
				} else if err != nil {
					t.Fatal(err)
				}
				if err := e.db.CancelAppointment(ctx, a.ID, others[1].UserID, now); err != nil {
					t.Fatal(err)
				}
			}
		}
		// The client's own bookings: one with this counselor (on the grid,
		// so booking it again is "already yours"), and for the first
		// counselor one that the others' slots overlap.
		if i < 2 {
			s := pick()
			insert(c.ID, w.client.UserID, s, s.Add(w.rules.Length))
		}
	}
	if len(counselors) > 1 {
		s := w.from.Add(time.Duration(rnd.IntN(72*60)) * time.Minute)
		insert(counselors[0].UserID, w.client.UserID, s, s.Add(w.rules.Length))
	}
	// The full client's open bookings lie beyond everything else, with an
	// extra counselor who offers no slots.
	far, err := svc.CreateCounselor(ctx, e.admin, service.CounselorInput{Username: "far", Password: password, DisplayName: "Far",
		Gender: eyelevel.GenderMale, TimeZone: "UTC", Languages: []eyelevel.LanguageSkill{{Code: "en"}}})
	if err != nil {
		t.Fatal(err)
	}
	for k := range maxOpen {
		s := w.to.Add(time.Duration(k+1) * 24 * time.Hour)
		insert(far.ID, w.full.UserID, s, s.Add(w.rules.Length))
	}

	ms, err := svc.Search(ctx, w.client, service.SearchInput{Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	next := map[eyelevel.UserID]*eyelevel.Slot{}
	for _, m := range ms {
		next[m.Counselor.ID] = m.NextSlot
	}
	for n, c := range counselors {
		offered, err := svc.Slots(ctx, eyelevel.Actor{}, service.SlotsInput{CounselorID: c.UserID, From: w.from, To: w.to})
		if err != nil {
			t.Fatal(err)
		}
		// Search's next slot is the first one Slots lists.
		switch ns := next[c.UserID]; {
		case len(offered) == 0 && ns != nil:
			t.Errorf("counselor %d: search offers %v, Slots nothing", n, ns.Start)
		case len(offered) > 0 && (ns == nil || !ns.Start.Equal(offered[0].Start)):
			t.Errorf("counselor %d: search offers %v, Slots first %v", n, ns, offered[0].Start)
		}
		isOffered := map[time.Time]bool{}
		for _, s := range offered {
			isOffered[s.Start] = true
		}
		// Every offered slot is free by the brute-force check and books,
		// unless the client's own calendar forbids it (a session elsewhere
		// at that time), which a search, the same for everyone, does not
		// know about.
		tests := sample(rnd, offered, 25)
		for _, s := range offered {
			if slices.ContainsFunc(edges, s.Start.Equal) {
				tests = append(tests, s)
			}
		}
		for k, s := range tests {
			switch key := w.expect(c.UserID, w.client.UserID, s.Start); key {
			case "":
				if err := w.bookUndo(ctx, t, e, svc, c, s.Start, k%2 == 1); err != nil {
					t.Errorf("counselor %d: offered %v does not book: %v", n, s.Start, err)
				}
				seenKeys["booked"]++
			case "booking.err.overlap":
				wantKeyAt(t, w.bookUndo(ctx, t, e, svc, c, s.Start, k%2 == 1), key, s.Start)
			default:
				t.Errorf("counselor %d: %v is offered, but the facts say %s", n, s.Start, key)
			}
			// The full client may book nothing.
			if k%5 == 0 {
				err := w.bookUndo(ctx, t, e, svc, c, s.Start, false, w.full)
				wantKeyAt(t, err, w.expect(c.UserID, w.full.UserID, s.Start), s.Start)
			}
		}
		// Starts near offered ones, and grid starts, that are not offered
		// are refused for the reason the facts give.
		var near []time.Time
		for _, s := range sample(rnd, offered, 15) {
			for _, d := range []time.Duration{time.Minute, 5 * time.Minute, w.rules.Buffer, 30 * time.Minute, w.rules.Length + w.rules.Buffer} {
				near = append(near, s.Start.Add(d), s.Start.Add(-d))
			}
		}
		var taken []time.Time // on the grid, not offered
		for _, g := range sortedTimes(w.grid[c.UserID]) {
			if !isOffered[g] {
				taken = append(taken, g)
			}
		}
		tried := 0
		for _, g := range edges {
			if w.grid[c.UserID][g] && !isOffered[g] {
				taken = append(taken, g) // tried twice, no harm
			}
		}
		for _, s := range append(sample(rnd, near, 40), sample(rnd, taken, 40)...) {
			if isOffered[s] || s.Before(w.from) || !s.Before(w.to) {
				continue
			}
			tried++
			want := w.expect(c.UserID, w.client.UserID, s)
			if want == "" {
				t.Errorf("counselor %d: %v is free by the facts but not offered", n, s)
				continue
			}
			err := w.bookUndo(ctx, t, e, svc, c, s, tried%2 == 1)
			wantKeyAt(t, err, want, s)
		}
	}
}

// expect returns the translation key of the refusal the facts call for when
// client books counselor at start, or "" if the slot is free: a brute-force
// check, independent of the service's queries.
func (w *offeredWorld) expect(counselor, client eyelevel.UserID, start time.Time) string {
	if !w.grid[counselor][start] {
		return "booking.err.not_a_slot"
	}
	end := start.Add(w.rules.Length)
	lo, hi := start.Add(-w.rules.Buffer), end.Add(w.rules.Buffer)
	own, taken, overlap, open := false, false, false, 0
	for _, a := range w.appts {
		if a.ClientID == client && a.End.After(w.from.Add(-time.Hour)) {
			open++
		}
		if a.CounselorID == counselor && a.ClientID == client && a.Start.Before(end) && a.End.After(start) {
			own = true
		}
		if a.CounselorID == counselor && a.Start.Before(hi) && a.End.After(lo) {
			taken = true
		}
		if a.ClientID == client && a.Start.Before(end) && a.End.After(start) {
			overlap = true
		}
	}
	switch {
	case own:
		return "booking.err.already_yours"
	case taken:
		return "booking.err.taken"
	case overlap:
		return "booking.err.overlap"
	case open >= w.maxOpen:
		return "booking.err.too_many"
	}
	return ""
}

var errRollBack = errors.New("roll back")

// seenKeys counts the refusals tested, so that the test can tell that the
// random worlds hold every kind.
var seenKeys = map[string]int{}

// bookUndo books start with c as the world's client (or who) and leaves the
// database as it was: in a transaction rolled back, or by deleting the
// appointment booked outside one.
func (w *offeredWorld) bookUndo(ctx context.Context, t *testing.T, e *env, svc *service.Service, c eyelevel.Actor, start time.Time, inTx bool, who ...eyelevel.Actor) error {
	t.Helper()
	client := w.client
	if len(who) > 0 {
		client = who[0]
	}
	in := service.BookInput{CounselorID: c.UserID, Start: start}
	if inTx {
		var booked error
		err := e.db.InTx(ctx, func(ctx context.Context) error {
			_, booked = svc.Book(ctx, client, in)
			return errRollBack
		})
		if !errors.Is(err, errRollBack) {
			t.Fatalf("transaction: %v", err)
		}
		return booked
	}
	a, err := svc.Book(ctx, client, in)
	if err == nil {
		if _, err := e.db.Exec(ctx, `DELETE FROM appointments WHERE id = $1`, string(a.ID)); err != nil {
			t.Fatal(err)
		}
	}
	return err
}

func wantKeyAt(t *testing.T, err error, key string, at time.Time) {
	t.Helper()
	seenKeys[key]++
	var ee *eyelevel.Error
	if !errors.As(err, &ee) || ee.Key != key {
		t.Errorf("booking %v: %v, want %s", at, err, key)
	}
}

// randomAvailability returns one or two windows on random weekdays, on
// random minutes, and exceptions in the next two weeks from now (local).
func randomAvailability(rnd *rand.Rand, now time.Time) eyelevel.Availability {
	var av eyelevel.Availability
	for d := time.Sunday; d <= time.Saturday; d++ {
		if rnd.IntN(4) == 0 {
			continue
		}
		start := rnd.IntN(20*60/5) * 5
		end := min(start+60+rnd.IntN(8*60), 24*60)
		av.Weekly = append(av.Weekly, eyelevel.WeeklyWindow{Weekday: d, Start: start, End: end})
		if rnd.IntN(3) == 0 && end+70 < 24*60 {
			s2 := end + 10 + rnd.IntN(60)
			av.Weekly = append(av.Weekly, eyelevel.WeeklyWindow{Weekday: d, Start: s2, End: min(s2+60+rnd.IntN(180), 24*60)})
		}
	}
	used := map[string]bool{}
	for range 5 {
		date := now.AddDate(0, 0, 1+rnd.IntN(13)).Format(time.DateOnly)
		if used[date] {
			continue
		}
		used[date] = true
		start := rnd.IntN(20*60/5) * 5
		end := min(start+30+rnd.IntN(5*60), 24*60)
		switch rnd.IntN(3) {
		case 0:
			av.Exceptions = append(av.Exceptions, eyelevel.Exception{Date: date})
		case 1:
			av.Exceptions = append(av.Exceptions, eyelevel.Exception{Date: date, Start: start, End: end})
		case 2:
			av.Exceptions = append(av.Exceptions, eyelevel.Exception{Date: date, Available: true, Start: start, End: end})
		}
	}
	return av
}

func sortedTimes(set map[time.Time]bool) []time.Time {
	out := make([]time.Time, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// sample returns up to n elements of xs in random order.
func sample[T any](rnd *rand.Rand, xs []T, n int) []T {
	xs = slices.Clone(xs)
	rnd.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	return xs[:min(n, len(xs))]
}
