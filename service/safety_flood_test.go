package service_test

import (
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
)

// TestSafetyFloodMailsOnce: 20 presses of "tell my counselor" store and
// show 20 alerts but mail each counselor once and, after the escalation
// time, the duty contact once; a client without a counselor reaches the
// duty contact once, not 20 times. The questionnaire path is bounded too.
func TestSafetyFloodMailsOnce(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("flood")
		for range 20 {
			if _, err := w.svc.RaiseAlert(w.ctx, client); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.svc.SubmitResponse(w.ctx, client, "phq9", answers(0, 0, 0, 0, 0, 0, 0, 0, 2)); err != nil {
			t.Fatal(err)
		}
		if n := len(w.mails("safety", "flood-counselor@example.org")); n != 1 {
			t.Errorf("counselor got %d safety mails for 21 alerts, want 1", n)
		}
		if as, err := w.svc.SafetyAlerts(w.ctx, counselor); err != nil || len(as) != 21 {
			t.Errorf("counselor sees %d alerts (%v), want all 21", len(as), err)
		}
		w.clock.Advance(31 * time.Minute)
		if _, err := w.svc.EscalateAlerts(w.ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(w.mails("duty", msgDuty)); n != 1 {
			t.Errorf("duty got %d mails for one client's 21 alerts, want 1", n)
		}

		alone := w.client("k-flood-alone")
		for range 20 {
			if _, err := w.svc.RaiseAlert(w.ctx, alone); err != nil {
				t.Fatal(err)
			}
		}
		w.svc.EscalateAlerts(w.ctx)
		if n := len(w.mails("duty", msgDuty)); n != 2 {
			t.Errorf("client without counselor: duty got %d mails in all, want 2", n)
		}

		// Once the counselor acknowledged, a new alert mails them again.
		as, _ := w.svc.SafetyAlerts(w.ctx, counselor)
		for _, al := range as {
			if err := w.svc.AcknowledgeAlert(w.ctx, counselor, al.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.svc.RaiseAlert(w.ctx, client); err != nil {
			t.Fatal(err)
		}
		if n := len(w.mails("safety", "flood-counselor@example.org")); n != 2 {
			t.Errorf("new alert after acknowledgement: %d counselor mails in all, want 2", n)
		}
	})
}

// TestSafetyNoEscalationAfterAck: a counselor who acknowledges between
// the job's listing of alerts to escalate and its escalation of one
// keeps the duty contact from being mailed.
func TestSafetyNoEscalationAfterAck(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client, counselor := w.pair("race")
		al, err := w.svc.RaiseAlert(w.ctx, client)
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(31 * time.Minute)
		now := w.clock.Now().UTC()
		as, err := w.db.AlertsToEscalate(w.ctx, now.Add(-24*time.Hour), now.Add(-30*time.Minute), now.Add(-time.Hour), 100)
		if err != nil || len(as) != 1 || as[0].ID != al.ID {
			t.Fatalf("alerts to escalate = %v, %v", as, err)
		}
		if err := w.svc.AcknowledgeAlert(w.ctx, counselor, al.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.EscalateOneForTest(w.ctx, as[0]); err != nil {
			t.Fatal(err)
		}
		if n := len(w.mails("duty", msgDuty)); n != 0 {
			t.Errorf("duty mailed %d times about an alert acknowledged meanwhile", n)
		}
		if _, err := w.svc.DutyAlert(w.ctx, w.admin, al.ID); err == nil {
			t.Error("an alert acknowledged before escalation counts as escalated")
		}
	})
}

// TestSafetyHandoverCounselorMailed: a client whose counselor came by an
// accepted hand-over (the first counselor's session cancelled by the
// client) has that colleague as their counselor for alerts too: the
// colleague sees and is mailed the alert, and the duty contact is not
// mailed at once but only after the escalation time. A session the
// counselor cancelled keeps them the client's counselor as well.
func TestSafetyHandoverCounselorMailed(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		client := w.client("k-ho")
		first := w.counselor("c-ho-first", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		colleague := w.counselor("c-ho-colleague", eyelevel.GenderMale, []string{"de"}, officeHours...)
		w.email(first, "ho-first@example.org")
		w.email(colleague, "ho-colleague@example.org")
		appt := w.book(client, first, at(3, 10, 0))
		h, err := w.svc.ProposeHandover(w.ctx, first, service.HandoverInput{ClientID: client.UserID, ToCounselorID: colleague.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.DecideHandover(w.ctx, client, h.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Cancel(w.ctx, client, appt.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RaiseAlert(w.ctx, client); err != nil {
			t.Fatal(err)
		}
		if as, err := w.svc.SafetyAlerts(w.ctx, colleague); err != nil || len(as) != 1 {
			t.Fatalf("colleague sees %d alerts (%v), want 1", len(as), err)
		}
		if n := len(w.mails("safety", "ho-colleague@example.org")); n != 1 {
			t.Errorf("colleague got %d safety mails, want 1", n)
		}
		if n := len(w.mails("safety", "ho-first@example.org")); n != 0 {
			t.Errorf("the former counselor got %d safety mails", n)
		}
		w.svc.EscalateAlerts(w.ctx)
		if n := len(w.mails("duty", msgDuty)); n != 0 {
			t.Errorf("duty mailed at once (%d) although the client has a counselor", n)
		}
		if plan, _ := w.svc.SafetyPlanOf(w.ctx, client); plan.Counselors != 1 {
			t.Errorf("plan counts %d counselors, want 1", plan.Counselors)
		}

		// A session the counselor cancelled (an absence) keeps them.
		other := w.client("k-ho-absent")
		c3 := w.counselor("c-ho-absent", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		w.email(c3, "ho-absent@example.org")
		a3 := w.book(other, c3, at(3, 11, 0))
		if _, err := w.svc.Cancel(w.ctx, c3, a3.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RaiseAlert(w.ctx, other); err != nil {
			t.Fatal(err)
		}
		w.svc.EscalateAlerts(w.ctx)
		if n := len(w.mails("safety", "ho-absent@example.org")); n != 1 {
			t.Errorf("counselor who cancelled got %d safety mails, want 1", n)
		}
		if n := len(w.mails("duty", msgDuty)); n != 0 {
			t.Errorf("duty mailed at once (%d) for a client whose counselor cancelled", n)
		}
	})
}
