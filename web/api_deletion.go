package web

import (
	"net/http"

	"eyelevel"
)

// handleDeleteMe deletes the caller's own client account after checking
// its password: DELETE /api/v1/me {"password"} → 204.
func handleDeleteMe(d Deps) http.Handler {
	type input struct {
		Password string `json:"password"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[input](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		id := info(r).Actor.UserID
		if err := d.Service.DeleteAccount(r.Context(), info(r).Actor, in.Password); err != nil {
			writeError(w, r, d, err)
			return
		}
		d.Hub.Recheck(id) // ends the account's video-room signaling at once
		w.WriteHeader(http.StatusNoContent)
	})
}

// handleDeleteCounselor deletes a counselor's account (admins):
// DELETE /api/v1/counselors/{id} → 204.
func handleDeleteCounselor(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := eyelevel.UserID(r.PathValue("id"))
		if err := d.Service.DeleteCounselor(r.Context(), info(r).Actor, id); err != nil {
			writeError(w, r, d, err)
			return
		}
		d.Hub.Recheck(id)
		w.WriteHeader(http.StatusNoContent)
	})
}
