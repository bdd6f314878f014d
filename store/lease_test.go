package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"eyelevel/store"
	"eyelevel/store/storetest"
)

// forEachNodes runs fn on each dialect with two handles on one fresh
// database, as two nodes would have.
func forEachNodes(t *testing.T, fn func(t *testing.T, a, b *store.DB)) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			fn(t, storetest.OpenAt(t, dsn, dir), storetest.OpenAt(t, dsn, dir))
		})
	}
}

func take(t *testing.T, db *store.DB, holder string, now time.Time, ttl time.Duration) bool {
	t.Helper()
	l, err := db.TakeLease(context.Background(), "jobs", holder, now, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if l.Holder == "" || l.Expires.IsZero() {
		t.Fatalf("TakeLease by %s: lease %+v has no holder", holder, l)
	}
	return l.Holder == holder
}

// TestLeaseExpiryRenewalRelease: a lease is the holder's until it expires;
// then another takes it; a renewal moves the expiry on; a release lets
// another take it at once; only the holder can release it.
func TestLeaseExpiryRenewalRelease(t *testing.T) {
	forEachNodes(t, func(t *testing.T, a, b *store.DB) {
		ctx := context.Background()
		const ttl = 15 * time.Second
		if l, err := b.LeaseOf(ctx, "jobs"); err != nil || l != (store.Lease{}) {
			t.Fatalf("a lease nobody took: %+v, %v", l, err)
		}
		if !take(t, a, "A", t0, ttl) {
			t.Fatal("A could not take a free lease")
		}
		if take(t, b, "B", t0.Add(ttl-time.Millisecond), ttl) {
			t.Fatal("B took the lease before it expired")
		}
		if l, _ := b.LeaseOf(ctx, "jobs"); l.Holder != "A" || !l.Expires.Equal(t0.Add(ttl)) {
			t.Errorf("lease %+v, want A's until %v", l, t0.Add(ttl))
		}
		// Expired: B takes it, and A's late renewal fails.
		if !take(t, b, "B", t0.Add(ttl), ttl) {
			t.Fatal("B could not take an expired lease")
		}
		if take(t, a, "A", t0.Add(ttl), ttl) {
			t.Fatal("A renewed a lease B had taken")
		}
		// Renewals keep it: B renews halfway, and A cannot take it when
		// the first term would have ended.
		t1 := t0.Add(ttl)
		if !take(t, b, "B", t1.Add(ttl/2), ttl) {
			t.Fatal("B could not renew its lease")
		}
		if take(t, a, "A", t1.Add(ttl), ttl) {
			t.Fatal("A took a lease B had renewed")
		}
		// Only the holder releases; then A takes it at the same instant.
		if err := a.ReleaseLease(ctx, "jobs", "A"); err != nil {
			t.Fatal(err)
		}
		if l, _ := a.LeaseOf(ctx, "jobs"); l.Holder != "B" {
			t.Fatalf("A released B's lease: %+v", l)
		}
		if err := b.ReleaseLease(ctx, "jobs", "B"); err != nil {
			t.Fatal(err)
		}
		if !take(t, a, "A", t1.Add(ttl), ttl) {
			t.Fatal("A could not take a released lease at once")
		}
	})
}

// TestLeaseContention: nodes race for the lease on a shared fake clock;
// every grant is an interval [now, now+ttl), and no two grants to
// different holders overlap. The lease does change hands along the way.
func TestLeaseContention(t *testing.T) {
	forEachNodes(t, func(t *testing.T, a, b *store.DB) {
		const ttl = time.Second
		// Contenders on a free lease at one instant: exactly one wins.
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				db := []*store.DB{a, b}[i%2]
				if take(t, db, string(rune('a'+i)), t0, ttl) {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d contenders got a free lease at once, want 1", n)
		}

		// Each contender's clock only moves forward, as a node's does;
		// the shared clock ticks 100 ms per attempt, so each lease
		// lasts some ten attempts.
		type grant struct {
			holder string
			at     time.Time
		}
		var mu sync.Mutex
		var grants []grant
		var ticks atomic.Int64
		start := t0.Add(time.Hour)
		for i := range 8 {
			wg.Go(func() {
				db, me := []*store.DB{a, b}[i%2], string(rune('A'+i))
				for range 30 {
					now := start.Add(time.Duration(ticks.Add(1)) * 100 * time.Millisecond)
					if take(t, db, me, now, ttl) {
						mu.Lock()
						grants = append(grants, grant{me, now})
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		holders := map[string]bool{}
		for i, g := range grants {
			holders[g.holder] = true
			for _, h := range grants[i+1:] {
				if g.holder != h.holder && g.at.Before(h.at.Add(ttl)) && h.at.Before(g.at.Add(ttl)) {
					t.Fatalf("%s held the lease from %v and %s from %v, both for %v", g.holder, g.at, h.holder, h.at, ttl)
				}
			}
		}
		if len(holders) < 2 {
			t.Errorf("the lease never changed hands in %d grants", len(grants))
		}
	})
}

// TestLeaseClock: the database's clock is a sensible time.
func TestLeaseClock(t *testing.T) {
	forEachNodes(t, func(t *testing.T, a, _ *store.DB) {
		now, err := a.Clock(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(now); d > time.Hour || d < -time.Hour {
			t.Errorf("database clock %v is %v off", now, d)
		}
	})
}
