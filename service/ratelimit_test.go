package service_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// limiterKey is the HMAC key of the database limiters in these tests.
var limiterKey = bytes.Repeat([]byte{7}, 32)

// eachLimiter runs fn with the memory limiter and with the database
// limiter on each dialect, all on the clock clk.
func eachLimiter(t *testing.T, fn func(t *testing.T, l service.Limiter, clk *clock)) {
	t.Run("memory", func(t *testing.T) {
		clk := &clock{t: monday}
		fn(t, service.NewMemoryLimiter(clk.Now), clk)
	})
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		clk := &clock{t: monday}
		fn(t, service.NewDBLimiter(db, limiterKey, clk.Now, nil), clk)
	})
}

func reserve(t *testing.T, l service.Limiter, limits ...service.Limit) bool {
	t.Helper()
	ok, err := l.Reserve(context.Background(), limits...)
	if err != nil {
		t.Fatalf("reserve: %v", err)
	}
	return ok
}

// The limiters agree: a sliding window per key, all-or-nothing across
// limits, and a refund takes back the latest event.
func TestLimiterSemantics(t *testing.T) {
	eachLimiter(t, func(t *testing.T, l service.Limiter, clk *clock) {
		ctx := context.Background()
		a := service.Limit{Key: "loginip:192.0.2.1", Max: 3, Window: 10 * time.Minute}
		for i := range 3 {
			if !reserve(t, l, a) {
				t.Fatalf("attempt %d refused", i+1)
			}
			clk.Advance(time.Minute)
		}
		if reserve(t, l, a) {
			t.Fatal("a fourth attempt within the window was let through")
		}
		// The window slides: at +10 min the first event (at +0) has left it.
		clk.Advance(7 * time.Minute)
		if !reserve(t, l, a) {
			t.Fatal("refused after the first event left the window")
		}
		if reserve(t, l, a) {
			t.Fatal("only one event left the window, two were let through")
		}

		// All or nothing: b is not counted when a is full.
		b := service.Limit{Key: "loginacct:alice", Max: 1, Window: time.Hour}
		if reserve(t, l, b, a) {
			t.Fatal("reserved with a full limit")
		}
		if !reserve(t, l, b) {
			t.Fatal("a refused reservation counted an event")
		}

		// A refund takes back the latest event: two events 5 minutes
		// apart, refund, and once the first has left the window both
		// slots are free.
		c := service.Limit{Key: "tfa:u1", Max: 2, Window: 10 * time.Minute}
		reserve(t, l, c)
		clk.Advance(5 * time.Minute)
		reserve(t, l, c)
		if err := l.Refund(ctx, c.Key); err != nil {
			t.Fatal(err)
		}
		clk.Advance(5 * time.Minute)
		for range 2 {
			if !reserve(t, l, c) {
				t.Fatal("the refund took back the older event, not the latest")
			}
		}
		if reserve(t, l, c) {
			t.Fatal("three events in a window of two")
		}
		// A key refunded twice at once loses two events.
		d := service.Limit{Key: "settingspw:u1", Max: 2, Window: time.Hour}
		reserve(t, l, d)
		reserve(t, l, d)
		if err := l.Refund(ctx, d.Key, d.Key); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if !reserve(t, l, d) {
				t.Fatal("a double refund freed fewer than two slots")
			}
		}
		// A refund of a key without events does nothing.
		if err := l.Refund(ctx, "nothing:here"); err != nil {
			t.Fatal(err)
		}
	})
}

// twoNodes opens two handles on one fresh database of dialect, as two
// nodes would have, each with its own database limiter under the same key.
func twoNodes(t *testing.T, dialect string, now func() time.Time) (dbs [2]*store.DB, lims [2]service.Limiter) {
	dsn, dir := storetest.Location(t, dialect)
	for i := range dbs {
		dbs[i] = storetest.OpenAt(t, dsn, dir)
		lims[i] = service.NewDBLimiter(dbs[i], limiterKey, now, nil)
	}
	return dbs, lims
}

// A flood spread over two nodes gets exactly the maximum, not twice it:
// many goroutines on each node reserve the same key (and keys of their
// own, in varying order, which must not deadlock).
func TestLimiterAcrossNodesExact(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			clk := &clock{t: monday}
			_, lims := twoNodes(t, d, clk.Now)
			const limit, workers, tries = 25, 16, 6
			shared := service.Limit{Key: "loginip:198.51.100.7", Max: limit, Window: time.Hour}
			var accepted atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, 2*workers*tries)
			for n := range 2 {
				for w := range workers {
					wg.Go(func() {
						own := service.Limit{Key: fmt.Sprintf("loginacct:%d", w%3), Max: 1000, Window: time.Hour}
						for i := range tries {
							limits := []service.Limit{shared, own}
							if i%2 == 1 {
								limits = []service.Limit{own, shared}
							}
							ok, err := lims[n].Reserve(context.Background(), limits...)
							if err != nil {
								errs <- err
								return
							}
							if ok {
								accepted.Add(1)
							}
						}
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if got := accepted.Load(); got != limit {
				t.Errorf("accepted %d of %d attempts over two nodes, want exactly %d", got, 2*workers*tries, limit)
			}
		})
	}
}

// A refund on one node frees the slot on the other.
func TestLimiterRefundAcrossNodes(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			clk := &clock{t: monday}
			_, lims := twoNodes(t, d, clk.Now)
			l := service.Limit{Key: "register:203.0.113.5", Max: 2, Window: time.Hour}
			if !reserve(t, lims[0], l) || !reserve(t, lims[1], l) {
				t.Fatal("the first two attempts were refused")
			}
			if reserve(t, lims[0], l) {
				t.Fatal("a third attempt was let through")
			}
			if err := lims[1].Refund(context.Background(), l.Key); err != nil {
				t.Fatal(err)
			}
			if !reserve(t, lims[0], l) {
				t.Fatal("node B's refund did not free the slot on node A")
			}
			if reserve(t, lims[1], l) {
				t.Fatal("one refund freed two slots")
			}
		})
	}
}

// rateRows returns every row of rate_events as text, read past the store.
func rateRows(t *testing.T, raw *sql.DB) [][]byte {
	t.Helper()
	rows, err := raw.Query(`SELECT key_hash, at, expires FROM rate_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var key []byte
		var at, expires int64
		if err := rows.Scan(&key, &at, &expires); err != nil {
			t.Fatal(err)
		}
		out = append(out, append(bytes.Clone(key), fmt.Sprint(" ", at, " ", expires)...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// eachRaw runs fn on a fresh database of each dialect, with a handle on it
// that reads past the store.
func eachRaw(t *testing.T, fn func(t *testing.T, db *store.DB, raw *sql.DB)) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dsn, dir := storetest.Location(t, d)
			db := storetest.OpenAt(t, dsn, dir)
			fn(t, db, storetest.Raw(t, dsn, dir))
		})
	}
}

// The table holds keyed hashes only: no address, no username, and other
// hashes under another key.
func TestLimiterStoresNoPersonalData(t *testing.T) {
	eachRaw(t, func(t *testing.T, db *store.DB, raw *sql.DB) {
		keys := []string{"loginip:198.51.100.7", "loginacct:alice-the-owner", "resetmail:alice@example.org"}
		var limits []service.Limit
		for _, k := range keys {
			limits = append(limits, service.Limit{Key: k, Max: 5, Window: time.Hour})
		}
		if !reserve(t, service.NewDBLimiter(db, limiterKey, nil, nil), limits...) {
			t.Fatal("refused")
		}
		other := bytes.Repeat([]byte{8}, 32)
		if !reserve(t, service.NewDBLimiter(db, other, nil, nil), limits[0]) {
			t.Fatal("refused")
		}
		stored := rateRows(t, raw)
		if len(stored) != 4 {
			t.Fatalf("%d rows, want 4", len(stored))
		}
		for _, row := range stored {
			for _, s := range []string{"198.51.100.7", "alice", "example.org", "loginip", "resetmail"} {
				if bytes.Contains(row, []byte(s)) {
					t.Errorf("stored row %q holds %q", row, s)
				}
			}
		}
		if bytes.Equal(stored[0][:16], stored[3][:16]) {
			t.Error("the same key under two HMAC keys has the same hash: not keyed")
		}
	})
}

// Events whose windows have passed are deleted, so the table stays bounded.
func TestLimiterPrunes(t *testing.T) {
	eachRaw(t, func(t *testing.T, db *store.DB, raw *sql.DB) {
		clk := &clock{t: monday}
		l := service.NewDBLimiter(db, limiterKey, clk.Now, nil)
		for i := range 10 {
			reserve(t, l, service.Limit{Key: fmt.Sprint("loginip:192.0.2.", i), Max: 5, Window: time.Minute})
		}
		reserve(t, l, service.Limit{Key: "loginip:192.0.2.100", Max: 5, Window: time.Hour})
		if n := len(rateRows(t, raw)); n != 11 {
			t.Fatalf("%d rows, want 11", n)
		}
		clk.Advance(6 * time.Minute) // past the short windows and the prune interval
		reserve(t, l, service.Limit{Key: "loginip:192.0.2.200", Max: 5, Window: time.Minute})
		if n := len(rateRows(t, raw)); n != 2 {
			t.Errorf("%d rows after the short windows passed, want the hour's and the new one", n)
		}
	})
}

// Two service instances on one PostgreSQL (every node's default) share the
// login limits: 300 guesses at one account from 300 addresses, spread over
// both at once, get exactly the account's 100 password checks a day.
func TestLoginLimitAcrossNodes(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		if d != store.Postgres {
			continue // SQLite is one node
		}
		t.Run(d, func(t *testing.T) {
			clk := &clock{t: monday}
			dsn, dir := storetest.Location(t, d)
			var svcs [2]*service.Service
			for i := range svcs {
				svcs[i] = servicetest.NewService(t, storetest.OpenAt(t, dsn, dir), clk.Now)
			}
			ctx := context.Background()
			if _, err := svcs[0].AddUser(ctx, eyelevel.RoleClient, "alice", password, "UTC"); err != nil {
				t.Fatal(err)
			}
			before := svcs[0].PasswordChecks() + svcs[1].PasswordChecks()
			var wg sync.WaitGroup
			var refused atomic.Int64
			errs := make(chan error, 300)
			for w := range 20 {
				wg.Go(func() {
					for i := w; i < 300; i += 20 {
						_, _, _, err := svcs[i%2].Login(ctx, "alice", "wrong guess", fmt.Sprintf("198.51.%d.%d", i/200, i%200), false)
						switch eyelevel.ErrorCode(err) {
						case eyelevel.ETOOMANY:
							refused.Add(1)
						case eyelevel.EUNAUTHORIZED:
						default:
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if got := svcs[0].PasswordChecks() + svcs[1].PasswordChecks() - before; got != 100 {
				t.Errorf("password checks over two nodes = %d, want 100", got)
			}
			if refused.Load() != 200 {
				t.Errorf("refused = %d, want 200", refused.Load())
			}
		})
	}
}

// failingLimiter cannot count, as when the database is down.
type failingLimiter struct{}

func (failingLimiter) Reserve(context.Context, ...service.Limit) (bool, error) {
	return false, errors.New("database down")
}
func (failingLimiter) Refund(context.Context, ...string) error { return errors.New("database down") }

// A limiter that cannot count refuses the attempt as busy (503), never as
// an internal error, and never lets it through uncounted.
func TestLimiterFailureRefuses(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	svc := servicetest.NewServiceConfig(t, db, service.Config{Limiter: failingLimiter{}}, nil)
	ctx := context.Background()
	_, err := svc.SignIn(ctx, service.Credentials{Username: "alice", Password: password, IP: "192.0.2.1"})
	wantCode(t, err, eyelevel.EUNAVAILABLE)
	_, err = svc.SignUp(ctx, validRegistration(), "192.0.2.1")
	wantCode(t, err, eyelevel.EUNAVAILABLE)
	err = svc.RequestPasswordReset(ctx, service.ResetRequest{Username: "alice"}, "192.0.2.1")
	wantCode(t, err, eyelevel.EUNAVAILABLE)
	if svc.PasswordChecks() != 0 {
		t.Error("a password was checked without being counted")
	}
}
