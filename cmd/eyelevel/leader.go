package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"eyelevel/store"
)

// The lease on the background jobs (store/lease.go). The leader renews it
// every leaseRenew; it trusts a renewal for leaseTrust from the moment it
// began asking, measured on its own monotonic clock, which is well before
// the lease can expire in the database (leaseTTL later on the database's
// clock). So a node that cannot renew — cut off, stuck, or frozen and then
// thawed — has stopped leading before another node can take over. A killed
// leader's lease expires after leaseTTL; a stopped one releases it.
const (
	leaseName  = "jobs"
	leaseTTL   = 15 * time.Second
	leaseRenew = 5 * time.Second
	leaseTrust = 10 * time.Second
	leasePoll  = 2 * time.Second // how often the others look whether it is free
)

// leader decides whether this node runs the background jobs: exactly one
// node of a cluster does at a time. On SQLite there is one node, and it
// leads.
type leader struct {
	db  *store.DB
	id  string
	log *slog.Logger

	single                  bool
	ttl, renew, trust, poll time.Duration // the lease* constants; tests shorten them

	mu      sync.Mutex
	until   time.Time          // leads until then (monotonic clock); zero: does not
	cancel  context.CancelFunc // ends the current term; nil without one
	termCtx context.Context    // the current term: ends when the lead is lost
	timer   *time.Timer        // ends the term at until, even if run is stuck
	gain    chan struct{}      // closed when this node next gains the lead
	work    sync.WaitGroup     // work under the lead (term)
	closed  bool               // shutting down: no new work
}

func newLeader(db *store.DB, id string, log *slog.Logger) *leader {
	return &leader{db: db, id: id, log: log, single: db.Dialect() != store.Postgres,
		ttl: leaseTTL, renew: leaseRenew, trust: leaseTrust, poll: leasePoll, gain: make(chan struct{})}
}

// run holds or seeks the lead until ctx ends; then it waits for the work
// under the lead to return and releases the lease, so that another node
// takes over at once.
func (l *leader) run(ctx context.Context) {
	if l.single {
		return
	}
	defer l.stepDown()
	failing := false
	for {
		wait, err := l.try(ctx)
		if err != nil && !failing && ctx.Err() == nil {
			l.log.Warn("cannot take or renew the lead", "node", l.id, "err", err)
		}
		failing = err != nil
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// try takes or renews the lease once and says when to try again.
func (l *leader) try(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, l.trust)
	defer cancel()
	now, err := l.db.Clock(ctx)
	var lease store.Lease
	if err == nil {
		lease, err = l.db.TakeLease(ctx, leaseName, l.id, now, l.ttl)
	}
	switch {
	case err != nil:
		// Keep leading until the trust runs out (the timer ends it):
		// the lease may still be ours.
		return l.poll, err
	case lease.Holder == l.id:
		l.extend(start.Add(l.trust))
		return l.renew, nil
	default:
		l.mu.Lock()
		l.endTerm()
		l.mu.Unlock()
		// Look again when the holder's lease would expire, or sooner.
		return min(l.poll, max(lease.Expires.Sub(now), 10*time.Millisecond)), nil
	}
}

// extend makes this node lead until until, starting a term if it did not.
func (l *leader) extend(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := time.Until(until)
	if d <= 0 || l.closed {
		return // the answer came too late to be trusted
	}
	if !l.leads() {
		l.endTerm() // one the timer has not ended yet
		l.termCtx, l.cancel = context.WithCancel(context.Background())
		close(l.gain)
		l.gain = make(chan struct{})
		l.log.Info("this node leads: it runs the background jobs", "node", l.id)
	}
	l.until = until
	if l.timer == nil {
		l.timer = time.AfterFunc(d, l.expire)
	} else {
		l.timer.Reset(d)
	}
}

// expire ends the term when its trust ran out without a renewal.
func (l *leader) expire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.leads() {
		l.endTerm()
	}
}

// endTerm ends the current term, if any. Callers hold mu.
func (l *leader) endTerm() {
	l.until = time.Time{}
	if l.cancel != nil {
		l.cancel()
		l.cancel, l.termCtx = nil, nil
		l.log.Info("this node no longer leads", "node", l.id)
	}
}

func (l *leader) leads() bool { return !l.until.IsZero() && time.Now().Before(l.until) }

// stepDown ends the term, waits for the work under it and releases the
// lease (if it is still this node's).
func (l *leader) stepDown() {
	l.mu.Lock()
	l.closed = true
	l.endTerm()
	if l.timer != nil {
		l.timer.Stop()
	}
	l.mu.Unlock()
	l.work.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.db.ReleaseLease(ctx, leaseName, l.id); err != nil {
		l.log.Warn("releasing the lead", "node", l.id, "err", err)
	}
}

// IsLeader reports whether this node should run the jobs now.
func (l *leader) IsLeader() bool {
	if l.single {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leads()
}

// term starts work under the lead: a context that ends when this node
// loses the lead (or ctx ends), and done to call when the work returns.
// ok is false when this node does not lead.
func (l *leader) term(ctx context.Context) (tctx context.Context, done func(), ok bool) {
	if l.single {
		return ctx, func() {}, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || !l.leads() {
		return nil, nil, false
	}
	l.work.Add(1)
	tctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(l.termCtx, cancel)
	return tctx, func() { stop(); cancel(); l.work.Done() }, true
}

// gained returns a channel that is closed when this node next gains the
// lead, so that the jobs start at once rather than at their next turn.
// On SQLite it is never closed (the node always leads).
func (l *leader) gained() <-chan struct{} {
	if l.single {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gain
}
