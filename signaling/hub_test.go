package signaling

import (
	"encoding/json"
	"testing"

	"eyelevel"
)

// next returns the type of the next queued message of p, or "" if none.
func next(t *testing.T, p *Peer) Message {
	t.Helper()
	select {
	case b := <-p.out:
		var m Message
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	default:
		return Message{}
	}
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

func TestPeerLeftAndSlowPeerDropped(t *testing.T) {
	h := NewHub(nil)
	client := NewPeer("a1", "c", eyelevel.RoleClient)
	counselor := NewPeer("a1", "k", eyelevel.RoleCounselor)
	h.Join(counselor)
	h.Join(client)
	h.Handle(counselor, []byte(`{"type":"admit"}`))
	for len(client.out) > 0 {
		<-client.out
	}
	for len(counselor.out) > 0 {
		<-counselor.out
	}
	h.Leave(client)
	expect(t, counselor, TypePeerLeft)

	// A peer that never reads is dropped instead of blocking the room.
	h.Join(client)
	for i := 0; i < cap(client.out)+5; i++ {
		h.Handle(counselor, []byte(`{"type":"description","description":{"type":"offer","sdp":"v=0"}}`))
	}
	select {
	case <-client.Done():
	default:
		t.Error("slow peer not dropped")
	}
}
