package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"eyelevel"
	"eyelevel/service"
)

// settingsNotices are the ?done= values of the settings page.
var settingsNotices = map[string]string{
	"saved":    "settings.saved",
	"verify":   "settings.verify_sent",
	"password": "settings.password_changed",
}

type notifyOption struct {
	Kind string
	On   bool
}

type settingsData struct {
	service.Settings
	Languages     []option
	Zone          zoneData
	Notifications []notifyOption
	Counselor     bool // counselors set their time zone in their profile
}

func (v *views) renderSettings(w http.ResponseWriter, r *http.Request, status int, p *page) {
	s, err := v.d.Service.AccountSettings(r.Context(), info(r).Actor)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	f := p.Form
	if len(f) == 0 {
		f.Set("email", s.Email)
		if s.PendingEmail != "" {
			f.Set("email", s.PendingEmail)
		}
		f.Set("language", s.Language)
		f.Set("timezone", s.TimeZone)
		if !slices.Contains(commonZones, s.TimeZone) {
			f.Set("timezone_other", s.TimeZone)
		}
		for _, k := range s.Notifications() {
			f.Add("notify", k)
		}
	}
	d := settingsData{Settings: s, Languages: serviceLanguages(), Zone: zoneChoice(f), Counselor: s.Role == eyelevel.RoleCounselor}
	for _, k := range eyelevel.Notifications {
		d.Notifications = append(d.Notifications, notifyOption{Kind: k, On: slices.Contains(f["notify"], k)})
	}
	p.Data, p.Self = d, "/settings"
	v.render(w, r, status, "settings", p)
}

func (v *views) settingsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/settings") {
			return
		}
		p := newPage(r, "settings.title")
		p.Notice = settingsNotices[r.URL.Query().Get("done")]
		v.renderSettings(w, r, http.StatusOK, p)
	})
}

// settingsForm runs a POST of the settings page: parse, require a login,
// act; a problem the user can fix re-renders the page with the form kept
// (never the passwords); success goes back to the page with a notice.
func (v *views) settingsForm(act func(r *http.Request, f url.Values) (done string, err error), keepFields ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, "/settings") {
			return
		}
		done, err := act(r, r.PostForm)
		if err != nil {
			p := newPage(r, "settings.title")
			if !v.formError(r, p, err) {
				v.fail(w, r, err)
				return
			}
			for _, k := range keepFields {
				if vs := r.PostForm[k]; len(vs) > 0 {
					p.Form[k] = vs
				}
			}
			v.renderSettings(w, r, statusOf(err), p)
			return
		}
		http.Redirect(w, r, "/settings?done="+done, http.StatusSeeOther)
	})
}

func (v *views) saveSettings() http.Handler {
	return v.settingsForm(func(r *http.Request, f url.Values) (string, error) {
		email, lang := strings.TrimSpace(f.Get("email")), f.Get("language")
		notify := f["notify"]
		if notify == nil {
			notify = []string{}
		}
		in := service.SettingsInput{Email: &email, Language: &lang, Notifications: &notify}
		if info(r).Actor.Role != eyelevel.RoleCounselor {
			zone := zoneInput(f)
			in.TimeZone = &zone
		}
		s, err := v.d.Service.UpdateSettings(r.Context(), info(r).Actor, in)
		if err != nil {
			return "", err
		}
		if s.PendingEmail != "" && strings.EqualFold(s.PendingEmail, email) {
			return "verify", nil
		}
		return "saved", nil
	}, "email", "language", "timezone", "timezone_other", "notify")
}

func (v *views) changePassword() http.Handler {
	return v.settingsForm(func(r *http.Request, f url.Values) (string, error) {
		in := service.PasswordChange{Current: f.Get("current"), New: f.Get("new")}
		if err := v.d.Service.ChangePassword(r.Context(), info(r).Actor, in, info(r).Token); err != nil {
			return "", err
		}
		v.d.Hub.Recheck(info(r).Actor.UserID) // ends the other sessions' video-room signaling at once
		return "password", nil
	})
}

// recoveryData is the page that shows a recovery code once.
type recoveryData struct {
	Code     string
	Next     string // where "continue" leads
	NextText string // its catalog key
}

func (v *views) showRecoveryCode(w http.ResponseWriter, r *http.Request, code, next, nextText string) {
	p := newPage(r, "recovery.title")
	p.Data = recoveryData{Code: code, Next: next, NextText: nextText}
	p.Self = "/"
	v.render(w, r, http.StatusOK, "recovery_code", p)
}

func (v *views) newRecoveryCode() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, "/settings") {
			return
		}
		code, err := v.d.Service.NewRecoveryCode(r.Context(), info(r).Actor, r.PostForm.Get("password"))
		if err != nil {
			p := newPage(r, "settings.title")
			if !v.formError(r, p, err) {
				v.fail(w, r, err)
				return
			}
			if msg, ok := p.Fields["password"]; ok {
				delete(p.Fields, "password")
				p.Fields["recovery_password"] = msg
			}
			v.renderSettings(w, r, statusOf(err), p)
			return
		}
		v.showRecoveryCode(w, r, code, "/settings", "recovery.back_settings")
	})
}

// verifyData is the result of opening a verification link.
type verifyData struct{ OK bool }

func (v *views) verifyEmail() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := newPage(r, "verify.title")
		p.Self = "/"
		err := v.d.Service.VerifyEmail(r.Context(), r.PathValue("token"))
		p.Data = verifyData{OK: err == nil}
		v.renderAfter(w, r, "verify_email", p, err)
	})
}

func (v *views) renderResetRequest(w http.ResponseWriter, r *http.Request, p *page, err error) {
	p.Self = "/password-reset"
	v.renderAfter(w, r, "password_reset", p, err)
}

func (v *views) resetRequestForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.renderResetRequest(w, r, newPage(r, "reset.title"), nil)
	})
}

// resetRequestOf reads the one field of the reset form: an address when it
// has an @, a username otherwise.
func resetRequestOf(account string) service.ResetRequest {
	account = strings.TrimSpace(account)
	if strings.Contains(account, "@") {
		return service.ResetRequest{Email: account}
	}
	return service.ResetRequest{Username: account}
}

func (v *views) requestReset() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "reset.title")
		in := resetRequestOf(r.PostForm.Get("account"))
		if in.Username == "" && in.Email == "" {
			in.Username = " " // asks for neither: the service's field error
		}
		err := v.d.Service.RequestPasswordReset(r.Context(), in, info(r).IP)
		if err != nil {
			p.Form = keep(r.PostForm, "account")
			moveField(p, "username", "account")
			moveField(p, "email", "account")
		} else {
			p.Notice = "reset.sent"
		}
		v.renderResetRequest(w, r, p, err)
	})
}

// moveField shows a service field's error at the form's field.
func moveField(p *page, from, to string) {
	if msg, ok := p.Fields[from]; ok {
		delete(p.Fields, from)
		p.Fields[to] = msg
	}
}

func (v *views) recoverWithCode() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		in := service.RecoverInput{Username: f.Get("username"), RecoveryCode: f.Get("recovery_code"), Password: f.Get("password")}
		rec, err := v.d.Service.RecoverWithCode(r.Context(), in, info(r).IP)
		if err != nil {
			p := newPage(r, "reset.title")
			p.Form = keep(f, "username")
			if v.formError(r, p, err) {
				moveField(p, "password", "new_password")
			}
			v.renderResetRequest(w, r, p, err)
			return
		}
		v.d.Hub.Recheck(rec.UserID) // ends the account's video-room signaling at once
		v.showRecoveryCode(w, r, rec.RecoveryCode, "/login", "recovery.to_login")
	})
}

type resetTokenData struct {
	Token string
	Valid bool
}

func (v *views) renderResetToken(w http.ResponseWriter, r *http.Request, p *page, err error) {
	p.Self = "/password-reset"
	// A link refused as such shows no form; a refused password does.
	var e *eyelevel.Error
	valid := eyelevel.ErrorCode(err) != eyelevel.EINVALID || errors.As(err, &e) && len(e.Fields) > 0
	p.Data = resetTokenData{Token: r.PathValue("token"), Valid: valid}
	v.renderAfter(w, r, "password_reset_token", p, err)
}

func (v *views) resetForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := newPage(r, "reset.title")
		v.renderResetToken(w, r, p, v.d.Service.CheckResetToken(r.Context(), r.PathValue("token")))
	})
}

func (v *views) resetPassword() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		rec, err := v.d.Service.ResetPassword(r.Context(), r.PathValue("token"), r.PostForm.Get("password"), info(r).IP)
		if err != nil {
			v.renderResetToken(w, r, newPage(r, "reset.title"), err)
			return
		}
		v.d.Hub.Recheck(rec.UserID)
		v.showRecoveryCode(w, r, rec.RecoveryCode, "/login", "recovery.to_login")
	})
}

// slipWithCode renders the access slip of a client a care point just
// registered, with the recovery code (shown this once) and the way on to
// booking.
func (v *views) slipWithCode(w http.ResponseWriter, r *http.Request, a service.NewAccount) {
	slip, err := v.d.Service.AccessSlip(r.Context(), info(r).Actor, a.ID)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	next := "/counselors?" + url.Values{"language": {a.Language}, "client": {string(a.ID)}, "notice": {"registered"}}.Encode()
	v.renderSlip(w, r, slip, a.RecoveryCode, next)
}

// inClientLanguage returns r speaking lang when the catalog has it.
func (v *views) inClientLanguage(r *http.Request, lang string) *http.Request {
	ri := *info(r)
	if v.d.Catalog.Has(lang) {
		ri.Lang = lang
	}
	return r.WithContext(context.WithValue(r.Context(), requestKey{}, &ri))
}
