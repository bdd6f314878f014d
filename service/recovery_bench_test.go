package service_test

import (
	"context"
	"fmt"
	"testing"

	"eyelevel/service"
	"eyelevel/store/storetest"
)

// acctNoLimit lets every attempt through, so a benchmark measures the work
// and not the limiter.
type acctNoLimit struct{}

func (acctNoLimit) Reserve(context.Context, ...service.Limit) (bool, error) { return true, nil }
func (acctNoLimit) Refund(context.Context, ...string) error                 { return nil }

// BenchmarkAcctReset compares the cost of a reset request and of a
// recovery-code attempt for a known and an unknown account, with the real
// password hashing costs (SQLite): the numbers should be close.
func BenchmarkAcctReset(b *testing.B) {
	db := storetest.Open(b, "sqlite")
	svc := service.New(db, service.Config{SecondFactorOptional: true, Limiter: acctNoLimit{},
		Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example"}}, nil, nil)
	ctx := context.Background()
	_, err := svc.SignUp(ctx, service.RegisterInput{Username: "bench", Password: "correct horse battery", Language: "de", TimeZone: "UTC", Email: "bench@example.org", Consent: true}, "10.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   service.ResetRequest
	}{{"request/known", service.ResetRequest{Username: "bench"}}, {"request/unknown", service.ResetRequest{Username: "nobody-here"}}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if err := svc.RequestPasswordReset(ctx, c.in, fmt.Sprint("10.1.", i/256%256, ".", i%256)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, c := range []struct{ name, user string }{{"recover/known-wrong-code", "bench"}, {"recover/unknown", "nobody-here"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				svc.RecoverWithCode(ctx, service.RecoverInput{Username: c.user, RecoveryCode: "AAAAA-BBBBB-CCCCC-DDDDD", Password: "a new long password"}, "10.2.0.1")
			}
		})
	}
}
