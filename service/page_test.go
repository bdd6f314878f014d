package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// TestExportNotCutOff: the data export holds every response and
// appointment, however many (it used to stop at 1,000 responses and 10,000
// appointments without saying so).
func TestExportNotCutOff(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		x := e.counselor("xenia", eyelevel.GenderFemale, []string{"de*"}, officeHours...)
		a := e.client("anna")
		created := e.clock.Now().Add(-24 * time.Hour)
		const responses, appointments = 1203, 1101
		err := e.db.InTx(e.ctx, func(ctx context.Context) error {
			for i := range responses {
				r := eyelevel.Response{ID: eyelevel.NewID(), ClientID: a.UserID, Instrument: "who5", Language: "de", Occasion: "checkin",
					Answers: []int{3, 3, 3, 3, 3}, Score: 15, CreatedAt: created.Add(time.Duration(i%7) * time.Second)}
				if err := e.db.CreateResponse(ctx, r); err != nil {
					return err
				}
			}
			for i := range appointments {
				start := created.Add(-time.Duration(i) * time.Hour)
				ap := eyelevel.Appointment{ID: eyelevel.AppointmentID(eyelevel.NewID()), CounselorID: x.UserID, ClientID: a.UserID,
					Start: start, End: start.Add(50 * time.Minute), Status: eyelevel.StatusBooked, CreatedAt: start}
				if err := e.db.CreateAppointment(ctx, ap); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		xp, err := e.svc.Export(e.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if len(xp.Responses) != responses || len(xp.Appointments) != appointments {
			t.Errorf("export has %d responses and %d appointments, want %d and %d", len(xp.Responses), len(xp.Appointments), responses, appointments)
		}
		seen := map[string]bool{}
		for _, r := range xp.Responses {
			if seen[r.ID] {
				t.Fatalf("response %s exported twice", r.ID)
			}
			seen[r.ID] = true
		}
	})
}

// TestPageSlice: a list computed in memory pages on after the last item
// shown even when the list changed in between, and refuses bad cursors.
func TestPageSlice(t *testing.T) {
	id := func(s string) string { return s }
	page, next, err := service.PageSlice([]string{"a", "b", "c", "d", "e"}, service.Page{Limit: 2}, id)
	if err != nil || !slices.Equal(page, []string{"a", "b"}) || next == "" {
		t.Fatalf("first page = %v, %q, %v", page, next, err)
	}
	for _, c := range []struct {
		list, want []string
	}{
		{[]string{"a", "b", "c", "d", "e"}, []string{"c", "d"}},
		{[]string{"b", "c", "d", "e"}, []string{"c", "d"}},      // a went away
		{[]string{"x", "a", "b", "c", "d"}, []string{"c", "d"}}, // x came first
		{[]string{"a", "c", "d", "e"}, []string{"d", "e"}},      // b went away: go on at its position
		{[]string{"a"}, []string{}},
	} {
		got, _, err := service.PageSlice(c.list, service.Page{Limit: 2, Cursor: next}, id)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("next page of %v = %v, %v; want %v", c.list, got, err, c.want)
		}
	}
	for _, bad := range []string{"x", "MS4tMS5h", "Mi4wLmE", "MS4wLg", "====", "MS5hLmE"} {
		if _, _, err := service.PageSlice([]string{"a"}, service.Page{Cursor: bad}, id); eyelevel.ErrorCode(err) != eyelevel.EINVALID {
			t.Errorf("cursor %q: err = %v, want invalid", bad, err)
		}
	}
}
