package web

import "net/http"

// addRoutes lists eyelevel's whole URL surface.
func addRoutes(mux *http.ServeMux, d Deps) {
	v := newViews(d)

	mux.Handle("GET /healthz", handleHealthz(d))

	// JSON API, described in openapi.json.
	mux.Handle("GET /api/v1/openapi.json", handleOpenAPI())
	mux.Handle("POST /api/v1/accounts", handleRegister(d))
	mux.Handle("POST /api/v1/tokens", handleCreateToken(d))
	mux.Handle("DELETE /api/v1/tokens/current", authed(d, handleDeleteToken(d)))
	mux.Handle("GET /api/v1/me", authed(d, handleMe(d)))
	mux.Handle("POST /api/v1/counselors", authed(d, handleCreateCounselor(d)))
	mux.Handle("GET /api/v1/counselors", authed(d, handleSearchCounselors(d)))
	mux.Handle("GET /api/v1/counselors/{id}", authed(d, handleGetCounselor(d)))
	mux.Handle("GET /api/v1/counselors/{id}/availability", authed(d, handleGetAvailability(d)))
	mux.Handle("PUT /api/v1/counselors/{id}/availability", authed(d, handlePutAvailability(d)))
	mux.Handle("GET /api/v1/counselors/{id}/slots", authed(d, handleSlots(d)))
	mux.Handle("POST /api/v1/appointments", authed(d, handleBook(d)))
	mux.Handle("GET /api/v1/appointments", authed(d, handleListAppointments(d)))
	mux.Handle("GET /api/v1/appointments/{id}", authed(d, handleGetAppointment(d)))
	mux.Handle("DELETE /api/v1/appointments/{id}", authed(d, handleCancel(d)))
	mux.Handle("GET /api/v1/appointments/{id}/room", authed(d, handleRoom(d)))
	mux.Handle("GET /api/v1/appointments/{id}/room/signal", authed(d, handleSignal(d)))
	mux.Handle("POST /api/v1/waitlist", authed(d, handleJoinWaitlist(d)))
	mux.Handle("GET /api/v1/waitlist", authed(d, handleWaitlist(d)))
	mux.Handle("DELETE /api/v1/waitlist/{language}", authed(d, handleLeaveWaitlist(d)))
	mux.Handle("/api/", handleAPINotFound(d, mux))

	// Pages, rendered on the server; they work without JavaScript.
	mux.Handle("GET /static/", handleStatic(d))
	mux.Handle("GET /{$}", v.landing())
	mux.Handle("GET /help", v.help())
	mux.Handle("GET /register", v.registerForm())
	mux.Handle("POST /register", v.register())
	mux.Handle("GET /login", v.loginForm())
	mux.Handle("POST /login", v.login())
	mux.Handle("POST /logout", v.logout())
	mux.Handle("GET /counselors", v.findCounselor())
	mux.Handle("GET /counselors/{id}", v.counselorPage())
	mux.Handle("GET /book", v.confirmBooking())
	mux.Handle("POST /book", v.book())
	mux.Handle("GET /appointments", v.myAppointments())
	mux.Handle("POST /appointments/{id}/cancel", v.cancel())
	mux.Handle("GET /appointments/{id}/room", v.roomPage())
	mux.Handle("GET /availability", v.availabilityForm())
	mux.Handle("POST /availability", v.saveAvailability())
	mux.Handle("GET /admin/counselors", v.adminCounselors())
	mux.Handle("GET /admin/counselors/new", v.newCounselorForm())
	mux.Handle("POST /admin/counselors/new", v.createCounselor())
	mux.Handle("POST /waitlist", v.joinWaitlist())
	mux.Handle("POST /waitlist/leave", v.leaveWaitlist())
	mux.Handle("/", v.notFound())
}
