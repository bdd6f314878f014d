package service

import (
	"context"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"eyelevel"
)

// hashGate bounds how many password hashes run at once. Each Argon2id hash
// allocates its whole memory cost, so without a bound N concurrent logins
// (even for unknown users) take N × 19 MiB; with it the server needs at most
// its budget, and callers beyond it wait briefly and then hear "busy".
type hashGate struct {
	slots   chan struct{}
	wait    time.Duration
	checks  atomic.Int64 // hashes run, for tests and metrics
	running atomic.Int64

	mu       sync.Mutex
	lastFree time.Time
	pending  bool // a return of memory is scheduled
}

// newHashGate allows budget bytes of hashing at perHash bytes each (at
// least one at a time); waiting callers give up after wait.
func newHashGate(budget, perHash int64, wait time.Duration) *hashGate {
	n := int64(1)
	if perHash > 0 && budget/perHash > 1 {
		n = budget / perHash
	}
	return &hashGate{slots: make(chan struct{}, n), wait: wait}
}

// size is how many hashes may run at once.
func (g *hashGate) size() int { return cap(g.slots) }

// run calls hash when a slot is free. Errors: EUNAVAILABLE when none frees
// up within the wait, or ctx's error when the caller went away.
func (g *hashGate) run(ctx context.Context, hash func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			return busy()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.running.Add(1)
	g.checks.Add(1)
	defer func() {
		<-g.slots
		if g.running.Add(-1) == 0 {
			g.idle()
		}
	}()
	hash()
	return nil
}

// idle hands the hashes' memory back to the operating system once the gate
// is quiet, at most every ten seconds: the Go runtime would otherwise keep
// the peak of a login storm for minutes.
func (g *hashGate) idle() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pending {
		return
	}
	g.pending = true
	delay := max(0, 10*time.Second-time.Since(g.lastFree))
	time.AfterFunc(delay, func() {
		if g.running.Load() == 0 {
			debug.FreeOSMemory()
		}
		g.mu.Lock()
		g.pending, g.lastFree = false, time.Now()
		g.mu.Unlock()
	})
}

func busy() error {
	return eyelevel.Errorf(eyelevel.EUNAVAILABLE, "error.busy", "The server is busy. Please try again in a moment.")
}
