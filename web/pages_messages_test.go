package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// msgPagesSetup adds a client "leyla" with a session with the setup's
// counselor and returns the browsers of both.
func msgPagesSetup(t *testing.T, e *pagesEnv) (client, counselor *browser, counselorID, clientID eyelevel.UserID) {
	t.Helper()
	_, counselor, counselorID = e.setup()
	u, err := e.svc.AddUser(t.Context(), eyelevel.RoleClient, "leyla", "client-password", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ss, err := e.svc.Slots(t.Context(), eyelevel.Actor{}, service.SlotsInput{CounselorID: counselorID, From: now, To: now.Add(72 * time.Hour)})
	if err != nil || len(ss) == 0 {
		t.Fatalf("slots: %v, %v", ss, err)
	}
	a := eyelevel.Actor{UserID: u.ID, Role: eyelevel.RoleClient, Language: "de", TimeZone: "Europe/Berlin"}
	if _, err := e.svc.Book(t.Context(), a, service.BookInput{CounselorID: counselorID, Start: ss[0].Start}); err != nil {
		t.Fatal(err)
	}
	client = e.browser()
	client.login("leyla", "client-password")
	return client, counselor, counselorID, u.ID
}

// TestMsgPagesFlow: without JavaScript, a client writes from the messages
// page, sees the reply time, and the counselor sees the unread badge,
// reads and answers; the client sees the read receipt.
func TestMsgPagesFlow(t *testing.T) {
	e := newPagesEnv(t)
	client, counselor, counselorID, clientID := msgPagesSetup(t, e)
	p := client.get("/messages")
	mustStatus(t, "client's messages", p, http.StatusOK)
	mustContain(t, "client's messages", p, e.de("nav.messages"), "Amira K.", e.de("reply_time.answers", "n", 2), `href="/messages/`+string(counselorID)+`"`)
	p = client.get("/messages/" + string(counselorID))
	mustStatus(t, "thread", p, http.StatusOK)
	mustContain(t, "thread", p, e.de("messages.empty_thread"), e.de("reply_time.answers", "n", 2), `action="/messages/`+string(counselorID)+`"`)

	p = client.post("/messages/"+string(counselorID), url.Values{"text": {"  "}})
	mustStatus(t, "empty message", p, http.StatusBadRequest)
	mustContain(t, "empty message", p, e.de("messages.err.empty"), `aria-invalid="true"`)

	p = client.post("/messages/"+string(counselorID), url.Values{"text": {"Kann ich am Freitag anrufen?"}})
	mustStatus(t, "send", p, http.StatusOK)
	mustContain(t, "send", p, "Kann ich am Freitag anrufen?", e.de("messages.not_read"), `id="latest"`)

	p = counselor.get("/availability")
	mustContain(t, "counselor's nav", p, `href="/messages"`, e.de("messages.unread", "n", 1))
	p = counselor.get("/messages/" + string(clientID))
	mustContain(t, "counselor's thread", p, "leyla", "Kann ich am Freitag anrufen?")
	p = counselor.post("/messages/"+string(clientID), url.Values{"text": {"Ja, gern."}})
	mustStatus(t, "answer", p, http.StatusOK)

	p = client.get("/messages/" + string(counselorID))
	mustContain(t, "client sees the answer and the receipt", p, "Ja, gern.", strings.SplitN(e.de("messages.read", "time", "§"), "§", 2)[0])

	// Strangers get the not-found page.
	stranger := e.browser()
	if _, err := e.svc.AddUser(t.Context(), eyelevel.RoleClient, "stranger", "stranger-password", "UTC"); err != nil {
		t.Fatal(err)
	}
	stranger.login("stranger", "stranger-password")
	mustStatus(t, "stranger reads", stranger.get("/messages/"+string(counselorID)), http.StatusNotFound)
	mustStatus(t, "stranger writes", stranger.post("/messages/"+string(clientID), url.Values{"text": {"Hallo"}}), http.StatusNotFound)
}

// TestMsgPagesSafety: after a client asks for help, every page of their
// counselor carries the banner, the crisis page tells the client truthfully
// what happens (here: no mail, so in the app only) and shows the numbers;
// the duty page is admins' only.
func TestMsgPagesSafety(t *testing.T) {
	e := newPagesEnv(t)
	client, counselor, _, clientID := msgPagesSetup(t, e)
	p := counselor.get("/ratings")
	if strings.Contains(p.body, e.de("duty.banner")) {
		t.Fatal("banner before any alert")
	}
	p = client.post("/help/alert", url.Values{})
	mustStatus(t, "raise alert", p, http.StatusOK)
	mustContain(t, "after raising", p, e.de("duty.next.heading"), e.de("duty.next.in_app"), e.de("duty.next.numbers"), `href="tel:`)
	if strings.Contains(p.body, e.de("duty.next.mailed")) {
		t.Error("the page claims a mail was sent without mail configured")
	}
	for _, path := range []string{"/ratings", "/availability", "/profile", "/messages"} {
		mustContain(t, "counselor page "+path, counselor.get(path), e.de("duty.banner"))
	}
	mustContain(t, "client page", counselor.get("/clients/"+string(clientID)), `href="/messages/`+string(clientID)+`"`)
	mustStatus(t, "duty page as counselor", counselor.get("/duty/unknown"), http.StatusNotFound)
	anon := e.browser()
	if p := anon.raw(http.MethodGet, "/duty/x", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Errorf("anonymous duty page: %d %s", p.status, p.location)
	}
}

// TestMsgPagesReplyTime: a counselor sets their reply time on the profile
// page; a bad value is refused on the form.
func TestMsgPagesReplyTime(t *testing.T) {
	e := newPagesEnv(t)
	_, counselor, id := e.setup()
	p := counselor.get("/profile")
	mustContain(t, "profile", p, `name="reply_days"`, `value="2"`)
	form := url.Values{"display_name": {"Amira K."}, "gender": {"female"}, "lang.ar": {"yes"}, "native.ar": {"yes"}, "timezone": {"Europe/Berlin"}, "reply_days": {"15"}}
	p = counselor.post("/profile", form)
	mustStatus(t, "bad reply time", p, http.StatusBadRequest)
	mustContain(t, "bad reply time", p, e.de("reply_time.err.days"))
	form.Set("reply_days", "1")
	p = counselor.post("/profile", form)
	mustStatus(t, "save reply time", p, http.StatusOK)
	c, err := e.svc.Counselor(t.Context(), eyelevel.Actor{}, id)
	if err != nil || c.ReplyDays != 1 {
		t.Fatalf("reply days = %d, %v", c.ReplyDays, err)
	}
	mustContain(t, "public profile", e.browser().get("/counselors/"+string(id)), e.de("reply_time.answers", "n", 1))
}
