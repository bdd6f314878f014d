package service_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// recorder is an Observer that writes down what it is told.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
}

func (r *recorder) Booked(by string) { r.add("booked by " + by) }
func (r *recorder) Cancelled(by string, n int) {
	for range n {
		r.add("cancelled by " + by)
	}
}
func (r *recorder) BookingConflict(reason string) { r.add("conflict " + reason) }

// TestObserverIsTold: the service tells its Observer of each booking and
// cancellation with the actor's role, and of each refused booking with the
// refusal's word — never an id.
func TestObserverIsTold(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		rec := &recorder{}
		clk := &clock{t: monday}
		e := &env{t: t, ctx: context.Background(), db: db, clock: clk,
			svc: servicetest.NewServiceConfig(t, db, service.Config{Observer: rec}, clk.Now)}
		e.admin = e.user(eyelevel.RoleAdmin, "admin")
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		alice, bob := e.client("alice"), e.client("bob")

		a := e.book(alice, mia, at(2, 10, 0))
		_, err := e.svc.Book(e.ctx, bob, service.BookInput{CounselorID: mia.UserID, Start: at(2, 10, 0)})
		wantCode(t, err, eyelevel.ECONFLICT)
		_, err = e.svc.Book(e.ctx, alice, service.BookInput{CounselorID: mia.UserID, Start: at(2, 10, 0)})
		wantCode(t, err, eyelevel.ECONFLICT)
		_, err = e.svc.Book(e.ctx, alice, service.BookInput{CounselorID: "nobody", Start: at(2, 11, 0)})
		wantCode(t, err, eyelevel.ENOTFOUND) // not a conflict: not counted
		if _, err := e.svc.Cancel(e.ctx, alice, a.ID); err != nil {
			t.Fatal(err)
		}
		b := e.book(bob, mia, at(2, 11, 0))
		if _, err := e.svc.Cancel(e.ctx, mia, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Cancel(e.ctx, mia, b.ID); err == nil {
			t.Fatal("cancelled twice")
		}
		want := []string{"booked by client", "conflict taken", "conflict already_yours", "cancelled by client", "booked by client", "cancelled by counselor"}
		if !slices.Equal(rec.events, want) {
			t.Errorf("observed %q\nwant     %q", rec.events, want)
		}
	})
}
