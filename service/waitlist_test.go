package service_test

import (
	"testing"

	"eyelevel"
	"eyelevel/service"
)

func TestWaitlist(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.counselor("dari-busy", eyelevel.GenderFemale, []string{"fa-AF*"}) // no availability at all
		e.counselor("farsi-free", eyelevel.GenderMale, []string{"fa*"}, officeHours...)
		a := e.client("client-a")

		// Capacity in Farsi: book instead of waiting.
		err := e.svc.JoinWaitlist(e.ctx, a, service.SearchInput{Language: "fa"})
		wantKey(t, err, eyelevel.ECONFLICT, "waitlist.err.capacity")
		// None in Dari within 14 days: the client may wait.
		if err := e.svc.JoinWaitlist(e.ctx, a, service.SearchInput{Language: "fa-af"}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.svc.JoinWaitlist(e.ctx, a, service.SearchInput{Language: "xx"}), eyelevel.EINVALID)
		wantCode(t, e.svc.JoinWaitlist(e.ctx, eyelevel.Actor{}, service.SearchInput{Language: "ps"}), eyelevel.EUNAUTHORIZED)
		wantCode(t, e.svc.JoinWaitlist(e.ctx, e.admin, service.SearchInput{Language: "ps"}), eyelevel.EFORBIDDEN)

		list, err := e.svc.Waitlist(e.ctx, a)
		if err != nil || len(list) != 1 || list[0].Language != "fa-AF" || list[0].Available {
			t.Fatalf("waitlist = %+v, %v", list, err)
		}
		// Another client sees nothing of it.
		if other, _ := e.svc.Waitlist(e.ctx, e.client("client-b")); len(other) != 0 {
			t.Errorf("client B sees %+v", other)
		}
		if n, err := e.svc.NotifyWaitlist(e.ctx); err != nil || n != 0 {
			t.Fatalf("notify without capacity: %d, %v", n, err)
		}

		// A Dari counselor opens hours: the waiting client is notified once.
		e.counselor("dari-new", eyelevel.GenderFemale, []string{"fa-AF*"}, officeHours...)
		if n, err := e.svc.NotifyWaitlist(e.ctx); err != nil || n != 1 {
			t.Fatalf("notify with capacity: %d, %v", n, err)
		}
		if n, _ := e.svc.NotifyWaitlist(e.ctx); n != 0 {
			t.Errorf("notified twice: %d", n)
		}
		list, _ = e.svc.Waitlist(e.ctx, a)
		if len(list) != 1 || !list[0].Available {
			t.Fatalf("after capacity: %+v", list)
		}
		if err := e.svc.LeaveWaitlist(e.ctx, a, "fa-AF"); err != nil {
			t.Fatal(err)
		}
		if list, _ = e.svc.Waitlist(e.ctx, a); len(list) != 0 {
			t.Errorf("after leaving: %+v", list)
		}
	})
}
