package web

import (
	"net/http"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// The API of appointment changes that mails report: moving a session to
// another time, and the counselor's calendar feed.

type rescheduleJSON struct {
	Start string `json:"start"`
}

func handleReschedule(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[rescheduleJSON](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		var start time.Time // zero when missing; the service asks for it
		if in.Start != "" {
			if start, err = time.Parse(time.RFC3339, in.Start); err != nil {
				writeError(w, r, d, eyelevel.Invalid(map[string]string{"start": "error.bad_time"}))
				return
			}
		}
		a, err := d.Service.Reschedule(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id")), service.RescheduleInput{Start: start})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, appointmentOf(a))
	})
}

type calendarFeedJSON struct {
	URL string `json:"url"`
}

func handleCreateCalendarFeed(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := d.Service.NewCalendarFeed(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, calendarFeedJSON{URL: u})
	})
}
