package web

import (
	"net/http"

	"eyelevel/service"
)

type adminMailData struct {
	Status  service.MailStatus
	Retried bool // a retry was just requested
}

// adminMailPage shows the outbox to an admin: whether mail is on, counts,
// and the mails that failed, each given-up one with a retry button.
func (v *views) adminMailPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/mail") {
			return
		}
		st, err := v.d.Service.MailStatus(r.Context(), info(r).Actor)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "admin_mail.title")
		p.Data = adminMailData{Status: st, Retried: r.URL.Query().Get("retried") == "1"}
		v.render(w, r, http.StatusOK, "admin_mail", p)
	})
}

// retryMailForm tries a given-up mail again and goes back to the page.
func (v *views) retryMailForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/mail") {
			return
		}
		if err := v.d.Service.RetryMail(r.Context(), info(r).Actor, r.PathValue("id")); err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/admin/mail?retried=1", http.StatusSeeOther)
	})
}
