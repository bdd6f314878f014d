package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// Session ratings and the impact report: the aggregates, each suppressed
// below service.MinGroup people.

type ratingJSON struct {
	AppointmentID eyelevel.AppointmentID `json:"appointment_id"`
	Stars         int                    `json:"stars"` // 0 when declined
	Comment       string                 `json:"comment"`
	Declined      bool                   `json:"declined"`
}

func handleRate(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.RatingInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		rt, err := d.Service.Rate(r.Context(), info(r).Actor, eyelevel.AppointmentID(r.PathValue("id")), in)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, ratingJSON{AppointmentID: rt.AppointmentID, Stars: rt.Stars, Comment: rt.Comment, Declined: rt.Stars == 0})
	})
}

func handleUnratedSessions(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pg, err := pageOf(r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		as, next, err := d.Service.UnratedSessionsPage(r.Context(), info(r).Actor, pg)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]appointmentJSON, len(as))
		for i, a := range as {
			out[i] = appointmentOf(a)
		}
		encode(w, http.StatusOK, listJSON("sessions", out, next))
	})
}

// ratingSummaryJSON never carries the sum of stars, and nothing but the
// count while suppressed: a single rating must not be readable from it.
type ratingSummaryJSON struct {
	CounselorID  eyelevel.UserID `json:"counselor_id"`
	DisplayName  string          `json:"display_name"`
	Count        int             `json:"count"`
	Suppressed   bool            `json:"suppressed"`
	Mean         *float64        `json:"mean,omitempty"`
	Distribution map[string]int  `json:"distribution,omitempty"`
	Comments     []string        `json:"comments,omitzero"`
}

func ratingSummaryOf(s service.RatingSummary) ratingSummaryJSON {
	out := ratingSummaryJSON{CounselorID: s.CounselorID, DisplayName: s.DisplayName, Count: s.Count, Suppressed: s.Suppressed}
	if s.Suppressed {
		return out
	}
	mean := s.Mean
	out.Mean = &mean
	out.Distribution = map[string]int{}
	for stars := 1; stars <= 5; stars++ {
		out.Distribution[strconv.Itoa(stars)] = s.Distribution[stars]
	}
	out.Comments = s.Comments
	return out
}

func handleCounselorRatings(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := eyelevel.UserID(r.PathValue("id"))
		s, err := d.Service.CounselorRatings(r.Context(), info(r).Actor, id)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := ratingSummaryOf(s)
		if !s.Suppressed && out.Comments == nil {
			out.Comments = []string{}
		}
		encode(w, http.StatusOK, out)
	})
}

// handleAllRatings lists every rated counselor's summary, without comments.
func handleAllRatings(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, err := d.Service.AllRatings(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		ss, next, ok := paged(w, r, d, ss, func(s service.RatingSummary) string { return string(s.CounselorID) })
		if !ok {
			return
		}
		out := make([]ratingSummaryJSON, len(ss))
		for i, s := range ss {
			out[i] = ratingSummaryOf(s)
		}
		encode(w, http.StatusOK, listJSON("counselors", out, next))
	})
}

// statJSON has a value and n only when not suppressed.
type statJSON struct {
	Value      *float64 `json:"value,omitempty"`
	N          *int     `json:"n,omitempty"`
	Suppressed bool     `json:"suppressed"`
}

func statOf(s service.Stat) statJSON {
	if s.Suppressed {
		return statJSON{Suppressed: true}
	}
	return statJSON{Value: &s.Value, N: &s.N}
}

type outcomeJSON struct {
	Instrument string   `json:"instrument"`
	N          *int     `json:"n,omitempty"`
	Suppressed bool     `json:"suppressed"`
	Pre        *float64 `json:"pre,omitempty"`
	Post       *float64 `json:"post,omitempty"`
	Change     *float64 `json:"change,omitempty"`
	EffectSize *float64 `json:"effect_size,omitempty"`
}

type reportJSON struct {
	Period             string        `json:"period"`
	From               string        `json:"from"`
	To                 string        `json:"to"`
	Clients            statJSON      `json:"clients"`
	Sessions           statJSON      `json:"sessions"`
	SessionsPerClient  statJSON      `json:"sessions_per_client"`
	Outcomes           []outcomeJSON `json:"outcomes"`
	FollowUpCompletion statJSON      `json:"follow_up_completion"`
	AverageRating      statJSON      `json:"average_rating"`
}

// reportTime reads a report bound: a date (YYYY-MM-DD, in UTC) or an RFC
// 3339 time. A date as the end includes that whole day. The bound must lie
// in the years 0000–9999 in UTC, so that the report can give it back in
// RFC 3339 ("9999-12-31" as the end is refused: it ends in the year 10000).
func reportTime(s string, end bool) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err == nil && end {
		t = t.AddDate(0, 0, 1)
	} else if err != nil {
		t, err = time.Parse(time.RFC3339, s)
	}
	if y := t.UTC().Year(); err != nil || y < 0 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// reportRange reads a report's from and to, with a field error for each
// that does not parse.
func reportRange(q url.Values) (from, to time.Time, err error) {
	p := map[string]string{}
	from, ok := reportTime(q.Get("from"), false)
	if !ok {
		p["from"] = "api.err.date"
	}
	to, ok = reportTime(q.Get("to"), true)
	if !ok {
		p["to"] = "api.err.date"
	}
	if len(p) > 0 {
		return from, to, eyelevel.Invalid(p)
	}
	return from, to, nil
}

func handleImpactReport(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from, to, err := reportRange(r.URL.Query())
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		rep, err := d.Service.ImpactReport(r.Context(), info(r).Actor, from, to)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := reportJSON{
			Period: rep.Period, From: rep.From.UTC().Format(time.RFC3339), To: rep.To.UTC().Format(time.RFC3339),
			Clients: statOf(rep.Clients), Sessions: statOf(rep.Sessions), SessionsPerClient: statOf(rep.SessionsPerClient),
			Outcomes:           make([]outcomeJSON, len(rep.Outcomes)),
			FollowUpCompletion: statOf(rep.FollowUpCompletion), AverageRating: statOf(rep.Rating),
		}
		for i, o := range rep.Outcomes {
			out.Outcomes[i] = outcomeJSON{Instrument: o.Instrument, Suppressed: o.Suppressed}
			if !o.Suppressed {
				out.Outcomes[i].N, out.Outcomes[i].Pre, out.Outcomes[i].Post = &o.N, &o.Pre, &o.Post
				out.Outcomes[i].Change, out.Outcomes[i].EffectSize = &o.Change, &o.EffectSize
			}
		}
		encode(w, http.StatusOK, out)
	})
}
