package web

import (
	"net/http"

	"eyelevel"
)

// deleteAccountPage explains what deleting the account does and asks for
// the password: GET /account/delete (clients).
func (v *views) deleteAccountPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/account/delete") {
			return
		}
		if info(r).Actor.Role != eyelevel.RoleClient {
			v.fail(w, r, eyelevel.Errorf(eyelevel.EFORBIDDEN, "erase.err.staff", "Staff accounts are deleted by an administrator."))
			return
		}
		v.render(w, r, http.StatusOK, "account_delete", newPage(r, "erase.title"))
	})
}

// deleteAccount deletes the caller's client account: POST /account/delete
// with the password and the confirmation box ticked; then the session
// cookie goes and the landing page says it is done.
func (v *views) deleteAccount() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, "/account/delete") {
			return
		}
		a := info(r).Actor
		var err error = eyelevel.Invalid(map[string]string{"confirm": "erase.err.confirm"})
		if r.PostForm.Get("confirm") == "yes" {
			err = v.d.Service.DeleteAccount(r.Context(), a, r.PostForm.Get("password"))
		}
		if err != nil {
			p := newPage(r, "erase.title")
			p.Form.Set("confirm", r.PostForm.Get("confirm"))
			v.renderAfter(w, r, "account_delete", p, err)
			return
		}
		v.d.Hub.Recheck(a.UserID)
		clearSession(w)
		http.Redirect(w, r, "/?notice=account_deleted", http.StatusSeeOther)
	})
}

// deleteCounselorPage asks an admin to confirm deleting a counselor:
// GET /admin/counselors/{id}/delete.
func (v *views) deleteCounselorPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.Path) {
			return
		}
		if info(r).Actor.Role != eyelevel.RoleAdmin {
			v.fail(w, r, eyelevel.ErrNotFound())
			return
		}
		c, err := v.d.Service.EditableCounselor(r.Context(), info(r).Actor, eyelevel.UserID(r.PathValue("id")))
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "erase.counselor.title")
		p.Data = c
		v.render(w, r, http.StatusOK, "admin_counselor_delete", p)
	})
}

// deleteCounselor deletes a counselor's account (admins):
// POST /admin/counselors/{id}/delete.
func (v *views) deleteCounselor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			v.fail(w, r, err)
			return
		}
		if requireLogin(w, r, "/admin/counselors") {
			return
		}
		id := eyelevel.UserID(r.PathValue("id"))
		if err := v.d.Service.DeleteCounselor(r.Context(), info(r).Actor, id); err != nil {
			v.fail(w, r, err)
			return
		}
		v.d.Hub.Recheck(id)
		http.Redirect(w, r, "/admin/counselors?notice=counselor_deleted", http.StatusSeeOther)
	})
}
