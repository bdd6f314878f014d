package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"eyelevel"
	"eyelevel/service"
)

type clientData struct {
	service.ClientView
	Charts []chart
	Open   alertList
}

// clientPage is a counselor's view of one of their clients.
func (v *views) clientPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		cv, err := v.d.Service.Client(r.Context(), info(r).Actor, eyelevel.UserID(r.PathValue("id")))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "client.title")
		p.Data = clientData{ClientView: cv, Charts: charts(cv.Scores, info(r).Zone), Open: alertList{Items: cv.Alerts, Zone: zoneOr(info(r).Zone)}}
		v.render(w, r, http.StatusOK, "client", p)
	})
}

func (v *views) acknowledgeAlert() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/appointments") {
			return
		}
		if err := v.d.Service.AcknowledgeAlert(r.Context(), info(r).Actor, r.PathValue("id")); err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/appointments?notice=acknowledged", http.StatusSeeOther)
	})
}

type ratingsData struct {
	Summaries []service.RatingSummary
	Own       bool
	MinGroup  int
}

// ratingsPage shows a counselor their own ratings, an admin everyone's.
func (v *views) ratingsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/ratings") {
			return
		}
		a := info(r).Actor
		data := ratingsData{MinGroup: service.MinGroup}
		var err error
		if a.Role == eyelevel.RoleCounselor {
			var s service.RatingSummary
			s, err = v.d.Service.CounselorRatings(r.Context(), a, a.UserID)
			data.Summaries, data.Own = []service.RatingSummary{s}, true
		} else {
			data.Summaries, err = v.d.Service.AllRatings(r.Context(), a)
		}
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "ratings.title")
		p.Data = data
		v.render(w, r, http.StatusOK, "ratings", p)
	})
}

type reportData struct {
	service.ImpactReport
	Periods  []string // the closed quarters and years to choose from, newest first
	MinGroup int
	UTC      *time.Location // periods are calendar quarters in UTC
}

// reportPage is the impact report for admins, for one closed calendar
// quarter (?period=2026-Q3) or year (?period=2025); by default the last
// quarter that is over.
func (v *views) reportPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/report") {
			return
		}
		now := v.d.Service.Now().UTC()
		current := time.Date(now.Year(), now.Month()-(now.Month()-1)%3, 1, 0, 0, 0, 0, time.UTC)
		data := reportData{MinGroup: service.MinGroup, UTC: time.UTC}
		for q := current.AddDate(0, -3, 0); !q.Before(current.AddDate(-2, 0, 0)); q = q.AddDate(0, -3, 0) {
			data.Periods = append(data.Periods, fmt.Sprintf("%d-Q%d", q.Year(), (q.Month()+2)/3))
		}
		for y := now.Year() - 1; y >= now.Year()-3; y-- {
			data.Periods = append(data.Periods, strconv.Itoa(y))
		}
		p := newPage(r, "report.title")
		period := r.URL.Query().Get("period")
		if period == "" {
			period = data.Periods[0]
		}
		p.Form.Set("period", period)
		from, to, ok := parsePeriod(period)
		var err error
		if !ok {
			err = fieldError("period", "report.err.period")
		} else {
			data.ImpactReport, err = v.d.Service.ImpactReport(r.Context(), info(r).Actor, from, to)
			if e := (*eyelevel.Error)(nil); errors.As(err, &e) && e.Fields["to"] != "" {
				e.Fields = map[string]string{"period": e.Fields["to"]}
			}
		}
		p.Data = data
		p.Self = "/admin/report?period=" + url.QueryEscape(period)
		v.renderAfter(w, r, "report", p, err)
	})
}

// parsePeriod reads "2026-Q3" or "2026" as a span of time.
func parsePeriod(s string) (from, to time.Time, ok bool) {
	var y, q int
	// Sscanf also reads "+026" or " 202" as a year: the quarter must be
	// written as it would be shown.
	if n, err := fmt.Sscanf(s, "%4d-Q%1d", &y, &q); err == nil && n == 2 && q >= 1 && q <= 4 && s == fmt.Sprintf("%04d-Q%d", y, q) && y >= 0 {
		from = time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 3, 0), true
	}
	if y, err := strconv.Atoi(s); err == nil && len(s) == 4 && y > 1900 {
		from = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(1, 0, 0), true
	}
	return time.Time{}, time.Time{}, false
}

func fieldError(field, key string) error {
	return &eyelevel.Error{Code: eyelevel.EINVALID, Key: "error.invalid", Message: "Please correct the marked fields.", Fields: map[string]string{field: key}}
}

// instrumentsPage lists every questionnaire translation and whether it is
// a validated one, so the operator knows which to replace.
func (v *views) instrumentsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/instruments") {
			return
		}
		forms, err := v.d.Service.Forms(info(r).Actor)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "instruments.title")
		p.Data = forms
		v.render(w, r, http.StatusOK, "instruments", p)
	})
}
