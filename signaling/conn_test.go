package signaling

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"eyelevel"

	"github.com/coder/websocket"
)

// serveHub serves each request as a new peer of its own room (the web
// layer's checks are tested in web/ and cmd/).
func serveHub(t testing.TB, h *Hub, until time.Time) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		role := eyelevel.Role(r.URL.Query().Get("role"))
		room := eyelevel.AppointmentID(r.URL.Query().Get("room"))
		if room == "" {
			room = eyelevel.AppointmentID(fmt.Sprint(n.Add(1)))
		}
		p := NewPeer(room, eyelevel.UserID(role), role)
		p.Check = func(context.Context) error { return nil } // as the web layer sets one
		h.Serve(r.Context(), c, p, until)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func read(t *testing.T, ctx context.Context, c *websocket.Conn) string {
	t.Helper()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

func TestServeRelaysAndLimits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := serveHub(t, NewHub(nil), time.Now().Add(time.Hour))
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	client, _, err := websocket.Dial(ctx, url+"?room=r&role=client", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseNow()
	if m := read(t, ctx, client); !strings.Contains(m, `"welcome"`) {
		t.Fatalf("first message %s", m)
	}
	read(t, ctx, client) // waiting
	counselor, _, err := websocket.Dial(ctx, url+"?room=r&role=counselor", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer counselor.CloseNow()
	read(t, ctx, counselor) // welcome
	read(t, ctx, counselor) // client-waiting
	counselor.Write(ctx, websocket.MessageText, []byte(`{"type":"admit"}`))
	for _, c := range []*websocket.Conn{client, counselor} {
		for {
			if m := read(t, ctx, c); strings.Contains(m, `"ready"`) {
				break
			}
		}
	}
	counselor.Write(ctx, websocket.MessageText, []byte(`{"type":"description","description":{"type":"offer","sdp":"v=0"}}`))
	if m := read(t, ctx, client); !strings.Contains(m, `"sdp":"v=0"`) {
		t.Fatalf("relayed %s", m)
	}
	// A message over the cap closes the sender's connection.
	big := `{"type":"candidate","candidate":"` + strings.Repeat("x", MaxMessage) + `"}`
	client.Write(ctx, websocket.MessageText, []byte(big))
	if _, _, err := client.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("oversized message: %v, want close 1009", err)
	}
	if m := read(t, ctx, counselor); !strings.Contains(m, `"peer-left"`) {
		t.Errorf("counselor got %s, want peer-left", m)
	}
}

func TestServeClosesWhenRoomCloses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := serveHub(t, NewHub(nil), time.Now().Add(300*time.Millisecond))
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"?role=client", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusGoingAway {
				t.Errorf("close: %v, want 1001 going away", err)
			}
			return
		}
	}
}

// dialRoom connects as role to room r and returns the connection and a
// channel of the types of the messages it receives; the channel closes
// with the connection, after which *status holds the close code.
func dialRoom(t *testing.T, ctx context.Context, url, role string, status *websocket.StatusCode) (*websocket.Conn, <-chan string) {
	t.Helper()
	c, _, err := websocket.Dial(ctx, url+"?room=r&role="+role, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	types := make(chan string, 4096)
	go func() {
		defer close(types)
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				*status = websocket.CloseStatus(err)
				return
			}
			var m Message
			json.Unmarshal(b, &m)
			types <- m.Type
		}
	}()
	return c, types
}

// await reads types until want arrives and fails if the connection closes first.
func await(t *testing.T, types <-chan string, want string) {
	t.Helper()
	for typ := range types {
		if typ == want {
			return
		}
	}
	t.Fatalf("connection closed before %q", want)
}

// TestServeFlooderClosed: a participant that sends thousands of messages
// is closed with 1008; the other stays connected, learns that its peer
// left, and goes on with the flooder's next connection both ways.
func TestServeFlooderClosed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := New(Config{Burst: 50, PerSecond: 1})
	srv := serveHub(t, h, time.Now().Add(time.Hour))
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	var clientStatus, floodStatus, counselorStatus websocket.StatusCode
	client, clientGot := dialRoom(t, ctx, url, "client", &clientStatus)
	await(t, clientGot, TypeWaiting)
	flooder, flooderGot := dialRoom(t, ctx, url, "counselor", &floodStatus)
	await(t, flooderGot, TypeClientWaiting)
	flooder.Write(ctx, websocket.MessageText, []byte(`{"type":"admit"}`))
	await(t, clientGot, TypeReady)
	cand := []byte(`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`)
	for i := 0; i < 5000; i++ {
		if flooder.Write(ctx, websocket.MessageText, cand) != nil {
			break
		}
	}
	for range flooderGot {
	}
	if floodStatus != websocket.StatusPolicyViolation {
		t.Errorf("flooder closed with %d, want 1008", floodStatus)
	}
	await(t, clientGot, TypePeerLeft)

	counselor, counselorGot := dialRoom(t, ctx, url, "counselor", &counselorStatus)
	await(t, counselorGot, TypeReady)
	await(t, clientGot, TypeReady)
	counselor.Write(ctx, websocket.MessageText, []byte(`{"type":"description","description":{"type":"offer","sdp":"v=0"}}`))
	await(t, clientGot, TypeDescription)
	client.Write(ctx, websocket.MessageText, cand)
	await(t, counselorGot, TypeCandidate) // the client's own messages still go through
}

// TestServeRevoked: a connection whose Check reports the session revoked
// is closed with 4401 once the hub is asked to recheck the user.
func TestServeRevoked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := New(Config{Recheck: time.Hour})
	var revoked atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		p := NewPeer("r", "u", eyelevel.RoleClient)
		p.Check = func(context.Context) error {
			if revoked.Load() {
				return ErrRevoked
			}
			return errors.New("database unavailable") // keeps the connection
		}
		h.Serve(r.Context(), c, p, time.Now().Add(time.Hour))
	}))
	defer srv.Close()
	var status websocket.StatusCode
	_, got := dialRoom(t, ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), "client", &status)
	await(t, got, TypeWaiting)
	h.Recheck("u") // the check fails for another reason: nothing happens
	h.Recheck("other")
	revoked.Store(true)
	h.Recheck("u")
	for range got {
	}
	if status != StatusRevoked {
		t.Errorf("closed with %d, want %d", status, StatusRevoked)
	}
}

// TestCloseEndsConnections: Close closes the connections with 1012 and
// returns once their leave events are written.
func TestCloseEndsConnections(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var events atomic.Int64
	h := NewHub(func(eyelevel.AppointmentID, eyelevel.UserID, string) { events.Add(1) })
	srv := serveHub(t, h, time.Now().Add(time.Hour))
	var status websocket.StatusCode
	_, got := dialRoom(t, ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), "client", &status)
	await(t, got, TypeWaiting)
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := events.Load(); n != 2 {
		t.Errorf("%d events written, want joined and left", n)
	}
	for range got {
	}
	if status != websocket.StatusServiceRestart {
		t.Errorf("closed with %d, want 1012 service restart", status)
	}
}

// BenchmarkIdleConnectionMemory opens 1,000 idle signaling connections and
// reports the server's memory per connection (heap and goroutine stacks).
// The clients are bare TCP sockets that did the handshake by hand, so that
// client-side buffers do not count. Run:
// go test ./signaling -run '^$' -bench IdleConnectionMemory -benchtime 1x
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const n = 1000
	h := NewHub(nil)
	srv := serveHub(b, h, time.Now().Add(time.Hour))
	addr := strings.TrimPrefix(srv.URL, "http://")
	for i := 0; i < b.N; i++ {
		before := memInUse()
		conns := make([]net.Conn, 0, n)
		for j := 0; j < n; j++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(c, "GET /?role=client HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
			br := bufio.NewReader(c)
			if line, _ := br.ReadString('\n'); !strings.Contains(line, "101") {
				b.Fatalf("handshake: %q", line)
			}
			conns = append(conns, c)
		}
		// Wait until every connection is registered in the hub.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			h.mu.Lock()
			k := len(h.rooms)
			h.mu.Unlock()
			if k == n {
				break
			}
		}
		after := memInUse()
		b.ReportMetric(float64(after-before)/n/1024, "KiB/conn")
		for _, c := range conns {
			c.Close()
		}
	}
}

func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
