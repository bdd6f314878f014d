package web

import (
	"html/template"
	"net/http"
	"net/url"

	"eyelevel"
	"eyelevel/service"
)

// pendingCookie holds a page login between the password and the second
// factor (service.SignedIn.Pending): signed, bound to the account's
// password, five minutes. It is strict: no other site's request carries it.
const pendingCookie = "__Host-eyelevel-login"

// startLoginCode keeps the pending login and sends the browser to the
// second step.
func (v *views) startLoginCode(w http.ResponseWriter, r *http.Request, pending, next string) {
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: pending, Path: "/", MaxAge: 300,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	target := "/login/code"
	if next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func clearPending(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

func pendingOf(r *http.Request) string {
	if c, err := r.Cookie(pendingCookie); err == nil {
		return c.Value
	}
	return ""
}

func (v *views) renderLoginCode(w http.ResponseWriter, r *http.Request, status int, p *page, next string) {
	if next != "" {
		p.Form.Set("next", next)
	}
	if p.Data == nil {
		p.Data = v.passkeyLoginOffer(r) // passkey hook: the button, when the account has one
	}
	w.Header().Set("Cache-Control", "no-store")
	v.render(w, r, status, "login_code", p)
}

// loginCodeForm is the login's second step: the code from the app or a
// recovery code (a passkey button joins it later).
func (v *views) loginCodeForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := r.URL.Query().Get("next")
		if !isLocalPath(next) {
			next = ""
		}
		if _, err := v.d.Service.PendingUser(r.Context(), pendingOf(r)); err != nil {
			clearPending(w)
			redirectLogin(w, r, next)
			return
		}
		v.renderLoginCode(w, r, http.StatusOK, newPage(r, "tfa.login.title"), next)
	})
}

func (v *views) loginCode() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		next := r.PostForm.Get("next")
		if !isLocalPath(next) {
			next = ""
		}
		in, err := v.d.Service.CompleteLogin(r.Context(), service.SecondStep{Pending: pendingOf(r), Code: r.PostForm.Get("code")})
		if err != nil {
			p := newPage(r, "tfa.login.title")
			if !v.formError(r, p, err) {
				v.fail(w, r, err)
				return
			}
			p.Fields["code"] = p.Message
			v.renderLoginCode(w, r, statusOf(err), p, next)
			return
		}
		v.finishLogin(w, r, in, next)
	})
}

// finishLogin sets the session of a completed login and goes on; a
// passkey login ends here too.
func (v *views) finishLogin(w http.ResponseWriter, r *http.Request, in service.SignedIn, next string) {
	clearPending(w)
	setSession(w, in.Token, in.Expires, in.Shared)
	setDevice(w, in.Device)
	if next == "" {
		lang := info(r).Lang
		if in.User.Language != "" {
			lang = in.User.Language
		}
		next = homeOf(in.User.Role, lang)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

type secondFactorData struct {
	service.SecondFactorState
	Limited bool          // this session must enrol and log in again
	Setup   *setupData    // a started enrolment
	Codes   []string      // recovery codes, shown once after confirming
	Client  bool          // may switch it off again
	QR      template.HTML // the otpauth URL as inline SVG
	Passkey passkeyData   // passkeys (pages_passkey.go)
}

type setupData struct{ Secret, URL string }

func (v *views) renderSecondFactor(w http.ResponseWriter, r *http.Request, status int, p *page, codes []string) {
	a := info(r).Actor
	st, err := v.d.Service.SecondFactor(r.Context(), a)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	d := secondFactorData{SecondFactorState: st, Limited: a.Limited, Codes: codes, Client: a.Role == eyelevel.RoleClient}
	if d.Passkey, err = v.passkeyPageData(r); err != nil { // passkey hook
		v.fail(w, r, err)
		return
	}
	if st.Started && codes == nil {
		setup, err := v.d.Service.PendingTOTP(r.Context(), a)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		d.Setup = &setupData{Secret: setup.Secret, URL: setup.URL}
		d.QR = qrSVG(setup.URL)
	}
	p.Data, p.Self = d, tfaEnrolPath
	w.Header().Set("Cache-Control", "no-store")
	v.render(w, r, status, "second_factor", p)
}

// secondFactorPage shows the state of the second factor and the next step:
// start, scan and confirm, or (clients) switch off.
func (v *views) secondFactorPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, tfaEnrolPath) {
			return
		}
		v.renderSecondFactor(w, r, http.StatusOK, newPage(r, "tfa.title"), nil)
	})
}

// tfaForm runs a POST of the enrolment page.
func (v *views) tfaForm(act func(r *http.Request) ([]string, error)) http.Handler {
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
			p.Fields["code"] = p.Message
			v.renderSecondFactor(w, r, statusOf(err), p, nil)
			return
		}
		if codes != nil {
			v.renderSecondFactor(w, r, http.StatusOK, p, codes)
			return
		}
		http.Redirect(w, r, tfaEnrolPath, http.StatusSeeOther)
	})
}

func (v *views) beginTOTP() http.Handler {
	return v.tfaForm(func(r *http.Request) ([]string, error) {
		_, err := v.d.Service.BeginTOTP(r.Context(), info(r).Actor)
		return nil, err
	})
}

func (v *views) confirmTOTP() http.Handler {
	return v.tfaForm(func(r *http.Request) ([]string, error) {
		return v.d.Service.ConfirmTOTP(r.Context(), info(r).Actor, r.PostForm.Get("code"))
	})
}

func (v *views) disableTOTP() http.Handler {
	return v.tfaForm(func(r *http.Request) ([]string, error) {
		return nil, v.d.Service.DisableSecondFactor(r.Context(), info(r).Actor, r.PostForm.Get("code"))
	})
}

// resetSecondFactor is an admin's page action: POST
// /admin/users/{id}/second-factor/reset, then back to the form's "back"
// (a local path; the admin counselors page by default) with a notice.
func (v *views) resetSecondFactor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, "/admin/counselors") {
			return
		}
		id := eyelevel.UserID(r.PathValue("id"))
		if err := v.d.Service.ResetSecondFactor(r.Context(), info(r).Actor, id); err != nil {
			v.fail(w, r, err)
			return
		}
		v.d.Hub.Recheck(id)
		back := r.PostForm.Get("back")
		if !isLocalPath(back) {
			back = "/admin/counselors"
		}
		u, _ := url.Parse(back)
		q := u.Query()
		q.Set("notice", "saved")
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
	})
}
