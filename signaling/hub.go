// Package signaling connects the two participants of a video room so their
// browsers can set up a direct WebRTC connection. It relays session
// descriptions and ICE candidates between them and nothing else; media
// never passes through it. The protocol is documented in docs/signaling.md.
package signaling

import (
	"encoding/json"
	"sync"

	"eyelevel"
)

// Peer is one participant's connection to a room. The hub writes to Out;
// the connection's single writer drains it.
type Peer struct {
	Room eyelevel.AppointmentID
	User eyelevel.UserID
	Role eyelevel.Role // RoleClient or RoleCounselor

	out  chan []byte
	done chan struct{}
	once sync.Once
}

// NewPeer returns a peer with a bounded send queue.
func NewPeer(room eyelevel.AppointmentID, user eyelevel.UserID, role eyelevel.Role) *Peer {
	return &Peer{Room: room, User: user, Role: role, out: make(chan []byte, 32), done: make(chan struct{})}
}

// Out delivers the messages to send, in order.
func (p *Peer) Out() <-chan []byte { return p.out }

// Done is closed when the hub drops the peer (replaced, ended, too slow).
func (p *Peer) Done() <-chan struct{} { return p.done }

func (p *Peer) drop() { p.once.Do(func() { close(p.done) }) }

// send queues a message; a peer that does not keep up is dropped rather
// than let it hold up the room.
func (p *Peer) send(m Message) {
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	select {
	case p.out <- b:
	default:
		p.drop()
	}
}

// Events receives joins and leaves (to record them as the only metadata).
type Events func(room eyelevel.AppointmentID, user eyelevel.UserID, event string)

// Hub keeps the rooms of one server process. A room lives only while
// someone is in it.
type Hub struct {
	mu     sync.Mutex
	rooms  map[eyelevel.AppointmentID]*room
	events Events
}

type room struct {
	client, counselor *Peer
	admitted          bool // the counselor let the client in
	ended             bool // the counselor ended the session
}

// NewHub returns an empty hub; events may be nil.
func NewHub(events Events) *Hub {
	if events == nil {
		events = func(eyelevel.AppointmentID, eyelevel.UserID, string) {}
	}
	return &Hub{rooms: map[eyelevel.AppointmentID]*room{}, events: events}
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
// reload, another tab) replaces the first.
func (h *Hub) Join(p *Peer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[p.Room]
	if r == nil {
		r = &room{}
		h.rooms[p.Room] = r
	}
	slot := r.slot(p.Role)
	if old := *slot; old != nil {
		old.send(Message{Type: TypeReplaced})
		old.drop()
	}
	*slot = p
	h.events(p.Room, p.User, eyelevel.RoomJoined)
	if p.Role == eyelevel.RoleCounselor && r.ended {
		// The counselor coming back reopens the session; the client waits again.
		r.ended, r.admitted = false, false
	}
	other := r.other(p)
	p.send(Message{Type: TypeWelcome, Role: string(p.Role), Polite: p.Role == eyelevel.RoleClient, PeerPresent: other != nil, Admitted: r.admitted})
	switch {
	case r.ended:
		p.send(Message{Type: TypeEnded})
	case r.admitted && other != nil:
		p.send(Message{Type: TypeReady})
		other.send(Message{Type: TypeReady})
	case !r.admitted && r.client != nil:
		r.client.send(Message{Type: TypeWaiting, PeerPresent: r.counselor != nil})
		if r.counselor != nil {
			r.counselor.send(Message{Type: TypeClientWaiting})
		}
	}
}

// Leave removes p; the other side learns that its peer left.
func (h *Hub) Leave(p *Peer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p.drop()
	r := h.rooms[p.Room]
	if r == nil || *r.slot(p.Role) != p {
		return // already replaced
	}
	*r.slot(p.Role) = nil
	h.events(p.Room, p.User, eyelevel.RoomLeft)
	if other := r.other(p); other != nil && !r.ended {
		other.send(Message{Type: TypePeerLeft})
	}
	if r.client == nil && r.counselor == nil {
		delete(h.rooms, p.Room)
	}
}

// Waiting reports which of the rooms have a client waiting to be admitted
// (for the counselor's dashboard).
func (h *Hub) Waiting(ids []eyelevel.AppointmentID) map[eyelevel.AppointmentID]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[eyelevel.AppointmentID]bool{}
	for _, id := range ids {
		if r := h.rooms[id]; r != nil && r.client != nil && !r.admitted && !r.ended {
			out[id] = true
		}
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
		if r.client == nil {
			return errorMessage("conflict", "signal.err.no_client")
		}
		r.admitted = true
		r.client.send(Message{Type: TypeReady})
		r.counselor.send(Message{Type: TypeReady})
	case TypeEnd:
		if p.Role != eyelevel.RoleCounselor {
			return errorMessage("forbidden", "signal.err.forbidden")
		}
		r.ended, r.admitted = true, false
		for _, q := range []*Peer{r.client, r.counselor} {
			if q != nil {
				q.send(Message{Type: TypeEnded})
			}
		}
	case TypeDescription, TypeCandidate:
		if !r.admitted || other == nil {
			return errorMessage("conflict", "signal.err.not_ready")
		}
		if msg, ok := m.relayable(); ok {
			other.send(msg)
		} else {
			return errorMessage("invalid", "signal.err.invalid")
		}
	default:
		return errorMessage("invalid", "signal.err.invalid")
	}
	return nil
}
