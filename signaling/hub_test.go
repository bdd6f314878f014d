package signaling

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"eyelevel"

	"github.com/coder/websocket"
)

// next returns the type of the next queued message of p, or "" if none.
func next(t *testing.T, p *Peer) Message {
	t.Helper()
	q, ok := p.next()
	if !ok {
		return Message{}
	}
	var m Message
	if err := json.Unmarshal(q.b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func expect(t *testing.T, p *Peer, types ...string) {
	t.Helper()
	for _, want := range types {
		if got := next(t, p); got.Type != want {
			t.Fatalf("%s got %q, want %q", p.Role, got.Type, want)
		}
	}
	if m := next(t, p); m.Type != "" {
		t.Fatalf("%s got unexpected %q", p.Role, m.Type)
	}
}

func TestWaitingRoomAdmitRelayEnd(t *testing.T) {
	var events []string
	h := NewHub(func(_ eyelevel.AppointmentID, u eyelevel.UserID, ev string) {
		events = append(events, string(u)+" "+ev)
	})
	client := NewPeer("a1", "c", eyelevel.RoleClient)
	counselor := NewPeer("a1", "k", eyelevel.RoleCounselor)

	h.Join(client)
	expect(t, client, TypeWelcome, TypeWaiting)
	if !h.Waiting([]eyelevel.AppointmentID{"a1", "a2"})["a1"] {
		t.Error("dashboard does not show the waiting client")
	}
	// The client cannot send descriptions before admission, nor admit itself.
	offer := []byte(`{"type":"description","description":{"type":"offer","sdp":"v=0"}}`)
	if e := h.Handle(client, offer); e == nil || e.Code != "conflict" {
		t.Errorf("offer before admission: %+v", e)
	}
	if e := h.Handle(client, []byte(`{"type":"admit"}`)); e == nil || e.Code != "forbidden" {
		t.Errorf("client admits: %+v", e)
	}

	h.Join(counselor)
	expect(t, counselor, TypeWelcome, TypeClientWaiting)
	expect(t, client, TypeWaiting)
	if e := h.Handle(counselor, []byte(`{"type":"admit"}`)); e != nil {
		t.Fatalf("admit: %+v", e)
	}
	expect(t, client, TypeReady)
	expect(t, counselor, TypeReady)
	if h.Waiting([]eyelevel.AppointmentID{"a1"})["a1"] {
		t.Error("admitted client still shown as waiting")
	}

	// Descriptions and candidates are relayed, rebuilt from known fields only.
	if e := h.Handle(counselor, []byte(`{"type":"description","description":{"type":"offer","sdp":"v=0"},"role":"admin","code":"x"}`)); e != nil {
		t.Fatal(e)
	}
	if m := next(t, client); m.Type != TypeDescription || m.Description.SDP != "v=0" || m.Role != "" || m.Code != "" {
		t.Errorf("relayed %+v", m)
	}
	if e := h.Handle(client, []byte(`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"evil":1}}`)); e != nil {
		t.Fatal(e)
	}
	if m := next(t, counselor); m.Type != TypeCandidate || string(m.Candidate) == "" || json.Valid(m.Candidate) == false {
		t.Errorf("relayed %+v", m)
	} else if string(m.Candidate) != `{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":null}` {
		t.Errorf("candidate = %s", m.Candidate)
	}
	for _, bad := range []string{`{"type":"description","description":{"type":"pwn","sdp":""}}`, `{"type":"chat","text":"hi"}`, `not json`, `{"type":"candidate"}`} {
		if e := h.Handle(client, []byte(bad)); e == nil || e.Code != "invalid" {
			t.Errorf("%s: %+v", bad, e)
		}
	}

	// A reload replaces the old connection; the room resumes without a new admission.
	client2 := NewPeer("a1", "c", eyelevel.RoleClient)
	h.Join(client2)
	expect(t, client, TypeReplaced)
	expect(t, client2, TypeWelcome, TypeReady)
	expect(t, counselor, TypeReady)
	h.Leave(client) // the old connection's late leave changes nothing
	expect(t, counselor)

	// Only the counselor can end; then the client cannot resume until the counselor reopens.
	if e := h.Handle(client2, []byte(`{"type":"end"}`)); e == nil || e.Code != "forbidden" {
		t.Errorf("client ends: %+v", e)
	}
	if e := h.Handle(counselor, []byte(`{"type":"end"}`)); e != nil {
		t.Fatal(e)
	}
	expect(t, client2, TypeEnded)
	expect(t, counselor, TypeEnded)
	h.Leave(client2)
	h.Leave(counselor)
	if len(h.rooms) != 0 {
		t.Errorf("empty room kept: %v", h.rooms)
	}
	if err := h.Close(t.Context()); err != nil { // writes the queued events
		t.Fatal(err)
	}
	want := []string{"c joined", "k joined", "c joined", "c left", "k left"}
	if len(events) != len(want) {
		t.Fatalf("events = %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("events = %v, want %v", events, want)
		}
	}
}

// admitted returns a hub with client and counselor admitted in room a1,
// their queues emptied.
func admitted(t *testing.T, h *Hub) (client, counselor *Peer) {
	t.Helper()
	client = NewPeer("a1", "c", eyelevel.RoleClient)
	counselor = NewPeer("a1", "k", eyelevel.RoleCounselor)
	h.Join(counselor)
	h.Join(client)
	if e := h.Handle(counselor, []byte(`{"type":"admit"}`)); e != nil {
		t.Fatal(e)
	}
	drain(t, client)
	drain(t, counselor)
	return client, counselor
}

func drain(t *testing.T, p *Peer) (types []string) {
	t.Helper()
	for {
		m := next(t, p)
		if m.Type == "" {
			return types
		}
		types = append(types, m.Type)
	}
}

func dropped(p *Peer) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

func TestPeerLeft(t *testing.T) {
	h := NewHub(nil)
	client, counselor := admitted(t, h)
	h.Leave(client)
	expect(t, counselor, TypePeerLeft)
}

// TestRelayFloodDropsSender: a peer that relays faster than the other side
// takes is cut off with 1008; the other side, which did not read at all,
// keeps its connection, gets what was queued and peer-left, and goes on
// with the next connection of the same person.
func TestRelayFloodDropsSender(t *testing.T) {
	h := NewHub(nil)
	client, counselor := admitted(t, h)
	cand := []byte(`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`)
	for i := 0; i < RelayQueue+100; i++ {
		h.Handle(counselor, cand)
	}
	if !dropped(counselor) {
		t.Fatal("flooder not dropped")
	}
	if st, _ := counselor.closeStatus(); st != 1008 {
		t.Errorf("flooder closed with %d, want 1008 policy violation", st)
	}
	if dropped(client) {
		t.Fatal("victim dropped")
	}
	h.Leave(counselor)
	got := drain(t, client)
	if len(got) != RelayQueue+1 || got[0] != TypeCandidate || got[len(got)-1] != TypePeerLeft {
		t.Fatalf("victim got %d messages (first %v, last %v), want %d candidates and peer-left", len(got), got[0], got[len(got)-1], RelayQueue)
	}

	counselor2 := NewPeer("a1", "k", eyelevel.RoleCounselor)
	h.Join(counselor2)
	expect(t, counselor2, TypeWelcome, TypeReady)
	expect(t, client, TypeReady)
	if e := h.Handle(client, cand); e != nil {
		t.Fatal(e)
	}
	expect(t, counselor2, TypeCandidate)
	h.Handle(counselor2, []byte(`{"type":"description","description":{"type":"offer","sdp":"v=0"}}`))
	expect(t, client, TypeDescription)
	if dropped(client) || dropped(counselor2) {
		t.Error("dropped after the flood")
	}
}

// TestNoticeFloodDropsSender: notices the counselor causes (admit again and
// again) fill the client's queue: the counselor is cut off, and the
// client still learns that it left.
func TestNoticeFloodDropsSender(t *testing.T) {
	h := NewHub(nil)
	client, counselor := admitted(t, h)
	for i := 0; i < 2*controlQueue && !dropped(counselor); i++ {
		h.Handle(counselor, []byte(`{"type":"admit"}`))
		drain(t, counselor)
	}
	if !dropped(counselor) || dropped(client) {
		t.Fatalf("counselor dropped %v, client dropped %v; want only the counselor", dropped(counselor), dropped(client))
	}
	h.Leave(counselor)
	// Coming and going in a loop does not get the client dropped either.
	for i := 0; i < 2*controlQueue; i++ {
		k := NewPeer("a1", "k", eyelevel.RoleCounselor)
		h.Join(k)
		h.Leave(k)
	}
	if dropped(client) {
		t.Fatal("client dropped by the counselor's reconnects")
	}
	if got := drain(t, client); len(got) == 0 || got[len(got)-1] != TypePeerLeft {
		t.Errorf("client got %v, want peer-left last", got)
	}
}

// TestNotReadingDropped: a peer that reads none of its notices is dropped
// rather than let them pile up.
func TestNotReadingDropped(t *testing.T) {
	h := NewHub(nil)
	client := NewPeer("a1", "c", eyelevel.RoleClient)
	h.Join(client)
	for i := 0; i < controlQueue && !dropped(client); i++ {
		tell(client, Message{Type: TypeError})
	}
	if !dropped(client) {
		t.Error("peer that never reads kept")
	}
}

// TestEventsOutsideLock: while recording an event of room A hangs (a slow
// database), room B's joins and relays go on; the events are written in
// order once A's write returns, and Close waits for them.
func TestEventsOutsideLock(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var events []string
	h := NewHub(func(room eyelevel.AppointmentID, u eyelevel.UserID, ev string) {
		if room == "A" && ev == eyelevel.RoomJoined {
			close(entered)
			<-release
		}
		events = append(events, string(room)+" "+string(u)+" "+ev)
	})
	a := NewPeer("A", "a", eyelevel.RoleClient)
	joinedA := make(chan struct{})
	go func() { h.Join(a); close(joinedA) }() // the old hub blocks in here
	<-entered

	roomB := make(chan []string)
	go func() {
		client := NewPeer("B", "c", eyelevel.RoleClient)
		counselor := NewPeer("B", "k", eyelevel.RoleCounselor)
		h.Join(client)
		h.Join(counselor)
		h.Handle(counselor, []byte(`{"type":"admit"}`))
		h.Handle(counselor, []byte(`{"type":"description","description":{"type":"offer","sdp":"v=0"}}`))
		got := drain(t, client)
		h.Leave(client)
		h.Leave(counselor)
		roomB <- got
	}()
	select {
	case got := <-roomB:
		if want := []string{TypeWelcome, TypeWaiting, TypeWaiting, TypeReady, TypeDescription}; !slices.Equal(got, want) {
			t.Errorf("room B client got %v, want %v", got, want)
		}
	case <-time.After(time.Minute): // a guard against hanging, not a measurement
		close(release)
		t.Fatal("room B stalled while room A's event was being written")
	}
	close(release)
	<-joinedA
	h.Leave(a)
	if err := h.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"A a joined", "B c joined", "B k joined", "B c left", "B k left", "A a left"}
	if !slices.Equal(events, want) {
		t.Errorf("events = %v, want %v", events, want)
	}
}

// TestCloseRefusesJoins: after Close nobody joins, and Close has waited
// for the peers to leave.
func TestCloseRefusesJoins(t *testing.T) {
	var events []string
	h := NewHub(func(_ eyelevel.AppointmentID, u eyelevel.UserID, ev string) {
		events = append(events, string(u)+" "+ev)
	})
	p := NewPeer("a1", "c", eyelevel.RoleClient)
	h.Join(p)
	closed := make(chan error)
	go func() { closed <- h.Close(t.Context()) }()
	<-p.Done() // Close drops the peer; its connection would now leave
	if st, _ := p.closeStatus(); st != websocket.StatusServiceRestart {
		t.Errorf("close status %d, want 1012 service restart", st)
	}
	h.Leave(p)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if late := NewPeer("a2", "d", eyelevel.RoleClient); h.Join(late) || !dropped(late) {
		t.Error("joined a closed hub")
	}
	if want := []string{"c joined", "c left"}; !slices.Equal(events, want) {
		t.Errorf("events = %v, want %v", events, want)
	}
}

func TestBucket(t *testing.T) {
	t0 := time.Unix(0, 0)
	b := bucket{tokens: 3, burst: 3, perSecond: 2, last: t0}
	for i, c := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {0, true}, {0, true}, {0, false}, {400 * time.Millisecond, false}, {500 * time.Millisecond, true},
		{500 * time.Millisecond, false}, {time.Hour, true}, {time.Hour, true}, {time.Hour, true}, {time.Hour, false}} {
		if got := b.take(t0.Add(c.at)); got != c.want {
			t.Errorf("%d: take at %v = %v, want %v", i, c.at, got, c.want)
		}
	}
}
