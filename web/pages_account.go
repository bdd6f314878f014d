package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"eyelevel"
	"eyelevel/service"
)

func (v *views) landing() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := newPage(r, "landing.title")
		v.render(w, r, http.StatusOK, "landing", p)
	})
}

func (v *views) notFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.fail(w, r, eyelevel.Errorf(eyelevel.ENOTFOUND, "error.page_not_found", "This page does not exist."))
	})
}

type registerData struct {
	Languages []option
	Zone      zoneData
}

func (v *views) renderRegister(w http.ResponseWriter, r *http.Request, status int, p *page) {
	p.Data = registerData{Languages: serviceLanguages(), Zone: zoneChoice(p.Form)}
	p.Self = "/register"
	v.render(w, r, status, "register", p)
}

func (v *views) registerForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := newPage(r, "register.title")
		// The language chosen on the landing page (or negotiated) is the default.
		p.Form.Set("language", info(r).Lang)
		p.Form.Set("timezone", defaultZone)
		// An organization's access code from its landing page travels along.
		if c := r.URL.Query().Get("code"); len(c) <= 64 {
			p.Form.Set("code", c)
		}
		v.renderRegister(w, r, http.StatusOK, p)
	})
}

func (v *views) register() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		in := service.RegisterInput{
			Username: f.Get("username"), Password: f.Get("password"),
			Language: f.Get("language"), TimeZone: zoneInput(f), Email: f.Get("email"),
			Consent: f.Get("consent") == "yes",
		}
		acct, err := v.d.Service.SignUp(r.Context(), in, info(r).IP)
		if err != nil {
			p := newPage(r, "register.title")
			if !v.formError(r, p, err) {
				v.fail(w, r, err)
				return
			}
			if e := (*eyelevel.Error)(nil); errors.As(err, &e) && e.Key == "account.err.username_taken" {
				p.Fields["username"] = p.Message
			}
			p.Form = keep(f, "username", "language", "timezone", "timezone_other", "email", "code", "consent")
			v.renderRegister(w, r, statusOf(err), p)
			return
		}
		in2, err := v.d.Service.SignIn(r.Context(), service.Credentials{Username: in.Username, Password: in.Password, IP: info(r).IP})
		if err != nil {
			// The account exists; logging in by hand still works.
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		setSession(w, in2.Token, in2.Expires, false)
		setDevice(w, in2.Device)
		// First the recovery code, shown this once. Then, with an
		// organization's code, they enter it (prefilled); otherwise new
		// clients start with the self-test, which can be skipped.
		next := "/selftest"
		if c := f.Get("code"); c != "" && len(c) <= 64 {
			next = "/codes?code=" + url.QueryEscape(c)
		}
		// The page is the new account's already (its menu, its language).
		ri := *info(r)
		ri.Actor = eyelevel.Actor{UserID: acct.ID, Role: acct.Role, Language: acct.Language, TimeZone: acct.TimeZone}
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, &ri))
		v.showRecoveryCode(w, r, acct.RecoveryCode, next, "recovery.continue")
	})
}

// keep copies the named fields of a form; passwords are never sent back.
func keep(f url.Values, names ...string) url.Values {
	out := url.Values{}
	for _, n := range names {
		if v := f.Get(n); v != "" {
			out.Set(n, v)
		}
	}
	return out
}

func (v *views) renderLogin(w http.ResponseWriter, r *http.Request, status int, p *page) {
	p.Self = "/login"
	if next := p.Form.Get("next"); next != "" {
		p.Self += "?next=" + url.QueryEscape(next)
	}
	v.render(w, r, status, "login", p)
}

func (v *views) loginForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := newPage(r, "login.title")
		if next := r.URL.Query().Get("next"); isLocalPath(next) {
			p.Form.Set("next", next)
		}
		v.renderLogin(w, r, http.StatusOK, p)
	})
}

func (v *views) login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		f := r.PostForm
		next := f.Get("next")
		if !isLocalPath(next) {
			next = ""
		}
		in, err := v.d.Service.SignIn(r.Context(), service.Credentials{
			Username: f.Get("username"), Password: f.Get("password"), IP: info(r).IP, Device: deviceOf(r),
			Shared: f.Get("shared") == "yes",
		})
		if eyelevel.ErrorCode(err) == eyelevel.ESECONDFACTOR && in.Pending != "" {
			v.startLoginCode(w, r, in.Pending, next) // the second step (pages_secondfactor.go)
			return
		}
		if err != nil {
			p := newPage(r, "login.title")
			if !v.formError(r, p, err) {
				v.fail(w, r, err)
				return
			}
			p.Form = keep(f, "username", "shared")
			if next != "" {
				p.Form.Set("next", next)
			}
			v.renderLogin(w, r, statusOf(err), p)
			return
		}
		setSession(w, in.Token, in.Expires, in.Shared)
		setDevice(w, in.Device) // none on a shared computer
		if in.Limited {
			next = tfaEnrolPath // staff without a second factor enrol first
		}
		if next == "" {
			lang := info(r).Lang
			if in.User.Language != "" {
				lang = in.User.Language
			}
			next = homeOf(in.User.Role, lang)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
}

func (v *views) logout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := info(r).Token; tok != "" {
			if err := v.clearSharedComputer(w, r); err != nil {
				v.fail(w, r, err)
				return
			}
			if err := v.d.Service.Logout(r.Context(), tok); err != nil {
				v.fail(w, r, err)
				return
			}
			v.d.Hub.Recheck(info(r).Actor.UserID) // ends this session's video-room signaling at once
		}
		clearSession(w)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}

// logoutEverywhere ends all of the account's sessions and API tokens.
func (v *views) logoutEverywhere() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info(r).Actor.Anonymous() {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if err := v.clearSharedComputer(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if err := v.d.Service.LogoutEverywhere(r.Context(), info(r).Actor); err != nil {
			v.fail(w, r, err)
			return
		}
		v.d.Hub.Recheck(info(r).Actor.UserID) // ends the account's video-room signaling at once
		clearSession(w)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}

// clearSharedComputer asks the browser to forget everything of this site
// (cookies, cached pages, storage) when the session ending was started on
// a shared computer, so that the next person at it finds nothing.
func (v *views) clearSharedComputer(w http.ResponseWriter, r *http.Request) error {
	if info(r).Kind != service.SessionWeb {
		return nil
	}
	shared, err := v.d.Service.SessionShared(r.Context(), info(r).Token)
	if shared {
		w.Header().Set("Clear-Site-Data", `"cache", "cookies", "storage"`)
	}
	return err
}
