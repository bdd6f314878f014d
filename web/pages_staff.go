package web

import (
	"net/http"
	"net/url"
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
	Months   []string // the month choices, "2026-11"
	MinGroup int
}

// reportPage is the impact report for admins. The period is chosen in
// whole months (?from=2026-01&to=2026-06, both included).
func (v *views) reportPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/report") {
			return
		}
		q := r.URL.Query()
		now := v.d.Service.Now().UTC()
		thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		from, to := thisMonth.AddDate(-1, 0, 0), thisMonth
		p := newPage(r, "report.title")
		var bad error
		if s := q.Get("from"); s != "" {
			if t, err := time.Parse("2006-01", s); err == nil {
				from = t
			} else {
				bad = fieldError("from", "report.err.month")
			}
		}
		if s := q.Get("to"); s != "" {
			if t, err := time.Parse("2006-01", s); err == nil {
				to = t
			} else {
				bad = fieldError("to", "report.err.month")
			}
		}
		p.Form.Set("from", from.Format("2006-01"))
		p.Form.Set("to", to.Format("2006-01"))
		rep, err := v.d.Service.ImpactReport(r.Context(), info(r).Actor, from, to.AddDate(0, 1, 0))
		if bad != nil && err == nil {
			err = bad
		}
		data := reportData{ImpactReport: rep, MinGroup: service.MinGroup}
		for m := thisMonth.AddDate(-3, 0, 0); !m.After(thisMonth); m = m.AddDate(0, 1, 0) {
			data.Months = append(data.Months, m.Format("2006-01"))
		}
		p.Data = data
		p.Self = "/admin/report?" + url.Values{"from": {p.Form.Get("from")}, "to": {p.Form.Get("to")}}.Encode()
		v.renderAfter(w, r, "report", p, err)
	})
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
