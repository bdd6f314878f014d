package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

type fakeLead struct{ on atomic.Bool }

func (f *fakeLead) IsLeader() bool { return f.on.Load() }
func (f *fakeLead) term(ctx context.Context) (context.Context, func(), bool) {
	return ctx, func() {}, f.on.Load()
}
func (f *fakeLead) gained() <-chan struct{} { return nil }

// TestJobRunsOnTheLeaderOnly: a job runs while its node leads, is counted,
// and a failure is counted too; on a node that does not lead it never runs.
func TestJobRunsOnTheLeaderOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	bg := newBackground()
	lead := &fakeLead{}
	bg.lead = lead
	var ran atomic.Int64
	bg.job(ctx, "tick", time.Millisecond, func(context.Context) error {
		if ran.Add(1)%2 == 0 {
			return errors.New("every second run fails")
		}
		return nil
	})
	time.Sleep(20 * time.Millisecond) // not leading: nothing may run
	if n := ran.Load(); n != 0 {
		t.Fatalf("ran %d times without the lead", n)
	}
	lead.on.Store(true)
	deadline := time.Now().Add(10 * time.Second)
	for ran.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	bg.shutdown()
	c := bg.jobCounts()
	if len(c) != 1 || c[0].Name != "tick" {
		t.Fatalf("counts %+v", c)
	}
	if c[0].Runs != ran.Load() || c[0].Runs < 4 || c[0].Failures != c[0].Runs/2 {
		t.Errorf("counts %+v after %d runs", c[0], ran.Load())
	}
}
