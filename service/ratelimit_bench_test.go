package service_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"eyelevel/service"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// BenchmarkLimiterReserve measures one login's reservation (three limits:
// the address, the account at the address, the account) and its refund,
// as a successful login does, with the memory limiter and the database
// limiter on each dialect; "parallel" runs GOMAXPROCS×4 callers at once.
// Results: BENCHMARKS.md, "Rate limits across nodes".
//
//	EYELEVEL_TEST_POSTGRES=postgres://… go test ./service -run '^$' -bench BenchmarkLimiterReserve -count 3
func BenchmarkLimiterReserve(b *testing.B) {
	limiters := map[string]func(b *testing.B) service.Limiter{
		"memory": func(b *testing.B) service.Limiter { return service.NewMemoryLimiter(nil) },
	}
	for _, d := range storetest.Dialects(b) {
		limiters["db-"+d] = func(b *testing.B) service.Limiter {
			// As in production: commits wait for the disk (the tests'
			// PostgreSQL does not, see storetest.Location).
			dsn, dir := storetest.Location(b, d)
			dsn = strings.Replace(dsn, "&synchronous_commit=off", "", 1)
			return service.NewDBLimiter(storetest.OpenAt(b, dsn, dir), limiterKey, nil, nil)
		}
	}
	login := func(i int) []service.Limit {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		acct := fmt.Sprint("user", i%1000)
		return []service.Limit{
			{Key: "loginip:" + ip, Max: 30, Window: 15 * time.Minute},
			{Key: "loginacctip:" + acct + "\x00" + ip, Max: 5, Window: 15 * time.Minute},
			{Key: "loginacct:" + acct, Max: 1 << 30, Window: 24 * time.Hour},
		}
	}
	for _, name := range []string{"memory", "db-" + store.SQLite, "db-" + store.Postgres} {
		mk := limiters[name]
		b.Run(name+"/serial", func(b *testing.B) {
			l := mk(b)
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				lim := login(i)
				if ok, err := l.Reserve(ctx, lim...); err != nil || !ok {
					b.Fatal(ok, err)
				}
				if err := l.Refund(ctx, lim[0].Key, lim[1].Key, lim[2].Key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			l := mk(b)
			ctx := context.Background()
			b.SetParallelism(4)
			var n atomic.Int64
			b.ResetTimer() // after opening the database
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(n.Add(1))
					lim := login(i)
					if ok, err := l.Reserve(ctx, lim...); err != nil || !ok {
						b.Error(ok, err)
						return
					}
				}
			})
		})
	}
	// For scale: the password check that a login's reservation guards.
	b.Run("argon2id-check", func(b *testing.B) {
		hash := service.HashPassword("correct horse battery", service.DefaultPasswordParams)
		for b.Loop() {
			service.CheckPassword(hash, "wrong horse battery")
		}
	})
}
