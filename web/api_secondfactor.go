package web

import (
	"net/http"
	"strings"

	"eyelevel"
	"eyelevel/service"
)

// A limited session (a staff account without a second factor, see
// service/secondfactor.go) reaches only these API routes; everything else
// answers 403 second_factor_required. Pages: see limitedPage.
var limitedAPI = map[string]bool{
	"GET /api/v1/me":                true,
	"POST /api/v1/me/totp":          true,
	"POST /api/v1/me/totp/confirm":  true,
	"DELETE /api/v1/me/totp":        true,
	"DELETE /api/v1/tokens/current": true,
	"DELETE /api/v1/sessions":       true,
}

// gateLimited refuses what a limited session may not reach, centrally
// (withActor calls it for every request), and reports whether it did.
// API calls get 403 second_factor_required; pages that need a login are
// redirected to the enrolment page; public pages (help, the landing page,
// static files) are served as to someone logged out.
func gateLimited(w http.ResponseWriter, r *http.Request, d Deps) bool {
	ri := info(r)
	if !ri.Actor.Limited {
		return false
	}
	path := r.URL.Path
	if strings.HasPrefix(path, "/api/") {
		if limitedAPI[r.Method+" "+path] {
			return false
		}
		writeError(w, r, d, service.SecondFactorRequired())
		return true
	}
	switch limitedPage(path) {
	case "allowed":
		return false
	case "public":
		ri.Actor = eyelevel.Actor{Language: ri.Actor.Language}
		ri.Token, ri.Kind = "", ""
		return false
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, tfaEnrolPath, http.StatusSeeOther)
	return true
}

// tfaEnrolPath is the enrolment page; everything under it (passkeys
// included) is open to a limited session.
const tfaEnrolPath = "/settings/second-factor"

// limitedPage says how a limited session may see a page: "allowed" (the
// enrolment, logout), "public" (served as to someone logged out) or ""
// (redirected to the enrolment).
func limitedPage(path string) string {
	switch {
	case path == tfaEnrolPath || strings.HasPrefix(path, tfaEnrolPath+"/"),
		path == "/logout", path == "/logout/everywhere":
		return "allowed"
	case path == "/", path == "/help", path == "/favicon.ico", path == "/login", path == "/register",
		strings.HasPrefix(path, "/login/"), strings.HasPrefix(path, "/static/"), strings.HasPrefix(path, "/o/"):
		return "public"
	}
	return ""
}

// handleBeginTOTP: POST /api/v1/me/totp → 201 {"secret","otpauth_url"}.
func handleBeginTOTP(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := d.Service.BeginTOTP(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusCreated, map[string]string{"secret": st.Secret, "otpauth_url": st.URL})
	})
}

// handleConfirmTOTP: POST /api/v1/me/totp/confirm {"code"} → 200 {"recovery_codes"}.
func handleConfirmTOTP(d Deps) http.Handler {
	type body struct {
		Code string `json:"code"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[body](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		codes, err := d.Service.ConfirmTOTP(r.Context(), info(r).Actor, in.Code)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusOK, map[string][]string{"recovery_codes": codes})
	})
}

// handleDisableTOTP: DELETE /api/v1/me/totp {"code"} → 204, clients only.
func handleDisableTOTP(d Deps) http.Handler {
	type body struct {
		Code string `json:"code"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[body](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		if err := d.Service.DisableSecondFactor(r.Context(), info(r).Actor, in.Code); err != nil {
			writeError(w, r, d, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// handleResetSecondFactor: POST /api/v1/users/{id}/second-factor/reset → 204 (admins).
func handleResetSecondFactor(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := eyelevel.UserID(r.PathValue("id"))
		if err := d.Service.ResetSecondFactor(r.Context(), info(r).Actor, id); err != nil {
			writeError(w, r, d, err)
			return
		}
		d.Hub.Recheck(id) // the target's sessions ended: end its video signaling too
		w.WriteHeader(http.StatusNoContent)
	})
}

// writeTokenError answers a failed POST /api/v1/tokens: a missing second
// factor code is an authentication failure there (401), not the 403 a
// limited token gets elsewhere.
func writeTokenError(w http.ResponseWriter, r *http.Request, d Deps, err error) {
	if eyelevel.ErrorCode(err) != eyelevel.ESECONDFACTOR {
		writeError(w, r, d, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	encode(w, http.StatusUnauthorized, map[string]apiError{"error": apiErrorOf(r, d, err)})
}
