package service_test

import (
	"sync"
	"testing"
	"time"

	"eyelevel/service"
	"eyelevel/service/servicetest"
)

// TestMsgJobsOnSeveralNodes: two nodes running the minute jobs at the same
// time send each escalation and each message mail once.
func TestMsgJobsOnSeveralNodes(t *testing.T) {
	msgEach(t, func(t *testing.T, w *msgWorld) {
		cfg := service.Config{Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example", DutyEmail: msgDuty}}
		nodes := []*service.Service{w.svc, servicetest.NewServiceConfig(t, w.db, cfg, w.clock.Now)}
		client, counselor := w.pair("nodes")
		w.active(counselor)
		if _, err := w.svc.SendMessage(w.ctx, client, counselor.UserID, "Hallo"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RaiseAlert(w.ctx, client); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(31 * time.Minute)
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 5 {
			for _, n := range nodes {
				wg.Go(func() {
					if _, err := n.EscalateAlerts(w.ctx); err != nil {
						errs <- err
					}
					if _, err := n.MailMessages(w.ctx); err != nil {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := len(w.mails("duty", msgDuty)); n != 1 {
			t.Errorf("duty mails = %d, want 1", n)
		}
		if n := len(w.mails("message", "nodes-counselor@example.org")); n != 1 {
			t.Errorf("message mails = %d, want 1", n)
		}
	})
}
