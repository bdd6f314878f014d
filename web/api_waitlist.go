package web

import (
	"net/http"
	"time"

	"eyelevel"
	"eyelevel/service"
)

type waitlistJSON struct {
	Language  string          `json:"language"`
	Gender    eyelevel.Gender `json:"gender,omitempty"`
	Since     string          `json:"since"`
	Available bool            `json:"available"`
}

func handleJoinWaitlist(d Deps) http.Handler {
	type request struct {
		Language string          `json:"language"`
		Gender   eyelevel.Gender `json:"gender,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[request](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		if err := d.Service.JoinWaitlist(r.Context(), info(r).Actor, service.SearchInput{Language: in.Language, Gender: in.Gender}); err != nil {
			writeError(w, r, d, err)
			return
		}
		writeWaitlist(w, r, d, http.StatusCreated)
	})
}

func handleWaitlist(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeWaitlist(w, r, d, http.StatusOK)
	})
}

func handleLeaveWaitlist(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := d.Service.LeaveWaitlist(r.Context(), info(r).Actor, r.PathValue("language")); err != nil {
			writeError(w, r, d, err)
			return
		}
		writeWaitlist(w, r, d, http.StatusOK)
	})
}

// writeWaitlist answers with a page of the caller's waitlist entries.
func writeWaitlist(w http.ResponseWriter, r *http.Request, d Deps, status int) {
	ws, err := d.Service.Waitlist(r.Context(), info(r).Actor)
	if err != nil {
		writeError(w, r, d, err)
		return
	}
	id := func(e service.Waitlisted) string { return e.Language + "/" + string(e.Gender) }
	var next string
	if r.Method == http.MethodGet {
		var ok bool
		if ws, next, ok = paged(w, r, d, ws, id); !ok {
			return
		}
	} else { // after a write, the first page: the write is done whatever the query says
		ws, next, _ = service.PageSlice(ws, service.Page{}, id)
	}
	out := make([]waitlistJSON, len(ws))
	for i, e := range ws {
		out[i] = waitlistJSON{Language: e.Language, Gender: e.Gender, Since: e.Since.UTC().Format(time.RFC3339), Available: e.Available}
	}
	encode(w, status, listJSON("waitlist", out, next))
}
