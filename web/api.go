package web

import (
	_ "embed"
	"net/http"
	"strconv"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/slots"
)

// authed refuses anonymous API calls: everything but sign-up and token
// creation needs a bearer token (or a session cookie).
func authed(d Deps, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info(r).Actor.Anonymous() {
			writeError(w, r, d, eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "error.unauthorized", "Please log in."))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func handleHealthz(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Alive means able to write: a full disk must not look healthy.
		if err := d.Service.CheckWrite(r.Context()); err != nil {
			d.Log.Error("health check", "err", err)
			encode(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz tells load balancers whether to send traffic here: not
// while the node drains before a stop, nor while it cannot reach its
// database or the other nodes.
func handleReadyz(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.Ready != nil {
			if err := d.Ready(r.Context()); err != nil {
				d.Log.Warn("not ready", "err", err)
				encode(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
				return
			}
		}
		encode(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

//go:embed openapi.json
var openapiDoc []byte

func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openapiDoc)
	})
}

// handleAPINotFound answers unknown API paths with a JSON 404, and known
// paths asked with the wrong method with a JSON 405 and an Allow header.
func handleAPINotFound(d Deps, mux *http.ServeMux) http.Handler {
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range methods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "/api/" && pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, r, d, &eyelevel.Error{Code: EMETHOD, Key: "error.method", Message: "This method is not allowed here."})
			return
		}
		writeError(w, r, d, eyelevel.ErrNotFound())
	})
}

type accountJSON struct {
	ID       eyelevel.UserID `json:"id"`
	Username string          `json:"username"`
	Role     eyelevel.Role   `json:"role"`
	Language string          `json:"language,omitempty"`
	TimeZone string          `json:"timezone,omitempty"`
}

func handleRegister(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.RegisterInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		a, err := d.Service.SignUp(r.Context(), in, info(r).IP)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusCreated, registeredOf(a))
	})
}

func handleCreateToken(d Deps) http.Handler {
	type credentials struct {
		Username    string `json:"username"`
		Password    string `json:"password"`
		DeviceToken string `json:"device_token"`
		OTP         string `json:"otp"` // the second factor's code, when the account has one
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[credentials](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out, err := d.Service.SignIn(r.Context(), service.Credentials{
			Username: in.Username, Password: in.Password, IP: info(r).IP, API: true, Device: in.DeviceToken, OTP: in.OTP,
		})
		if err != nil {
			writeTokenError(w, r, d, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		resp := map[string]any{"token": out.Token, "expires_at": out.Expires.UTC().Format(time.RFC3339), "device_token": out.Device}
		if out.Limited {
			resp["second_factor"] = "enroll" // the token reaches only the enrolment (api_secondfactor.go)
		}
		encode(w, http.StatusCreated, resp)
	})
}

func handleDeleteToken(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := d.Service.Logout(r.Context(), info(r).Token); err != nil {
			writeError(w, r, d, err)
			return
		}
		d.Hub.Recheck(info(r).Actor.UserID) // ends this token's video-room signaling at once
		w.WriteHeader(http.StatusNoContent)
	})
}

func handleDeleteSessions(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := d.Service.LogoutEverywhere(r.Context(), info(r).Actor); err != nil {
			writeError(w, r, d, err)
			return
		}
		d.Hub.Recheck(info(r).Actor.UserID) // ends the account's video-room signaling at once
		w.WriteHeader(http.StatusNoContent)
	})
}

type slotJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

func slotOf(s eyelevel.Slot) slotJSON {
	return slotJSON{Start: s.Start.UTC().Format(time.RFC3339), End: s.End.UTC().Format(time.RFC3339)}
}

type counselorJSON struct {
	ID             eyelevel.UserID          `json:"id"`
	DisplayName    string                   `json:"display_name"`
	Gender         eyelevel.Gender          `json:"gender"`
	Languages      []eyelevel.LanguageSkill `json:"languages"`
	TimeZone       string                   `json:"timezone"`
	Bio            string                   `json:"bio"`
	Qualifications string                   `json:"qualifications"`
	ReplyDays      int                      `json:"reply_days"`
	NextSlot       *slotJSON                `json:"next_slot,omitempty"`
	// FallbackLanguage is set when the counselor speaks only a close
	// language (Dari for Farsi, Farsi for Dari).
	FallbackLanguage string `json:"fallback_language,omitempty"`
}

func counselorOf(c eyelevel.Counselor) counselorJSON {
	langs := c.Languages
	if langs == nil {
		langs = []eyelevel.LanguageSkill{}
	}
	return counselorJSON{ID: c.ID, DisplayName: c.DisplayName, Gender: c.Gender, Languages: langs, TimeZone: c.TimeZone, Bio: c.Bio, Qualifications: c.Qualifications, ReplyDays: c.ReplyDays}
}

func handleCreateCounselor(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.CounselorInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		c, err := d.Service.CreateCounselor(r.Context(), info(r).Actor, in)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, counselorOf(c))
	})
}

func handleSearchCounselors(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ms, err := d.Service.Search(r.Context(), info(r).Actor, service.SearchInput{Language: q.Get("language"), Gender: eyelevel.Gender(q.Get("gender"))})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		ms, next, ok := paged(w, r, d, ms, func(m service.Match) string { return string(m.Counselor.ID) })
		if !ok {
			return
		}
		out := make([]counselorJSON, len(ms))
		for i, m := range ms {
			out[i] = counselorOf(m.Counselor)
			out[i].FallbackLanguage = m.Fallback
			if m.NextSlot != nil {
				s := slotOf(*m.NextSlot)
				out[i].NextSlot = &s
			}
		}
		body := listJSON("counselors", out, next)
		if len(ms) == 0 && q.Get("cursor") == "" {
			// Nobody of the gender asked for: say so, so that the client can
			// drop the filter, rather than suggest that nobody speaks it.
			in := service.SearchInput{Language: q.Get("language"), Gender: eyelevel.Gender(q.Get("gender"))}
			if only, err := d.Service.OnlyGenderMissing(r.Context(), in); err != nil {
				writeError(w, r, d, err)
				return
			} else if only {
				body["other_genders"] = true
			}
		}
		encode(w, http.StatusOK, body)
	})
}

func handleGetCounselor(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := d.Service.Counselor(r.Context(), info(r).Actor, eyelevel.UserID(r.PathValue("id")))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, counselorOf(c))
	})
}

func handleUpdateCounselor(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.ProfileInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		c, err := d.Service.UpdateCounselor(r.Context(), info(r).Actor, eyelevel.UserID(r.PathValue("id")), in)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, counselorOf(c))
	})
}

func handleSlots(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p := map[string]string{}
		from, err := time.Parse(time.RFC3339, q.Get("from"))
		if err != nil {
			p["from"] = "error.bad_time"
		}
		to, err := time.Parse(time.RFC3339, q.Get("to"))
		if err != nil {
			p["to"] = "error.bad_time"
		}
		if len(p) > 0 {
			writeError(w, r, d, eyelevel.Invalid(p))
			return
		}
		ss, err := d.Service.Slots(r.Context(), info(r).Actor, service.SlotsInput{CounselorID: eyelevel.UserID(r.PathValue("id")), From: from, To: to})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]slotJSON, len(ss))
		for i, s := range ss {
			out[i] = slotOf(s)
		}
		encode(w, http.StatusOK, map[string]any{"slots": out})
	})
}

type windowJSON struct {
	Weekday int    `json:"weekday"`
	Start   string `json:"start"`
	End     string `json:"end"`
}

type exceptionJSON struct {
	Date      string `json:"date"`
	Available bool   `json:"available"`
	Start     string `json:"start,omitempty"`
	End       string `json:"end,omitempty"`
}

type availabilityJSON struct {
	Weekly     []windowJSON    `json:"weekly"`
	Exceptions []exceptionJSON `json:"exceptions"`
}

func availabilityOf(av eyelevel.Availability) availabilityJSON {
	out := availabilityJSON{Weekly: []windowJSON{}, Exceptions: []exceptionJSON{}}
	for _, w := range av.Weekly {
		out.Weekly = append(out.Weekly, windowJSON{Weekday: int(w.Weekday), Start: slots.FormatClock(w.Start), End: slots.FormatClock(w.End)})
	}
	for _, e := range av.Exceptions {
		x := exceptionJSON{Date: e.Date, Available: e.Available}
		if e.Start != 0 || e.End != 0 {
			x.Start, x.End = slots.FormatClock(e.Start), slots.FormatClock(e.End)
		}
		out.Exceptions = append(out.Exceptions, x)
	}
	return out
}

// toAvailability parses clock strings; problems are keyed like the
// service's ("weekly[2].end").
func (in availabilityJSON) toAvailability() (eyelevel.Availability, map[string]string) {
	var av eyelevel.Availability
	p := map[string]string{}
	clock := func(s, field string) int {
		m, err := slots.ParseClock(s)
		if err != nil {
			p[field] = "availability.err.time"
		}
		return m
	}
	if len(in.Weekly) > 1000 {
		p["weekly"] = "availability.err.too_many"
	}
	if len(in.Exceptions) > 1000 {
		p["exceptions"] = "availability.err.too_many"
	}
	if len(p) > 0 {
		return av, p
	}
	for i, w := range in.Weekly {
		f := "weekly[" + itoa(i) + "]"
		av.Weekly = append(av.Weekly, eyelevel.WeeklyWindow{Weekday: time.Weekday(w.Weekday), Start: clock(w.Start, f+".start"), End: clock(w.End, f+".end")})
	}
	for i, e := range in.Exceptions {
		f := "exceptions[" + itoa(i) + "]"
		x := eyelevel.Exception{Date: e.Date, Available: e.Available}
		if e.Start != "" || e.End != "" {
			x.Start, x.End = clock(e.Start, f+".start"), clock(e.End, f+".end")
		}
		av.Exceptions = append(av.Exceptions, x)
	}
	return av, p
}

func handleGetAvailability(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		av, err := d.Service.Availability(r.Context(), info(r).Actor, eyelevel.UserID(r.PathValue("id")))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, availabilityOf(av))
	})
}

func handlePutAvailability(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[availabilityJSON](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		av, p := in.toAvailability()
		if len(p) > 0 {
			writeError(w, r, d, eyelevel.Invalid(p))
			return
		}
		id := eyelevel.UserID(r.PathValue("id"))
		if err := d.Service.SetAvailability(r.Context(), info(r).Actor, id, av); err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, availabilityOf(av))
	})
}

type appointmentJSON struct {
	ID            eyelevel.AppointmentID     `json:"id"`
	CounselorID   eyelevel.UserID            `json:"counselor_id"`
	ClientID      eyelevel.UserID            `json:"client_id"`
	Start         string                     `json:"start"`
	End           string                     `json:"end"`
	Status        eyelevel.AppointmentStatus `json:"status"`
	CounselorName string                     `json:"counselor_name,omitempty"`
	PaidBy        eyelevel.PaidBy            `json:"paid_by"`
	// Attendance is null until the session has ended and been settled.
	Attendance *eyelevel.Attendance `json:"attendance"`
	// ClientWaiting tells the counselor that the client waits in the room.
	ClientWaiting bool `json:"client_waiting,omitempty"`
}

func appointmentOf(a eyelevel.Appointment) appointmentJSON {
	out := appointmentJSON{ID: a.ID, CounselorID: a.CounselorID, ClientID: a.ClientID,
		Start: a.Start.UTC().Format(time.RFC3339), End: a.End.UTC().Format(time.RFC3339), Status: a.Status, CounselorName: a.CounselorName,
		PaidBy: a.PaidBy}
	if out.PaidBy == "" {
		out.PaidBy = eyelevel.PaidFree
	}
	if a.Attendance != eyelevel.AttendanceNone {
		att := a.Attendance
		out.Attendance = &att
	}
	return out
}

// bookJSON is a booking as sent. The start stays a string until the handler
// parses it, so that a malformed time is reported on its field.
type bookJSON struct {
	CounselorID eyelevel.UserID `json:"counselor_id"`
	Start       string          `json:"start"`
	ClientID    eyelevel.UserID `json:"client_id"` // a care point's client
}

func handleBook(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[bookJSON](w, r)
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
		a, err := d.Service.Book(r.Context(), info(r).Actor, service.BookInput{CounselorID: in.CounselorID, Start: start, ClientID: in.ClientID})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, appointmentOf(a))
	})
}

func handleListAppointments(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pg, err := pageOf(r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		as, next, err := d.Service.Appointments(r.Context(), info(r).Actor, r.URL.Query().Get("past") == "true", pg)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		ids := make([]eyelevel.AppointmentID, len(as))
		for i, a := range as {
			ids[i] = a.ID
		}
		var waiting map[eyelevel.AppointmentID]bool
		if info(r).Actor.Role == eyelevel.RoleCounselor {
			waiting = d.Hub.Waiting(ids)
		}
		out := make([]appointmentJSON, len(as))
		for i, a := range as {
			out[i] = appointmentOf(a)
			out[i].ClientWaiting = waiting[a.ID]
		}
		encode(w, http.StatusOK, listJSON("appointments", out, next))
	})
}

func handleGetAppointment(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := d.Service.Appointment(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id")))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, appointmentOf(a))
	})
}

func handleCancel(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := d.Service.Cancel(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id")))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, appointmentOf(a))
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
