package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// An organization's buyer report and monthly statement. A suppressed
// figure is null and named in "suppressed".

type buyerOutcomeJSON struct {
	Instrument string   `json:"instrument"`
	N          *int     `json:"n"`
	Pre        *float64 `json:"pre"`
	Post       *float64 `json:"post"`
	Change     *float64 `json:"change"`
	EffectSize *float64 `json:"effect_size"`
}

type buyerLanguageJSON struct {
	Language string `json:"language"`
	Clients  *int   `json:"clients"`
}

type buyerReportJSON struct {
	Contract          string              `json:"contract"`
	Organization      string              `json:"organization"`
	Goals             string              `json:"goals"`
	Period            string              `json:"period"`
	From              string              `json:"from"`
	To                string              `json:"to"`
	MinGroup          int                 `json:"min_group"`
	CodesIssued       int                 `json:"codes_issued"`
	CodesRedeemed     *int                `json:"codes_redeemed"`
	PeopleStarted     *int                `json:"people_started"`
	SessionsHeld      *int                `json:"sessions_held"`
	LateCancellations *int                `json:"late_cancellations"`
	NoShows           *int                `json:"no_shows"`
	PoolLeft          *int                `json:"pool_left"` // null: the contract has no pool
	Languages         []buyerLanguageJSON `json:"languages"`
	MeanRating        *float64            `json:"mean_rating"`
	Outcomes          []buyerOutcomeJSON  `json:"outcomes"`
	Suppressed        []string            `json:"suppressed"`
}

func buyerReportOf(r service.BuyerReport) buyerReportJSON {
	out := buyerReportJSON{
		Contract: r.ContractID, Organization: r.Organization, Goals: r.Goals, Period: r.Period,
		From: r.From.UTC().Format(time.RFC3339), To: r.To.UTC().Format(time.RFC3339),
		MinGroup: service.BuyerMinGroup, CodesIssued: r.CodesIssued,
		Languages: []buyerLanguageJSON{}, Outcomes: []buyerOutcomeJSON{}, Suppressed: []string{},
	}
	count := func(name string, s service.Stat) *int {
		if s.Suppressed {
			out.Suppressed = append(out.Suppressed, name)
			return nil
		}
		v := int(s.Value)
		return &v
	}
	out.CodesRedeemed = count("codes_redeemed", r.CodesRedeemed)
	out.PeopleStarted = count("people_started", r.PeopleStarted)
	out.SessionsHeld = count("sessions_held", r.SessionsHeld)
	out.LateCancellations = count("late_cancellations", r.LateCancellations)
	out.NoShows = count("no_shows", r.NoShows)
	if r.PoolLeft >= 0 {
		out.PoolLeft = &r.PoolLeft
	}
	for _, l := range r.Languages {
		out.Languages = append(out.Languages, buyerLanguageJSON{Language: l.Language, Clients: count("languages."+l.Language, l.Clients)})
	}
	if r.Rating.Suppressed {
		out.Suppressed = append(out.Suppressed, "mean_rating")
	} else {
		out.MeanRating = &r.Rating.Value
	}
	for _, o := range r.Outcomes {
		j := buyerOutcomeJSON{Instrument: o.Instrument}
		if o.Suppressed {
			out.Suppressed = append(out.Suppressed, "outcomes."+o.Instrument)
		} else {
			j.N, j.Pre, j.Post, j.Change, j.EffectSize = &o.N, &o.Pre, &o.Post, &o.Change, &o.EffectSize
		}
		out.Outcomes = append(out.Outcomes, j)
	}
	return out
}

// handleBuyerReport serves ?from=&to= (one closed month, quarter or year)
// or ?period=final (a closed contract's whole term).
func handleBuyerReport(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var rep service.BuyerReport
		var err error
		switch q.Get("period") {
		case service.FinalPeriod:
			rep, err = d.Service.FinalReport(r.Context(), info(r).Actor, r.PathValue("id"))
		case "":
			from, to, perr := reportRange(q)
			if perr != nil {
				writeError(w, r, d, perr)
				return
			}
			rep, err = d.Service.BuyerReport(r.Context(), info(r).Actor, r.PathValue("id"), from, to)
		default:
			err = eyelevel.Invalid(map[string]string{"period": "buyer_report.err.period"})
		}
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, buyerReportOf(rep))
	})
}

// parseMonth reads "2026-11".
func parseMonth(s string) (time.Time, bool) {
	t, err := time.Parse("2006-01", s)
	return t, err == nil && len(s) == 7
}

// handleStatement serves a month's statement as CSV, for invoicing.
func handleStatement(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		month, ok := parseMonth(r.URL.Query().Get("month"))
		if !ok {
			writeError(w, r, d, eyelevel.Invalid(map[string]string{"month": "report.err.month"}))
			return
		}
		st, err := d.Service.Statement(r.Context(), info(r).Actor, r.PathValue("id"), month)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="statement-%s-%s.csv"`, safeFilename(st.ContractID), st.Month))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		writeStatementCSV(w, st)
	})
}

// writeStatementCSV writes the header and the one row of st. Prices are
// in minor units and empty when the operator does not charge.
func writeStatementCSV(w http.ResponseWriter, st service.Statement) {
	cw := csv.NewWriter(w)
	cw.Write([]string{"contract", "organization", "month", "sessions_held", "late_cancellations_counted", "no_shows_counted", "billable_sessions", "currency", "unit_price", "amount"})
	row := []string{st.ContractID, csvText(st.Organization), st.Month, strconv.Itoa(st.SessionsHeld), strconv.Itoa(st.LateCancellations),
		strconv.Itoa(st.NoShows), strconv.Itoa(st.Billable), "", "", ""}
	if st.Currency != "" {
		row[7], row[8], row[9] = st.Currency, strconv.FormatInt(st.UnitPrice, 10), strconv.FormatInt(st.Amount, 10)
	}
	cw.Write(row)
	cw.Flush()
}

// csvText keeps a spreadsheet from reading a name as a formula.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// safeFilename keeps only characters that need no quoting in a header.
func safeFilename(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, s)
}
