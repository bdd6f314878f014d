package web

import (
	"net/http"
	"net/url"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// soonFree reports whether a match has a free time within the waitlist window.
func soonFree(ms []service.Match, now time.Time) bool {
	for _, m := range ms {
		if m.Fallback == "" && m.NextSlot != nil && m.NextSlot.Start.Before(now.Add(service.WaitlistWindow)) {
			return true
		}
	}
	return false
}

// joinWaitlist puts the client on the waitlist for the searched language.
func (v *views) joinWaitlist() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang, gender := r.PostFormValue("language"), r.PostFormValue("gender")
		back := "/counselors?language=" + url.QueryEscape(lang) + "&gender=" + url.QueryEscape(gender)
		if requireLogin(w, r, back) {
			return
		}
		err := v.d.Service.JoinWaitlist(r.Context(), info(r).Actor, service.SearchInput{Language: lang, Gender: eyelevel.Gender(gender)})
		if err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, back+"&notice=waitlisted", http.StatusSeeOther)
	})
}

// leaveWaitlist removes the client's entry for a language.
func (v *views) leaveWaitlist() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/counselors") {
			return
		}
		if err := v.d.Service.LeaveWaitlist(r.Context(), info(r).Actor, r.PostFormValue("language")); err != nil {
			v.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/counselors?notice=unlisted", http.StatusSeeOther)
	})
}
