package service

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"eyelevel/mail"
	"eyelevel/mail/mailtest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// mailBench is a service with mail on, its worker running as in serve
// (poll 1 s), and the in-process SMTP server.
type mailBench struct {
	db  *store.DB
	svc *Service
	srv *mailtest.Server
}

func newMailBench(b *testing.B, dialect string) *mailBench {
	db := storetest.Open(b, dialect)
	mb := &mailBench{db: db, svc: New(db, Config{Keys: encTestKeys(), Mail: MailConfig{On: true, PublicURL: "https://eyelevel.example"}}, nil, nil), srv: mailtest.Start(b)}
	sender, err := mail.NewSMTP(mb.srv.URL, "noreply@eyelevel.example")
	if err != nil {
		b.Fatal(err)
	}
	sender.TLSConfig = &tls.Config{RootCAs: mb.srv.RootCAs}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { mb.svc.RunMailer(ctx, sender, time.Second); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return mb
}

// queue commits one transaction that queues one mail, as a booking would,
// and returns when it committed.
func (mb *mailBench) queue(b *testing.B, i int) time.Time {
	var committed time.Time
	m := Mail{Kind: "bench", To: fmt.Sprintf("c%d@example.org", i), Lang: "de", Subject: Line{Key: "app.name"},
		Lines: []Line{{Key: "mail.footer"}}, Button: &Button{Label: Line{Key: "app.name"}, URL: "https://eyelevel.example/x"}}
	err := mb.db.InTx(context.Background(), func(ctx context.Context) error {
		// Registered before queueMail's wake-up, so it runs first.
		store.AfterCommit(ctx, func() { committed = time.Now() })
		return mb.svc.queueMail(ctx, m)
	})
	if err != nil {
		b.Fatal(err)
	}
	return committed
}

// BenchmarkMailThroughput: mails per second from committed transactions
// through the outbox worker to the SMTP server (one connection per mail,
// as go-mail sends). Transactions commit from 8 goroutines while the
// worker sends.
func BenchmarkMailThroughput(b *testing.B) {
	for _, d := range storetest.Dialects(b) {
		b.Run(d, func(b *testing.B) {
			mb := newMailBench(b, d)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			next := make(chan int)
			for range 8 {
				wg.Go(func() {
					for i := range next {
						mb.queue(b, i)
					}
				})
			}
			for i := range b.N {
				next <- i
			}
			close(next)
			wg.Wait()
			mb.srv.Wait(b, b.N, 10*time.Minute)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "mails/s")
		})
	}
}

// BenchmarkMailDelay: the delay from a committed change to its mail's
// arrival at the SMTP server, one mail at a time (the worker idle before
// each), p50 and p99.
func BenchmarkMailDelay(b *testing.B) {
	for _, d := range storetest.Dialects(b) {
		b.Run(d, func(b *testing.B) {
			mb := newMailBench(b, d)
			delays := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				committed := mb.queue(b, i)
				got := mb.srv.Wait(b, i+1, time.Minute)
				delays = append(delays, got[i].At.Sub(committed))
			}
			b.StopTimer()
			slices.Sort(delays)
			b.ReportMetric(ms(delays[len(delays)/2]), "p50-ms")
			b.ReportMetric(ms(delays[min(len(delays)-1, len(delays)*99/100)]), "p99-ms")
			b.ReportMetric(ms(delays[len(delays)-1]), "max-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
