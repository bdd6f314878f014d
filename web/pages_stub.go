package web

import "net/http"

// Temporary stubs; the pages engineer replaces this file.
type views struct{ d Deps }

func newViews(d Deps) *views { return &views{d} }

func (v *views) stub() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
}
func (v *views) landing() http.Handler          { return v.stub() }
func (v *views) registerForm() http.Handler     { return v.stub() }
func (v *views) register() http.Handler         { return v.stub() }
func (v *views) loginForm() http.Handler        { return v.stub() }
func (v *views) login() http.Handler            { return v.stub() }
func (v *views) logout() http.Handler           { return v.stub() }
func (v *views) findCounselor() http.Handler    { return v.stub() }
func (v *views) counselorPage() http.Handler    { return v.stub() }
func (v *views) confirmBooking() http.Handler   { return v.stub() }
func (v *views) book() http.Handler             { return v.stub() }
func (v *views) myAppointments() http.Handler   { return v.stub() }
func (v *views) cancel() http.Handler           { return v.stub() }
func (v *views) availabilityForm() http.Handler { return v.stub() }
func (v *views) saveAvailability() http.Handler { return v.stub() }
func (v *views) adminCounselors() http.Handler  { return v.stub() }
func (v *views) newCounselorForm() http.Handler { return v.stub() }
func (v *views) createCounselor() http.Handler  { return v.stub() }
func (v *views) notFound() http.Handler         { return v.stub() }
func handleStatic() http.Handler                { return http.NotFoundHandler() }
