// Package signaling connects the two participants of a video room so their
// browsers can set up a direct WebRTC connection. It relays session
// descriptions and ICE candidates between them and nothing else; media
// never passes through it. The protocol is documented in docs/signaling.md.
package signaling

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"eyelevel"

	"github.com/coder/websocket"
)

// Events receives joins and leaves (to record them as the only metadata).
// The hub calls it from one goroutine, in the order the events happened,
// never while holding its lock: a slow database stalls no room.
type Events func(room eyelevel.AppointmentID, user eyelevel.UserID, event string)

// Config tunes a hub; a zero field takes its default.
type Config struct {
	Events Events
	Log    *slog.Logger
	// Burst and PerSecond bound the messages one connection may send (a
	// token bucket). A call setup sends a few dozen; a flooder is closed
	// with 1008 policy violation. Defaults 200 and 50.
	Burst     int
	PerSecond float64
	// Recheck is how often a connection's session is checked again (Peer.Check).
	// Default 30 s.
	Recheck time.Duration

	// Bus, when set, joins this hub to the hubs of other nodes, so the two
	// participants of a room may be connected to different nodes (bus.go).
	Bus Bus
	// Node names this hub on the bus (default: random); Subject prefixes
	// its subjects (default "eyelevel.signal").
	Node, Subject string
	// AskTimeout bounds how long a join waits for the other nodes' state
	// of its room (default 2 s; nobody listening answers at once).
	// GatherTimeout is how long Waiting listens for the other nodes
	// (default 50 ms).
	AskTimeout, GatherTimeout time.Duration
}

// eventQueue bounds the room events waiting for the database. When it is
// full (the database is stuck), further events are counted as lost and
// logged instead of holding up the rooms.
const eventQueue = 4096

type event struct {
	room  eyelevel.AppointmentID
	user  eyelevel.UserID
	event string
}

// Hub keeps the rooms of one server process. A room lives only while
// someone is in it.
type Hub struct {
	cfg Config

	mu      sync.Mutex
	rooms   map[eyelevel.AppointmentID]*room
	closing bool           // Close was called: nobody joins any more
	serving sync.WaitGroup // joined peers that have not left

	events       chan event // nil without Config.Events
	eventsClosed bool       // Close closed events (guarded by mu)
	eventsDone   chan struct{}
	lost         atomic.Int64
	unsubs       []func()    // the bus subscriptions of the node (not of rooms)
	pubFailing   atomic.Bool // publishing to the bus fails (logged once)
}

type room struct {
	client, counselor *Peer     // connected to this node
	remote            [2]string // the node where the client [0] / counselor [1] is connected, if another
	remoteConn        [2]string // and which connection it is there
	remoteAt          [2]int64  // and when it joined there (Unix nanoseconds; 0 unknown)
	admitted          bool      // the counselor let the client in
	ended             bool      // the counselor ended the session
	unsubs            []func()  // the room's bus subscriptions
}

// NewHub returns an empty hub with the default limits; events may be nil.
func NewHub(events Events) *Hub { return New(Config{Events: events}) }

// New returns an empty hub. With Config.Events, Close must be called to
// write the last events.
func New(cfg Config) *Hub {
	if cfg.Burst <= 0 {
		cfg.Burst = 200
	}
	if cfg.PerSecond <= 0 {
		cfg.PerSecond = 50
	}
	if cfg.Recheck <= 0 {
		cfg.Recheck = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Node == "" {
		b := make([]byte, 6)
		rand.Read(b)
		cfg.Node = hex.EncodeToString(b)
	}
	if cfg.Subject == "" {
		cfg.Subject = "eyelevel.signal"
	}
	if cfg.AskTimeout <= 0 {
		cfg.AskTimeout = 2 * time.Second
	}
	if cfg.GatherTimeout <= 0 {
		cfg.GatherTimeout = 50 * time.Millisecond
	}
	h := &Hub{cfg: cfg, rooms: map[eyelevel.AppointmentID]*room{}}
	if cfg.Bus != nil {
		h.subscribeNode()
	}
	if cfg.Events != nil {
		h.events = make(chan event, eventQueue)
		h.eventsDone = make(chan struct{})
		go h.writeEvents()
	}
	return h
}

// writeEvents hands the queued events to Config.Events, one at a time.
func (h *Hub) writeEvents() {
	defer close(h.eventsDone)
	for e := range h.events {
		h.cfg.Events(e.room, e.user, e.event)
		if n := h.lost.Swap(0); n > 0 {
			h.cfg.Log.Error("room events lost: the queue was full", "count", n)
		}
	}
}

// record queues an event; the caller holds h.mu.
func (h *Hub) record(room eyelevel.AppointmentID, user eyelevel.UserID, ev string) {
	if h.events == nil || h.eventsClosed {
		return
	}
	select {
	case h.events <- event{room, user, ev}:
	default:
		h.lost.Add(1)
	}
}

// Close shuts the hub down: it closes every connection with 1012 (service
// restart: the browser reconnects at once, to another node behind the load
// balancer; the call's media, peer to peer, goes on meanwhile),
// waits until each has left, and until the events are written. ctx bounds
// the wait.
func (h *Hub) Close(ctx context.Context) error {
	h.mu.Lock()
	if !h.closing {
		h.closing = true
		for _, r := range h.rooms {
			for _, p := range []*Peer{r.client, r.counselor} {
				if p != nil {
					p.drop(websocket.StatusServiceRestart, "service restart")
				}
			}
		}
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.serving.Wait()
		h.mu.Lock()
		for _, u := range h.unsubs {
			u()
		}
		h.unsubs = nil
		if h.events != nil && !h.eventsClosed {
			h.eventsClosed = true
			close(h.events)
		}
		h.mu.Unlock()
		if h.eventsDone != nil {
			<-h.eventsDone
		}
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *room) slot(role eyelevel.Role) **Peer {
	if role == eyelevel.RoleCounselor {
		return &r.counselor
	}
	return &r.client
}

func (r *room) other(p *Peer) *Peer {
	if p.Role == eyelevel.RoleCounselor {
		return r.client
	}
	return r.counselor
}

// Join enters p into its room. A second connection of the same side (a
// reload, another tab), on this node or another, replaces the first. It
// reports false, and drops p, once the hub is closing; else p must Leave.
func (h *Hub) Join(p *Peer) bool {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		p.drop(websocket.StatusServiceRestart, "service restart")
		return false
	}
	h.serving.Add(1)
	p.counted = true
	p.joined = time.Now().UnixNano()
	if h.cfg.Bus != nil {
		b := make([]byte, 8)
		rand.Read(b)
		p.conn = hex.EncodeToString(b)
	}
	r := h.rooms[p.Room]
	fresh := r == nil
	if fresh {
		r = &room{}
		h.rooms[p.Room] = r
		h.listen(r, p.Room, "ev") // before asking: no event gets lost in between
	}
	slot := r.slot(p.Role)
	if old := *slot; old != nil {
		tell(old, Message{Type: TypeReplaced})
		old.drop(websocket.StatusNormalClosure, "")
	}
	*slot = p
	r.remote[side(p.Role)], r.remoteConn[side(p.Role)], r.remoteAt[side(p.Role)] = "", "", 0
	h.record(p.Room, p.User, eyelevel.RoomJoined)
	if fresh && h.cfg.Bus != nil {
		p.entering = true // what the other nodes say meanwhile is in the welcome
		h.mu.Unlock()
		if !h.enter(p, r) { // returns holding h.mu
			return true // replaced meanwhile; p was dropped
		}
	} else {
		h.tellRoom(p.Room, envelope{Kind: kindJoin, Role: p.Role, Conn: p.conn, At: p.joined})
	}
	defer h.mu.Unlock()
	p.entering = false
	if p.Role == eyelevel.RoleCounselor && r.ended {
		// The counselor coming back reopens the session; the client waits again.
		r.ended, r.admitted = false, false
	}
	other := r.other(p)
	peer := r.present(otherRole(p.Role))
	tell(p, Message{Type: TypeWelcome, Role: string(p.Role), Polite: p.Role == eyelevel.RoleClient, PeerPresent: peer, Admitted: r.admitted})
	switch {
	case r.ended:
		tell(p, Message{Type: TypeEnded})
	case r.admitted && peer:
		tell(p, Message{Type: TypeReady})
		if other != nil {
			notify(p, other, Message{Type: TypeReady})
		}
	case !r.admitted && r.present(eyelevel.RoleClient):
		if r.client != nil {
			notify(p, r.client, Message{Type: TypeWaiting, PeerPresent: r.present(eyelevel.RoleCounselor)})
		}
		if r.counselor != nil {
			notify(p, r.counselor, Message{Type: TypeClientWaiting})
		}
	}
	return true
}

// Leave removes p; the other side learns that its peer left.
func (h *Hub) Leave(p *Peer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p.drop(websocket.StatusNormalClosure, "")
	if p.counted {
		p.counted = false
		defer h.serving.Done()
	}
	r := h.rooms[p.Room]
	if r == nil {
		return
	}
	if *r.slot(p.Role) == p { // else already replaced
		*r.slot(p.Role) = nil
		h.record(p.Room, p.User, eyelevel.RoomLeft)
		h.tellRoom(p.Room, envelope{Kind: kindLeave, Role: p.Role, Conn: p.conn})
		if other := r.other(p); other != nil && !r.ended {
			// Into the reserve that notify leaves. Should even that be full
			// (p came and went in a loop), the notice is lost, not other.
			other.enqueue(Message{Type: TypePeerLeft}, false, controlQueue)
		}
	}
	if r.client == nil && r.counselor == nil {
		// The other side's node, if any, keeps the room's state.
		h.forget(p.Room, r)
	}
}

// Recheck makes the connections of user check their session now (after a
// logout), instead of at the next Config.Recheck. A nil hub (a server
// without video) has none.
func (h *Hub) Recheck(user eyelevel.UserID) {
	if h == nil {
		return
	}
	h.recheck(user)
	if h.cfg.Bus != nil {
		h.publish(h.cfg.Subject+".recheck", envelope{Kind: kindRecheck, User: user})
	}
}

// recheck pokes the connections of user on this node.
func (h *Hub) recheck(user eyelevel.UserID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.rooms {
		for _, p := range []*Peer{r.client, r.counselor} {
			if p != nil && p.User == user {
				select {
				case p.poke <- struct{}{}:
				default: // a check is pending anyway
				}
			}
		}
	}
}

// Waiting reports which of the rooms have a client waiting to be admitted
// (for the counselor's dashboard), on any node: with a bus it waits up to
// Config.GatherTimeout for the other nodes' answers.
func (h *Hub) Waiting(ids []eyelevel.AppointmentID) map[eyelevel.AppointmentID]bool {
	h.mu.Lock()
	out := map[eyelevel.AppointmentID]bool{}
	for _, id := range ids {
		if r := h.rooms[id]; r != nil && r.present(eyelevel.RoleClient) && !r.admitted && !r.ended {
			out[id] = true
		}
	}
	h.mu.Unlock()
	if h.cfg.Bus != nil {
		h.gatherWaiting(ids, out)
	}
	return out
}

// Handle processes one message from p. It returns an error message to
// send back when the message is not allowed.
func (h *Hub) Handle(p *Peer, raw []byte) *Message {
	var m Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return errorMessage("invalid", "signal.err.invalid")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[p.Room]
	if r == nil || *r.slot(p.Role) != p {
		return errorMessage("conflict", "signal.err.replaced")
	}
	other := r.other(p)
	switch m.Type {
	case TypeAdmit:
		if p.Role != eyelevel.RoleCounselor {
			return errorMessage("forbidden", "signal.err.forbidden")
		}
		if !r.present(eyelevel.RoleClient) {
			return errorMessage("conflict", "signal.err.no_client")
		}
		r.admitted = true
		if r.client != nil {
			notify(p, r.client, Message{Type: TypeReady})
		}
		tell(p, Message{Type: TypeReady})
		h.tellRoom(p.Room, envelope{Kind: kindAdmit, Role: p.Role})
	case TypeEnd:
		if p.Role != eyelevel.RoleCounselor {
			return errorMessage("forbidden", "signal.err.forbidden")
		}
		r.ended, r.admitted = true, false
		for _, q := range []*Peer{r.client, r.counselor} {
			if q != nil {
				notify(p, q, Message{Type: TypeEnded})
			}
		}
		h.tellRoom(p.Room, envelope{Kind: kindEnd, Role: p.Role})
	case TypeDescription, TypeCandidate:
		if !r.admitted || !r.present(otherRole(p.Role)) {
			return errorMessage("conflict", "signal.err.not_ready")
		}
		msg, ok := m.relayable()
		switch {
		case !ok:
			return errorMessage("invalid", "signal.err.invalid")
		case other != nil:
			relay(p, other, msg)
		default: // the other side is on another node
			h.tellRoom(p.Room, envelope{Kind: kindRelay, Role: p.Role, Msg: &msg})
		}
	default:
		return errorMessage("invalid", "signal.err.invalid")
	}
	return nil
}
