package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// TestPagesAdminMail: the admin's mail page says that mail is off, counts
// and lists the failed mail (shortened address, no body) with a retry
// button that works; the counselors page says mail is off too; a
// counselor gets 404.
func TestPagesAdminMail(t *testing.T) {
	e := newPagesEnv(t)
	admin, counselor, _ := e.setup()
	now := time.Now()
	id := eyelevel.NewID()
	if err := e.db.QueueMail(t.Context(), store.OutboxMail{ID: id, Kind: "reminder", To: "samira@example.org", Language: "ar",
		Subject: "S", Text: "SECRET-BODY", HTML: "<p>SECRET-BODY</p>", CreatedAt: now, NextAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.MarkMailRetry(t.Context(), id, now, "connection refused", true, now); err != nil {
		t.Fatal(err)
	}
	p := admin.get("/admin/mail")
	mustStatus(t, "mail page", p, http.StatusOK)
	mustContain(t, "mail page", p, e.de("admin_mail.off"), e.de("admin_mail.state_given_up"), "sa***@example.org", "connection refused",
		`action="/admin/mail/`+id+`/retry"`, `href="/admin/mail"`)
	if strings.Contains(p.body, "SECRET-BODY") || strings.Contains(p.body, "samira@") {
		t.Error("the mail page shows a body or a full address")
	}
	if strings.Count(p.body, "<h1") != 1 || strings.Contains(p.body, "style=") || strings.Contains(p.body, "<script") {
		t.Error("the mail page has no single h1, or inline style or script")
	}
	mustContain(t, "counselors page", admin.get("/admin/counselors"), e.de("admin_mail.off"))

	p = admin.post("/admin/mail/"+id+"/retry", url.Values{})
	mustStatus(t, "retry", p, http.StatusOK)
	mustContain(t, "retry", p, e.de("admin_mail.retried"))
	if strings.Contains(p.body, e.de("admin_mail.state_given_up")) {
		t.Error("still given up after the retry")
	}
	mustStatus(t, "counselor", counselor.get("/admin/mail"), http.StatusNotFound)
	mustStatus(t, "counselor retry", counselor.post("/admin/mail/"+id+"/retry", url.Values{}), http.StatusNotFound)
}
