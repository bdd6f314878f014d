package web

import (
	"net/http"
	"time"

	"eyelevel"
	"eyelevel/service"
)

type staffJSON struct {
	ID          eyelevel.UserID `json:"id"`
	Username    string          `json:"username"`
	Role        eyelevel.Role   `json:"role"`
	DisplayName string          `json:"display_name,omitempty"`
}

func handleAddStaff(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.StaffInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		u, err := d.Service.AddStaff(r.Context(), info(r).Actor, r.PathValue("id"), in)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, staffJSON{ID: u.ID, Username: u.Username, Role: u.Role})
	})
}

func handleListStaff(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms, err := d.Service.OrganizationStaff(r.Context(), info(r).Actor, r.PathValue("id"))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]staffJSON, len(ms))
		for i, m := range ms {
			out[i] = staffJSON{ID: m.UserID, Username: m.Username, Role: m.Role, DisplayName: m.DisplayName}
		}
		encode(w, http.StatusOK, map[string]any{"staff": out})
	})
}

func handleRegisterForClient(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.CarePointClientInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		u, err := d.Service.SignUpForClient(r.Context(), info(r).Actor, in)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusCreated, map[string]any{"id": u.ID, "username": u.Username, "recovery_code": u.RecoveryCode})
	})
}

type carePointAppointmentJSON struct {
	ID        eyelevel.AppointmentID `json:"id"`
	Start     string                 `json:"start"`
	End       string                 `json:"end"`
	Counselor string                 `json:"counselor"`
}

type carePointClientJSON struct {
	ID          eyelevel.UserID            `json:"id"`
	Username    string                     `json:"username"`
	Language    string                     `json:"language"`
	Upcoming    []carePointAppointmentJSON `json:"upcoming"`
	CreditsLeft int                        `json:"credits_left"`
}

func handleCarePointClients(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs, err := d.Service.CarePointClients(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]carePointClientJSON, len(cs))
		for i, c := range cs {
			out[i] = carePointClientJSON{ID: c.ID, Username: c.Username, Language: c.Language, CreditsLeft: c.CreditsLeft,
				Upcoming: make([]carePointAppointmentJSON, len(c.Upcoming))}
			for j, a := range c.Upcoming {
				out[i].Upcoming[j] = carePointAppointmentJSON{ID: a.ID, Start: a.Start.UTC().Format(time.RFC3339),
					End: a.End.UTC().Format(time.RFC3339), Counselor: a.CounselorName}
			}
		}
		encode(w, http.StatusOK, map[string]any{"clients": out})
	})
}

func handleEndCarePoint(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := d.Service.EndCarePoint(r.Context(), info(r).Actor); err != nil {
			writeError(w, r, d, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
