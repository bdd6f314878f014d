package web

import (
	"net/http"

	"eyelevel/service"
)

// meJSON is the caller's own account with its settings.
type meJSON struct {
	accountJSON
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	EmailPending  string   `json:"email_pending,omitempty"`
	Notifications []string `json:"notifications"`
	RecoveryCode  bool     `json:"has_recovery_code"`
}

func meOf(s service.Settings) meJSON {
	return meJSON{
		accountJSON:   accountJSON{ID: s.ID, Username: s.Username, Role: s.Role, Language: s.Language, TimeZone: s.TimeZone},
		Email:         s.Email,
		EmailVerified: s.EmailVerified,
		EmailPending:  s.PendingEmail,
		Notifications: s.Notifications(),
		RecoveryCode:  s.HasRecovery,
	}
}

func handleMe(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := d.Service.AccountSettings(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, meOf(s))
	})
}

func handlePatchMe(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.SettingsInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		s, err := d.Service.UpdateSettings(r.Context(), info(r).Actor, in)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, meOf(s))
	})
}

func handleChangePassword(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.PasswordChange](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		if err := d.Service.ChangePassword(r.Context(), info(r).Actor, in, info(r).Token); err != nil {
			writeError(w, r, d, err)
			return
		}
		d.Hub.Recheck(info(r).Actor.UserID) // ends the other sessions' video-room signaling at once
		w.WriteHeader(http.StatusNoContent)
	})
}

func handleNewRecoveryCode(d Deps) http.Handler {
	type input struct {
		Password string `json:"password"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[input](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		code, err := d.Service.NewRecoveryCode(r.Context(), info(r).Actor, in.Password)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, map[string]string{"recovery_code": code})
	})
}

// handleRequestReset answers 202 with the same body whether or not the
// account or address exists.
func handleRequestReset(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.ResetRequest](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		if err := d.Service.RequestPasswordReset(r.Context(), in, info(r).IP); err != nil {
			writeError(w, r, d, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusAccepted, map[string]string{"message": d.Catalog.T(info(r).Lang, "reset.sent")})
	})
}

// handleResetPassword sets the password with a mailed link's token. The
// new recovery code the reset issues is shown on the page flow only (the
// API answers 204); API callers create one with POST /api/v1/me/recovery-code.
func handleResetPassword(d Deps) http.Handler {
	type input struct {
		Password string `json:"password"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[input](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		rec, err := d.Service.ResetPassword(r.Context(), r.PathValue("token"), in.Password, info(r).IP)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		d.Hub.Recheck(rec.UserID) // ends the account's video-room signaling at once
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	})
}

func handleRecoverWithCode(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.RecoverInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		rec, err := d.Service.RecoverWithCode(r.Context(), in, info(r).IP)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		d.Hub.Recheck(rec.UserID)
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusOK, map[string]string{"recovery_code": rec.RecoveryCode})
	})
}

func handleVerifyEmail(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := d.Service.VerifyEmail(r.Context(), r.PathValue("token")); err != nil {
			writeError(w, r, d, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// registeredJSON is the answer to sign-up: the account and its recovery
// code, which is shown this once.
type registeredJSON struct {
	accountJSON
	RecoveryCode string `json:"recovery_code"`
}

func registeredOf(a service.NewAccount) registeredJSON {
	u := a.User
	return registeredJSON{accountJSON{ID: u.ID, Username: u.Username, Role: u.Role, Language: u.Language, TimeZone: u.TimeZone}, a.RecoveryCode}
}
