package service

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"eyelevel"
)

// At most budget/perHash hashes run at once; the rest wait, and those that
// find no slot within the wait are told the server is busy.
func TestHashGateBoundsConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newHashGate(128<<20, 19<<20, 5*time.Second)
		if g.size() != 6 {
			t.Fatalf("size = %d, want 6 (128 MiB / 19 MiB)", g.size())
		}
		var running, peak atomic.Int64
		release := make(chan struct{})
		hash := func() {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			<-release
			running.Add(-1)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() { errs <- g.run(context.Background(), hash) })
		}
		synctest.Wait()
		if got := running.Load(); got != 6 {
			t.Fatalf("running = %d, want 6", got)
		}
		// Release the six before the others' wait runs out: all get a turn.
		for range 20 {
			release <- struct{}{}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("run: %v", err)
			}
		}
		if peak.Load() != 6 || g.checks.Load() != 20 {
			t.Errorf("peak = %d, hashes = %d; want 6 and 20", peak.Load(), g.checks.Load())
		}
	})
}

func TestHashGateBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newHashGate(1, 19<<20, 5*time.Second) // a budget below one hash still allows one
		release := make(chan struct{})
		go g.run(context.Background(), func() { <-release })
		synctest.Wait()
		start := time.Now()
		err := g.run(context.Background(), func() { t.Error("ran without a slot") })
		if eyelevel.ErrorCode(err) != eyelevel.EUNAVAILABLE || time.Since(start) != 5*time.Second {
			t.Errorf("second run = %v after %v, want unavailable after 5s", err, time.Since(start))
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := g.run(ctx, func() {}); err != context.Canceled {
			t.Errorf("cancelled run = %v", err)
		}
		close(release)
	})
}
