package web

import (
	"net/http"

	"eyelevel/service"
)

// accessLine is one worded line of a client's access log page.
type accessLine struct {
	service.AccessEntry
	Actor, What string
}

type accessLogData struct {
	Lines []accessLine
	Older string // link to older entries, or ""
}

// accessLogPage shows a client who saw their data and acted on their
// account. It has no id: everyone sees only their own (staff get 404).
func (v *views) accessLogPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/access-log") {
			return
		}
		before, err := auditCursor(r)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		es, next, err := v.d.Service.AccessLog(r.Context(), info(r).Actor, before)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		lang := info(r).Lang
		d := accessLogData{Older: olderLink("/access-log", next)}
		for _, e := range es {
			d.Lines = append(d.Lines, accessLine{AccessEntry: e, Actor: auditActor(v.d.Catalog, lang, e), What: auditWhat(v.d.Catalog, lang, e.Kind)})
		}
		p := newPage(r, "audit.title")
		p.Data = d
		w.Header().Set("Cache-Control", "no-store")
		v.render(w, r, http.StatusOK, "access_log", p)
	})
}

type staffActionsData struct {
	Entries []service.StaffAction
	Older   string
}

// staffActionsPage shows admins the staff actions of the access log.
func (v *views) staffActionsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, "/admin/audit") {
			return
		}
		before, err := auditCursor(r)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		es, next, err := v.d.Service.StaffActions(r.Context(), info(r).Actor, before)
		if err != nil {
			v.fail(w, r, err)
			return
		}
		p := newPage(r, "audit.admin.title")
		p.Data = staffActionsData{Entries: es, Older: olderLink("/admin/audit", next)}
		w.Header().Set("Cache-Control", "no-store")
		v.render(w, r, http.StatusOK, "admin_audit", p)
	})
}
