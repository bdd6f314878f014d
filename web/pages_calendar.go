package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// Pages of appointment changes by mail: the one-click cancel link, moving
// a session to another time, and the counselor's calendar feed.

type cancelLinkData struct {
	Link  service.CancelLink
	Zone  *time.Location // the client's: the link is theirs, whoever opens it
	Error string         // translated: why the link does not work
	Done  bool           // cancelled just now
	Token string
}

// cancelLinkPage shows what the link would cancel and asks to confirm.
// It changes nothing: mail scanners open links.
func (v *views) cancelLinkPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		l, err := v.d.Service.CancelLinkInfo(r.Context(), token)
		v.renderCancelLink(w, r, cancelLinkData{Link: l, Token: token}, err)
	})
}

// cancelByLink cancels as the link's client, under the notice rules.
func (v *views) cancelByLink() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		l, err := v.d.Service.CancelByLink(r.Context(), token)
		v.renderCancelLink(w, r, cancelLinkData{Link: l, Done: err == nil}, err)
	})
}

func (v *views) renderCancelLink(w http.ResponseWriter, r *http.Request, d cancelLinkData, err error) {
	status := http.StatusOK
	if err != nil {
		if statusOf(err) >= http.StatusInternalServerError {
			v.fail(w, r, err)
			return
		}
		status, d.Error = statusOf(err), v.message(r, err)
	}
	d.Zone = time.UTC
	if loc, ok := service.LoadZone(d.Link.Client.TimeZone); ok {
		d.Zone = loc
	}
	p := newPage(r, "cancel_link.title")
	if r.Method != http.MethodGet {
		p.Self = r.URL.Path // the switcher shows the link's page again, without confirming
	}
	p.Data = d
	v.render(w, r, status, "cancel_link", p)
}

type rescheduleData struct {
	Appointment eyelevel.Appointment
	Days        []rescheduleDay
	Action      string
	Error       string
}

type rescheduleDay struct {
	Day   time.Time
	Slots []eyelevel.Slot
}

// rescheduleForm lists the counselor's free times to move a session to.
func (v *views) rescheduleForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		v.renderReschedule(w, r, nil)
	})
}

func (v *views) reschedule() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/appointments") {
			return
		}
		start, err := time.Parse(time.RFC3339, r.PostFormValue("start"))
		if err != nil {
			v.renderReschedule(w, r, eyelevel.Errorf(eyelevel.EINVALID, "reschedule.err.choose", "Choose a new time."))
			return
		}
		if _, err := v.d.Service.Reschedule(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id")), service.RescheduleInput{Start: start}); err != nil {
			v.renderReschedule(w, r, err)
			return
		}
		http.Redirect(w, r, "/appointments?notice=saved", http.StatusSeeOther)
	})
}

func (v *views) renderReschedule(w http.ResponseWriter, r *http.Request, actErr error) {
	a := info(r).Actor
	appt, free, err := v.d.Service.RescheduleSlots(r.Context(), a, eyelevel.AppointmentID(r.PathValue("id")))
	if err != nil {
		v.fail(w, r, err)
		return
	}
	zone := info(r).Zone
	if zone == nil {
		zone = time.UTC
	}
	d := rescheduleData{Appointment: appt, Action: "/appointments/" + url.PathEscape(string(appt.ID)) + "/reschedule"}
	for _, s := range free {
		y, m, dd := s.Start.In(zone).Date()
		day := time.Date(y, m, dd, 0, 0, 0, 0, zone)
		if n := len(d.Days); n == 0 || !d.Days[n-1].Day.Equal(day) {
			d.Days = append(d.Days, rescheduleDay{Day: day})
		}
		d.Days[len(d.Days)-1].Slots = append(d.Days[len(d.Days)-1].Slots, s)
	}
	status := http.StatusOK
	switch {
	case actErr != nil && statusOf(actErr) >= http.StatusInternalServerError:
		v.fail(w, r, actErr)
		return
	case actErr != nil:
		status, d.Error = statusOf(actErr), v.message(r, actErr)
	case appt.Status != eyelevel.StatusBooked:
		d.Error = v.d.Catalog.T(info(r).Lang, "appointment.err.not_booked")
	case appt.Start.Sub(v.d.Service.Now()) < v.d.Service.Config().CancelNotice:
		d.Error = v.d.Catalog.T(info(r).Lang, "reschedule.err.late")
	}
	p := newPage(r, "reschedule.title")
	p.Data = d
	v.render(w, r, status, "reschedule", p)
}

type calendarFeedData struct {
	Since time.Time // when the current URL was made; zero: none
	URL   string    // the new URL, shown once after creating it
}

// calendarFeedPage lets a counselor make or renew their feed URL.
func (v *views) calendarFeedPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		since, err := v.d.Service.CalendarFeedSince(r.Context(), info(r).Actor)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "calendar_feed.title")
		p.Data = calendarFeedData{Since: since}
		v.render(w, r, http.StatusOK, "calendar_feed", p)
	})
}

func (v *views) newCalendarFeed() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/calendar-feed") {
			return
		}
		u, err := v.d.Service.NewCalendarFeed(r.Context(), info(r).Actor)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "calendar_feed.title")
		p.Self = "/calendar-feed"
		p.Data = calendarFeedData{Since: v.d.Service.Now(), URL: u}
		v.render(w, r, http.StatusOK, "calendar_feed", p)
	})
}

// calendarFeed serves a counselor's feed; the secret URL is the login.
func (v *views) calendarFeed() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := info(r).Lang
		token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
		if !ok {
			http.Error(w, v.d.Catalog.T(lang, "error.page_not_found"), http.StatusNotFound)
			return
		}
		cal, err := v.d.Service.CalendarFeed(r.Context(), token)
		if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			http.Error(w, v.d.Catalog.T(lang, "error.page_not_found"), http.StatusNotFound)
			return
		} else if err != nil {
			v.d.Log.Error("calendar feed", "err", err)
			http.Error(w, v.d.Catalog.T(lang, "error.internal"), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/calendar; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.Write([]byte(cal))
	})
}
