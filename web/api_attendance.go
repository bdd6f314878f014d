package web

import (
	"net/http"

	"eyelevel"
	"eyelevel/service"
)

// handleSetAttendance lets the counselor record or correct how a session
// ended.
func handleSetAttendance(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.AttendanceInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		a, err := d.Service.SetAttendance(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id")), in)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, appointmentOf(a))
	})
}
