package service_test

import (
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// bought gives client a paid package of n sessions expiring at expires.
func (e *env) bought(client eyelevel.Actor, n int, expires time.Time) eyelevel.Credit {
	e.t.Helper()
	p := eyelevel.Purchase{ID: eyelevel.NewID(), ClientID: client.UserID, Sessions: n, Amount: 6500 * int64(n), UnitPrice: 6500,
		Currency: "EUR", Status: eyelevel.PurchasePaid, CreatedAt: monday}
	if err := e.db.CreatePurchase(e.ctx, p); err != nil {
		e.t.Fatal(err)
	}
	c := eyelevel.Credit{ID: eyelevel.NewID(), ClientID: client.UserID, Source: eyelevel.SourcePurchase, PurchaseID: p.ID,
		Granted: n, ExpiresAt: expires, CreatedAt: monday}
	if err := e.db.GrantCredit(e.ctx, c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// TestCorrectionDrawsCredit: a correction that makes a session count
// again draws its credit; when the allowance or the pool has none left
// (the client booked again with the returned session), it is refused and
// nothing changes. A free session has nothing to draw.
func TestCorrectionDrawsCredit(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		k := e.storedContract(eyelevel.Contract{SessionsPerPerson: 1, Pool: 1, LateCancelCounts: true})
		alice := e.client("alice")
		credit := e.grant(alice, k, false)
		a := e.book(alice, mia, at(0, 10, 0))
		e.charge(false)
		bob := e.client("bob") // no credit: books for free
		free := e.book(bob, mia, at(0, 11, 0))
		e.clock.Advance(at(0, 12, 10).Sub(monday))
		if _, err := e.svc.SettleAttendance(e.ctx); err != nil { // nobody joined: the counselor's no-show
			t.Fatal(err)
		}
		if e.used(credit.ID) != 0 || e.poolUsed(k.ID) != 0 {
			t.Fatalf("after the counselor's no-show: used %d, pool %d", e.used(credit.ID), e.poolUsed(k.ID))
		}
		b := e.book(alice, mia, at(3, 10, 0)) // draws the returned session
		set := func(id eyelevel.AppointmentID, att eyelevel.Attendance) error {
			_, err := e.svc.SetAttendance(e.ctx, mia, id, service.AttendanceInput{Attendance: att})
			return err
		}
		for _, att := range []eyelevel.Attendance{eyelevel.AttendanceHeld, eyelevel.AttendanceNoShowClient} {
			wantKey(t, set(a.ID, att), eyelevel.ECONFLICT, "attendance.err.no_credit")
			if stored, _ := e.db.Appointment(e.ctx, a.ID); stored.Attendance != eyelevel.AttendanceNoShowCounselor {
				t.Errorf("refused correction to %s stored %q", att, stored.Attendance)
			}
			if e.used(credit.ID) != 1 || e.poolUsed(k.ID) != 1 {
				t.Errorf("refused correction to %s: used %d, pool %d; want 1, 1", att, e.used(credit.ID), e.poolUsed(k.ID))
			}
		}
		if err := set(free.ID, eyelevel.AttendanceHeld); err != nil {
			t.Errorf("free session corrected to held: %v", err)
		}
		// Once the client cancels the other booking, the correction
		// takes its session.
		if _, err := e.svc.Cancel(e.ctx, alice, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := set(a.ID, eyelevel.AttendanceHeld); err != nil {
			t.Fatal(err)
		}
		if e.used(credit.ID) != 1 || e.poolUsed(k.ID) != 1 {
			t.Errorf("after the correction: used %d, pool %d; want 1, 1", e.used(credit.ID), e.poolUsed(k.ID))
		}

		// The pool alone can refuse too: another client took its last session.
		k2 := e.storedContract(eyelevel.Contract{SessionsPerPerson: 5, Pool: 1})
		cara, dan := e.client("cara"), e.client("dan")
		credit2 := e.grant(cara, k2, false)
		e.grant(dan, k2, false)
		c := e.book(cara, mia, at(1, 10, 0))
		e.clock.Advance(at(1, 11, 10).Sub(e.clock.Now()))
		if _, err := e.svc.SettleAttendance(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.book(dan, mia, at(3, 11, 0))
		wantKey(t, set(c.ID, eyelevel.AttendanceHeld), eyelevel.ECONFLICT, "attendance.err.no_credit")
		if e.used(credit2.ID) != 0 || e.poolUsed(k2.ID) != 1 {
			t.Errorf("refused by the pool: used %d, pool %d; want 0, 1", e.used(credit2.ID), e.poolUsed(k2.ID))
		}
	})
}

// TestCreditExpiresBeforeSession: a credit pays only for sessions that
// start before it expires (the contract's grace end, a package's expiry),
// not merely for bookings made before then; WhoPays judges the earliest
// session one can book.
func TestCreditExpiresBeforeSession(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.charge(true)
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		book := func(who eyelevel.Actor, start time.Time) (eyelevel.Appointment, error) {
			return e.svc.Book(e.ctx, who, service.BookInput{CounselorID: mia.UserID, Start: start})
		}
		// Grace ends 3 December 00:00.
		k := e.storedContract(eyelevel.Contract{Starts: "2026-10-01", Ends: "2026-11-20", GraceDays: 12})
		alice := e.client("alice")
		credit := e.grant(alice, k, true)
		_, err := book(alice, at(4, 10, 0))
		wantKey(t, err, eyelevel.EPAYMENT, "payment.err.org_used_up")
		if a, err := book(alice, at(2, 10, 0)); err != nil || a.PaidBy != eyelevel.PaidOrganization {
			t.Errorf("session within the grace period: %+v, %v", a, err)
		}
		if e.used(credit.ID) != 1 {
			t.Errorf("used = %d, want 1", e.used(credit.ID))
		}

		// A package expiring tomorrow 00:00.
		bob := e.client("bob")
		pkg := e.bought(bob, 3, at(1, 0, 0))
		_, err = book(bob, at(2, 10, 0))
		wantKey(t, err, eyelevel.EPAYMENT, "payment.err.required")
		if a, err := book(bob, at(0, 14, 0)); err != nil || a.PaidBy != eyelevel.PaidPurchase || a.CreditID != pkg.ID {
			t.Errorf("session before the package expires: %+v, %v", a, err)
		}

		// Expiring before the earliest bookable start: nothing to pay with.
		cara := e.client("cara")
		e.bought(cara, 3, monday.Add(30*time.Minute))
		if p, err := e.svc.WhoPays(e.ctx, cara); err != nil || !p.NeedsPackage() {
			t.Errorf("WhoPays with a package expiring before any session = %+v, %v", p, err)
		}
	})
}

// TestCarePointSpendsOnlyItsContract: a care point booking for its client
// spends the care point's contract, never the client's own package nor
// another organization's sessions; without it the usual refusal (or a free
// booking when nobody charges).
func TestCarePointSpendsOnlyItsContract(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.charge(true)
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		k := e.storedContract(eyelevel.Contract{})
		other := e.storedContract(eyelevel.Contract{})
		ana := e.staff(eyelevel.RoleCarePoint, "ana", k.OrganizationID)
		nour := e.client("nour")
		e.registered(nour, ana, k)
		pkg := e.bought(nour, 3, at(30, 0, 0))
		otherCredit := e.grant(nour, other, false)
		book := func(who eyelevel.Actor, client eyelevel.UserID, start time.Time) (eyelevel.Appointment, error) {
			return e.svc.Book(e.ctx, who, service.BookInput{CounselorID: mia.UserID, Start: start, ClientID: client})
		}
		_, err := book(ana, nour.UserID, at(1, 10, 0))
		wantCode(t, err, eyelevel.EPAYMENT)
		e.charge(false)
		if a, err := book(ana, nour.UserID, at(1, 10, 0)); err != nil || a.PaidBy != eyelevel.PaidFree || a.CreditID != "" {
			t.Errorf("care point's booking when nobody charges = %+v, %v", a, err)
		}
		if e.used(pkg.ID) != 0 || e.used(otherCredit.ID) != 0 {
			t.Errorf("care point spent the package (%d) or another organization's credit (%d)", e.used(pkg.ID), e.used(otherCredit.ID))
		}
		e.charge(true)
		credit := e.grant(nour, k, false)
		if a, err := book(ana, nour.UserID, at(2, 10, 0)); err != nil || a.PaidBy != eyelevel.PaidOrganization || a.CreditID != credit.ID {
			t.Errorf("care point's booking on its contract = %+v, %v", a, err)
		}
		// The client herself books with what she holds, her organization's first.
		if a, err := book(nour, "", at(3, 10, 0)); err != nil || a.PaidBy != eyelevel.PaidOrganization {
			t.Errorf("client's own booking = %+v, %v", a, err)
		}
		if e.used(pkg.ID) != 0 {
			t.Errorf("package used = %d, want 0 while organization credits remain", e.used(pkg.ID))
		}
	})
}
