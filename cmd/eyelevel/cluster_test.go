package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"eyelevel/store"
	"eyelevel/store/storetest"

	"github.com/coder/websocket"
)

// testNATSURL is the NATS server of the multi-node tests (EYELEVEL_TEST_NATS,
// default the machine's 127.0.0.1:4222). Without one the test skips, or
// fails in CI.
func testNATSURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("EYELEVEL_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "nats://"), 2*time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("no NATS at %s (%v); the multi-node tests may be skipped only outside CI", url, err)
		}
		tb.Skipf("no NATS at %s (%v): set EYELEVEL_TEST_NATS", url, err)
	}
	c.Close()
	return url
}

// clusterNode is one `eyelevel serve` of several on one PostgreSQL and NATS.
type clusterNode struct {
	base   string
	stop   context.CancelFunc // what SIGTERM does
	done   chan error
	stderr *syncBuffer
}

// startNode runs a node through run() and waits until /healthz answers.
func startClusterNode(t testing.TB, args ...string) *clusterNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n := &clusterNode{stop: cancel, done: make(chan error, 1), stderr: &syncBuffer{}}
	stdout := &syncBuffer{}
	args = append([]string{"eyelevel", "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--turn-listen", "127.0.0.1:0", "--drain-delay", "0s"}, args...)
	go func() {
		n.done <- run(ctx, args, func(string) string { return "" }, strings.NewReader(""), stdout, n.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-n.done; err != nil {
			t.Errorf("run: %v", err)
		}
		n.done <- nil // for a second cleanup wait
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			if res, err := http.Get(m[1] + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					n.base = m[1]
					return n
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("node not ready in time:\n%s", n.stderr.String())
	return nil
}

// TestTwoNodesCallSurvivesNodeStop: the client signals through node A, the
// counselor through node B (one PostgreSQL, one NATS); their pion peers
// complete the offer/answer across the nodes, and media flows. Node A
// stops mid-call (its run context cancelled, as on SIGTERM); the client's
// signaling reconnects to node B, still admitted, the peers renegotiate,
// and their media never stops.
func TestTwoNodesCallSurvivesNodeStop(t *testing.T) {
	if storetest.Suite() != store.Postgres {
		t.Skip("two nodes need PostgreSQL (SQLite is one node's database); this test runs in the suite's PostgreSQL pass")
	}
	natsURL := testNATSURL(t)
	dsn, _ := storetest.Location(t, store.Postgres)
	secret := make([]byte, 32)
	rand.Read(secret)
	shared := []string{"--db", dsn, "--nats", natsURL, "--turn-secret", hex.EncodeToString(secret),
		"--master-key-file", filepath.Join(t.TempDir(), "master.key"),
		"--demo", "--room-open-before", "240h", "--min-lead", "0s", "--drain-delay", "100ms"}
	a := startClusterNode(t, shared...) // creates the master key and the demo data
	b := startClusterNode(t, shared...)
	w := bookRoom(t, a.base)
	wb := *w
	wb.base = b.base

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	client := joinRoom(ctx, t, w, w.clientTok, "client", false)
	counselor := joinRoom(ctx, t, &wb, w.counselorTok, "counselor", false)
	client.addTracks(ctx)
	counselor.addTracks(ctx)
	clientRun := make(chan struct{})
	go func() { defer close(clientRun); client.run(ctx) }()
	go counselor.run(ctx)
	for _, p := range []*pionPeer{client, counselor} {
		select {
		case <-p.connected:
		case <-ctx.Done():
			t.Fatalf("%s: ICE did not connect across the nodes:\nA:\n%s\nB:\n%s", p.role, a.stderr, b.stderr)
		}
	}
	if client.descs.Load() == 0 || counselor.descs.Load() == 0 {
		t.Fatal("connected without an offer and an answer crossing the nodes")
	}
	// total is the packets received on the track that received fewest.
	total := func() int64 {
		return min(client.got["audio"].Load(), client.got["video"].Load(), counselor.got["audio"].Load(), counselor.got["video"].Load())
	}
	// waitMedia waits until every track of both has received more than n packets.
	waitMedia := func(what string, n int64) int64 {
		t.Helper()
		for total() <= n {
			select {
			case <-ctx.Done():
				t.Fatalf("%s: media stopped at %d packets (client audio %d video %d, counselor audio %d video %d)", what, total(),
					client.got["audio"].Load(), client.got["video"].Load(), counselor.got["audio"].Load(), counselor.got["video"].Load())
			case <-time.After(20 * time.Millisecond):
			}
		}
		return total()
	}
	before := waitMedia("before the stop", 20)

	// Node A stops: the client's signaling closes, its media goes on.
	a.stop()
	<-clientRun
	if err := <-a.done; err != nil {
		t.Fatalf("node A: %v", err)
	}
	a.done <- nil
	during := waitMedia("while node A stopped", before+20)

	// The client reconnects to node B, as the browser does after 1012.
	descs := [2]int64{client.descs.Load(), counselor.descs.Load()}
	var room roomInfo
	if st := call(t, "GET", b.base+"/api/v1/appointments/"+w.appt+"/room", w.clientTok, nil, &room); st != 200 {
		t.Fatalf("room on node B: %d", st)
	}
	ws, _, err := websocket.Dial(ctx, room.SignalURL, &websocket.DialOptions{HTTPHeader: map[string][]string{"Authorization": {"Bearer " + w.clientTok}}})
	if err != nil {
		t.Fatalf("client reconnect to node B: %v", err)
	}
	t.Cleanup(func() { ws.Close(websocket.StatusNormalClosure, "") })
	// Node B knows from the counselor's side that the client was admitted.
	_, first, err := ws.Read(ctx)
	var welcome struct {
		Type string
		A    bool `json:"admitted"`
		P    bool `json:"peer_present"`
	}
	if err != nil || json.Unmarshal(first, &welcome) != nil || welcome.Type != "welcome" || !welcome.A || !welcome.P {
		t.Fatalf("client back on node B: %s (%v); want welcome, admitted, the counselor present", first, err)
	}
	client.wmu.Lock()
	client.ws = ws
	client.wmu.Unlock()
	go client.run(ctx)
	// Still admitted: the counselor's node says ready, the counselor
	// offers again, the client answers, over node B alone.
	for client.descs.Load() == descs[0] || counselor.descs.Load() == descs[1] {
		select {
		case <-ctx.Done():
			t.Fatalf("no renegotiation through node B after the reconnect:\nB:\n%s", b.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	after := waitMedia("after the reconnect", during+20)
	t.Logf("packets received (fewest of the four tracks): %d before node A stopped, %d while it stopped, %d after the reconnect", before, during, after)
}

// BenchmarkCallSetupAcrossNodes measures, for sequential pion-to-pion
// calls with the client on node A and the counselor on node B (one
// PostgreSQL, one NATS, loopback), the time from both joining the room to
// ICE connected. It runs in the PostgreSQL pass of the suite:
//
//	EYELEVEL_TEST_POSTGRES=postgres://… go test ./cmd/eyelevel -run '^$' -bench CallSetupAcrossNodes -benchtime 30x
func BenchmarkCallSetupAcrossNodes(b *testing.B) {
	if storetest.Suite() != store.Postgres {
		b.Skip("two nodes need PostgreSQL")
	}
	natsURL := testNATSURL(b)
	dsn, _ := storetest.Location(b, store.Postgres)
	shared := []string{"--db", dsn, "--nats", natsURL, "--turn-secret", "bench-secret-bench-secret-bench-secret",
		"--master-key-file", filepath.Join(b.TempDir(), "master.key"), "--demo", "--room-open-before", "240h", "--min-lead", "0s"}
	a := startClusterNode(b, shared...)
	nb := startClusterNode(b, shared...)
	w := bookRoom(b, a.base)
	wb := *w
	wb.base = nb.base
	var setups []time.Duration
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		client := joinRoom(ctx, b, w, w.clientTok, "client", false)
		counselor := joinRoom(ctx, b, &wb, w.counselorTok, "counselor", false)
		client.addTracks(ctx)
		counselor.addTracks(ctx)
		start := time.Now()
		go client.run(ctx)
		go counselor.run(ctx)
		for _, p := range []*pionPeer{client, counselor} {
			select {
			case <-p.connected:
			case <-ctx.Done():
				b.Fatalf("%s: ICE did not connect", p.role)
			}
		}
		setups = append(setups, time.Since(start))
		cancel()
		client.pc.Close()
		counselor.pc.Close()
		client.ws.Close(websocket.StatusNormalClosure, "")
		counselor.ws.Close(websocket.StatusNormalClosure, "")
	}
	slices.Sort(setups)
	b.ReportMetric(float64(setups[len(setups)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(setups[len(setups)*99/100].Microseconds())/1000, "p99-ms")
}
