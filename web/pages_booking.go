package web

import (
	"net/http"
	"net/url"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// bookURL links the confirmation page of one slot.
func bookURL(id eyelevel.UserID, start time.Time) string {
	return "/book?counselor=" + url.QueryEscape(string(id)) + "&start=" + url.QueryEscape(start.UTC().Format(time.RFC3339))
}

func counselorURL(id eyelevel.UserID) string {
	return "/counselors/" + url.PathEscape(string(id))
}

type matchView struct {
	service.Match
	URL     string
	BookURL string
}

type searchData struct {
	Languages []option
	Searched  bool
	Matches   []matchView
	CanWait   bool // nobody has a free time within 14 days: offer the waitlist
	// OtherGenders: nobody of the gender asked for, but others speak the
	// language; AnyGenderURL repeats the search without the filter.
	OtherGenders bool
	AnyGenderURL string
	Waiting      []service.Waitlisted // the client's waitlist entries
	For          string               // the client a care point books for
	Client       eyelevel.UserID      // their id, for the search form
}

func (v *views) findCounselor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p := newPage(r, "search.title")
		p.Form = keep(q, "language", "gender")
		data := searchData{Languages: serviceLanguages(), Client: forClient(r)}
		var err error
		if data.For, err = v.bookingFor(r.Context(), info(r).Actor, data.Client); err != nil {
			v.fail(w, r, err)
			return
		}
		status := http.StatusOK
		if q.Get("language") != "" {
			ms, err := v.d.Service.Search(r.Context(), info(r).Actor, service.SearchInput{Language: q.Get("language"), Gender: eyelevel.Gender(q.Get("gender"))})
			if err != nil {
				if !v.formError(r, p, err) {
					v.fail(w, r, err)
					return
				}
				status = statusOf(err)
			}
			data.Searched = err == nil
			for _, m := range ms {
				mv := matchView{Match: m, URL: withClient(counselorURL(m.Counselor.ID), data.Client)}
				if m.NextSlot != nil {
					mv.BookURL = withClient(bookURL(m.Counselor.ID, m.NextSlot.Start), data.Client)
				}
				data.Matches = append(data.Matches, mv)
			}
			data.CanWait = err == nil && !soonFree(ms, v.d.Service.Now())
			if err == nil && len(ms) == 0 {
				in := service.SearchInput{Language: q.Get("language"), Gender: eyelevel.Gender(q.Get("gender"))}
				if data.OtherGenders, err = v.d.Service.OnlyGenderMissing(r.Context(), in); err != nil {
					v.fail(w, r, err)
					return
				}
				data.AnyGenderURL = "/counselors?" + url.Values{"language": {q.Get("language")}}.Encode()
			}
		}
		if a := info(r).Actor; a.Role == eyelevel.RoleClient {
			if ws, err := v.d.Service.Waitlist(r.Context(), a); err == nil {
				data.Waiting = ws
			}
		}
		p.Data = data
		v.render(w, r, status, "counselors", p)
	})
}

type slotView struct {
	Start time.Time
	URL   string
}

type dayView struct {
	Day   time.Time
	Slots []slotView
}

type counselorData struct {
	Counselor        eyelevel.Counselor
	Week             time.Time // Monday 00:00 in the viewer's zone
	Days             []dayView
	Free             int
	PrevURL, NextURL string
	Payer            *service.Payer // who pays, for clients
	For              string         // the client a care point books for
}

// weekStart returns Monday 00:00 of the week containing t, in t's zone.
func weekStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, t.Location())
}

func (v *views) counselorPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := info(r)
		c, err := v.d.Service.Counselor(r.Context(), ri.Actor, eyelevel.UserID(r.PathValue("id")))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		thisWeek := weekStart(v.d.Service.Now().In(ri.Zone))
		week := thisWeek
		if s := r.URL.Query().Get("week"); s != "" {
			if t, err := time.ParseInLocation(time.DateOnly, s, ri.Zone); err == nil {
				week = weekStart(t)
			}
		}
		y, m, d := week.Date()
		end := time.Date(y, m, d+7, 0, 0, 0, 0, ri.Zone)
		free, err := v.d.Service.Slots(r.Context(), ri.Actor, service.SlotsInput{CounselorID: c.ID, From: week, To: end})
		if err != nil {
			v.fail(w, r, err)
			return
		}
		client := forClient(r)
		forName, err := v.bookingFor(r.Context(), ri.Actor, client)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		data := counselorData{Counselor: c, Week: week, Free: len(free), For: forName}
		if data.Payer, err = v.payerOf(r); err != nil {
			v.fail(w, r, err)
			return
		}
		for i := range 7 {
			data.Days = append(data.Days, dayView{Day: time.Date(y, m, d+i, 0, 0, 0, 0, ri.Zone)})
		}
		for _, s := range free {
			local := s.Start.In(ri.Zone)
			for i := range data.Days {
				if !local.Before(data.Days[i].Day) && (i == 6 || local.Before(data.Days[i+1].Day)) {
					data.Days[i].Slots = append(data.Days[i].Slots, slotView{Start: s.Start, URL: withClient(bookURL(c.ID, s.Start), client)})
					break
				}
			}
		}
		base := counselorURL(c.ID) + "?week="
		if week.After(thisWeek) {
			data.PrevURL = withClient(base+time.Date(y, m, d-7, 0, 0, 0, 0, ri.Zone).Format(time.DateOnly), client)
		}
		if end.Before(v.d.Service.Now().Add(v.d.Service.Config().Horizon)) {
			data.NextURL = withClient(base+end.Format(time.DateOnly), client)
		}
		p := newPage(r, "counselor.title")
		p.Data = data
		v.render(w, r, http.StatusOK, "counselor", p)
	})
}

type bookData struct {
	Counselor  eyelevel.Counselor
	Start, End time.Time
	Minutes    int
	StartValue string // RFC 3339, for the form
	BackURL    string
	Cancel     cancelRule
	Payer      *service.Payer  // who pays, for clients
	For        string          // the client a care point books for
	Client     eyelevel.UserID // their id, for the form
}

// cancelRule is what a page says about cancelling: until when (Open), or
// that it will no longer be possible here; Hours is the notice period.
type cancelRule struct {
	By    time.Time
	Open  bool
	Hours int
}

func (v *views) cancelRuleOf(a eyelevel.Actor, start time.Time) cancelRule {
	by, open := v.d.Service.CancelDeadline(a, start)
	return cancelRule{By: by, Open: open, Hours: int(v.d.Service.Config().CancelNotice.Hours())}
}

// renderConfirm shows the confirmation page of a slot, with err if booking failed.
func (v *views) renderConfirm(w http.ResponseWriter, r *http.Request, id, start string, bookErr error) {
	p := newPage(r, "book.title")
	client := forClient(r)
	p.Self = withClient("/book?counselor="+url.QueryEscape(id)+"&start="+url.QueryEscape(start), client)
	t, err := time.Parse(time.RFC3339, start)
	if err != nil {
		v.fail(w, r, eyelevel.Errorf(eyelevel.EINVALID, "error.bad_time", "Please give the time in RFC 3339 format."))
		return
	}
	c, err := v.d.Service.Counselor(r.Context(), info(r).Actor, eyelevel.UserID(id))
	if err != nil {
		v.fail(w, r, err)
		return
	}
	forName, err := v.bookingFor(r.Context(), info(r).Actor, client)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	length := v.d.Service.Config().Rules.Length
	payer, err := v.payerOf(r)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	p.Data = bookData{
		Payer: payer,
		For:   forName, Client: client,
		Counselor: c, Start: t, End: t.Add(length), Minutes: int(length.Minutes()),
		StartValue: t.UTC().Format(time.RFC3339),
		BackURL:    withClient(counselorURL(c.ID)+"?week="+t.In(info(r).Zone).Format(time.DateOnly), client),
		Cancel:     v.cancelRuleOf(info(r).Actor, t),
	}
	v.renderAfter(w, r, "book", p, bookErr)
}

func (v *views) confirmBooking() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.RequestURI()) {
			return
		}
		q := r.URL.Query()
		v.renderConfirm(w, r, q.Get("counselor"), q.Get("start"), nil)
	})
}

func (v *views) book() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		id, start := r.PostForm.Get("counselor"), r.PostForm.Get("start")
		if requireLogin(w, r, withClient("/book?counselor="+url.QueryEscape(id)+"&start="+url.QueryEscape(start), forClient(r))) {
			return
		}
		t, err := time.Parse(time.RFC3339, start)
		if err != nil {
			v.renderConfirm(w, r, id, start, nil) // shows the bad-time page
			return
		}
		client := forClient(r)
		if _, err := v.d.Service.Book(r.Context(), info(r).Actor, service.BookInput{CounselorID: eyelevel.UserID(id), Start: t, ClientID: client}); err != nil {
			v.renderConfirm(w, r, id, start, err)
			return
		}
		if client != "" {
			http.Redirect(w, r, "/carepoint?notice=booked", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/appointments?notice=booked", http.StatusSeeOther)
	})
}

type appointmentView struct {
	eyelevel.Appointment
	CanCancel bool
	CancelURL string
	Room      roomLink
}

type appointmentsData struct {
	Items []appointmentView
	More  string // the next page's address, if there is one
	Care  care
	// Recent are the client's sessions of the last days, with how each
	// ended (and whether the counselor corrected it).
	Recent []eyelevel.Appointment
	// AttendanceChoices are what a counselor may record.
	AttendanceChoices []eyelevel.Attendance
	// CarePoint names the organization whose care point acts for the
	// client, if one does.
	CarePoint string
}

// renderAppointments lists the actor's upcoming appointments, with the
// error of a failed cancellation if any.
func (v *views) renderAppointments(w http.ResponseWriter, r *http.Request, cancelErr error) {
	a := info(r).Actor
	pg, err := pageOf(r)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	list, next, err := v.d.Service.Appointments(r.Context(), a, false, pg)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	p := newPage(r, "appointments.title")
	p.Self = "/appointments"
	data := appointmentsData{More: nextURL(r, "/appointments", next)}
	for _, appt := range list {
		data.Items = append(data.Items, appointmentView{
			Appointment: appt, CanCancel: v.d.Service.CanCancel(a, appt),
			CancelURL: "/appointments/" + url.PathEscape(string(appt.ID)) + "/cancel",
			Room:      v.roomLinkOf(appt),
		})
	}
	if pg.Cursor == "" { // the first page only
		if data.Recent, err = v.d.Service.RecentSessions(r.Context(), a); err != nil {
			v.fail(w, r, err)
			return
		}
	}
	data.AttendanceChoices = []eyelevel.Attendance{eyelevel.AttendanceHeld, eyelevel.AttendanceNoShowClient, eyelevel.AttendanceNoShowCounselor}
	if data.Care, err = v.careOf(r, a); err != nil {
		v.fail(w, r, err)
		return
	}
	if a.Role == eyelevel.RoleClient {
		if acc, err := v.d.Service.MyCarePoint(r.Context(), a); err == nil {
			data.CarePoint = acc.Organization
		} else if eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			v.fail(w, r, err)
			return
		}
	}
	p.Data = data
	v.renderAfter(w, r, "appointments", p, cancelErr)
}

func (v *views) myAppointments() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/appointments") {
			return
		}
		v.renderAppointments(w, r, nil)
	})
}

type cancelData struct {
	appointmentView
	Rule   cancelRule
	Reason string // catalog key: why it cannot be cancelled here
	// Late: cancelling now is a late cancellation; LateCosts: it uses
	// the session. The page warns before.
	Late, LateCosts bool
}

// cancelForm asks before cancelling: it shows the appointment and until
// when it can be cancelled, with a button that posts to cancel.
func (v *views) cancelForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		a := info(r).Actor
		appt, err := v.d.Service.Appointment(r.Context(), a, eyelevel.AppointmentID(r.PathValue("id")))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		data := cancelData{
			appointmentView: appointmentView{Appointment: appt, CanCancel: v.d.Service.CanCancel(a, appt),
				CancelURL: "/appointments/" + url.PathEscape(string(appt.ID)) + "/cancel"},
			Rule: v.cancelRuleOf(a, appt.Start),
		}
		if data.CanCancel {
			if data.Late, data.LateCosts, err = v.d.Service.LateCancel(r.Context(), a, appt); err != nil {
				v.fail(w, r, err)
				return
			}
		}
		switch {
		case data.CanCancel:
		case appt.Status != eyelevel.StatusBooked:
			data.Reason = "appointment.err.not_booked"
		case !appt.Start.After(v.d.Service.Now()):
			data.Reason = "cancel.err.started"
		default:
			data.Reason = "appointments.cancel_contact"
		}
		p := newPage(r, "cancel.title")
		p.Data = data
		v.render(w, r, http.StatusOK, "cancel", p)
	})
}

func (v *views) cancel() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/appointments") {
			return
		}
		_, err := v.d.Service.Cancel(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id")))
		if err != nil {
			v.renderAppointments(w, r, err)
			return
		}
		http.Redirect(w, r, "/appointments?notice=cancelled", http.StatusSeeOther)
	})
}
