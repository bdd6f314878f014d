package web

import (
	"net/http"
	"strconv"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/service"
)

// accessEntryJSON is one line of a client's access log: when, who (a
// counselor's display name, else a role word, in the caller's language),
// the actor's role code, and the translated phrase of what they did.
type accessEntryJSON struct {
	Seq       int64  `json:"seq"`
	At        string `json:"at"`
	Actor     string `json:"actor"`
	ActorRole string `json:"actor_role"`
	What      string `json:"what"`
}

type accessLogJSON struct {
	Entries    []accessEntryJSON `json:"entries"`
	NextBefore int64             `json:"next_before,omitempty"` // pass as ?before= for older entries
}

// auditActorName is who acted, for the API: a counselor's display name,
// else a role word in the caller's language.
func auditActorName(c *i18n.Catalog, lang string, e service.AccessEntry) string {
	if e.ActorRole == eyelevel.RoleCounselor && !e.ActorGone {
		return e.ActorName
	}
	return auditActor(c, lang, e)
}

// auditActor words who acted in a client's access log page: "Leyla
// Ahmadi (your counselor)", or a role word.
func auditActor(c *i18n.Catalog, lang string, e service.AccessEntry) string {
	switch {
	case e.ActorRole == "":
		return c.T(lang, "audit.actor.operator")
	case e.ActorRole == eyelevel.RoleCounselor && e.ActorGone:
		return c.T(lang, "audit.actor.former_counselor")
	case e.ActorGone:
		return c.T(lang, "audit.actor.former_staff")
	case e.ActorRole == eyelevel.RoleCounselor:
		return c.T(lang, "audit.actor.counselor", "name", "\u2068"+e.ActorName+"\u2069")
	case e.ActorRole == eyelevel.RoleAdmin:
		return c.T(lang, "audit.actor.admin")
	case e.ActorRole == eyelevel.RoleCarePoint:
		return c.T(lang, "audit.actor.carepoint")
	case e.ActorRole == eyelevel.RoleOrgAdmin:
		return c.T(lang, "audit.actor.orgadmin")
	}
	return c.T(lang, "audit.actor.other")
}

// auditWhat words a kind of the access log; kinds without their own
// wording read as a general action on the account.
func auditWhat(c *i18n.Catalog, lang, kind string) string {
	key := "audit.what." + kind
	if _, ok := c.Entry(i18n.Source, key); !ok {
		key = "audit.what.other"
	}
	return c.T(lang, key)
}

// auditCursor reads ?before=; a bad one is EINVALID.
func auditCursor(r *http.Request) (int64, error) {
	return service.ParseAuditCursor(r.URL.Query().Get("before"))
}

// handleAccessLog is GET /api/v1/me/access-log: the client's own log.
func handleAccessLog(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before, err := auditCursor(r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		es, next, err := d.Service.AccessLog(r.Context(), info(r).Actor, before)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		lang := info(r).Lang
		out := accessLogJSON{Entries: make([]accessEntryJSON, 0, len(es)), NextBefore: next}
		for _, e := range es {
			out.Entries = append(out.Entries, accessEntryJSON{Seq: e.Seq, At: e.At.UTC().Format(time.RFC3339),
				Actor: auditActorName(d.Catalog, lang, e), ActorRole: string(e.ActorRole), What: auditWhat(d.Catalog, lang, e.Kind)})
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusOK, out)
	})
}

type staffActionsJSON struct {
	Entries    []service.StaffAction `json:"entries"`
	NextBefore int64                 `json:"next_before,omitempty"`
}

// handleStaffActions is GET /api/v1/admin/audit: staff actions for admins,
// never reads of a client's data, never health data.
func handleStaffActions(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before, err := auditCursor(r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		es, next, err := d.Service.StaffActions(r.Context(), info(r).Actor, before)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		for i := range es {
			es[i].At = es[i].At.UTC()
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusOK, staffActionsJSON{Entries: es, NextBefore: next})
	})
}

// olderLink is the link to the page after next, or "" when there is none.
func olderLink(path string, next int64) string {
	if next == 0 {
		return ""
	}
	return path + "?before=" + strconv.FormatInt(next, 10)
}
