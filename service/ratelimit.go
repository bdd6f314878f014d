package service

import (
	"sync"
	"time"
)

// limiter counts events per key in a sliding window, in memory. With several
// instances behind a load balancer each counts its own share, which still
// bounds guessing to a small multiple of the limit.
type limiter struct {
	mu     sync.Mutex
	now    func() time.Time
	events map[string][]time.Time
	swept  time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, events: map[string][]time.Time{}}
}

// allow reports whether key has had fewer than max events within window; it
// does not record one.
func (l *limiter) allow(key string, max int, window time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, window)) < max
}

// add records an event for key.
func (l *limiter) add(key string, window time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.events[key] = append(l.recent(key, window), now)
	if now.Sub(l.swept) > time.Hour {
		// Forget keys idle for an hour so memory stays bounded.
		for k, ts := range l.events {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) > time.Hour {
				delete(l.events, k)
			}
		}
		l.swept = now
	}
}

// reset forgets key (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.events, key)
}

func (l *limiter) recent(key string, window time.Duration) []time.Time {
	ts := l.events[key]
	cut := l.now().Add(-window)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	l.events[key] = ts
	return ts
}
