package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"
)

// race runs n calls of fn at the same moment: every goroutine waits at a
// barrier until all have started. It returns their errors by index and fails
// the test if they take longer than a minute (a deadlock).
func race(t *testing.T, n int, fn func(ctx context.Context, i int) error) []error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn(ctx, i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	if ctx.Err() != nil {
		t.Fatalf("concurrent calls did not finish within a minute: %v", ctx.Err())
	}
	return errs
}

// bookedAt returns the counselor's booked appointments, straight from the store.
func bookedAt(t *testing.T, db *store.DB, counselor eyelevel.UserID) map[time.Time]int {
	t.Helper()
	as, err := db.Appointments(context.Background(), store.AppointmentFilter{CounselorID: counselor})
	if err != nil {
		t.Fatal(err)
	}
	n := map[time.Time]int{}
	for _, a := range as {
		if a.Status == eyelevel.StatusBooked {
			n[a.Start]++
		}
	}
	return n
}

// One client sends the same booking ten times at once (a double tap, a
// retried request): one books it, and every other is told that the client
// already holds this time, not that someone else took it.
func TestConcurrentBookingSameClient(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const n = 10
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		alice := e.client("alice")
		slot := at(1, 10, 0)
		errs := race(t, n, func(ctx context.Context, i int) error {
			_, err := e.svc.Book(ctx, alice, service.BookInput{CounselorID: mia.UserID, Start: slot})
			return err
		})
		winners := 0
		for _, err := range errs {
			if err == nil {
				winners++
				continue
			}
			wantKey(t, err, eyelevel.ECONFLICT, "booking.err.already_yours")
		}
		if winners != 1 {
			t.Fatalf("%d bookings succeeded, want 1", winners)
		}
	})
}

// Sixty clients book the same slot at once: exactly one gets it.
func TestConcurrentBookingSameSlot(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const n = 60
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		clients := make([]eyelevel.Actor, n)
		for i := range clients {
			clients[i] = e.client(fmt.Sprintf("client%02d", i))
		}
		slot := at(1, 10, 0)
		errs := race(t, n, func(ctx context.Context, i int) error {
			_, err := e.svc.Book(ctx, clients[i], service.BookInput{CounselorID: mia.UserID, Start: slot})
			return err
		})
		winners, conflicts := 0, 0
		for i, err := range errs {
			switch eyelevel.ErrorCode(err) {
			case "":
				winners++
			case eyelevel.ECONFLICT:
				conflicts++
			default:
				t.Errorf("client %d: %v", i, err)
			}
		}
		if winners != 1 || conflicts != n-1 {
			t.Fatalf("%d bookings succeeded and %d conflicted, want 1 and %d", winners, conflicts, n-1)
		}
		if got := bookedAt(t, e.db, mia.UserID); len(got) != 1 || got[slot] != 1 {
			t.Fatalf("booked in the database: %v, want one at %v", got, slot)
		}
	})
}

// Sixty clients book sixty different slots of one counselor at once: the
// counselor's lock serializes them without spurious conflicts or deadlocks.
func TestConcurrentBookingDistinctSlots(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const n = 60
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		clients := make([]eyelevel.Actor, n)
		starts := make([]time.Time, n)
		for i := range clients {
			clients[i] = e.client(fmt.Sprintf("client%02d", i))
			// Eight slots a day, Tuesday to Friday of this week and the next.
			d := i / 8
			if d >= 4 {
				d += 3
			}
			starts[i] = at(1+d, 9+i%8, 0)
		}
		errs := race(t, n, func(ctx context.Context, i int) error {
			_, err := e.svc.Book(ctx, clients[i], service.BookInput{CounselorID: mia.UserID, Start: starts[i]})
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("client %d at %v: %v", i, starts[i], err)
			}
		}
		got := bookedAt(t, e.db, mia.UserID)
		for _, s := range starts {
			if got[s] != 1 {
				t.Errorf("%v booked %d times, want once", s, got[s])
			}
		}
		if len(got) != n {
			t.Errorf("%d slots booked, want %d", len(got), n)
		}
	})
}

// One client books the same hour with twenty counselors at once: the
// client's lock lets only one through, and the lock order (counselor, then
// client) keeps the others from deadlocking.
func TestConcurrentBookingOneClient(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		const n = 20
		alice := e.client("alice")
		counselors := make([]eyelevel.Actor, n)
		for i := range counselors {
			counselors[i] = e.counselor(fmt.Sprintf("c%02d", i), eyelevel.GenderFemale, []string{"de"}, officeHours...)
		}
		slot := at(1, 10, 0)
		errs := race(t, n, func(ctx context.Context, i int) error {
			_, err := e.svc.Book(ctx, alice, service.BookInput{CounselorID: counselors[i].UserID, Start: slot})
			return err
		})
		winners := 0
		for i, err := range errs {
			switch eyelevel.ErrorCode(err) {
			case "":
				winners++
			case eyelevel.ECONFLICT:
				wantKey(t, err, eyelevel.ECONFLICT, "booking.err.overlap")
			default:
				t.Errorf("counselor %d: %v", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("%d bookings succeeded, want 1", winners)
		}
		as, _, err := e.svc.Appointments(e.ctx, alice, false, service.Page{})
		if err != nil || len(as) != 1 {
			t.Fatalf("alice's appointments = %d, %v; want 1", len(as), err)
		}
	})
}
