package service_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/mail"
	"eyelevel/mail/mailtest"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store/storetest"
)

// BenchmarkBookingMailDelay measures what a counselor waits for: from the
// start of a booking to its confirmation mail at the SMTP server (the
// in-process test server on loopback, the outbox worker running as in
// serve). Bookings go one after another, 200 per dialect, whatever b.N;
// reported as p50 and p99 in milliseconds.
//
//	go test ./service -run '^$' -bench BookingMailDelay -benchtime 1x
func BenchmarkBookingMailDelay(b *testing.B) {
	for _, d := range storetest.Dialects(b) {
		b.Run(d, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			db := storetest.Open(b, d)
			now := func() time.Time { return monday }
			svc := servicetest.NewServiceConfig(b, db, service.Config{Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example"}}, now)
			srv := mailtest.Start(b)
			sender, err := mail.NewSMTP(srv.URL, "noreply@eyelevel.example")
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan struct{})
			go func() { svc.RunMailer(ctx, sender, time.Second); close(done) }()
			defer func() { cancel(); <-done }()

			admin, err := svc.AddUser(ctx, eyelevel.RoleAdmin, "admin", password, "UTC")
			if err != nil {
				b.Fatal(err)
			}
			var counselors []eyelevel.UserID
			for i := range 4 {
				c, err := svc.CreateCounselor(ctx, actorOf(admin), service.CounselorInput{Username: fmt.Sprintf("counselor%d", i), Password: password,
					DisplayName: "Counselor", Gender: eyelevel.GenderFemale, TimeZone: "UTC", Email: fmt.Sprintf("c%d@example.org", i),
					Languages: []eyelevel.LanguageSkill{{Code: "de", Native: true}}})
				if e, ok := err.(*eyelevel.Error); ok {
					b.Fatal(e, e.Fields)
				} else if err != nil {
					b.Fatal(err)
				}
				if err := svc.SetAvailability(ctx, actorOf(admin), c.ID, eyelevel.Availability{Weekly: officeHours}); err != nil {
					b.Fatal(err)
				}
				counselors = append(counselors, c.ID)
			}
			const n = 200
			var delays []time.Duration
			for b.Loop() {
				delays = delays[:0]
				base := len(srv.Messages())
				for i := range n {
					u, err := svc.AddUser(ctx, eyelevel.RoleClient, fmt.Sprintf("client-%d-%d", base, i), password, "UTC")
					if err != nil {
						b.Fatal(err)
					}
					// Slot i: each counselor in turn, eight a weekday, from next Monday on.
					k := base + i
					day := k / len(counselors) / 8
					start := monday.Truncate(24*time.Hour).AddDate(0, 0, 7+day/5*7+day%5).Add(time.Duration(9+k/len(counselors)%8) * time.Hour)
					t0 := time.Now()
					if _, err := svc.Book(ctx, actorOf(u), service.BookInput{CounselorID: counselors[k%len(counselors)], Start: start}); err != nil {
						b.Fatalf("book %v: %v", start, err)
					}
					got := srv.Wait(b, base+i+1, 10*time.Second)
					delays = append(delays, got[base+i].At.Sub(t0))
				}
			}
			slices.Sort(delays)
			b.ReportMetric(float64(delays[len(delays)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(delays[len(delays)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
