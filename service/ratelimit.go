package service

import (
	"sync"
	"time"
)

// Limit is at most Max events per Key within Window.
type Limit struct {
	Key    string
	Max    int
	Window time.Duration
}

// Limiter counts attempts per key. It is an interface so that several
// instances can later share their counts (in the database or over NATS).
type Limiter interface {
	// Reserve records one event under every limit if each is below its
	// maximum, and records none otherwise; it reports which. Checking and
	// counting are one step, so concurrent callers cannot overshoot.
	Reserve(limits ...Limit) bool
	// Refund takes back the latest event of each key, for an attempt that
	// turned out not to count (a successful login, a busy server).
	Refund(keys ...string)
}

// memoryLimiter counts events per key in a sliding window, in memory. With
// several instances behind a load balancer each counts its own share.
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

func (l *memoryLimiter) Reserve(limits ...Limit) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, lim := range limits {
		if len(l.recent(lim.Key, lim.Window, now)) >= lim.Max {
			return false
		}
	}
	for _, lim := range limits {
		w := l.events[lim.Key]
		w.times = append(w.times, now)
	}
	l.sweep(now)
	return true
}

func (l *memoryLimiter) Refund(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if w := l.events[k]; w != nil && len(w.times) > 0 {
			w.times = w.times[:len(w.times)-1]
		}
	}
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
