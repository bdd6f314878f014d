package signaling

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Limits of one signaling connection.
const (
	MaxMessage   = 64 << 10 // bytes; an SDP with many candidates fits easily
	pingInterval = 20 * time.Second
	writeTimeout = 10 * time.Second
)

// Serve runs one participant's WebSocket until it closes, the peer is
// dropped, or until (the room's closing time) passes. The calling goroutine
// reads; one goroutine writes, and also pings, so writes never interleave,
// and starts the session rechecks (p.Check).
func (h *Hub) Serve(parent context.Context, c *websocket.Conn, p *Peer, until time.Time) {
	ctx, cancel := context.WithDeadline(parent, until)
	defer cancel()
	c.SetReadLimit(MaxMessage)
	if !h.Join(p) {
		c.Close(p.closeStatus())
		return
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		defer cancel() // a failed write ends the reader too
		h.write(ctx, c, p, &wg)
	})

	closed := make(chan struct{})
	go func() {
		// End the read with a close frame when the room closes, the writer
		// fails, or the peer is dropped; Close unblocks Read.
		defer close(closed)
		select {
		case <-ctx.Done():
		case <-p.done:
		}
		cancel()
		wg.Wait() // the writer has flushed what was queued before a drop
		status, reason := p.closeStatus()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && !isDropped(p) {
			status, reason = websocket.StatusGoingAway, "room closed"
		}
		c.Close(status, reason)
	}()

	limit := bucket{burst: float64(h.cfg.Burst), perSecond: h.cfg.PerSecond, tokens: float64(h.cfg.Burst), last: time.Now()}
	for {
		typ, data, err := c.Read(parent)
		if err != nil {
			break
		}
		if !limit.take(time.Now()) {
			p.drop(websocket.StatusPolicyViolation, "too many messages")
			break
		}
		if typ != websocket.MessageText {
			continue
		}
		if reply := h.Handle(p, data); reply != nil {
			p.enqueue(*reply, false, controlQueue) // dropped if the sender does not read its errors
		}
	}
	h.Leave(p) // at once: the other side learns it before our close handshake ends
	cancel()
	<-closed
}

func isDropped(p *Peer) bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// write sends p's queue until ctx ends, a write fails or p is dropped;
// then it flushes what was queued before (e.g. "replaced", "ended").
func (h *Hub) write(ctx context.Context, c *websocket.Conn, p *Peer, wg *sync.WaitGroup) {
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	var recheck <-chan time.Time // stays nil without p.Check
	var checking atomic.Bool
	if p.Check != nil {
		t := time.NewTicker(h.cfg.Recheck)
		defer t.Stop()
		recheck = t.C
	}
	// check runs p.Check on its own goroutine (it asks the database), one
	// at a time, only when due: an idle connection costs no goroutine more.
	check := func() {
		if p.Check == nil || !checking.CompareAndSwap(false, true) {
			return
		}
		wg.Go(func() {
			defer checking.Store(false)
			if errors.Is(p.Check(ctx), ErrRevoked) {
				p.drop(StatusRevoked, "session ended")
			}
		})
	}
	send := func(q queued) error {
		wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		defer wcancel()
		return c.Write(wctx, websocket.MessageText, q.b)
	}
	// flush writes what is queued; false when a write failed.
	flush := func() bool {
		for q, ok := p.next(); ok; q, ok = p.next() {
			if send(q) != nil {
				return false
			}
		}
		return true
	}
	for {
		select {
		case <-p.ready:
			if !flush() {
				return
			}
		case <-recheck:
			check()
		case <-p.poke:
			check()
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, writeTimeout)
			err := c.Ping(pctx)
			pcancel()
			if err != nil {
				return
			}
		case <-p.done:
			flush()
			return
		case <-ctx.Done():
			flush()
			return
		}
	}
}

// bucket is a token bucket: burst messages at once, perSecond sustained.
type bucket struct {
	tokens, burst, perSecond float64
	last                     time.Time
}

// take reports whether one more message at now is within the limit.
func (b *bucket) take(now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.perSecond)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
