package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"eyelevel"

	"github.com/coder/websocket"
)

// Queue sizes of one peer. The two budgets share one queue, so messages
// keep their order, but each is counted on its own: relayed messages
// cannot crowd out the server's notices, and whoever fills a budget is
// the one cut off (see relay and notify). The queue takes memory only
// while it holds messages.
const (
	RelayQueue   = 256 // descriptions and candidates from the other side, not yet written
	controlQueue = 32  // the server's notices (waiting, ready, peer-left, errors)
	// controlReserve of the notices are kept for the server's own (e.g.
	// peer-left after the other side was cut off for flooding).
	controlReserve = 8
)

// Close codes beyond the standard ones (see docs/signaling.md).
const (
	// StatusRevoked closes a connection whose session ended (logout,
	// expiry): like HTTP 401, the browser should log in again.
	StatusRevoked websocket.StatusCode = 4401
)

// ErrRevoked is what a Peer's Check returns when the session it was opened
// with is gone; the connection is then closed with StatusRevoked.
var ErrRevoked = errors.New("signaling: session revoked")

// Peer is one participant's connection to a room. The hub queues messages
// for it; the connection's single writer drains them.
type Peer struct {
	Room eyelevel.AppointmentID
	User eyelevel.UserID
	Role eyelevel.Role // RoleClient or RoleCounselor

	// Check, when set, tells whether the session that opened the
	// connection still exists; Serve calls it every Config.Recheck and
	// when Hub.Recheck names the user. ErrRevoked closes the connection;
	// other errors (a database hiccup) keep it.
	Check func(context.Context) error

	qmu              sync.Mutex
	queue            []queued
	relayed, control int32         // messages of each budget in queue (guarded by qmu)
	ready            chan struct{} // the queue has messages
	poke             chan struct{}
	counted          bool   // Join added it to Hub.serving (guarded by Hub.mu)
	conn             string // names the connection on the bus (set by Join)
	joined           int64  // when Join took it, in Unix nanoseconds: the newer connection of a side wins
	entering         bool   // Join asks the other nodes: no notice before the welcome (guarded by Hub.mu)

	done   chan struct{}
	once   sync.Once
	status websocket.StatusCode // why it was dropped; set once, before done closes
	reason string
}

type queued struct {
	b       []byte
	relayed bool
}

// NewPeer returns a peer with bounded send queues.
func NewPeer(room eyelevel.AppointmentID, user eyelevel.UserID, role eyelevel.Role) *Peer {
	return &Peer{Room: room, User: user, Role: role,
		ready: make(chan struct{}, 1), poke: make(chan struct{}, 1), done: make(chan struct{})}
}

// Done is closed when the hub drops the peer (replaced, flooding, session
// ended, shutdown).
func (p *Peer) Done() <-chan struct{} { return p.done }

// drop ends the peer; the first reason given is the one its connection
// closes with.
func (p *Peer) drop(status websocket.StatusCode, reason string) {
	p.once.Do(func() {
		p.status, p.reason = status, reason
		close(p.done)
	})
}

// closeStatus is the close code and reason of a dropped peer.
func (p *Peer) closeStatus() (websocket.StatusCode, string) {
	select {
	case <-p.done:
		return p.status, p.reason
	default:
		return websocket.StatusNormalClosure, ""
	}
}

// enqueue queues m if its budget (relayed or not) is below limit.
func (p *Peer) enqueue(m Message, relayed bool, limit int32) bool {
	b, err := json.Marshal(m)
	if err != nil {
		return true // cannot happen for our own messages; nothing to send
	}
	p.qmu.Lock()
	n := &p.control
	if relayed {
		n = &p.relayed
	}
	if *n >= limit {
		p.qmu.Unlock()
		return false
	}
	*n++
	p.queue = append(p.queue, queued{b, relayed})
	p.qmu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default: // the writer has been woken already
	}
	return true
}

// next takes the oldest queued message and releases its budget.
func (p *Peer) next() (queued, bool) {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	if len(p.queue) == 0 {
		return queued{}, false
	}
	q := p.queue[0]
	p.queue[0] = queued{}
	p.queue = p.queue[1:]
	if len(p.queue) == 0 {
		p.queue = nil // give the memory back
	}
	if q.relayed {
		p.relayed--
	} else {
		p.control--
	}
	return q, true
}

// tell queues a notice to p about its own doing (welcome, replaced). A
// peer that let its notices pile up is not reading at all; it is dropped.
// A peer is only ever dropped for what it does itself.
func tell(p *Peer, m Message) {
	if !p.enqueue(m, false, controlQueue) {
		p.drop(websocket.StatusPolicyViolation, "not reading")
	}
}

// notify queues a notice to `to` that from's action caused (admit, end,
// join). If from's actions filled to's notices, from is cut off, not to.
func notify(from, to *Peer, m Message) {
	if from == to {
		tell(to, m)
		return
	}
	if !to.enqueue(m, false, controlQueue-controlReserve) {
		from.drop(websocket.StatusPolicyViolation, "too many messages")
	}
}

// relay forwards a description or candidate. When the receiver's queue is
// full, the sender sends faster than the receiver can take: the sender is
// cut off, and the receiver keeps its connection.
func relay(from, to *Peer, m Message) {
	if !to.enqueue(m, true, RelayQueue) {
		from.drop(websocket.StatusPolicyViolation, "too many messages")
	}
}
