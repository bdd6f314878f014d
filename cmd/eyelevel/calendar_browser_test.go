package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/mail/mailtest"
	"eyelevel/service"
	"eyelevel/store"
	"eyelevel/store/storetest"

	"github.com/chromedp/chromedp"
)

// TestBrowserCancelLinkFromMail: a client with a verified address books in
// the browser; the server mails the confirmation through SMTP; the test
// reads the one-click cancel link from that mail, opens it in Chromium
// (which shows a confirmation and cancels nothing), confirms, and the
// slot is free again: another client books it.
func TestBrowserCancelLinkFromMail(t *testing.T) {
	ctx := browser(t)
	smtp := mailtest.Start(t)
	dsn, dir, flags := serverDB(t)
	const public = "https://eyelevel.example"
	flags = append(flags, "--smtp", smtp.URL, "--mail-from", "noreply@eyelevel.example", "--duty-email", "duty@eyelevel.example", "--public-url", public)
	base, _ := startServer(t, flags...)
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)

	bg := context.Background()
	db, err := store.Open(bg, dsn, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := service.New(db, service.Config{SecondFactorOptional: true}, nil, nil)
	var week []eyelevel.WeeklyWindow
	for d := time.Sunday; d <= time.Saturday; d++ {
		week = append(week, eyelevel.WeeklyWindow{Weekday: d, Start: 0, End: 23 * 60})
	}
	c, err := svc.CreateCounselor(bg, service.Operator, service.CounselorInput{Username: "mail-counselor", Password: "counselor password", DisplayName: "Samira Haddad",
		Gender: eyelevel.GenderFemale, Languages: []eyelevel.LanguageSkill{{Code: "ar", Native: true}}, TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetAvailability(bg, service.Operator, c.ID, eyelevel.Availability{Weekly: week}); err != nil {
		t.Fatal(err)
	}
	client, err := svc.AddUser(bg, eyelevel.RoleClient, "mail-client", "client password", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.AddUser(bg, eyelevel.RoleClient, "next-client", "client password", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []eyelevel.UserID{client.ID, other.ID} { // accounts from the command line agree at first login otherwise
		if err := svc.RecordConsentFor(bg, service.Operator, id); err != nil {
			t.Fatal(err)
		}
	}
	raw := storetest.Raw(t, dsn, dir)
	if _, err := raw.ExecContext(bg, `UPDATE users SET email = 'client@example.org', email_verified = 1 WHERE id = $1`, string(client.ID)); err != nil {
		t.Fatal(err)
	}

	do := stepper(t, ctx)
	do("log in",
		chromedp.Navigate(base+"/login?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "mail-client"),
		chromedp.SendKeys(chromedp.CSS("#password"), "client password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	do("book the first free time",
		chromedp.Navigate(base+"/counselors/"+string(c.ID)),
		chromedp.WaitVisible(chromedp.CSS("a.slot")),
		chromedp.Click(chromedp.CSS("a.slot")),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/book"] button[type=submit]`)),
		chromedp.Click(chromedp.CSS(`form[action="/book"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".card")),
	)
	appts, err := db.Appointments(bg, store.AppointmentFilter{ClientID: client.ID})
	if err != nil || len(appts) != 1 || appts[0].Status != eyelevel.StatusBooked {
		t.Fatalf("after booking: %+v, %v", appts, err)
	}
	appt := appts[0]

	var link string
	for _, m := range smtp.Wait(t, 1, 30*time.Second) {
		if m.To[0] != "client@example.org" {
			continue
		}
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.ICS, "METHOD:REQUEST") {
			t.Errorf("confirmation without a calendar request:\n%s", p.ICS)
		}
		link = regexp.MustCompile(regexp.QuoteMeta(public) + `/cancel/[A-Za-z0-9._-]+`).FindString(p.Text)
	}
	if link == "" {
		t.Fatal("no cancel link in the client's confirmation")
	}
	link = base + strings.TrimPrefix(link, public)

	do("open the cancel link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#confirm-cancel")),
	)
	if a, err := db.Appointment(bg, appt.ID); err != nil || a.Status != eyelevel.StatusBooked {
		t.Fatalf("opening the link changed the appointment: %+v, %v", a, err)
	}
	do("confirm",
		chromedp.Click(chromedp.CSS("#confirm-cancel")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	if a, err := db.Appointment(bg, appt.ID); err != nil || a.Status != eyelevel.StatusCancelled || a.CancelledBy != client.ID {
		t.Fatalf("after confirming: %+v, %v", a, err)
	}
	next := eyelevel.Actor{UserID: other.ID, Role: eyelevel.RoleClient, TimeZone: "UTC"}
	if _, err := svc.Book(bg, next, service.BookInput{CounselorID: c.ID, Start: appt.Start}); err != nil {
		t.Fatalf("the freed slot cannot be booked: %v", err)
	}
	do("the used link says so",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("p.alert")),
	)
}
