package service_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
)

// storedContract records an organization and a contract k; zero fields of k
// get a running contract (November to December 2026) of 5 sessions.
func (e *env) storedContract(k eyelevel.Contract) eyelevel.Contract {
	e.t.Helper()
	e.n++
	org := eyelevel.Organization{ID: eyelevel.NewID(), Name: "Org", Slug: "org-" + eyelevel.NewID()[:8], CreatedAt: monday}
	if err := e.db.CreateOrganization(e.ctx, org); err != nil {
		e.t.Fatal(err)
	}
	k.ID, k.OrganizationID, k.OrganizationName, k.CreatedAt = eyelevel.NewID(), org.ID, org.Name, monday
	if k.Starts == "" {
		k.Starts, k.Ends = "2026-11-01", "2026-12-31"
	}
	if k.SessionsPerPerson == 0 {
		k.SessionsPerPerson = 5
	}
	if err := e.db.CreateContract(e.ctx, k); err != nil {
		e.t.Fatal(err)
	}
	return k
}

// grant gives client the allowance of k, as redeeming a code does (the
// store's part of it); started marks a course already begun.
func (e *env) grant(client eyelevel.Actor, k eyelevel.Contract, started bool) eyelevel.Credit {
	e.t.Helper()
	c := eyelevel.Credit{ID: eyelevel.NewID(), ClientID: client.UserID, Source: eyelevel.SourceOrganization, ContractID: k.ID,
		Granted: k.SessionsPerPerson, Started: started, ExpiresAt: k.GraceEnd(), CreatedAt: monday}
	if err := e.db.GrantCredit(e.ctx, c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// charge switches charging on (€65 a session) or off.
func (e *env) charge(on bool) {
	e.t.Helper()
	p := eyelevel.Pricing{Currency: "EUR", Packages: []int{1, 3, 5}}
	if on {
		p.SessionPrice = 6500
	}
	if err := e.db.SetPricing(e.ctx, p, monday); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) used(credit string) int {
	e.t.Helper()
	c, err := e.db.Credit(e.ctx, credit)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Used
}

func (e *env) poolUsed(contract string) int {
	e.t.Helper()
	k, err := e.db.Contract(e.ctx, contract)
	if err != nil {
		e.t.Fatal(err)
	}
	return k.PoolUsed
}

// TestCreditsAtBooking: what booking, cancelling and the end of a
// contract do with a client's organization credit, on both databases.
func TestCreditsAtBooking(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, weekdays(0, 24*60)...)
		n := 0
		for _, c := range []struct {
			name     string
			contract eyelevel.Contract
			started  bool
			charging bool
			// act books (and may cancel); it returns the appointment
			// and the error of the last booking.
			act  func(client eyelevel.Actor) (eyelevel.Appointment, error)
			paid eyelevel.PaidBy // of the appointment; "" when refused
			key  string          // the refusal's catalog key
			used int             // the credit's used sessions afterwards
			pool int             // the contract's pool_used afterwards
		}{
			{name: "redeem and book", contract: eyelevel.Contract{Pool: 10},
				paid: eyelevel.PaidOrganization, used: 1, pool: 1},
			{name: "cancel in time", contract: eyelevel.Contract{Pool: 10, LateCancelCounts: true},
				act: func(cl eyelevel.Actor) (eyelevel.Appointment, error) {
					a := e.book(cl, mia, at(3, 10+n, 0))
					return e.svc.Cancel(e.ctx, cl, a.ID)
				}, paid: eyelevel.PaidOrganization, used: 0, pool: 0},
			{name: "cancel late, counts", contract: eyelevel.Contract{Pool: 10, LateCancelCounts: true},
				act: func(cl eyelevel.Actor) (eyelevel.Appointment, error) {
					a := e.book(cl, mia, at(0, 10+n, 0))
					return e.svc.Cancel(e.ctx, cl, a.ID)
				}, paid: eyelevel.PaidOrganization, used: 1, pool: 1},
			{name: "cancel late, does not count", contract: eyelevel.Contract{Pool: 10},
				act: func(cl eyelevel.Actor) (eyelevel.Appointment, error) {
					a := e.book(cl, mia, at(0, 10+n, 0))
					return e.svc.Cancel(e.ctx, cl, a.ID)
				}, paid: eyelevel.PaidOrganization, used: 0, pool: 0},
			{name: "counselor cancels late", contract: eyelevel.Contract{Pool: 10, LateCancelCounts: true},
				act: func(cl eyelevel.Actor) (eyelevel.Appointment, error) {
					a := e.book(cl, mia, at(0, 10+n, 0))
					return e.svc.Cancel(e.ctx, mia, a.ID)
				}, paid: eyelevel.PaidOrganization, used: 0, pool: 0},
			{name: "allowance used up, charging", contract: eyelevel.Contract{SessionsPerPerson: 1}, charging: true,
				act: func(cl eyelevel.Actor) (eyelevel.Appointment, error) {
					e.book(cl, mia, at(3, 10+n, 0))
					return e.svc.Book(e.ctx, cl, service.BookInput{CounselorID: mia.UserID, Start: at(4, 10+n, 0)})
				}, key: "payment.err.org_used_up", used: 1, pool: 1},
			{name: "allowance used up, free", contract: eyelevel.Contract{SessionsPerPerson: 1},
				act: func(cl eyelevel.Actor) (eyelevel.Appointment, error) {
					e.book(cl, mia, at(3, 10+n, 0))
					return e.svc.Book(e.ctx, cl, service.BookInput{CounselorID: mia.UserID, Start: at(4, 10+n, 0)})
				}, paid: eyelevel.PaidFree, used: 1, pool: 1},
			{name: "contract ended, course not started", contract: eyelevel.Contract{Starts: "2026-10-01", Ends: "2026-11-20", GraceDays: 60}, charging: true,
				key: "payment.err.org_used_up", used: 0, pool: 0},
			{name: "contract ended, started course books in grace", contract: eyelevel.Contract{Starts: "2026-10-01", Ends: "2026-11-20", GraceDays: 60},
				started: true, charging: true, paid: eyelevel.PaidOrganization, used: 1, pool: 1},
			{name: "grace over", contract: eyelevel.Contract{Starts: "2026-10-01", Ends: "2026-11-10", GraceDays: 5},
				started: true, charging: true, key: "payment.err.required", used: 0, pool: 0},
			{name: "pool exhausted", contract: eyelevel.Contract{Pool: 1}, charging: true,
				act: func(cl eyelevel.Actor) (eyelevel.Appointment, error) {
					k := lastContract
					other := e.client("other" + k.ID[:6])
					e.grant(other, k, false)
					e.book(other, mia, at(3, 10+n, 0))
					return e.svc.Book(e.ctx, cl, service.BookInput{CounselorID: mia.UserID, Start: at(4, 10+n, 0)})
				}, key: "payment.err.org_used_up", used: 0, pool: 1},
		} {
			t.Run(c.name, func(t *testing.T) {
				n++
				e.charge(c.charging)
				k := e.storedContract(c.contract)
				lastContract = k
				cl := e.client("client" + k.ID[:6])
				credit := e.grant(cl, k, c.started)
				act := c.act
				if act == nil {
					act = func(cl eyelevel.Actor) (eyelevel.Appointment, error) {
						return e.svc.Book(e.ctx, cl, service.BookInput{CounselorID: mia.UserID, Start: at(2, 10+n, 0)})
					}
				}
				a, err := act(cl)
				if c.key != "" {
					wantKey(t, err, eyelevel.EPAYMENT, c.key)
				} else if err != nil {
					t.Fatal(err)
				} else if a.PaidBy != c.paid || (c.paid == eyelevel.PaidOrganization) != (a.CreditID == credit.ID && a.ContractID == k.ID) {
					t.Errorf("appointment = %+v, want paid by %s", a, c.paid)
				} else if stored, _ := e.db.Appointment(e.ctx, a.ID); stored.PaidBy != c.paid || stored.CreditID != a.CreditID {
					t.Errorf("stored = %+v", stored)
				}
				if got := e.used(credit.ID); got != c.used {
					t.Errorf("credit used = %d, want %d", got, c.used)
				}
				if got := e.poolUsed(k.ID); got != c.pool {
					t.Errorf("pool used = %d, want %d", got, c.pool)
				}
			})
		}
	})
}

// lastContract is the contract of the running case of TestCreditsAtBooking.
var lastContract eyelevel.Contract

// TestPaymentRequiredMessage: without any credit, a charged booking is
// refused naming the price and the packages; WhoPays says the same
// before.
func TestPaymentRequiredMessage(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		alice := e.client("alice")
		if p, err := e.svc.WhoPays(e.ctx, alice); err != nil || p.PaidBy != eyelevel.PaidFree {
			t.Errorf("WhoPays when free = %+v, %v", p, err)
		}
		e.charge(true)
		p, err := e.svc.WhoPays(e.ctx, alice)
		if err != nil || !p.NeedsPackage() || p.Price != "€65" || p.Packages != "1, 3, 5" || p.OrgUsedUp {
			t.Errorf("WhoPays when charging = %+v, %v", p, err)
		}
		_, err = e.svc.Book(e.ctx, alice, service.BookInput{CounselorID: mia.UserID, Start: at(1, 10, 0)})
		wantKey(t, err, eyelevel.EPAYMENT, "payment.err.required")
		var ee *eyelevel.Error
		if errors.As(err, &ee) && (ee.Message != "A session costs €65. Buy a package of 1, 3, 5 sessions." || len(ee.Args) != 4) {
			t.Errorf("refusal = %q %v", ee.Message, ee.Args)
		}
		k := e.storedContract(eyelevel.Contract{SessionsPerPerson: 2})
		e.grant(alice, k, false)
		if p, _ := e.svc.WhoPays(e.ctx, alice); p.PaidBy != eyelevel.PaidOrganization || p.Organization != "Org" || p.Left != 2 {
			t.Errorf("WhoPays with a credit = %+v", p)
		}
	})
}

// TestCreditRace: clients racing for the last session of a pool never
// overdraw it: exactly one books, the others are refused and keep their
// credits.
func TestCreditRace(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.charge(true)
		counselors := []eyelevel.Actor{
			e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...),
			e.counselor("omid", eyelevel.GenderMale, []string{"de"}, officeHours...),
			e.counselor("lena", eyelevel.GenderFemale, []string{"de"}, officeHours...),
		}
		k := e.storedContract(eyelevel.Contract{Pool: 1})
		const n = 6
		clients := make([]eyelevel.Actor, n)
		credits := make([]eyelevel.Credit, n)
		for i := range n {
			clients[i] = e.client("racer" + string(rune('a'+i)))
			credits[i] = e.grant(clients[i], k, false)
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = e.svc.Book(e.ctx, clients[i], service.BookInput{CounselorID: counselors[i%3].UserID, Start: at(1, 10+i/3, 0)})
			})
		}
		wg.Wait()
		booked := 0
		for i, err := range errs {
			switch eyelevel.ErrorCode(err) {
			case "":
				booked++
				if e.used(credits[i].ID) != 1 {
					t.Errorf("winner's credit used = %d", e.used(credits[i].ID))
				}
			case eyelevel.EPAYMENT:
				if e.used(credits[i].ID) != 0 {
					t.Errorf("refused client's credit used = %d", e.used(credits[i].ID))
				}
			default:
				t.Errorf("client %d: %v", i, err)
			}
		}
		if booked != 1 || e.poolUsed(k.ID) != 1 {
			t.Errorf("booked %d, pool used %d; want 1 and 1", booked, e.poolUsed(k.ID))
		}
		var list []eyelevel.Appointment
		for _, c := range clients {
			as, _, err := e.svc.Appointments(e.ctx, c, false, service.Page{})
			if err != nil {
				t.Fatal(err)
			}
			list = append(list, as...)
		}
		if len(list) != 1 {
			t.Errorf("appointments = %d, want 1 (refused bookings roll back)", len(list))
		}
	})
}

// TestSessionsPerDay: one session per client and calendar day in the
// client's zone, on the free path (PostgreSQL's one round trip) and the
// paid one.
func TestSessionsPerDay(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		svc := newServiceWith(t, e, service.Config{SessionsPerDay: 1})
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, weekdays(0, 24*60)...)
		omid := e.counselor("omid", eyelevel.GenderMale, []string{"de"}, weekdays(0, 24*60)...)
		berlin := e.client("alice") // Europe/Berlin, UTC+1 in December
		u, err := e.svc.AddUser(e.ctx, eyelevel.RoleClient, "bob", password, "UTC")
		if err != nil {
			t.Fatal(err)
		}
		utc := actorOf(u)
		book := func(a, c eyelevel.Actor, start time.Time) error {
			_, err := svc.Book(e.ctx, a, service.BookInput{CounselorID: c.UserID, Start: start})
			return err
		}
		for i, who := range []eyelevel.Actor{berlin, utc} {
			if err := book(who, mia, at(1, 10+i, 0)); err != nil {
				t.Fatal(err)
			}
			wantKey(t, book(who, omid, at(1, 14+i, 0)), eyelevel.ECONFLICT, "booking.err.same_day")
		}
		// 23:00 UTC on Tuesday is Wednesday 00:00 in Berlin.
		if err := book(berlin, omid, at(1, 23, 0)); err != nil {
			t.Errorf("Berlin's next day: %v", err)
		}
		wantKey(t, book(utc, mia, at(1, 23, 0)), eyelevel.ECONFLICT, "booking.err.same_day")
		// Paid bookings keep the rule too.
		k := e.storedContract(eyelevel.Contract{})
		e.grant(utc, k, false)
		wantKey(t, book(utc, mia, at(1, 20, 0)), eyelevel.ECONFLICT, "booking.err.same_day")
		if err := book(utc, mia, at(2, 10, 0)); err != nil {
			t.Errorf("next day, paid: %v", err)
		}
		// 0 in the flag is no limit (the service takes it as negative).
		free := newServiceWith(t, e, service.Config{SessionsPerDay: -1})
		if _, err := free.Book(e.ctx, utc, service.BookInput{CounselorID: omid.UserID, Start: at(2, 14, 0)}); err != nil {
			t.Errorf("no limit: %v", err)
		}
	})
}

// newServiceWith is a second service on e's database and clock.
func newServiceWith(t *testing.T, e *env, cfg service.Config) *service.Service {
	t.Helper()
	return servicetest.NewServiceConfig(t, e.db, cfg, e.clock.Now)
}

// TestSlotsLeaveOutFullDays: the slots a client is offered leave out the
// days (in the client's zone) on which the client already has a session,
// so the pages do not offer what booking refuses; others see every slot,
// and without a daily limit the client does too.
func TestSlotsLeaveOutFullDays(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		svc := newServiceWith(t, e, service.Config{SessionsPerDay: 1})
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, weekdays(0, 24*60)...)
		omid := e.counselor("omid", eyelevel.GenderMale, []string{"de"}, weekdays(0, 24*60)...)
		berlin := e.client("alice") // Europe/Berlin, UTC+1 in December
		if _, err := svc.Book(e.ctx, berlin, service.BookInput{CounselorID: mia.UserID, Start: at(1, 10, 0)}); err != nil {
			t.Fatal(err)
		}
		in := service.SlotsInput{CounselorID: omid.UserID, From: at(1, 0, 0), To: at(3, 0, 0)}
		berlinDay := func(sl eyelevel.Slot) string {
			return sl.Start.In(time.FixedZone("CET", 3600)).Format(time.DateOnly)
		}
		day1 := berlinDay(eyelevel.Slot{Start: at(1, 10, 0)})
		count := func(svc *service.Service, a eyelevel.Actor) (onDay1, other int) {
			t.Helper()
			free, err := svc.Slots(e.ctx, a, in)
			if err != nil {
				t.Fatal(err)
			}
			for _, sl := range free {
				if berlinDay(sl) == day1 {
					onDay1++
				} else {
					other++
				}
			}
			return onDay1, other
		}
		if d1, other := count(svc, berlin); d1 != 0 || other == 0 {
			t.Errorf("client with a session that day is offered %d slots on it (%d on other days)", d1, other)
		}
		if d1, _ := count(svc, eyelevel.Actor{}); d1 == 0 {
			t.Error("anonymous visitors see no slots on that day")
		}
		if d1, _ := count(newServiceWith(t, e, service.Config{SessionsPerDay: -1}), berlin); d1 == 0 {
			t.Error("without a daily limit the client sees no slots on that day")
		}
	})
}
