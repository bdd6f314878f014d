package signaling

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"eyelevel"

	"github.com/coder/websocket"
)

// Bus carries the hub's messages to the hubs of other nodes (NATSBus over
// core NATS). Without one, a hub is a node of its own.
type Bus interface {
	// Subscribe delivers the messages of subject to fn, one at a time;
	// reply is where to answer ("" when no answer is awaited).
	Subscribe(subject string, fn func(data []byte, reply string)) (unsubscribe func(), err error)
	Publish(subject string, data []byte) error
	// Ask sends data and returns the first answer; nil, nil when nobody
	// listens on subject.
	Ask(ctx context.Context, subject string, data []byte) ([]byte, error)
	// Gather sends data and passes each answer to each until ctx ends.
	Gather(ctx context.Context, subject string, data []byte, each func([]byte)) error
	// Flush returns once the bus has taken what was sent and subscribed
	// before (others' messages to those subjects now reach us).
	Flush(ctx context.Context) error
}

// MaxBusMessage bounds a message between nodes: a relayed message of at
// most MaxMessage and its envelope. Larger ones are dropped unread.
const MaxBusMessage = MaxMessage + 4<<10

// maxWaitingIDs bounds the rooms one Waiting question names.
const maxWaitingIDs = 500

// Kinds of envelope.
const (
	kindJoin     = "join"     // a participant joined on the origin node (as a question: answer with kindState)
	kindState    = "state"    // the answer: who is where, admitted, ended
	kindLeave    = "leave"    // the participant of Role left the origin node
	kindAdmit    = "admit"    // the counselor admitted the client
	kindEnd      = "end"      // the counselor ended the session
	kindRelay    = "relay"    // Msg from the participant of Role, for the other side
	kindOverflow = "overflow" // node To: your participant of Role overfilled our queues; cut it off
	kindRecheck  = "recheck"  // check the sessions of User now
	kindWaiting  = "waiting"  // which of IDs have a client waiting (question and answer)
)

// envelope is every message between nodes. Node is the origin: a hub
// ignores its own. Nothing of a participant's message crosses but what
// relayable() rebuilt, and the receiver rebuilds it again.
type envelope struct {
	Node          string                   `json:"n"`
	Kind          string                   `json:"k"`
	Room          eyelevel.AppointmentID   `json:"r,omitempty"`
	Role          eyelevel.Role            `json:"o,omitempty"`
	Conn          string                   `json:"cn,omitempty"` // the participant's connection (join, leave)
	At            int64                    `json:"at,omitempty"` // when it joined (Unix nanoseconds)
	To            string                   `json:"to,omitempty"`
	Client        string                   `json:"cl,omitempty"` // kindState: the node of each side, "" if absent
	Counselor     string                   `json:"co,omitempty"`
	ClientConn    string                   `json:"cc,omitempty"`
	CounselorConn string                   `json:"kc,omitempty"`
	Admitted      bool                     `json:"a,omitempty"`
	Ended         bool                     `json:"e,omitempty"`
	Msg           *Message                 `json:"m,omitempty"`
	User          eyelevel.UserID          `json:"u,omitempty"`
	IDs           []eyelevel.AppointmentID `json:"ids,omitempty"`
}

// side indexes room.remote.
func side(role eyelevel.Role) int {
	if role == eyelevel.RoleCounselor {
		return 1
	}
	return 0
}

func otherRole(role eyelevel.Role) eyelevel.Role {
	if role == eyelevel.RoleCounselor {
		return eyelevel.RoleClient
	}
	return eyelevel.RoleCounselor
}

// present reports whether the side of role is connected, here or on
// another node.
func (r *room) present(role eyelevel.Role) bool {
	return *r.slot(role) != nil || r.remote[side(role)] != ""
}

// roomSubject names a room's subject: a hash, so any id makes a valid
// subject and no appointment id shows in the bus's monitoring.
func (h *Hub) roomSubject(id eyelevel.AppointmentID, kind string) string {
	sum := sha256.Sum256([]byte(id))
	return h.cfg.Subject + ".room." + hex.EncodeToString(sum[:16]) + "." + kind
}

// decode reads an envelope from another node, or reports false.
func (h *Hub) decode(data []byte) (envelope, bool) {
	var e envelope
	if len(data) > MaxBusMessage || json.Unmarshal(data, &e) != nil {
		return e, false
	}
	if e.Node == "" || e.Node == h.cfg.Node || len(e.Node) > 64 || len(e.Room) > 128 || len(e.User) > 128 || len(e.IDs) > maxWaitingIDs {
		return e, false
	}
	if e.Role != "" && e.Role != eyelevel.RoleClient && e.Role != eyelevel.RoleCounselor {
		return e, false
	}
	return e, true
}

// publish sends e to subject; the caller may hold h.mu (so a node's
// messages about a room go out in the order they happened).
func (h *Hub) publish(subject string, e envelope) {
	e.Node = h.cfg.Node
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	// Logged once per outage, not once per message.
	if err := h.cfg.Bus.Publish(subject, b); err != nil {
		if h.pubFailing.CompareAndSwap(false, true) {
			h.cfg.Log.Warn("signaling: publishing to the other nodes failed", "err", err)
		}
	} else if h.pubFailing.CompareAndSwap(true, false) {
		h.cfg.Log.Info("signaling: publishing to the other nodes works again")
	}
}

// tellRoom tells the other nodes in room what happened here.
func (h *Hub) tellRoom(id eyelevel.AppointmentID, e envelope) {
	if h.cfg.Bus == nil {
		return
	}
	e.Room = id
	h.publish(h.roomSubject(id, "ev"), e)
}

// listen subscribes to a room's events while a participant of it is
// here; the caller holds h.mu.
func (h *Hub) listen(r *room, id eyelevel.AppointmentID, kind string) {
	if h.cfg.Bus == nil {
		return
	}
	unsub, err := h.cfg.Bus.Subscribe(h.roomSubject(id, kind), h.onRoom(id))
	if err != nil {
		h.cfg.Log.Error("signaling: subscribing to a room failed", "err", err)
		return
	}
	r.unsubs = append(r.unsubs, unsub)
}

// forget removes an empty room; the caller holds h.mu.
func (h *Hub) forget(id eyelevel.AppointmentID, r *room) {
	delete(h.rooms, id)
	for _, u := range r.unsubs {
		u()
	}
	r.unsubs = nil
}

// ask asks the nodes in p's room, as p joins there first on this node,
// who is where and whether the client is admitted; nil when nobody is.
func (h *Hub) ask(p *Peer) *envelope {
	b, _ := json.Marshal(envelope{Node: h.cfg.Node, Kind: kindJoin, Room: p.Room, Role: p.Role, Conn: p.conn, At: p.joined})
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.AskTimeout)
	defer cancel()
	data, err := h.cfg.Bus.Ask(ctx, h.roomSubject(p.Room, "join"), b)
	if err != nil {
		h.cfg.Log.Warn("signaling: asking the other nodes about a room failed", "err", err)
		return nil
	}
	e, ok := h.decode(data)
	if data == nil || !ok || e.Kind != kindState || e.Room != p.Room {
		return nil
	}
	return &e
}

// enter makes p, the first of its room on this node, known to the other
// nodes, and takes their state of the room (kept by the node of the other
// side). Called without h.mu, it returns holding it, or false without it
// when p was replaced meanwhile.
func (h *Hub) enter(p *Peer, r *room) bool {
	a := h.ask(p)
	// Answer later joiners' questions from now on, and only then say that
	// p is here: two nodes joining at once each hear the other's join.
	unsub, err := h.cfg.Bus.Subscribe(h.roomSubject(p.Room, "join"), h.onRoom(p.Room))
	if err != nil {
		h.cfg.Log.Error("signaling: subscribing to a room failed", "err", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.AskTimeout)
	if err := h.cfg.Bus.Flush(ctx); err != nil {
		h.cfg.Log.Warn("signaling: the bus did not answer", "err", err)
	}
	cancel()
	h.mu.Lock()
	if unsub != nil {
		if h.rooms[p.Room] == r {
			r.unsubs = append(r.unsubs, unsub)
		} else {
			unsub()
		}
	}
	if h.rooms[p.Room] != r || *r.slot(p.Role) != p {
		h.mu.Unlock()
		return false
	}
	if a != nil {
		r.merge(p, a, h.cfg.Node)
	}
	h.tellRoom(p.Room, envelope{Kind: kindJoin, Role: p.Role, Conn: p.conn, At: p.joined})
	return true
}

// merge takes the state a node answered for the room p joins; the caller
// holds h.mu.
func (r *room) merge(p *Peer, a *envelope, self string) {
	switch {
	case a.Ended:
		r.ended, r.admitted = true, false
	case a.Admitted:
		r.admitted = true
	}
	o := otherRole(p.Role)
	node, conn := a.Client, a.ClientConn
	if o == eyelevel.RoleCounselor {
		node, conn = a.Counselor, a.CounselorConn
	}
	if *r.slot(o) == nil && r.remote[side(o)] == "" && node != self {
		r.remote[side(o)], r.remoteConn[side(o)], r.remoteAt[side(o)] = node, conn, 0
	}
}

// note queues a notice that a participant on another node caused; when it
// does not fit, that participant is cut off (like notify).
func (h *Hub) note(r *room, e envelope, to *Peer, m Message) {
	if to.entering {
		return // its welcome, still to come, says it
	}
	if !to.enqueue(m, false, controlQueue-controlReserve) {
		h.tellRoom(e.Room, envelope{Kind: kindOverflow, Role: e.Role, To: e.Node})
	}
}

// onRoom handles the messages of the other nodes about room id.
func (h *Hub) onRoom(id eyelevel.AppointmentID) func([]byte, string) {
	return func(data []byte, reply string) {
		e, ok := h.decode(data)
		if !ok || e.Room != id {
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		r := h.rooms[id]
		if r == nil {
			return
		}
		switch e.Kind {
		case kindJoin:
			h.remoteJoin(r, e)
			if reply != "" {
				a := envelope{Kind: kindState, Room: id, Admitted: r.admitted, Ended: r.ended,
					Client: r.remote[0], ClientConn: r.remoteConn[0], Counselor: r.remote[1], CounselorConn: r.remoteConn[1]}
				if r.client != nil {
					a.Client, a.ClientConn = h.cfg.Node, r.client.conn
				}
				if r.counselor != nil {
					a.Counselor, a.CounselorConn = h.cfg.Node, r.counselor.conn
				}
				h.publish(reply, a)
			}
		case kindLeave:
			if r.remote[side(e.Role)] != e.Node || r.remoteConn[side(e.Role)] != e.Conn {
				return // replaced meanwhile
			}
			r.remote[side(e.Role)], r.remoteConn[side(e.Role)], r.remoteAt[side(e.Role)] = "", "", 0
			if o := *r.slot(otherRole(e.Role)); o != nil && !o.entering && !r.ended {
				o.enqueue(Message{Type: TypePeerLeft}, false, controlQueue)
			}
		case kindAdmit:
			r.admitted, r.ended = true, false
			if r.client != nil {
				h.note(r, e, r.client, Message{Type: TypeReady})
			}
		case kindEnd:
			r.ended, r.admitted = true, false
			for _, q := range []*Peer{r.client, r.counselor} {
				if q != nil {
					h.note(r, e, q, Message{Type: TypeEnded})
				}
			}
		case kindRelay:
			to := *r.slot(otherRole(e.Role))
			if to == nil || to.entering || !r.admitted || e.Msg == nil {
				return
			}
			if m, ok := e.Msg.relayable(); ok && !to.enqueue(m, true, RelayQueue) {
				h.tellRoom(id, envelope{Kind: kindOverflow, Role: e.Role, To: e.Node})
			}
		case kindOverflow:
			if p := *r.slot(e.Role); p != nil && e.To == h.cfg.Node {
				p.drop(websocket.StatusPolicyViolation, "too many messages")
			}
		}
	}
}

// remoteJoin applies a join on another node: it replaces this node's
// connection of the same side and tells this node's other side, as Join
// does for a local one. The caller holds h.mu.
func (h *Hub) remoteJoin(r *room, e envelope) {
	s := side(e.Role)
	if e.Role == "" || *r.slot(e.Role) == nil && r.remote[s] == e.Node && r.remoteConn[s] == e.Conn {
		return // known already (a join is both asked and announced)
	}
	// A join can reach a node late (it was on its way when this node
	// subscribed): only a newer connection replaces one.
	if old := *r.slot(e.Role); old != nil && e.At <= old.joined || old == nil && r.remote[s] != "" && e.At < r.remoteAt[s] {
		return
	}
	if old := *r.slot(e.Role); old != nil {
		tell(old, Message{Type: TypeReplaced})
		old.drop(websocket.StatusNormalClosure, "")
		*r.slot(e.Role) = nil
	}
	r.remote[s], r.remoteConn[s], r.remoteAt[s] = e.Node, e.Conn, e.At
	if e.Role == eyelevel.RoleCounselor && r.ended {
		r.ended, r.admitted = false, false
	}
	o := *r.slot(otherRole(e.Role))
	switch {
	case o == nil || r.ended:
	case r.admitted:
		h.note(r, e, o, Message{Type: TypeReady})
	case e.Role == eyelevel.RoleClient:
		h.note(r, e, o, Message{Type: TypeClientWaiting})
	default:
		h.note(r, e, o, Message{Type: TypeWaiting, PeerPresent: true})
	}
}

// subscribeNode subscribes to the questions addressed to every node.
func (h *Hub) subscribeNode() {
	for _, s := range []struct {
		subject string
		fn      func([]byte, string)
	}{{h.cfg.Subject + ".recheck", h.onRecheck}, {h.cfg.Subject + ".waiting", h.onWaiting}} {
		unsub, err := h.cfg.Bus.Subscribe(s.subject, s.fn)
		if err != nil {
			h.cfg.Log.Error("signaling: subscribing to the other nodes failed", "err", err)
			continue
		}
		h.unsubs = append(h.unsubs, unsub)
	}
}

func (h *Hub) onRecheck(data []byte, _ string) {
	if e, ok := h.decode(data); ok && e.Kind == kindRecheck && e.User != "" {
		h.recheck(e.User)
	}
}

// onWaiting answers which of the named rooms have a client waiting here;
// nothing when none has.
func (h *Hub) onWaiting(data []byte, reply string) {
	e, ok := h.decode(data)
	if !ok || e.Kind != kindWaiting || reply == "" {
		return
	}
	h.mu.Lock()
	var ids []eyelevel.AppointmentID
	for _, id := range e.IDs {
		if r := h.rooms[id]; r != nil && r.client != nil && !r.admitted && !r.ended {
			ids = append(ids, id)
		}
	}
	h.mu.Unlock()
	if len(ids) > 0 {
		h.publish(reply, envelope{Kind: kindWaiting, IDs: ids})
	}
}

// gatherWaiting asks the other nodes about the rooms of ids not yet in
// out, for up to Config.GatherTimeout: no node keeps state about another,
// so a node that died leaves nothing stale behind.
func (h *Hub) gatherWaiting(ids []eyelevel.AppointmentID, out map[eyelevel.AppointmentID]bool) {
	var ask []eyelevel.AppointmentID
	asked := map[eyelevel.AppointmentID]bool{}
	for _, id := range ids {
		if !out[id] && !asked[id] && len(ask) < maxWaitingIDs {
			ask = append(ask, id)
			asked[id] = true
		}
	}
	if len(ask) == 0 {
		return
	}
	b, _ := json.Marshal(envelope{Node: h.cfg.Node, Kind: kindWaiting, IDs: ask})
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.GatherTimeout)
	defer cancel()
	err := h.cfg.Bus.Gather(ctx, h.cfg.Subject+".waiting", b, func(data []byte) {
		if e, ok := h.decode(data); ok && e.Kind == kindWaiting {
			for _, id := range e.IDs {
				if asked[id] {
					out[id] = true
				}
			}
		}
	})
	if err != nil {
		h.cfg.Log.Warn("signaling: asking the other nodes for waiting clients failed", "err", err)
	}
}
