package web

import (
	"net/http"
	"net/url"

	"eyelevel"
	"eyelevel/service"
)

type adminAccountsData struct {
	Query    string
	Hits     []service.AccountHit
	Searched bool
	Max      int
}

// adminAccounts finds accounts by pseudonym (GET /admin/accounts?q=).
func (v *views) adminAccounts() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.RequestURI()) {
			return
		}
		a := info(r).Actor
		if a.Role != eyelevel.RoleAdmin {
			v.fail(w, r, eyelevel.Errorf(eyelevel.EFORBIDDEN, "error.forbidden", "You may not do this."))
			return
		}
		p := newPage(r, "admintools.accounts.title")
		q := r.URL.Query().Get("q")
		d := adminAccountsData{Query: q, Max: service.MaxAccountHits}
		var err error
		if q != "" {
			d.Searched = true
			d.Hits, err = v.d.Service.FindAccounts(r.Context(), a, q)
		}
		p.Data = d
		v.renderAfter(w, r, "admin_accounts", p, err)
	})
}

// setDeactivated deactivates or reactivates a counselor and shows their
// standing, where their future sessions can be cancelled.
func (v *views) setDeactivated(on bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, "/admin/accounts") {
			return
		}
		a, id := info(r).Actor, eyelevel.UserID(r.PathValue("id"))
		var err error
		if on {
			err = v.d.Service.DeactivateCounselor(r.Context(), a, id)
		} else {
			err = v.d.Service.ReactivateCounselor(r.Context(), a, id)
		}
		if err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/admin/counselors/"+url.PathEscape(string(id))+"/standing?notice=saved", http.StatusSeeOther)
	})
}

type counselorStandingData struct {
	Standing  service.CounselorStanding
	Cancelled int // sessions just cancelled
}

func (v *views) counselorStanding() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.RequestURI()) {
			return
		}
		v.renderStanding(w, r, newPage(r, "admintools.standing.title"), 0, nil)
	})
}

func (v *views) renderStanding(w http.ResponseWriter, r *http.Request, p *page, cancelled int, actionErr error) {
	id := eyelevel.UserID(r.PathValue("id"))
	st, err := v.d.Service.CounselorStanding(r.Context(), info(r).Actor, id)
	if err != nil {
		v.fail(w, r, err)
		return
	}
	p.Self = "/admin/counselors/" + url.PathEscape(string(id)) + "/standing"
	p.Data = counselorStandingData{Standing: st, Cancelled: cancelled}
	v.renderAfter(w, r, "admin_standing", p, actionErr)
}

func (v *views) cancelCounselorSessions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, "/admin/accounts") {
			return
		}
		msg := r.PostForm.Get("message")
		done, err := v.d.Service.CancelCounselorSessions(r.Context(), info(r).Actor, eyelevel.UserID(r.PathValue("id")), msg)
		p := newPage(r, "admintools.standing.title")
		if err != nil {
			p.Form.Set("message", msg)
		}
		v.renderStanding(w, r, p, len(done), err)
	})
}

func (v *views) sessionCounts() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/session-counts") {
			return
		}
		cs, err := v.d.Service.SessionCounts(r.Context(), info(r).Actor)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "admintools.counts.title")
		p.Data = cs
		v.render(w, r, http.StatusOK, "admin_session_counts", p)
	})
}
