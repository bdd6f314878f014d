package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/service"
	"eyelevel/store/storetest"
	"eyelevel/vault"
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

// TestMsgPagesDuty: the duty page of an escalated alert (a client without
// a counselor reaches the duty contact at once) shows the pseudonym and
// lets the admin write and acknowledge, without JavaScript.
func TestMsgPagesDuty(t *testing.T) {
	db := storetest.Open(t, storetest.Suite())
	keys, err := vault.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, service.Config{SecondFactorOptional: true, Password: service.PasswordParams{Memory: 64, Time: 1, Threads: 1}, Keys: keys,
		Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example", DutyEmail: "duty@operator.example"}}, nil, nil)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(Deps{Service: svc, Catalog: cat}))
	t.Cleanup(srv.Close)
	e := &pagesEnv{t: t, srv: srv, svc: svc, cat: cat, db: db}
	u, err := svc.AddUser(t.Context(), eyelevel.RoleClient, "noor", "client-password", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddUser(t.Context(), eyelevel.RoleAdmin, "admin", "admin-password", "UTC"); err != nil {
		t.Fatal(err)
	}
	client := e.browser()
	client.login("noor", "client-password")
	p := client.post("/help/alert", url.Values{})
	mustContain(t, "client without counselor", p, e.de("duty.next.duty_now"), e.de("duty.next.numbers"))
	al, err := svc.SafetyPlanOf(t.Context(), eyelevel.Actor{UserID: u.ID, Role: eyelevel.RoleClient})
	if err != nil || !al.Open || !al.Duty {
		t.Fatalf("plan = %+v, %v", al, err)
	}
	out, err := db.Outbox(t.Context(), "duty", 10)
	if err != nil || len(out) != 1 {
		t.Fatalf("duty mails = %v, %v", out, err)
	}
	link := regexp.MustCompile(`https://eyelevel\.example(/duty/[a-z0-9]+)`).FindStringSubmatch(out[0].Text)
	if link == nil {
		t.Fatalf("no duty link in %s", out[0].Text)
	}
	mustStatus(t, "duty page as the client", client.get(link[1]), http.StatusNotFound)
	admin := e.browser()
	admin.login("admin", "admin-password")
	p = admin.get(link[1])
	mustStatus(t, "duty page", p, http.StatusOK)
	mustContain(t, "duty page", p, "noor", e.de("duty.open"), `action="/messages/`+string(u.ID)+`"`)
	p = admin.post("/messages/"+string(u.ID), url.Values{"text": {"Wir sind für Sie da. Wie geht es Ihnen gerade?"}})
	mustStatus(t, "duty writes", p, http.StatusOK)
	mustContain(t, "duty writes", p, "Wir sind für Sie da.")
	p = admin.post(link[1]+"/acknowledge", url.Values{})
	mustStatus(t, "acknowledge", p, http.StatusOK)
	if strings.Contains(p.body, e.de("duty.open")) {
		t.Error("still open after acknowledging")
	}
	p = client.get("/messages")
	mustContain(t, "client's list", p, e.de("messages.duty_name"), e.de("messages.unread", "n", 1))
}
