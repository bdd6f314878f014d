package main

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// background is the work serve runs besides answering requests: periodic
// jobs and long-lived requests (WebSockets). Shutdown waits for all of it
// before the database closes, so nothing writes to a closed database.
type background struct {
	wg   sync.WaitGroup
	stop chan struct{} // closed when the server shuts down
	once sync.Once

	lead     lead        // serve's leader (leader.go); everyNode until it is set
	draining atomic.Bool // the stop has begun: /readyz answers 503 (drain.go)
	log      *slog.Logger
	mu       sync.Mutex
	jobs     map[string]*jobStat
}

// lead is the node's lead of the cluster as the jobs see it (leader.go).
type lead interface {
	IsLeader() bool
	// term starts work under the lead: a context that ends when the node
	// loses it, and done to call when the work returns; !ok: not leading.
	term(ctx context.Context) (tctx context.Context, done func(), ok bool)
	// gained is closed when the node next gains the lead.
	gained() <-chan struct{}
}

// everyNode leads always: a node on its own.
type everyNode struct{}

func (everyNode) IsLeader() bool { return true }
func (everyNode) term(ctx context.Context) (context.Context, func(), bool) {
	return ctx, func() {}, true
}
func (everyNode) gained() <-chan struct{} { return nil }

// jobStat counts one job's runs and failures (for the metrics).
type jobStat struct{ runs, failures atomic.Int64 }

// JobCount is one job's totals so far.
type JobCount struct {
	Name           string
	Runs, Failures int64
}

func newBackground() *background {
	return &background{stop: make(chan struct{}), lead: everyNode{}, log: slog.New(slog.DiscardHandler), jobs: map[string]*jobStat{}}
}

// job runs fn every interval, on the node that leads the cluster only
// (leader.go), and at once when the node gains the lead; a failure is
// logged and counted, and the job runs again at its next turn. name is a fixed word: it becomes a metric label.
func (b *background) job(ctx context.Context, name string, interval time.Duration, fn func(context.Context) error) {
	b.mu.Lock()
	st := b.jobs[name]
	if st == nil {
		st = &jobStat{}
		b.jobs[name] = st
	}
	b.mu.Unlock()
	b.led(ctx, interval, func(ctx context.Context) {
		st.runs.Add(1)
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			st.failures.Add(1)
			b.log.Error("background job failed", "job", name, "err", err)
		}
	})
}

// led calls fn now and then every interval, and at once whenever the node
// gains the lead, until ctx ends — each time only if the node leads, and
// with a context that ends when it loses the lead.
func (b *background) led(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	b.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			gained := b.lead.gained() // before asking, so no gain is missed
			if lctx, done, ok := b.lead.term(ctx); ok {
				fn(lctx)
				done()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-gained:
			}
		}
	})
}

// jobCounts returns every job's totals, sorted by name.
func (b *background) jobCounts() []JobCount {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]JobCount, 0, len(b.jobs))
	for name, st := range b.jobs {
		out = append(out, JobCount{name, st.runs.Load(), st.failures.Load()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// every calls fn now and then every interval until ctx ends.
func (b *background) every(ctx context.Context, interval time.Duration, fn func()) {
	b.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			fn()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// track counts the requests h serves, so that wait also waits for those
// http.Server.Shutdown does not: a WebSocket's handler runs until the
// connection ends, and records leaving the room when it does. Upgraded
// requests get a context that ends at shutdown.
func (b *background) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.wg.Add(1)
		defer b.wg.Done()
		if r.Header.Get("Upgrade") != "" {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			go func() {
				select {
				case <-b.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}

// shutdown ends long-lived requests and waits until every job and request
// has returned. Call it after http.Server.Shutdown, which stops new
// requests from starting.
func (b *background) shutdown() {
	b.once.Do(func() { close(b.stop) })
	b.wg.Wait()
}
