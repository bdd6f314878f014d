package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"eyelevel"
	"eyelevel/service"
)

type buyerReportData struct {
	Contract  eyelevel.Contract
	Report    service.BuyerReport
	Shown     bool
	Periods   []string // the periods over and overlapping the contract, newest first
	Base      string   // this page's path
	Statement string   // the month's statement (CSV), when the period is a month
	MinGroup  int
	UTC       *time.Location
}

// buyerReportPage is a contract's report for its organization's managers
// (/org/contracts/{id}/report) and for admins (/admin/contracts/{id}/report),
// for one period: ?period=2026-11, 2026-Q3, 2026, or final once the
// contract is closed. It is made to be printed.
func (v *views) buyerReportPage(base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		self := fmt.Sprintf(base, url.PathEscape(r.PathValue("id")))
		if requireLogin(w, r, self) {
			return
		}
		a := info(r).Actor
		k, err := v.d.Service.ReportContract(r.Context(), a, r.PathValue("id"))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		data := buyerReportData{Contract: k, Base: self, MinGroup: service.BuyerMinGroup, UTC: time.UTC}
		data.Periods = contractReportPeriods(k, v.d.Service.Now().UTC())
		p := newPage(r, "buyer_report.title")
		period := r.URL.Query().Get("period")
		if period == "" && len(data.Periods) > 0 {
			period = data.Periods[0]
		}
		p.Form.Set("period", period)
		if period != "" {
			if period == service.FinalPeriod {
				data.Report, err = v.d.Service.FinalReport(r.Context(), a, k.ID)
			} else if from, to, ok := parseBuyerPeriod(period); !ok {
				err = fieldError("period", "buyer_report.err.period")
			} else {
				data.Report, err = v.d.Service.BuyerReport(r.Context(), a, k.ID, from, to)
				if _, ok := parseMonth(period); ok {
					data.Statement = fmt.Sprintf("/api/v1/contracts/%s/statement.csv?month=%s", url.PathEscape(k.ID), period)
				}
			}
			if e := (*eyelevel.Error)(nil); errors.As(err, &e) && e.Fields["to"] != "" {
				e.Fields = map[string]string{"period": e.Fields["to"]}
			}
			data.Shown = err == nil
		}
		p.Data = data
		p.Self = self + "?period=" + url.QueryEscape(period)
		v.renderAfter(w, r, "buyer_report", p, err)
	})
}

// parseBuyerPeriod reads "2026-11", "2026-Q3" or "2026".
func parseBuyerPeriod(s string) (from, to time.Time, ok bool) {
	if m, ok := parseMonth(s); ok {
		return m, m.AddDate(0, 1, 0), true
	}
	return parsePeriod(s)
}

// contractReportPeriods lists the months, quarters and years that are over
// and overlap contract k's term with its grace period, newest first, and
// "final" once the contract is closed.
func contractReportPeriods(k eyelevel.Contract, now time.Time) []string {
	var out, months, quarters, years []string
	if !k.ClosedAt.IsZero() {
		out = append(out, service.FinalPeriod)
	}
	add := func(list *[]string, name string, from time.Time, length func(time.Time) time.Time) {
		if !length(from).After(now) && (len(*list) == 0 || (*list)[0] != name) {
			*list = append([]string{name}, *list...)
		}
	}
	start := k.StartTime()
	for m := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(k.GraceEnd()) && m.Before(now); m = m.AddDate(0, 1, 0) {
		q := time.Date(m.Year(), m.Month()-(m.Month()-1)%3, 1, 0, 0, 0, 0, time.UTC)
		add(&months, fmt.Sprintf("%d-%02d", m.Year(), m.Month()), m, func(t time.Time) time.Time { return t.AddDate(0, 1, 0) })
		add(&quarters, fmt.Sprintf("%d-Q%d", q.Year(), (q.Month()+2)/3), q, func(t time.Time) time.Time { return t.AddDate(0, 3, 0) })
		add(&years, fmt.Sprint(m.Year()), time.Date(m.Year(), 1, 1, 0, 0, 0, 0, time.UTC), func(t time.Time) time.Time { return t.AddDate(1, 0, 0) })
	}
	out = append(out, months...)
	out = append(out, quarters...)
	return append(out, years...)
}
