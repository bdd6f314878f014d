package signaling

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"eyelevel"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
)

// TestNATSEnv names the NATS server of the cluster tests (default the
// machine's, nats://127.0.0.1:4222).
const TestNATSEnv = "EYELEVEL_TEST_NATS"

// testNATS connects to the test NATS server; without one the test skips,
// or fails in CI (CI=true).
func testNATS(tb testing.TB) *nats.Conn {
	tb.Helper()
	url := os.Getenv(TestNATSEnv)
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second))
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("no NATS at %s (%v); the cluster tests may be skipped only outside CI", url, err)
		}
		tb.Skipf("no NATS at %s (%v): set %s", url, err, TestNATSEnv)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// testSubject is a subject prefix of one test's own, so tests running at
// once on one NATS do not hear each other.
func testSubject() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "eyelevel-test." + hex.EncodeToString(b)
}

// node starts a hub on its own NATS connection, as a node would.
func node(tb testing.TB, name, subject string) *Hub {
	tb.Helper()
	bus := NewNATSBus(testNATS(tb))
	h := New(Config{Bus: bus, Node: name, Subject: subject, GatherTimeout: 500 * time.Millisecond})
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.mu.Lock()
		var peers []*Peer
		for _, r := range h.rooms {
			for _, p := range []*Peer{r.client, r.counselor} {
				if p != nil {
					peers = append(peers, p)
				}
			}
		}
		h.mu.Unlock()
		for _, p := range peers {
			h.Leave(p) // as Serve would
		}
		h.Close(ctx)
		bus.Close()
	})
	return h
}

// await returns p's next message, waiting for it to come from another node.
func awaitMsg(t testing.TB, p *Peer) Message {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if q, ok := p.next(); ok {
			var m Message
			if err := json.Unmarshal(q.b, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		select {
		case <-p.ready:
		case <-deadline:
			t.Fatalf("%s: no message came", p.Role)
		}
	}
}

func awaitTypes(t testing.TB, p *Peer, types ...string) {
	t.Helper()
	for _, want := range types {
		if got := awaitMsg(t, p); got.Type != want {
			t.Fatalf("%s got %q, want %q", p.Role, got.Type, want)
		}
	}
}

func awaitDropped(t *testing.T, p *Peer) (websocket.StatusCode, string) {
	t.Helper()
	select {
	case <-p.Done():
		return p.closeStatus()
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was not dropped", p.Role)
		return 0, ""
	}
}

// crossAdmitted puts the client on a and the counselor on b, admitted.
func crossAdmitted(t testing.TB, a, b *Hub, room eyelevel.AppointmentID) (client, counselor *Peer) {
	t.Helper()
	client = NewPeer(room, "c", eyelevel.RoleClient)
	counselor = NewPeer(room, "k", eyelevel.RoleCounselor)
	a.Join(client)
	awaitTypes(t, client, TypeWelcome, TypeWaiting)
	b.Join(counselor)
	if m := awaitMsg(t, counselor); m.Type != TypeWelcome || !m.PeerPresent || m.Admitted {
		t.Fatalf("counselor welcome %+v: the client on the other node is not seen", m)
	}
	awaitTypes(t, counselor, TypeClientWaiting)
	if m := awaitMsg(t, client); m.Type != TypeWaiting || !m.PeerPresent {
		t.Fatalf("client got %+v, want waiting with the counselor present", m)
	}
	if e := b.Handle(counselor, []byte(`{"type":"admit"}`)); e != nil {
		t.Fatalf("admit across nodes: %+v", e)
	}
	awaitTypes(t, counselor, TypeReady)
	awaitTypes(t, client, TypeReady)
	return client, counselor
}

func TestClusterAdmitRelay(t *testing.T) {
	s := testSubject()
	a, b := node(t, "A", s), node(t, "B", s)
	client, counselor := crossAdmitted(t, a, b, "r1")

	// Offer and answer cross, rebuilt from known fields only.
	if e := b.Handle(counselor, []byte(`{"type":"description","description":{"type":"offer","sdp":"v=0 offer"},"role":"admin","code":"x"}`)); e != nil {
		t.Fatal(e)
	}
	if m := awaitMsg(t, client); m.Type != TypeDescription || m.Description.Type != "offer" || m.Description.SDP != "v=0 offer" || m.Role != "" || m.Code != "" {
		t.Errorf("client got %+v", m)
	}
	if e := a.Handle(client, []byte(`{"type":"description","description":{"type":"answer","sdp":"v=0 answer"}}`)); e != nil {
		t.Fatal(e)
	}
	if m := awaitMsg(t, counselor); m.Type != TypeDescription || m.Description.Type != "answer" {
		t.Errorf("counselor got %+v", m)
	}
	if e := a.Handle(client, []byte(`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"evil":1}}`)); e != nil {
		t.Fatal(e)
	}
	if m := awaitMsg(t, counselor); m.Type != TypeCandidate || strings.Contains(string(m.Candidate), "evil") {
		t.Errorf("counselor got %+v", m)
	}

	// A node that is not ours, or a broken one, gets nothing else across:
	// unknown fields and types are dropped by the receiving node too.
	nc := testNATS(t)
	for _, raw := range []string{
		`{"n":"X","k":"relay","r":"r1","o":"counselor","m":{"type":"description","description":{"type":"offer","sdp":"v=0 forged"},"code":"evil","role":"admin"}}`,
		`{"n":"X","k":"relay","r":"r1","o":"counselor","m":{"type":"chat","message":"hi"}}`,
		`{"n":"X","k":"relay","r":"r1","o":"admin","m":{"type":"description","description":{"type":"offer","sdp":"v=0"}}}`,
		`{"n":"X","k":"relay","r":"r1","o":"counselor","m":{"type":"description","description":{"type":"offer","sdp":"` + strings.Repeat("x", MaxBusMessage) + `"}}}`,
		`not json`,
	} {
		nc.Publish(a.roomSubject("r1", "ev"), []byte(raw))
	}
	nc.Flush()
	if m := awaitMsg(t, client); m.Type != TypeDescription || m.Description.SDP != "v=0 forged" || m.Code != "" || m.Role != "" {
		t.Errorf("client got %+v", m)
	}
	// The rest was dropped: the next message is what the counselor sends now.
	b.Handle(counselor, []byte(`{"type":"end"}`))
	awaitTypes(t, counselor, TypeEnded)
	awaitTypes(t, client, TypeEnded)
	if e := a.Handle(client, []byte(`{"type":"description","description":{"type":"answer","sdp":"v=0"}}`)); e == nil || e.Code != "conflict" {
		t.Errorf("relay after the end: %+v", e)
	}
}

func TestClusterReplacedAcrossNodes(t *testing.T) {
	s := testSubject()
	a, b, c := node(t, "A", s), node(t, "B", s), node(t, "C", s)
	client, counselor := crossAdmitted(t, a, b, "r2")

	// The client reloads and lands on node C: the old connection on A is
	// replaced, and the room resumes without a new admission.
	client2 := NewPeer("r2", "c", eyelevel.RoleClient)
	c.Join(client2)
	awaitTypes(t, client, TypeReplaced)
	if st, _ := awaitDropped(t, client); st != websocket.StatusNormalClosure {
		t.Errorf("replaced closes with %d", st)
	}
	if m := awaitMsg(t, client2); m.Type != TypeWelcome || !m.Admitted || !m.PeerPresent {
		t.Fatalf("client2 welcome %+v", m)
	}
	awaitTypes(t, client2, TypeReady)
	awaitTypes(t, counselor, TypeReady)
	a.Leave(client) // the replaced connection's leave tells nobody
	if e := b.Handle(counselor, []byte(`{"type":"description","description":{"type":"offer","sdp":"v=0 again"}}`)); e != nil {
		t.Fatal(e)
	}
	if m := awaitMsg(t, client2); m.Type != TypeDescription || m.Description.SDP != "v=0 again" {
		t.Errorf("client2 got %+v", m)
	}
	if m, ok := counselor.next(); ok {
		t.Errorf("counselor got %s after the replaced connection left", m.b)
	}
	if len(a.rooms) != 0 {
		t.Errorf("node A keeps the room after its connection was replaced")
	}

	// Same node, other side: a second counselor connection on A replaces the one on B.
	counselor2 := NewPeer("r2", "k", eyelevel.RoleCounselor)
	a.Join(counselor2)
	awaitTypes(t, counselor, TypeReplaced)
	awaitDropped(t, counselor)
	b.Leave(counselor)
	awaitTypes(t, counselor2, TypeWelcome, TypeReady)
	awaitTypes(t, client2, TypeReady)
}

// TestClusterNodeStops is the rolling restart: the client's node stops,
// the counselor hears peer-left, the client comes back on another node
// and is still admitted.
func TestClusterNodeStops(t *testing.T) {
	s := testSubject()
	a, b := node(t, "A", s), node(t, "B", s)
	client, counselor := crossAdmitted(t, a, b, "r3")
	go func() {
		<-client.Done()
		a.Leave(client) // what Serve does once its connection is dropped
	}()
	if err := a.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st, _ := client.closeStatus(); st != websocket.StatusServiceRestart {
		t.Errorf("node stop closes with %d, want 1012", st)
	}
	awaitTypes(t, counselor, TypePeerLeft)

	for _, n := range []*Hub{b, node(t, "C", s)} { // the counselor's node, then a third one
		back := NewPeer("r3", "c", eyelevel.RoleClient)
		n.Join(back)
		if m := awaitMsg(t, back); m.Type != TypeWelcome || !m.Admitted || !m.PeerPresent {
			t.Fatalf("client back on node %s: %+v", n.cfg.Node, m)
		}
		awaitTypes(t, back, TypeReady)
		awaitTypes(t, counselor, TypeReady)
		n.Leave(back)
		awaitTypes(t, counselor, TypePeerLeft)
	}
}

func TestClusterRecheck(t *testing.T) {
	s := testSubject()
	a, b := node(t, "A", s), node(t, "B", s)
	client, _ := crossAdmitted(t, a, b, "r4")
	b.Recheck("c") // the client logged out through node B
	select {
	case <-client.poke:
	case <-time.After(10 * time.Second):
		t.Fatal("the client's connection on node A was not told to check its session")
	}
}

func TestClusterWaiting(t *testing.T) {
	s := testSubject()
	a, b := node(t, "A", s), node(t, "B", s)
	client := NewPeer("r5", "c", eyelevel.RoleClient)
	a.Join(client)
	awaitTypes(t, client, TypeWelcome, TypeWaiting)
	// The counselor's dashboard is served by node B, where nobody is in the room.
	if got := b.Waiting([]eyelevel.AppointmentID{"r5", "r6"}); !got["r5"] || got["r6"] {
		t.Errorf("waiting on node B = %v, want r5 only", got)
	}
	counselor := NewPeer("r5", "k", eyelevel.RoleCounselor)
	b.Join(counselor)
	awaitTypes(t, counselor, TypeWelcome, TypeClientWaiting)
	if got := b.Waiting([]eyelevel.AppointmentID{"r5"}); !got["r5"] {
		t.Errorf("waiting on node B with the counselor in = %v", got)
	}
	b.Handle(counselor, []byte(`{"type":"admit"}`))
	awaitTypes(t, client, TypeWaiting, TypeReady)
	for _, h := range []*Hub{a, b} {
		if got := h.Waiting([]eyelevel.AppointmentID{"r5"}); got["r5"] {
			t.Errorf("node %s shows the admitted client as waiting", h.cfg.Node)
		}
	}
}

// TestClusterFloodBounded: a counselor on A relaying faster than the
// client on B reads is cut off by its own node; B queues at most
// RelayQueue for the client.
func TestClusterFloodBounded(t *testing.T) {
	s := testSubject()
	a, b := node(t, "A", s), node(t, "B", s)
	client, counselor := crossAdmitted(t, b, a, "r7")
	cand := []byte(`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`)
	for range 3 * RelayQueue {
		if isDropped(counselor) {
			break
		}
		a.Handle(counselor, cand)
	}
	if st, _ := awaitDropped(t, counselor); st != websocket.StatusPolicyViolation {
		t.Errorf("the flooding counselor closes with %d, want 1008", st)
	}
	if isDropped(client) {
		t.Error("the client that did not keep up was cut off")
	}
	client.qmu.Lock()
	n := client.relayed
	client.qmu.Unlock()
	if n > RelayQueue {
		t.Errorf("node B queued %d relayed messages, more than %d", n, RelayQueue)
	}
}

// TestBusDecode: what a node accepts from the bus is bounded and from
// another node.
func TestBusDecode(t *testing.T) {
	h := New(Config{Node: "A"})
	ids := make([]string, maxWaitingIDs+1)
	for i := range ids {
		ids[i] = `"x"`
	}
	for _, c := range []struct {
		raw string
		ok  bool
	}{
		{`{"n":"B","k":"join","r":"r1","o":"client"}`, true},
		{`{"n":"A","k":"join","r":"r1","o":"client"}`, false}, // its own
		{`{"k":"join","r":"r1","o":"client"}`, false},         // from nowhere
		{`{"n":"B","k":"join","r":"r1","o":"admin"}`, false},
		{`{"n":"B","k":"waiting","ids":[` + strings.Join(ids, ",") + `]}`, false},
		{`{"n":"B","k":"recheck","u":"` + strings.Repeat("u", 200) + `"}`, false},
		{`{"n":"B","k":"relay","r":"r1","o":"client","m":{"type":"candidate","candidate":"` + strings.Repeat("x", MaxBusMessage) + `"}}`, false},
		{`[1,2]`, false},
	} {
		if _, ok := h.decode([]byte(c.raw)); ok != c.ok {
			t.Errorf("decode(%.60s…) = %v, want %v", c.raw, ok, c.ok)
		}
	}
}
