package web

import (
	"net/http"
	"time"
)

// ECONSENT is the web layer's code for a client who must agree to the
// current consent version first (403); POST /api/v1/me/consent does.
const ECONSENT = "consent_required"

type consentJSON struct {
	Current string `json:"current_version"`
	Version string `json:"version,omitempty"`  // the latest agreed to
	GivenAt string `json:"given_at,omitempty"` // when
	Due     bool   `json:"due"`
}

func handleGetConsent(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := d.Service.Consent(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := consentJSON{Current: st.Current, Version: st.Latest.Version, Due: st.Due}
		if !st.Latest.GivenAt.IsZero() {
			out.GivenAt = st.Latest.GivenAt.UTC().Format(time.RFC3339)
		}
		encode(w, http.StatusOK, out)
	})
}

func handleGiveConsent(d Deps) http.Handler {
	type body struct {
		Version string `json:"version"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[body](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		if err := d.Service.GiveConsent(r.Context(), info(r).Actor, in.Version); err != nil {
			writeError(w, r, d, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func handleWithdrawConsent(d Deps) http.Handler {
	type body struct {
		Password string `json:"password"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[body](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		a := info(r).Actor
		if err := d.Service.WithdrawConsent(r.Context(), a, in.Password); err != nil {
			writeError(w, r, d, err)
			return
		}
		d.Hub.Recheck(a.UserID)
		w.WriteHeader(http.StatusNoContent)
	})
}
