package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"eyelevel/store"
	"eyelevel/store/storetest"
)

// onPostgres skips a test of several nodes outside the suite's PostgreSQL
// run (storetest.RunSuite); SQLite is one node.
func onPostgres(t *testing.T) {
	t.Helper()
	if storetest.Suite() != store.Postgres {
		t.Skip("several nodes need PostgreSQL: this runs in the suite's PostgreSQL run")
	}
}

// quickLeader is a leader on db whose lease times are short enough for a
// test (the proportions are those of the real ones).
func quickLeader(db *store.DB, id string) *leader {
	l := newLeader(db, id, slog.New(slog.DiscardHandler))
	l.ttl, l.renew, l.trust, l.poll = 4*time.Second, 500*time.Millisecond, 3*time.Second, 200*time.Millisecond
	return l
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (no assertion on how fast).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLeaderOneNodeAlwaysLeads: on SQLite the node leads without a lease.
func TestLeaderOneNodeAlwaysLeads(t *testing.T) {
	if storetest.Suite() != store.SQLite {
		t.Skip("SQLite only")
	}
	l := newLeader(storetest.Open(t, store.SQLite), "solo", slog.New(slog.DiscardHandler))
	l.run(context.Background()) // returns at once
	if _, done, ok := l.term(context.Background()); !l.IsLeader() || !ok {
		t.Fatal("a node on SQLite does not lead")
	} else {
		done()
	}
}

// TestLeaderHandOver: of two nodes exactly one leads; a job with an hourly
// interval runs on the other as soon as it gains the lead; the leader's
// work under the lead ends when it loses it; a node cut off from the
// database stops leading before the other can take over; a node that stops
// releases the lead at once.
func TestLeaderHandOver(t *testing.T) {
	onPostgres(t)
	dsn, _ := storetest.Location(t, store.Postgres)
	ctx := context.Background()
	dbA, err := store.Open(ctx, dsn, "") // closed by the test: cut off
	if err != nil {
		t.Fatal(err)
	}
	defer dbA.Close()
	dbB, dbC := storetest.OpenAt(t, dsn, ""), storetest.OpenAt(t, dsn, "")
	a, b := quickLeader(dbA, "A"), quickLeader(dbB, "B")

	// Each node runs an hourly job that counts its runs, and long-lived
	// work under the lead, as the mailer is.
	type node struct {
		l          *leader
		bg         *background
		runs       atomic.Int64
		workEnded  atomic.Int64
		stop       context.CancelFunc
		runStopped chan struct{}
	}
	start := func(l *leader) *node {
		n := &node{l: l, bg: newBackground(), runStopped: make(chan struct{})}
		n.bg.lead = l
		var nctx context.Context
		nctx, n.stop = context.WithCancel(ctx)
		go func() { l.run(nctx); close(n.runStopped) }()
		n.bg.job(nctx, "count", time.Hour, func(context.Context) error { n.runs.Add(1); return nil })
		n.bg.led(nctx, time.Hour, func(ctx context.Context) { <-ctx.Done(); n.workEnded.Add(1) })
		t.Cleanup(func() { n.stop(); <-n.runStopped; n.bg.shutdown() })
		return n
	}
	na := start(a)
	waitFor(t, "A leads", a.IsLeader)
	waitFor(t, "A's job runs", func() bool { return na.runs.Load() > 0 })
	nb := start(b)
	// B polls several times while A renews: never do both lead. (A may
	// stop trusting its lease for a moment if a renewal stalls on a busy
	// database; the lease stays A's all the same.)
	for range 10 {
		time.Sleep(b.poll)
		if a.IsLeader() && b.IsLeader() {
			t.Fatal("A and B both lead")
		}
	}
	if l, err := dbC.LeaseOf(ctx, leaseName); err != nil || l.Holder != "A" {
		t.Fatalf("lease %+v, %v: want A's", l, err)
	}
	if n := nb.runs.Load(); n != 0 {
		t.Fatalf("B ran its job %d times without the lead", n)
	}

	// A loses the database: it stops leading (and its work under the lead
	// ends) before B can take the lead over.
	dbA.Close()
	waitFor(t, "B leads", b.IsLeader)
	if a.IsLeader() {
		t.Fatal("A and B both lead: A went on leading after its lease could expire")
	}
	waitFor(t, "A's work under the lead ends", func() bool { return na.workEnded.Load() == 1 })
	waitFor(t, "B's hourly job runs as soon as B leads", func() bool { return nb.runs.Load() > 0 })
	if l, err := dbC.LeaseOf(ctx, leaseName); err != nil || l.Holder != "B" {
		t.Fatalf("lease %+v, %v: want B's", l, err)
	}

	// A clean stop releases the lease at once.
	c := quickLeader(dbC, "C")
	nc := start(c)
	time.Sleep(2 * c.poll) // C has looked and seen B's lease
	if c.IsLeader() {
		t.Fatal("C leads while B does")
	}
	nb.stop()
	<-nb.runStopped
	began := time.Now()
	if n := nb.workEnded.Load(); n != 1 {
		t.Errorf("B's work under the lead ended %d times before B released the lead, want 1", n)
	}
	if l, err := dbC.LeaseOf(ctx, leaseName); err != nil || l.Holder == "B" {
		t.Fatalf("lease %+v, %v after B stopped: not released", l, err)
	}
	waitFor(t, "C leads", c.IsLeader)
	t.Logf("took over from a stopped leader after %v (C looks every %v; the lease lasts %v)", time.Since(began).Round(time.Millisecond), c.poll, c.ttl)
	waitFor(t, "C's job runs", func() bool { return nc.runs.Load() > 0 })
}
