package service

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/mail"
	"eyelevel/mail/mailtest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// mailWorld is a service with mail on, a test clock and a test SMTP server.
type mailWorld struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	svc    *Service
	srv    *mailtest.Server
	sender *mail.SMTP
	mu     sync.Mutex
	now    time.Time
}

func newMailWorld(t *testing.T, db *store.DB) *mailWorld {
	w := &mailWorld{t: t, ctx: context.Background(), db: db, now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	w.svc = w.service()
	w.srv = mailtest.Start(t)
	var err error
	if w.sender, err = mail.NewSMTP(w.srv.URL, "noreply@eyelevel.example"); err != nil {
		t.Fatal(err)
	}
	w.sender.TLSConfig = &tls.Config{RootCAs: w.srv.RootCAs}
	return w
}

// service is another Service on the same database and clock (a restart,
// or a second node).
func (w *mailWorld) service() *Service {
	return New(w.db, Config{Keys: encTestKeys(), Mail: MailConfig{On: true, PublicURL: "https://eyelevel.example"}}, nil, w.clock)
}

func (w *mailWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *mailWorld) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

// queue puts one mail to to in the outbox, in a transaction of its own.
func (w *mailWorld) queue(to string) {
	w.t.Helper()
	m := Mail{Kind: "test", To: to, Lang: "de", Subject: Line{Key: "app.name"}, Lines: []Line{{Key: "mail.footer"}}}
	if err := w.db.InTx(w.ctx, func(ctx context.Context) error { return w.svc.queueMail(ctx, m) }); err != nil {
		w.t.Fatal(err)
	}
}

func (w *mailWorld) deliver(s *Service) int {
	w.t.Helper()
	n, err := s.DeliverMail(w.ctx, w.sender)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// TestMailRetriesThenGivesUp: a refused mail is tried again within 30 s,
// keeps being retried with growing pauses, and after a day is given up;
// the admin sees it (masked address, no body) and can try it again, and
// then it goes out.
func TestMailRetriesThenGivesUp(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		w := newMailWorld(t, db)
		admin := eyelevel.Actor{UserID: "admin-1", Role: eyelevel.RoleAdmin}
		w.queue("leyla@example.org")
		w.srv.SetDown(true)
		if w.deliver(w.svc) != 0 {
			t.Fatal("sent while down")
		}
		w.advance(30 * time.Second)
		w.deliver(w.svc)
		if out, _ := db.Outbox(w.ctx, "test", 1); out[0].Attempts != 2 {
			t.Fatalf("attempts within 30 s = %d, want 2", out[0].Attempts)
		}
		st, err := w.svc.MailStatus(w.ctx, admin)
		if err != nil || st.Waiting != 1 || st.Failed != 0 || len(st.Troubled) != 1 || st.Troubled[0].GivenUp {
			t.Fatalf("status while retrying = %+v, %v", st, err)
		}
		for range 30 { // an hour at a time, a little over a day
			w.advance(time.Hour)
			w.deliver(w.svc)
		}
		st, err = w.svc.MailStatus(w.ctx, admin)
		if err != nil || st.Waiting != 0 || st.Failed != 1 || len(st.Troubled) != 1 {
			t.Fatalf("status after a day = %+v, %v", st, err)
		}
		p := st.Troubled[0]
		if !p.GivenUp || p.To != "le***@example.org" || p.Kind != "test" || p.Attempts < 10 || !strings.Contains(p.LastError, "451") {
			t.Errorf("given-up mail = %+v", p)
		}
		w.srv.SetDown(false)
		w.advance(time.Hour)
		if w.deliver(w.svc) != 0 {
			t.Fatal("a given-up mail was sent without a retry")
		}
		if err := w.svc.RetryMail(w.ctx, admin, "nope"); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Errorf("retry unknown = %v", err)
		}
		if err := w.svc.RetryMail(w.ctx, admin, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.RetryMail(w.ctx, admin, p.ID); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			t.Errorf("retry of a mail no longer given up = %v", err)
		}
		if w.deliver(w.svc) != 1 {
			t.Fatal("retried mail not sent")
		}
		st, _ = w.svc.MailStatus(w.ctx, admin)
		if st.Failed != 0 || st.Sent24h != 1 || len(st.Troubled) != 0 {
			t.Errorf("status after retry = %+v", st)
		}
	})
}

// TestMailSurvivesRestart: the outbox is the state; a new service (after
// a restart) sends what the old one could not.
func TestMailSurvivesRestart(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		w := newMailWorld(t, db)
		w.queue("a@example.org")
		w.srv.SetDown(true)
		w.deliver(w.svc)
		w.srv.SetDown(false)
		restarted := w.service()
		w.advance(15 * time.Second)
		if w.deliver(restarted) != 1 {
			t.Fatal("not sent after the restart")
		}
		if w.deliver(restarted)+w.deliver(w.svc) != 0 || len(w.srv.Messages()) != 1 {
			t.Fatal("sent twice")
		}
	})
}

// TestMailTwoWorkers: two services, each with its own handle on one
// database (as two serve processes), delivering at the same time send
// each mail exactly once.
func TestMailTwoWorkers(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			w := newMailWorld(t, storetest.OpenAt(t, dsn, dir))
			other := storetest.OpenAt(t, dsn, dir)
			mailTwoWorkers(t, w, New(other, Config{Keys: encTestKeys(), Mail: MailConfig{On: true}}, nil, w.clock))
		})
	}
}

func mailTwoWorkers(t *testing.T, w *mailWorld, second *Service) {
	const n = 60
	for i := range n {
		w.queue(fmt.Sprintf("c%d@example.org", i))
	}
	workers := []*Service{w.svc, second}
	var wg sync.WaitGroup
	for _, s := range workers {
		wg.Go(func() {
			for range 5 {
				if _, err := s.DeliverMail(w.ctx, w.sender); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got := w.srv.Wait(t, n, 10*time.Second)
	seen := map[string]int{}
	for _, r := range got {
		seen[r.To[0]]++
	}
	for to, k := range seen {
		if k != 1 {
			t.Errorf("%s got %d mails", to, k)
		}
	}
	if len(got) != n || len(seen) != n {
		t.Errorf("%d mails to %d addresses, want %d", len(got), len(seen), n)
	}
}

// TestMailWakesAfterCommit: a queued mail wakes the worker once its
// transaction commits, without waiting for the next poll (an hour here);
// a rolled-back one is never sent.
func TestMailWakesAfterCommit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		w := newMailWorld(t, db)
		ctx, cancel := context.WithCancel(w.ctx)
		done := make(chan struct{})
		go func() { w.svc.RunMailer(ctx, w.sender, time.Hour); close(done) }()
		defer func() { cancel(); <-done }()
		err := db.InTx(w.ctx, func(ctx context.Context) error {
			if err := w.svc.queueMail(ctx, Mail{Kind: "test", To: "gone@example.org", Subject: Line{Key: "app.name"}}); err != nil {
				return err
			}
			return fmt.Errorf("rolled back")
		})
		if err == nil {
			t.Fatal("no rollback")
		}
		for i := range 3 {
			w.queue(fmt.Sprintf("now%d@example.org", i))
			w.srv.Wait(t, i+1, 20*time.Second)
		}
		for _, r := range w.srv.Messages() {
			if r.To[0] == "gone@example.org" {
				t.Error("a rolled-back mail was sent")
			}
		}
	})
}

func TestMaskAddress(t *testing.T) {
	for in, want := range map[string]string{"leyla@example.org": "le***@example.org", "ab@x.de": "a***@x.de", "a@x.de": "***@x.de", "nope": "***", "مريم@example.org": "مر***@example.org"} {
		if got := MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
