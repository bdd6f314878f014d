package signaling

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"eyelevel"

	"github.com/coder/websocket"
)

// idleClientsEnv makes the test binary the client process of
// BenchmarkIdleConnections (see TestIdleClients).
const idleClientsEnv = "EYELEVEL_IDLE_CLIENTS"

// BenchmarkIdleConnections holds 10,000 idle signaling connections, each
// in a room of its own, and reports the server's memory per connection
// (heap and goroutine stacks, after GC) and the CPU time the server spends
// on them while idle — their pings and session rechecks — in CPU seconds
// per minute (getrusage). The clients run in a child process (this test
// binary again), so that neither their memory nor their CPU counts. Run:
//
//	go test ./signaling -run '^$' -bench IdleConnections -benchtime 1x -count 3
//
// EYELEVEL_IDLE_N and EYELEVEL_IDLE_WINDOW (a duration, default 60s) change
// the number of connections and how long the CPU is measured.
func BenchmarkIdleConnections(b *testing.B) {
	n := 10000
	if s := os.Getenv("EYELEVEL_IDLE_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	window := time.Minute
	if s := os.Getenv("EYELEVEL_IDLE_WINDOW"); s != "" {
		window, _ = time.ParseDuration(s)
	}
	raiseFileLimit(b, uint64(n)+1000)
	h := NewHub(nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var rooms sync.WaitGroup
	var next int64
	var mu sync.Mutex
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		next++
		room := eyelevel.AppointmentID(strconv.FormatInt(next, 10))
		mu.Unlock()
		p := NewPeer(room, "u"+eyelevel.UserID(room), eyelevel.RoleClient)
		p.Check = func(context.Context) error { return nil } // as the web layer sets one
		rooms.Add(1)
		defer rooms.Done()
		h.Serve(r.Context(), c, p, time.Now().Add(time.Hour))
	})}
	go srv.Serve(ln)
	defer srv.Close()

	for i := 0; i < b.N; i++ {
		before := heapAndStacks()
		cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClients$", "-test.v")
		cmd.Env = append(os.Environ(), idleClientsEnv+"="+ln.Addr().String()+","+strconv.Itoa(n))
		stdin, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		// The child says "connected" once every handshake is done.
		sc := bufio.NewScanner(out)
		for sc.Scan() && !strings.Contains(sc.Text(), "connected") {
		}
		go io.Copy(io.Discard, out)
		deadline := time.Now().Add(2 * time.Minute)
		for h.Stats().Connections < n {
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d connections joined", h.Stats().Connections, n)
			}
			time.Sleep(50 * time.Millisecond)
		}
		after := heapAndStacks()
		b.ReportMetric(float64(after-before)/float64(n)/1024, "KiB/conn")

		cpu0 := cpuTime()
		time.Sleep(window)
		cpu := cpuTime() - cpu0
		if got := h.Stats().Connections; got != n {
			b.Errorf("%d of %d connections left while idle (pings unanswered?)", n-got, n)
		}
		b.ReportMetric(cpu.Seconds()*float64(time.Minute)/float64(window), "cpu-s/min")
		b.ReportMetric(cpu.Seconds()*float64(time.Minute)/float64(window)/float64(n)*1e6, "cpu-µs/conn/min")

		stdin.Close() // the child closes its connections and exits
		cmd.Wait()
		rooms.Wait()
	}
}

// TestIdleClients is the client process of BenchmarkIdleConnections: it
// opens the connections, answers the server's pings, and ends when its
// standard input closes. Otherwise it is skipped.
func TestIdleClients(t *testing.T) {
	spec := os.Getenv(idleClientsEnv)
	if spec == "" {
		t.Skip("only run by BenchmarkIdleConnections")
	}
	addr, count, _ := strings.Cut(spec, ",")
	n, _ := strconv.Atoi(count)
	raiseFileLimit(t, uint64(n)+1000)
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
		br := bufio.NewReaderSize(c, 512)
		res, err := http.ReadResponse(br, nil)
		if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake: %v %v", res, err)
		}
		conns = append(conns, c)
		go pong(c, br)
	}
	fmt.Println("connected")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

// pong answers pings on c until it closes; other frames are skipped.
func pong(c net.Conn, br *bufio.Reader) {
	var hdr [2]byte
	payload := make([]byte, 125)
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return
		}
		size := uint64(hdr[1] & 0x7f)
		switch size {
		case 126:
			var ext [2]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return
			}
			size = uint64(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return
			}
			size = binary.BigEndian.Uint64(ext[:])
		}
		if hdr[0]&0x0f != 0x9 || size > 125 { // not a ping: skip it
			if _, err := io.CopyN(io.Discard, br, int64(size)); err != nil {
				return
			}
			continue
		}
		p := payload[:size]
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		// A client's frames are masked; a zero mask leaves the payload as is.
		frame := append([]byte{0x8a, 0x80 | byte(size), 0, 0, 0, 0}, p...)
		if _, err := c.Write(frame); err != nil {
			return
		}
	}
}

// raiseFileLimit lifts the open-file limit to at least n (as root, past
// the hard limit too).
func raiseFileLimit(tb testing.TB, n uint64) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		tb.Fatal(err)
	}
	if l.Cur >= n {
		return
	}
	l.Cur = n
	if l.Max < n {
		l.Max = n
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		tb.Skipf("open-file limit: %v (needs %d)", err, n)
	}
}

// cpuTime is the CPU time (user and system) this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapAndStacks is the memory in use after collecting garbage.
func heapAndStacks() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
