package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// mailQueueFailed puts a mail into w's outbox that the worker gave up on,
// and one still retrying; it returns the given-up mail's id.
func mailQueueFailed(tb testing.TB, w *world) string {
	tb.Helper()
	now := w.clock.Now()
	var ids []string
	for i, to := range []string{"leyla@example.org", "omar@example.net"} {
		id := eyelevel.NewID()
		must(tb, w.db.QueueMail(w.ctx, store.OutboxMail{ID: id, Kind: "booking", To: to, Language: "de", Subject: "Termin",
			Text: "SECRET-BODY link", HTML: "<p>SECRET-BODY</p>", CreatedAt: now, NextAt: now}))
		must(tb, w.db.MarkMailRetry(w.ctx, id, now.Add(time.Minute), "451 4.3.0 down", i == 0, now))
		ids = append(ids, id)
	}
	return ids[0]
}

// TestMailAuthorization: the outbox status and the retry are for admins
// only; everyone else logged in gets 404, nobody logged in 401.
func TestMailAuthorization(t *testing.T) {
	w := newWorld(t)
	id := mailQueueFailed(t, w)
	type action struct {
		name, method, path string
		ok                 int
	}
	actions := []action{
		{"status", http.MethodGet, "/api/v1/admin/mail", http.StatusOK},
		{"retry unknown", http.MethodPost, "/api/v1/admin/mail/nope/retry", http.StatusNotFound},
		{"retry", http.MethodPost, "/api/v1/admin/mail/" + id + "/retry", http.StatusNoContent},
	}
	for _, a := range actions {
		for _, who := range roles {
			t.Run(fmt.Sprintf("%s/%s", a.name, who), func(t *testing.T) {
				want := http.StatusNotFound
				switch who {
				case anon:
					want = http.StatusUnauthorized
				case admin:
					want = a.ok
				}
				r := w.do(t, who, a.method, a.path, nil)
				if r.Status != want {
					t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
				}
				if want >= 400 {
					r.wantError(t, want, map[int]string{401: eyelevel.EUNAUTHORIZED, 404: eyelevel.ENOTFOUND}[want])
				}
			})
		}
	}
}

// TestMailStatusAPI: the admin sees counts and the failed mails, with the
// address shortened and never a body; without --smtp it says that no mail
// is sent; a given-up mail can be retried once.
func TestMailStatusAPI(t *testing.T) {
	w := newWorld(t)
	id := mailQueueFailed(t, w)
	r := w.do(t, admin, http.MethodGet, "/api/v1/admin/mail", nil)
	r.wantStatus(t, http.StatusOK)
	if body := string(r.Body); strings.Contains(body, "SECRET-BODY") || strings.Contains(body, "leyla@") || strings.Contains(body, "Termin") {
		t.Fatalf("status shows a body, subject or full address: %s", body)
	}
	var st struct {
		MailOn   bool   `json:"mail_on"`
		Notice   string `json:"notice"`
		Waiting  int    `json:"waiting"`
		GivenUp  int    `json:"given_up"`
		Problems []struct {
			ID, To, LastError string
			GivenUp           bool    `json:"given_up"`
			NextTry           *string `json:"next_try"`
		} `json:"problems"`
	}
	r.decode(t, &st)
	if st.MailOn || !strings.Contains(st.Notice, "--smtp") || st.Waiting != 1 || st.GivenUp != 1 || len(st.Problems) != 2 {
		t.Fatalf("status = %+v", st)
	}
	for _, p := range st.Problems {
		if p.ID == id && (!p.GivenUp || p.To != "le***@example.org" || p.NextTry != nil) || p.ID != id && (p.GivenUp || p.NextTry == nil) {
			t.Errorf("problem %+v", p)
		}
	}
	w.do(t, admin, http.MethodPost, "/api/v1/admin/mail/"+id+"/retry", nil).wantStatus(t, http.StatusNoContent)
	w.do(t, admin, http.MethodPost, "/api/v1/admin/mail/"+id+"/retry", nil).wantError(t, http.StatusNotFound, eyelevel.ENOTFOUND)
	w.do(t, admin, http.MethodGet, "/api/v1/admin/mail", nil).decode(t, &st)
	if st.GivenUp != 0 || st.Waiting != 2 {
		t.Errorf("after retry: %+v", st)
	}
}
