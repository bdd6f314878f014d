// Package bench seeds a database with realistic data at scale and holds the
// benchmarks of the use cases that must stay fast as the data grows: counselor
// search, a counselor's slots, and booking under contention. See
// BENCHMARKS.md at the repository root for how to run them and the results.
//
// The data goes straight into the store (store.Seed…), not through the
// service: 2,000,000 appointments through Book would take hours, and every
// account shares one precomputed password hash.
package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/slots"
	"eyelevel/store"
)

// Languages are the ten languages of the service; every counselor speaks
// one to three of them, one natively.
var Languages = []string{"de", "en", "ar", "fa", "fa-AF", "ps", "tr", "ru", "uk", "kmr"}

// Scale is how much data to seed.
type Scale struct {
	Counselors   int
	Clients      int
	Appointments int // in total, about Appointments/Counselors per counselor
}

// FullScale is the scale the benchmarks' targets are stated for.
var FullScale = Scale{Counselors: 1000, Clients: 400_000, Appointments: 2_000_000}

// Shape of the data. A counselor works 40 slots a week (five days of eight
// 50-minute sessions on the hour). In the bookable horizon about 40% of the
// slots are booked and 4% have a cancelled appointment (free again); the
// rest of a counselor's appointments lie in the past, on about 85% of the
// past slots, of which 10% were cancelled.
const (
	futureBooked    = 0.40
	futureCancelled = 0.04
	pastOccupancy   = 0.85
	pastCancelled   = 0.10
	batchRows       = 50_000
)

// Dataset describes seeded data.
type Dataset struct {
	Now          time.Time // the clock the data was generated for
	Counselors   []eyelevel.UserID
	Clients      []eyelevel.UserID
	Appointments int // rows in appointments
	Booked       int // of which booked (the rest cancelled)
	FutureBooked int // booked and starting after Now
	LanguageUse  map[string]int
	PastWeeks    int // how far back the appointments reach
	Took         time.Duration
	Phases       []Phase
}

// Phase is the time one part of seeding took.
type Phase struct {
	Name string
	Rows int
	Took time.Duration
}

// Seed fills the empty database db with data of scale s for a service whose
// clock reads now and whose rules are rules (length, buffer, lead time and
// horizon as in cfg). The shape of the data depends only on seed; IDs are
// random.
func Seed(ctx context.Context, db *store.DB, s Scale, cfg service.Config, now time.Time, seed uint64) (*Dataset, error) {
	if s.Counselors < 1 || s.Clients < 1 || s.Appointments < 0 {
		return nil, fmt.Errorf("bench: scale %+v needs at least one counselor and one client", s)
	}
	cfg = effective(cfg)
	start := time.Now()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	now = now.UTC().Truncate(time.Second)
	ds := &Dataset{Now: now, LanguageUse: map[string]int{}}
	end, err := db.BeginBulkLoad(ctx)
	if err != nil {
		return nil, err
	}
	phase := func(name string, rows int, fn func() error) error {
		t := time.Now()
		if err := fn(); err != nil {
			return fmt.Errorf("seed %s: %w", name, err)
		}
		ds.Phases = append(ds.Phases, Phase{name, rows, time.Since(t)})
		return nil
	}
	// One hash for every account: hashing 400,000 passwords would take
	// longer than all the rest.
	hash := service.HashPassword("bench-password", service.DefaultPasswordParams)

	counselors, schedules := makeCounselors(rng, s.Counselors, now)
	err = phase("counselors", len(counselors), func() error {
		users := make([]eyelevel.User, len(counselors))
		for i, c := range counselors {
			users[i] = eyelevel.User{ID: c.ID, Username: c.Username, Role: eyelevel.RoleCounselor, PasswordHash: hash,
				Email: c.Username + "@example.org", Language: "de", TimeZone: c.TimeZone, CreatedAt: now.AddDate(-2, 0, 0)}
			ds.Counselors = append(ds.Counselors, c.ID)
			for _, l := range c.Languages {
				ds.LanguageUse[l.Code]++
			}
		}
		if err := db.SeedUsers(ctx, users); err != nil {
			return err
		}
		if err := db.SeedCounselors(ctx, counselors); err != nil {
			return err
		}
		return db.SeedAvailability(ctx, schedules)
	})
	if err != nil {
		return nil, err
	}

	err = phase("clients", s.Clients, func() error {
		ds.Clients = make([]eyelevel.UserID, 0, s.Clients)
		batch := make([]eyelevel.User, 0, batchRows)
		for i := 0; i < s.Clients; i++ {
			id := eyelevel.UserID(eyelevel.NewID())
			ds.Clients = append(ds.Clients, id)
			email := ""
			if rng.IntN(3) == 0 {
				email = fmt.Sprintf("client%07d@example.org", i)
			}
			batch = append(batch, eyelevel.User{ID: id, Username: fmt.Sprintf("client%07d", i), Role: eyelevel.RoleClient,
				PasswordHash: hash, Email: email, Language: Languages[rng.IntN(len(Languages))], TimeZone: "Europe/Berlin",
				CreatedAt: now.Add(-time.Duration(rng.Int64N(int64(400 * 24 * time.Hour))))})
			if len(batch) == cap(batch) || i == s.Clients-1 {
				if err := db.SeedUsers(ctx, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = phase("appointments", s.Appointments, func() error {
		return seedAppointments(ctx, db, rng, ds, counselors, schedules, s.Appointments, cfg, now)
	})
	if err != nil {
		return nil, err
	}
	if err := end(ctx); err != nil {
		return nil, err
	}
	if err := phase("analyze", 0, func() error { return db.FinishBulkLoad(ctx) }); err != nil {
		return nil, err
	}
	ds.Took = time.Since(start)
	return ds, nil
}

// effective fills in the service's defaults that seeding depends on.
func effective(cfg service.Config) service.Config {
	if cfg.Rules.Length == 0 {
		cfg.Rules.Length = 50 * time.Minute
	}
	if cfg.Rules.Buffer == 0 {
		cfg.Rules.Buffer = 10 * time.Minute
	}
	if cfg.Horizon == 0 {
		cfg.Horizon = 8 * 7 * 24 * time.Hour
	}
	return cfg
}

var (
	firstNames = []string{"Leyla", "Nasrin", "Farid", "Mariam", "Samira", "Omar", "Anna", "Thomas", "Elif", "Mehmet", "Olena",
		"Dmitri", "Rojda", "Sarah", "Ahmad", "Zahra", "Hamid", "Fatima", "Jonas", "Lena", "Kerem", "Ayşe", "Iryna", "Serhii"}
	lastNames = []string{"Ahmadi", "Karimi", "Noori", "Haidari", "Haddad", "Khalil", "Schneider", "Becker", "Yılmaz", "Demir",
		"Kovalenko", "Sokolov", "Aydın", "Miller", "Rahimi", "Hosseini", "Wagner", "Fischer", "Şahin", "Bondarenko"}
	zones = []struct {
		name   string
		weight int
	}{{"Europe/Berlin", 70}, {"Europe/Vienna", 10}, {"Europe/Zurich", 8}, {"Europe/Istanbul", 4}, {"Europe/Kyiv", 4}, {"Europe/London", 4}}
)

// makeCounselors returns n counselors and their schedules. Native languages
// are spread evenly over the ten; further languages are mostly German and
// English, as on a German service.
func makeCounselors(rng *rand.Rand, n int, now time.Time) ([]eyelevel.Counselor, []store.SeedSchedule) {
	cs := make([]eyelevel.Counselor, n)
	ss := make([]store.SeedSchedule, n)
	for i := range cs {
		id := eyelevel.UserID(eyelevel.NewID())
		c := eyelevel.Counselor{
			ID: id, Username: fmt.Sprintf("counselor%04d", i),
			DisplayName:    firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))],
			Bio:            "Counseling for people in crisis: stress, loss, separation, flight and new beginnings.",
			Qualifications: "Psychologist (M.Sc.), trained in value-based short-term counseling",
		}
		switch r := rng.IntN(100); {
		case r < 60:
			c.Gender = eyelevel.GenderFemale
		case r < 95:
			c.Gender = eyelevel.GenderMale
		default:
			c.Gender = eyelevel.GenderDiverse
		}
		w := rng.IntN(100)
		for _, z := range zones {
			if w < z.weight {
				c.TimeZone = z.name
				break
			}
			w -= z.weight
		}
		native := Languages[i%len(Languages)]
		c.Languages = []eyelevel.LanguageSkill{{Code: native, Native: true}}
		extra := []int{0, 0, 0, 1, 1, 1, 1, 2, 2, 2}[rng.IntN(10)]
		for len(c.Languages) < 1+extra {
			var code string
			switch r := rng.IntN(100); {
			case r < 35:
				code = "de"
			case r < 60:
				code = "en"
			default:
				code = Languages[2+rng.IntN(len(Languages)-2)]
			}
			if dup, _ := c.Speaks(code); !dup {
				c.Languages = append(c.Languages, eyelevel.LanguageSkill{Code: code, Native: rng.IntN(10) == 0})
			}
		}
		cs[i] = c
		ss[i] = store.SeedSchedule{CounselorID: id, Availability: makeAvailability(rng, now, c.TimeZone)}
	}
	return cs, ss
}

// makeAvailability returns 40 slots a week in one of three patterns, plus
// exceptions: a past fortnight of holidays, and in the coming eight weeks a
// few days off, a blocked afternoon and a day of extra hours.
func makeAvailability(rng *rand.Rand, now time.Time, zone string) eyelevel.Availability {
	var av eyelevel.Availability
	add := func(days []time.Weekday, spans ...[2]int) {
		for _, d := range days {
			for _, s := range spans {
				av.Weekly = append(av.Weekly, eyelevel.WeeklyWindow{Weekday: d, Start: s[0] * 60, End: s[1] * 60})
			}
		}
	}
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	switch r := rng.IntN(100); {
	case r < 60:
		h := 8 + rng.IntN(5)
		add(weekdays, [2]int{h, h + 8})
	case r < 85:
		add(weekdays, [2]int{9, 13}, [2]int{14, 18})
	default:
		add([]time.Weekday{time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}, [2]int{10, 18})
	}
	loc, _ := time.LoadLocation(zone)
	today := now.In(loc)
	date := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }
	holiday := -300 + rng.IntN(250)
	for d := 0; d < 14; d++ {
		av.Exceptions = append(av.Exceptions, eyelevel.Exception{Date: date(holiday + d)})
	}
	for range 1 + rng.IntN(3) {
		av.Exceptions = append(av.Exceptions, eyelevel.Exception{Date: date(2 + rng.IntN(54))})
	}
	av.Exceptions = append(av.Exceptions,
		eyelevel.Exception{Date: date(1 + rng.IntN(55)), Start: 12 * 60, End: 15 * 60},
		eyelevel.Exception{Date: date(1 + rng.IntN(55)), Available: true, Start: 18 * 60, End: 20 * 60})
	// Duplicate dates are harmless (an absence wins) but keep them unique.
	slices.SortFunc(av.Exceptions, func(a, b eyelevel.Exception) int {
		if a.Date != b.Date {
			if a.Date < b.Date {
				return -1
			}
			return 1
		}
		return a.Start - b.Start
	})
	return av
}

// seedAppointments gives each counselor about total/len(cs) appointments on
// their own slot grid (as slots.Compute makes it): in the bookable horizon
// futureBooked of the slots, the rest in the past, going back as many weeks
// as needed for pastOccupancy. Clients are drawn at random.
func seedAppointments(ctx context.Context, db *store.DB, rng *rand.Rand, ds *Dataset, cs []eyelevel.Counselor,
	ss []store.SeedSchedule, total int, cfg service.Config, now time.Time) error {
	r := cfg.Rules
	horizonEnd := now.Add(cfg.Horizon)
	batch := make([]eyelevel.Appointment, 0, batchRows)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := db.SeedAppointments(ctx, batch)
		batch = batch[:0]
		return err
	}
	client := func() eyelevel.UserID { return ds.Clients[rng.IntN(len(ds.Clients))] }
	appt := func(c eyelevel.UserID, s eyelevel.Slot, cancelled bool) eyelevel.Appointment {
		created := s.Start.Add(-time.Duration(1+rng.Int64N(30*24)) * time.Hour)
		if !created.Before(now) {
			created = now.Add(-time.Duration(1+rng.Int64N(3600)) * time.Second)
		}
		a := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: c, ClientID: client(),
			Start: s.Start, End: s.End, Status: eyelevel.StatusBooked, CreatedAt: created}
		ds.Appointments++
		if cancelled {
			a.Status = eyelevel.StatusCancelled
			a.CancelledAt = created.Add(time.Duration(rng.Int64N(int64(s.Start.Sub(created)))))
			if a.CancelledAt.After(now) {
				a.CancelledAt = now.Add(-time.Minute)
			}
			a.CancelledBy = a.ClientID
			if rng.IntN(4) == 0 {
				a.CancelledBy = c
			}
		}
		return a
	}
	for i, c := range cs {
		want := total / len(cs)
		if i < total%len(cs) {
			want++
		}
		loc, _ := time.LoadLocation(c.TimeZone)
		av := ss[i].Availability
		// Future: every slot from now on (even those too soon to book) is
		// booked or had a cancelled booking with these odds.
		future := slots.Compute(av, loc, r, now, horizonEnd, nil, 0)
		for _, s := range future {
			if want == 0 {
				break
			}
			switch x := rng.Float64(); {
			case x < futureBooked:
				batch = append(batch, appt(c.ID, s, false))
				ds.Booked++
				ds.FutureBooked++
				want--
			case x < futureBooked+futureCancelled:
				batch = append(batch, appt(c.ID, s, true))
				want--
			}
		}
		// Past: enough weeks that the remaining appointments cover about
		// pastOccupancy of the slots, then a random sample of them.
		weeks := int(math.Ceil(float64(want) / (pastOccupancy * 40)))
		var past []eyelevel.Slot
		for want > 0 {
			past = slots.Compute(av, loc, r, now.AddDate(0, 0, -7*weeks), now, nil, 0)
			if len(past) >= want {
				break
			}
			if weeks > 5000 {
				return fmt.Errorf("counselor %s: too few slots for %d appointments", c.Username, want)
			}
			weeks += 1 + weeks/4
		}
		ds.PastWeeks = max(ds.PastWeeks, weeks)
		for k := 0; k < want; k++ { // partial Fisher–Yates: a sample without repeats
			j := k + rng.IntN(len(past)-k)
			past[k], past[j] = past[j], past[k]
			cancelled := rng.Float64() < pastCancelled
			batch = append(batch, appt(c.ID, past[k], cancelled))
			if !cancelled {
				ds.Booked++
			}
		}
		if len(batch) >= batchRows-3000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
