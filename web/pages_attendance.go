package web

import (
	"net/http"

	"eyelevel"
	"eyelevel/service"
)

// endSession is the counselor's "End session" in the room: the session
// was held.
func (v *views) endSession() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/appointments") {
			return
		}
		if _, err := v.d.Service.EndSession(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id"))); err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/appointments?notice=saved", http.StatusSeeOther)
	})
}

// setAttendance is the counselor's correction of how a recent session
// ended, from the appointments page.
func (v *views) setAttendance() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/appointments") {
			return
		}
		in := service.AttendanceInput{Attendance: eyelevel.Attendance(r.PostFormValue("attendance"))}
		if _, err := v.d.Service.SetAttendance(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id")), in); err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/appointments?notice=saved#recent", http.StatusSeeOther)
	})
}

// payerOf is who pays for a session the actor books now, for the cost
// line of the counselor and booking pages; nil for anyone but a client.
func (v *views) payerOf(r *http.Request) (*service.Payer, error) {
	a := info(r).Actor
	if a.Role != eyelevel.RoleClient {
		return nil, nil
	}
	p, err := v.d.Service.WhoPays(r.Context(), a)
	if err != nil {
		return nil, err
	}
	return &p, nil
}
