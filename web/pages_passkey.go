package web

import (
	"io"
	"net/http"

	"eyelevel/service"
)

// Passkeys on the pages (service/passkey.go). The browser side is
// static/passkey.js: it fetches the options from an .../options endpoint
// (JSON), calls navigator.credentials, puts the answer into a hidden field
// of an ordinary form and submits it, so the server answers with pages as
// for every other form. Without JavaScript or WebAuthn the passkey parts
// stay hidden and the code forms work as before.

// passkeyData is the passkey part of the second-factor page.
type passkeyData struct {
	On   bool              // passkeys work on this server
	Keys []service.Passkey // the account's passkeys
}

// passkeyPageData reads the passkey part of the second-factor page.
func (v *views) passkeyPageData(r *http.Request) (passkeyData, error) {
	if !v.d.Service.PasskeysAvailable() {
		return passkeyData{}, nil
	}
	keys, err := v.d.Service.Passkeys(r.Context(), info(r).Actor)
	return passkeyData{On: true, Keys: keys}, err
}

// passkeyLoginData is the page data of the login's second step: whether
// to offer the passkey button.
type passkeyLoginData struct{ Passkey bool }

func (v *views) passkeyLoginOffer(r *http.Request) passkeyLoginData {
	ok, err := v.d.Service.PendingHasPasskey(r.Context(), pendingOf(r))
	return passkeyLoginData{Passkey: ok && err == nil}
}

// passkeyOptions answers the script's POST for ceremony options with JSON.
func (v *views) passkeyOptions(begin func(r *http.Request) ([]byte, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 1024))
		out, err := begin(r)
		if err != nil {
			writeError(w, r, v.d, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	})
}

// beginPasskeyRegistration: POST /settings/second-factor/passkeys/options.
func (v *views) beginPasskeyRegistration() http.Handler {
	return v.passkeyOptions(func(r *http.Request) ([]byte, error) {
		return v.d.Service.BeginPasskeyRegistration(r.Context(), info(r).Actor)
	})
}

// addPasskey: POST /settings/second-factor/passkeys with the name and the
// authenticator's response; shows the recovery codes when the account got
// them now.
func (v *views) addPasskey() http.Handler {
	return v.passkeyForm(func(r *http.Request) ([]string, error) {
		return v.d.Service.FinishPasskeyRegistration(r.Context(), info(r).Actor, r.PostForm.Get("name"), []byte(r.PostForm.Get("credential")))
	})
}

// deletePasskey: POST /settings/second-factor/passkeys/{id}/delete.
func (v *views) deletePasskey() http.Handler {
	return v.passkeyForm(func(r *http.Request) ([]string, error) {
		return nil, v.d.Service.DeletePasskey(r.Context(), info(r).Actor, r.PathValue("id"))
	})
}

// beginPasskeyLogin: POST /login/passkey/options, for the pending login
// in the cookie.
func (v *views) beginPasskeyLogin() http.Handler {
	return v.passkeyOptions(func(r *http.Request) ([]byte, error) {
		return v.d.Service.BeginPasskeyLogin(r.Context(), pendingOf(r))
	})
}

// passkeyLogin: POST /login/passkey, the second step with a passkey.
func (v *views) passkeyLogin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		next := r.PostForm.Get("next")
		if !isLocalPath(next) {
			next = ""
		}
		in, err := v.d.Service.FinishPasskeyLogin(r.Context(), pendingOf(r), []byte(r.PostForm.Get("credential")))
		if err != nil {
			p := newPage(r, "tfa.login.title")
			if !v.formError(r, p, err) {
				v.fail(w, r, err)
				return
			}
			p.Data = v.passkeyLoginOffer(r)
			v.renderLoginCode(w, r, statusOf(err), p, next)
			return
		}
		v.finishLogin(w, r, in, next)
	})
}

// passkeyForm runs a POST of the passkey part of the second-factor page,
// like tfaForm (the layout shows the error on top).
func (v *views) passkeyForm(act func(r *http.Request) ([]string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, tfaEnrolPath) {
			return
		}
		codes, err := act(r)
		p := newPage(r, "tfa.title")
		if err != nil {
			if !v.formError(r, p, err) {
				v.fail(w, r, err)
				return
			}
			v.renderSecondFactor(w, r, statusOf(err), p, nil)
			return
		}
		if codes != nil {
			v.renderSecondFactor(w, r, http.StatusOK, p, codes)
			return
		}
		http.Redirect(w, r, tfaEnrolPath+"?notice=saved", http.StatusSeeOther)
	})
}
