package service_test

import (
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/mail"
	"eyelevel/mail/mailtest"
)

// TestSafetyEscalation: the counselor is mailed at once; the duty contact
// is mailed once after the escalation time when nobody acknowledged, and
// not when the counselor did; a client without a counselor reaches the
// duty contact at once.
func TestSafetyEscalation(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, _ := w.pair("alert")
		al, err := w.svc.RaiseAlert(w.ctx, client)
		if err != nil {
			t.Fatal(err)
		}
		ms := w.mails("safety", "alert-counselor@example.org")
		if len(ms) != 1 {
			t.Fatalf("counselor got %d safety mails, want 1", len(ms))
		}
		wantNeutral(t, ms[0], "k-alert")
		if !strings.Contains(ms[0].Text, "https://eyelevel.example/clients/"+string(client.UserID)) {
			t.Errorf("safety mail without the client link: %s", ms[0].Text)
		}
		if n := len(w.mails("duty", msgDuty)); n != 0 {
			t.Fatalf("duty mailed at once although the client has a counselor (%d)", n)
		}
		w.clock.Advance(29 * time.Minute)
		w.svc.EscalateAlerts(w.ctx)
		if n := len(w.mails("duty", msgDuty)); n != 0 {
			t.Fatalf("duty mailed before the escalation time (%d)", n)
		}
		w.clock.Advance(2 * time.Minute)
		if n, err := w.svc.EscalateAlerts(w.ctx); n != 1 || err != nil {
			t.Fatalf("escalate = %d, %v", n, err)
		}
		w.svc.EscalateAlerts(w.ctx)
		duty := w.mails("duty", msgDuty)
		if len(duty) != 1 {
			t.Fatalf("duty got %d mails, want exactly 1", len(duty))
		}
		wantNeutral(t, duty[0], "k-alert")
		if !strings.Contains(duty[0].Text, "https://eyelevel.example/duty/"+al.ID) {
			t.Errorf("duty mail without the duty link: %s", duty[0].Text)
		}

		// Acknowledged in time: no escalation.
		c2, co2 := w.pair("acked")
		al2, _ := w.svc.RaiseAlert(w.ctx, c2)
		w.clock.Advance(5 * time.Minute)
		if err := w.svc.AcknowledgeAlert(w.ctx, co2, al2.ID); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(time.Hour)
		w.svc.EscalateAlerts(w.ctx)
		if n := len(w.mails("duty", msgDuty)); n != 1 {
			t.Errorf("acknowledged alert escalated (%d duty mails)", n)
		}

		// No counselor: the duty contact at once, once.
		alone := w.client("k-alone")
		if _, err := w.svc.RaiseAlert(w.ctx, alone); err != nil {
			t.Fatal(err)
		}
		w.svc.EscalateAlerts(w.ctx)
		if n := len(w.mails("duty", msgDuty)); n != 2 {
			t.Fatalf("alert without counselor: %d duty mails, want 2", n)
		}
		plan, _ := w.svc.SafetyPlanOf(w.ctx, alone)
		if !plan.Open || plan.Counselors != 0 || !plan.Duty {
			t.Errorf("plan without counselor = %+v", plan)
		}
		plan, _ = w.svc.SafetyPlanOf(w.ctx, client)
		if !plan.Open || !plan.Mail || plan.Counselors != 1 || plan.EscalateMinutes != 30 {
			t.Errorf("plan with counselor = %+v", plan)
		}
	})
}

// TestSafetyQuestionnaireMailsCounselor: the safety item of a
// questionnaire mails the counselor too, in the same transaction.
func TestSafetyQuestionnaireMailsCounselor(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, _ := w.pair("phq")
		if _, err := w.svc.SubmitResponse(w.ctx, client, "phq9", answers(0, 0, 0, 0, 0, 0, 0, 0, 2)); err != nil {
			t.Fatal(err)
		}
		ms := w.mails("safety", "phq-counselor@example.org")
		if len(ms) != 1 {
			t.Fatalf("counselor got %d safety mails, want 1", len(ms))
		}
		wantNeutral(t, ms[0], "k-phq", "PHQ", "item")
	})
}

// TestDutyAuthorization: only admins see an escalated alert's duty view,
// and only once it was escalated; after that the admin and the client may
// write to each other, and the admin may acknowledge.
func TestDutyAuthorization(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("duty")
		al, _ := w.svc.RaiseAlert(w.ctx, client)
		_, err := w.svc.DutyAlert(w.ctx, w.admin, al.ID)
		wantCode(t, err, eyelevel.ENOTFOUND) // not escalated yet
		wantCode(t, w.svc.AcknowledgeAlert(w.ctx, w.admin, al.ID), eyelevel.EFORBIDDEN)
		_, err = w.svc.SendMessage(w.ctx, w.admin, client.UserID, "Hallo")
		wantCode(t, err, eyelevel.ENOTFOUND)
		w.clock.Advance(31 * time.Minute)
		w.svc.EscalateAlerts(w.ctx)
		org := w.org("Haus", "haus")
		other := w.counselor("c-x", eyelevel.GenderMale, []string{"de*"}, officeHours...)
		for _, c := range []struct {
			name  string
			actor eyelevel.Actor
			code  string
		}{
			{"admin", w.admin, ""},
			{"the client's counselor", counselor, eyelevel.ENOTFOUND},
			{"another counselor", other, eyelevel.ENOTFOUND},
			{"the client", client, eyelevel.ENOTFOUND},
			{"care point", w.staff(eyelevel.RoleCarePoint, "cp", org.ID), eyelevel.ENOTFOUND},
			{"organization admin", w.staff(eyelevel.RoleOrgAdmin, "oa", org.ID), eyelevel.ENOTFOUND},
			{"anonymous", eyelevel.Actor{}, eyelevel.EUNAUTHORIZED},
		} {
			v, err := w.svc.DutyAlert(w.ctx, c.actor, al.ID)
			if got := eyelevel.ErrorCode(err); got != c.code {
				t.Errorf("%s: duty view = %q, want %q", c.name, got, c.code)
			} else if err == nil && (v.Pseudonym != "k-duty" || !v.CreatedAt.Equal(monday) || !v.AcknowledgedAt.IsZero()) {
				t.Errorf("duty view = %+v", v)
			}
		}
		_, err = w.svc.DutyAlert(w.ctx, w.admin, "unknown")
		wantCode(t, err, eyelevel.ENOTFOUND)
		if _, err := w.svc.SendMessage(w.ctx, w.admin, client.UserID, "Wir sind da."); err != nil {
			t.Fatalf("admin writes after escalation: %v", err)
		}
		if _, err := w.svc.SendMessage(w.ctx, client, w.admin.UserID, "Danke"); err != nil {
			t.Fatalf("client answers the duty contact: %v", err)
		}
		cs, _ := w.svc.Conversations(w.ctx, client)
		var duty bool
		for _, c := range cs {
			duty = duty || c.Duty() && c.Name == ""
		}
		if !duty {
			t.Errorf("client's list lacks the duty contact: %+v", cs)
		}
		wantCode(t, w.svc.AcknowledgeAlert(w.ctx, other, al.ID), eyelevel.ENOTFOUND)
		if err := w.svc.AcknowledgeAlert(w.ctx, w.admin, al.ID); err != nil {
			t.Fatal(err)
		}
		if v, _ := w.svc.DutyAlert(w.ctx, w.admin, al.ID); v.AcknowledgedAt.IsZero() {
			t.Error("not acknowledged")
		}
	})
}

// TestSafetyMailOverSMTP: the counselor's and the duty contact's mails
// arrive at an SMTP server, neutral and without health words.
func TestSafetyMailOverSMTP(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		srv := mailtest.Start(t)
		sender, err := mail.NewSMTP(srv.URL, "noreply@eyelevel.example")
		if err != nil {
			t.Fatal(err)
		}
		alone := w.client("k-lonely")
		client, counselor := w.pair("smtp")
		w.svc.RaiseAlert(w.ctx, client)
		w.svc.RaiseAlert(w.ctx, alone)
		w.clock.Advance(time.Hour)
		w.svc.SendMessage(w.ctx, client, counselor.UserID, msgSecret)
		if n, err := w.svc.DeliverMail(w.ctx, sender); n != 3 || err != nil {
			t.Fatalf("delivered %d, %v; want 3", n, err)
		}
		for _, r := range srv.Wait(t, 3, 5*time.Second) {
			p, err := r.Parse()
			if err != nil {
				t.Fatal(err)
			}
			all := strings.ToLower(p.Subject + p.Text + p.HTML)
			for _, s := range append([]string{"geheim", "aylin", "k-smtp", "k-lonely"}, healthWords...) {
				if strings.Contains(all, strings.ToLower(s)) {
					t.Errorf("mail to %v contains %q", r.To, s)
				}
			}
		}
	})
}
