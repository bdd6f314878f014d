package service_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/mail"
	"eyelevel/mail/mailtest"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store/storetest"
)

const (
	kindsMessage    = "Mein Bruder Kerem schläft nicht mehr"
	kindsReflection = "Ich vermisse meine Schwester Parisa"
	kindsPublic     = "https://eyelevel.example"
)

var kindsURL = regexp.MustCompile(`https?://[^\s"'<>)]+`)

// TestMailKindsClean sends every kind of mail through the test SMTP
// server, for a client with questionnaire answers, a reflection and a
// message on record, and checks each mail: no health words, no message
// or reflection text, no result band in any language, a text and an
// HTML part, no images and no links to other hosts.
func TestMailKindsClean(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			db := storetest.OpenAt(t, dsn, dir)
			clk := &clock{t: monday}
			cfg := service.Config{Mail: service.MailConfig{On: true, PublicURL: kindsPublic, DutyEmail: "duty@operator.example"}}
			e := &env{t: t, ctx: context.Background(), db: db, svc: servicetest.NewServiceConfig(t, db, cfg, clk.Now), clock: clk}
			e.admin = e.user(eyelevel.RoleAdmin, "admin")
			raw := storetest.Raw(t, dsn, dir)
			address := func(a eyelevel.Actor, addr, lang string) {
				t.Helper()
				if _, err := raw.ExecContext(e.ctx, `UPDATE users SET email = $1, email_verified = 1, language = $2 WHERE id = $3`, addr, lang, string(a.UserID)); err != nil {
					t.Fatal(err)
				}
			}
			must := func(what string, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}

			counselor := e.counselor("kinds-counselor", eyelevel.GenderFemale, []string{"de*", "ar"}, officeHours...)
			address(counselor, "counselor@example.org", "de")
			client := e.client("kinds-client")
			address(client, "client@example.org", "ar")
			appt := e.book(client, counselor, at(2, 10, 0)) // booking, both sides

			r, err := e.svc.SubmitResponse(e.ctx, client, "gad7", answers(3, 3, 3, 3, 3, 3, 3))
			must("response", err)
			_, err = e.svc.SaveReflection(e.ctx, client, 4, service.ReflectionInput{Text: kindsReflection, Shared: true})
			must("reflection", err)
			_, err = e.svc.SendMessage(e.ctx, client, counselor.UserID, kindsMessage)
			must("message", err)
			clk.Advance(16 * time.Minute)
			_, err = e.svc.MailMessages(e.ctx) // message notification
			must("message mail", err)
			_, err = e.svc.RaiseAlert(e.ctx, client) // safety alert to the counselor
			must("alert", err)
			clk.Advance(31 * time.Minute)
			_, err = e.svc.EscalateAlerts(e.ctx) // duty escalation
			must("escalate", err)

			_, err = e.svc.Reschedule(e.ctx, client, appt.ID, service.RescheduleInput{Start: at(3, 11, 0)})
			must("reschedule", err)
			clk.Advance(2*24*time.Hour + 3*time.Hour) // Wednesday noon: the day-before reminder is due
			_, err = e.svc.SendReminders(e.ctx)
			must("reminders", err)
			_, err = e.svc.Cancel(e.ctx, client, appt.ID)
			must("cancel", err)

			waiting := e.client("kinds-waiting")
			address(waiting, "waiting@example.org", "fa")
			must("waitlist", e.svc.JoinWaitlist(e.ctx, waiting, service.SearchInput{Language: "fa"}))
			e.counselor("kinds-fa", eyelevel.GenderFemale, []string{"fa*"}, officeHours...)
			_, err = e.svc.NotifyWaitlist(e.ctx)
			must("notify waitlist", err)

			must("reset", e.svc.RequestPasswordReset(e.ctx, service.ResetRequest{Username: "kinds-client"}, e.ip()))
			_, err = e.svc.UpdateSettings(e.ctx, client, service.SettingsInput{Email: acctPtr("client.new@example.org")})
			must("verification", err)

			sender, srv := kindsSender(t)
			for {
				n, err := e.svc.DeliverMail(e.ctx, sender)
				must("deliver", err)
				if n == 0 {
					break
				}
			}
			for _, kind := range []string{"booking", "reschedule", "reminder", "cancel", "waitlist", "reset", "verify", "message", "safety", "duty"} {
				ms, err := db.Outbox(e.ctx, kind, 100)
				must("outbox", err)
				if len(ms) == 0 {
					t.Errorf("no %s mail", kind)
				}
				for _, m := range ms {
					if m.SentAt.IsZero() {
						t.Errorf("%s mail to %s not sent", kind, m.To)
					}
				}
			}
			got := srv.Messages()
			if len(got) < 12 {
				t.Errorf("%d mails arrived, want at least 12", len(got))
			}

			forbidden := append(mailtest.HealthWords(), kindsMessage, kindsReflection, "Kerem", "Parisa")
			cat, err := i18n.Load()
			must("catalog", err)
			for _, l := range cat.Languages() {
				forbidden = append(forbidden, cat.T(l.Code, "band.gad7."+r.Band))
			}
			for _, rc := range got {
				p, err := rc.Parse()
				must("parse", err)
				who := rc.To[0] + ": " + p.Subject
				if bad := mailtest.Clean(p, forbidden...); bad != nil {
					t.Errorf("mail to %s holds %q", who, bad)
				}
				if !slices.Contains(p.Parts, "text/plain") || !slices.Contains(p.Parts, "text/html") || p.Text == "" || p.HTML == "" {
					t.Errorf("mail to %s has parts %v", who, p.Parts)
				}
				if strings.Contains(strings.ToLower(p.HTML), "<img") {
					t.Errorf("mail to %s has an image", who)
				}
				for _, u := range kindsURL.FindAllString(p.HTML+"\n"+p.Text, -1) {
					if u != kindsPublic && !strings.HasPrefix(u, kindsPublic+"/") {
						t.Errorf("mail to %s links to %s", who, u)
					}
				}
			}
		})
	}
}

// kindsSender is a sender to a fresh test SMTP server.
func kindsSender(t *testing.T) (mail.Sender, *mailtest.Server) {
	t.Helper()
	srv := mailtest.Start(t)
	sender, err := mail.NewSMTP(srv.URL, "noreply@eyelevel.example")
	if err != nil {
		t.Fatal(err)
	}
	return sender, srv
}
