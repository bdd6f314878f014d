package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// node is a server run through run() that a test stops itself.
type node struct {
	base   string
	stderr *syncBuffer
	stop   context.CancelFunc
	done   chan error // run's result
}

// startNode runs serve on a fresh port with the given flags (the database
// flags included) and waits until it listens.
func startNode(t *testing.T, flags ...string) *node {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{stderr: &syncBuffer{}, stop: cancel, done: make(chan error, 1)}
	stdout := &syncBuffer{}
	args := append([]string{"eyelevel", "serve", "--turn-listen", "127.0.0.1:0"}, flags...)
	go func() {
		n.done <- run(ctx, args, func(string) string { return "" }, strings.NewReader(""), stdout, n.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-n.done:
		case <-time.After(60 * time.Second):
			t.Error("a node did not stop")
		}
	})
	for deadline := time.Now().Add(60 * time.Second); ; {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			n.base = m[1]
			return n
		}
		select {
		case err := <-n.done:
			t.Fatalf("server stopped: %v\n%s", err, n.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not listening:\n%s", n.stderr)
		}
	}
}

// wait waits for run to return, at most a generous timeout.
func (n *node) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-n.done:
		n.done <- err // for the cleanup
		return err
	case <-time.After(timeout):
		t.Fatalf("run did not return within %v:\n%s", timeout, n.stderr)
		return nil
	}
}

func getStatus(t *testing.T, u, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// halfRequest starts a login request on a connection of its own and sends
// only part of its body: the request is in flight until rest is called.
func halfRequest(t *testing.T, base string) (rest func() (status int, err error)) {
	t.Helper()
	body := `{"username":"nobody-here","password":"not the password"}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := "POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := conn.Write([]byte(head + body[:10])); err != nil {
		t.Fatal(err)
	}
	return func() (int, error) {
		if _, err := conn.Write([]byte(body[10:])); err != nil {
			return 0, err
		}
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
}

// TestRollingStop: on the end of run's context, /readyz answers 503 for
// the drain delay while other requests are still served; then the room's
// WebSocket is closed with 1012 (service restart), a request in flight
// still gets its answer, and run returns nil. The drain delay is far above
// the few requests made during it, so that a loaded machine still makes
// them in time; the test waits for it once (the 1012 ends it).
func TestRollingStop(t *testing.T) {
	n := startNode(t, append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--demo", "--room-open-before", "240h", "--min-lead", "0s",
		"--drain-delay", "15s", "--shutdown-timeout", "40s"}, sharedDB(t)...)...)
	w := bookRoom(t, n.base)
	if st := getStatus(t, n.base+"/readyz", ""); st != 200 {
		t.Fatalf("readyz before the stop: %d", st)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var room roomInfo
	if st := call(t, "GET", n.base+"/api/v1/appointments/"+w.appt+"/room", w.clientTok, nil, &room); st != 200 {
		t.Fatalf("room: %d", st)
	}
	ws, _, err := websocket.Dial(ctx, room.SignalURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + w.clientTok}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	var welcome struct{ Type string }
	if _, b, err := ws.Read(ctx); err != nil || json.Unmarshal(b, &welcome) != nil || welcome.Type != "welcome" {
		t.Fatalf("first signaling message %q: %v", welcome.Type, err)
	}
	closed := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				closed <- err
				return
			}
		}
	}()
	rest := halfRequest(t, n.base)

	n.stop()
	// Draining: not ready, but serving.
	for deadline := time.Now().Add(30 * time.Second); getStatus(t, n.base+"/readyz", "") != 503; {
		if time.Now().After(deadline) {
			t.Fatal("readyz never answered 503 after the stop began")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := getStatus(t, n.base+"/api/v1/me", w.clientTok); st != 200 {
		t.Errorf("an API request while draining: %d, want 200", st)
	}
	select {
	case err := <-closed:
		t.Fatalf("the WebSocket closed while draining: %v", err)
	default:
	}

	// Then the WebSocket is told to reconnect elsewhere.
	select {
	case err := <-closed:
		if got := websocket.CloseStatus(err); got != websocket.StatusServiceRestart {
			t.Errorf("WebSocket closed with %v (%v), want 1012", got, err)
		}
	case <-ctx.Done():
		t.Fatal("the WebSocket was not closed")
	}
	// The request in flight is finished before run returns.
	select {
	case err := <-n.done:
		t.Fatalf("run returned (%v) with a request in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	if st, err := rest(); err != nil || st != http.StatusUnauthorized {
		t.Errorf("the request in flight: %d, %v; want 401", st, err)
	}
	if err := n.wait(t, 30*time.Second); err != nil {
		t.Errorf("run = %v", err)
	}
	log := n.stderr.String()
	for _, want := range []string{"eyelevel is draining", "eyelevel stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "by force") || strings.Contains(log, "database is closed") {
		t.Errorf("the stop was not clean:\n%s", log)
	}
}

// TestStopBounded: a request that never ends does not hold the stop past
// --shutdown-timeout: run closes it by force, logs so, and returns.
func TestStopBounded(t *testing.T) {
	n := startNode(t, append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--drain-delay", "300ms", "--shutdown-timeout", "1s"}, sharedDB(t)...)...)
	halfRequest(t, n.base) // never completed
	n.stop()
	// Well below the server's 30 s read timeout, which would end it too.
	if err := n.wait(t, 15*time.Second); err != nil {
		t.Errorf("run = %v", err)
	}
	if log := n.stderr.String(); !strings.Contains(log, "by force") {
		t.Errorf("log does not say the stop was forced:\n%s", log)
	}
}
