package web

import (
	"net/http"

	"eyelevel"
)

type accountHitJSON struct {
	ID           eyelevel.UserID `json:"id"`
	Username     string          `json:"username"`
	Role         eyelevel.Role   `json:"role"`
	CreatedAt    string          `json:"created_at"`
	LastActiveAt string          `json:"last_active_at,omitempty"`
	Deactivated  bool            `json:"deactivated,omitempty"`
	SecondFactor string          `json:"second_factor,omitempty"` // "yes"/"no" where accounts can enrol one
}

func handleFindAccounts(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs, err := d.Service.FindAccounts(r.Context(), info(r).Actor, r.URL.Query().Get("q"))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]accountHitJSON, len(hs))
		for i, h := range hs {
			out[i] = accountHitJSON{ID: h.ID, Username: h.Username, Role: h.Role, CreatedAt: rfc3339OrEmpty(h.CreatedAt),
				LastActiveAt: rfc3339OrEmpty(h.LastActive), Deactivated: !h.Deactivated.IsZero(), SecondFactor: h.SecondFactor}
		}
		encode(w, http.StatusOK, map[string]any{"accounts": out})
	})
}

type sessionTimeJSON struct {
	ID    eyelevel.AppointmentID `json:"id"`
	Start string                 `json:"start"`
	End   string                 `json:"end"`
}

func sessionTimes(as []eyelevel.Appointment) []sessionTimeJSON {
	out := make([]sessionTimeJSON, len(as))
	for i, a := range as {
		out[i] = sessionTimeJSON{ID: a.ID, Start: rfc3339OrEmpty(a.Start), End: rfc3339OrEmpty(a.End)}
	}
	return out
}

// handleDeactivateCounselor deactivates (or, with on false, reactivates)
// a counselor and answers with their standing: whether deactivated and
// the booked sessions still to cancel.
func handleDeactivateCounselor(d Deps, on bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, id := info(r).Actor, eyelevel.UserID(r.PathValue("id"))
		var err error
		if on {
			err = d.Service.DeactivateCounselor(r.Context(), a, id)
		} else {
			err = d.Service.ReactivateCounselor(r.Context(), a, id)
		}
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		st, err := d.Service.CounselorStanding(r.Context(), a, id)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"id": id, "deactivated": !st.Deactivated.IsZero(), "upcoming": sessionTimes(st.Upcoming)})
	})
}

func handleCancelCounselorSessions(d Deps) http.Handler {
	type body struct {
		Message string `json:"message"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[body](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		done, err := d.Service.CancelCounselorSessions(r.Context(), info(r).Actor, eyelevel.UserID(r.PathValue("id")), in.Message)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"cancelled": sessionTimes(done)})
	})
}

type monthCountJSON struct {
	Month     string `json:"month"`
	Held      int    `json:"held"`
	Upcoming  int    `json:"upcoming"`
	Cancelled int    `json:"cancelled"`
}

type counselorCountsJSON struct {
	ID          eyelevel.UserID  `json:"id"`
	DisplayName string           `json:"display_name"`
	Deactivated bool             `json:"deactivated"`
	Months      []monthCountJSON `json:"months"`
}

func handleSessionCounts(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs, err := d.Service.SessionCounts(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]counselorCountsJSON, len(cs))
		for i, c := range cs {
			out[i] = counselorCountsJSON{ID: c.ID, DisplayName: c.DisplayName, Deactivated: c.Deactivated, Months: []monthCountJSON{}}
			for _, m := range c.Months {
				out[i].Months = append(out[i].Months, monthCountJSON(m))
			}
		}
		encode(w, http.StatusOK, map[string]any{"counselors": out})
	})
}
