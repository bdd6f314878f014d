package service

import (
	"context"
	"sync"
	"time"
)

// Limit is at most Max events per Key within Window.
type Limit struct {
	Key    string
	Max    int
	Window time.Duration
}

// Limiter counts attempts per key. Several nodes on one PostgreSQL share
// their counts through the database (NewDBLimiter); one SQLite node counts
// in memory (NewMemoryLimiter).
type Limiter interface {
	// Reserve records one event under every limit if each is below its
	// maximum, and records none otherwise; it reports which. Checking and
	// counting are one step, so concurrent callers cannot overshoot. An
	// error means nothing was recorded and the caller is to refuse.
	Reserve(ctx context.Context, limits ...Limit) (bool, error)
	// Refund takes back the latest event of each key, for an attempt that
	// turned out not to count (a successful login, a busy server).
	Refund(ctx context.Context, keys ...string) error
}

// memoryLimiter counts events per key in a sliding window, in memory. It
// is for one node: with several behind a load balancer each would count
// its own share, and an attacker spreading requests over N nodes would get
// N times the attempts.
//
// SQLite, which is one node by nature, keeps it: it has nothing to share,
// it is about 40 times faster than the database limiter on SQLite (9 µs
// against 0.35 ms for a login's reservation and refund, BENCHMARKS.md,
// "Rate limits across nodes"), and there every attempt would be a write
// queued on SQLite's one writer, behind the bookings, so that a flood of
// guesses would slow booking down. The counts restart with the process,
// as they always did.
type memoryLimiter struct {
	mu     sync.Mutex
	now    func() time.Time
	events map[string]*window
	swept  time.Time
}

type window struct {
	length time.Duration
	times  []time.Time
}

// NewMemoryLimiter returns a Limiter for one instance; now may be nil.
func NewMemoryLimiter(now func() time.Time) Limiter {
	if now == nil {
		now = time.Now
	}
	return &memoryLimiter{now: now, events: map[string]*window{}}
}

func (l *memoryLimiter) Reserve(_ context.Context, limits ...Limit) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, lim := range limits {
		if len(l.recent(lim.Key, lim.Window, now)) >= lim.Max {
			return false, nil
		}
	}
	for _, lim := range limits {
		w := l.events[lim.Key]
		w.times = append(w.times, now)
	}
	l.sweep(now)
	return true, nil
}

func (l *memoryLimiter) Refund(_ context.Context, keys ...string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if w := l.events[k]; w != nil && len(w.times) > 0 {
			w.times = w.times[:len(w.times)-1]
		}
	}
	return nil
}

// recent drops the events of key older than length and returns the rest.
func (l *memoryLimiter) recent(key string, length time.Duration, now time.Time) []time.Time {
	w := l.events[key]
	if w == nil {
		w = &window{length: length}
		l.events[key] = w
	}
	w.length = max(w.length, length)
	cut := now.Add(-length)
	i := 0
	for i < len(w.times) && !w.times[i].After(cut) {
		i++
	}
	w.times = w.times[i:]
	return w.times
}

// sweep forgets, every few minutes, keys without events in their window, so
// memory stays bounded by the events of the longest window.
func (l *memoryLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < 5*time.Minute {
		return
	}
	for k, w := range l.events {
		if len(w.times) == 0 || now.Sub(w.times[len(w.times)-1]) > w.length {
			delete(l.events, k)
		}
	}
	l.swept = now
}

// reserve records one attempt under limits. Errors: ETOOMANY when one of
// them is used up; EUNAVAILABLE when the limiter cannot count (the
// database is down), since an attempt that cannot be counted is refused.
func (s *Service) reserve(ctx context.Context, limits ...Limit) error {
	ok, err := s.limiter.Reserve(ctx, limits...)
	if err != nil {
		s.log.Error("rate limit unavailable, attempt refused", "err", err)
		return busy()
	}
	if !ok {
		return tooMany()
	}
	return nil
}

// refund takes back the latest attempt of each key. It runs even when
// the request has gone away, so that a successful login is not counted;
// a failure leaves the attempt counted, which costs the owner at most one
// attempt of the window, and is logged.
func (s *Service) refund(ctx context.Context, keys ...string) {
	if err := s.limiter.Refund(context.WithoutCancel(ctx), keys...); err != nil {
		s.log.Warn("rate limit refund failed", "err", err)
	}
}
