package turnserver

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// clientFrom returns a UDP client of s whose packets come from ip.
func clientFrom(tb testing.TB, s *Server, ip, username, password string) *turn.Client {
	tb.Helper()
	conn, err := net.ListenPacket("udp4", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Fatal(err)
	}
	return mustClient(tb, s.UDPAddr(), conn, username, password)
}

// allocateFrom allocates for userID from ip. It returns the relay, or nil
// and the error.
func allocateFrom(tb testing.TB, s *Server, ip, userID string) (net.PacketConn, error) {
	tb.Helper()
	username, password := Credentials([]byte(testSecret), userID, time.Now().Add(time.Hour))
	relay, err := clientFrom(tb, s, ip, username, password).Allocate()
	if err == nil {
		tb.Cleanup(func() { relay.Close() })
	}
	return relay, err
}

func mustAllocateFrom(tb testing.TB, s *Server, ip, userID string) net.PacketConn {
	tb.Helper()
	relay, err := allocateFrom(tb, s, ip, userID)
	if err != nil {
		tb.Fatalf("Allocate for %s from %s: %v", userID, ip, err)
	}
	return relay
}

func mustRefuse(tb testing.TB, s *Server, ip, userID string) {
	tb.Helper()
	if relay, err := allocateFrom(tb, s, ip, userID); err == nil {
		tb.Fatalf("Allocate for %s from %s succeeded (%v), want 486", userID, ip, relay.LocalAddr())
	} else if !strings.Contains(err.Error(), "486") {
		tb.Fatalf("Allocate for %s from %s: %v, want 486 Allocation Quota Reached", userID, ip, err)
	}
}

// One socket, so the server reads a closing client's Refresh before the
// next client's Allocate (pion's Close does not wait for the answer).

func TestUserQuota(t *testing.T) {
	s, logs := MustStart(t, Config{UserQuota: 3, AddrQuota: -1, Sockets: 1})
	var relays []net.PacketConn
	for range 3 {
		relays = append(relays, mustAllocateFrom(t, s, "127.0.0.1", "mallory"))
	}
	mustRefuse(t, s, "127.0.0.1", "mallory")
	mustRefuse(t, s, "127.0.0.2", "mallory") // from another address too
	if !strings.Contains(logs.String(), `"quota":"user","user":"mallory"`) {
		t.Errorf("refusal not logged:\n%s", logs)
	}
	// Others are not held up by mallory.
	mustAllocateFrom(t, s, "127.0.0.1", "bob")
	// A user who hangs up can call again.
	relays[0].Close()
	mustAllocateFrom(t, s, "127.0.0.1", "mallory")
	mustRefuse(t, s, "127.0.0.1", "mallory")
	if user, _ := s.quota.counts("mallory", netip.Addr{}); user != 3 {
		t.Errorf("mallory holds %d slots, want 3", user)
	}
}

func TestAddrQuota(t *testing.T) {
	s, logs := MustStart(t, Config{UserQuota: -1, AddrQuota: 3, Sockets: 1})
	var relays []net.PacketConn
	for _, user := range []string{"u1", "u2", "u3"} {
		relays = append(relays, mustAllocateFrom(t, s, "127.0.0.1", user))
	}
	mustRefuse(t, s, "127.0.0.1", "u4")
	if !strings.Contains(logs.String(), `"quota":"address","user":"u4"`) {
		t.Errorf("refusal not logged:\n%s", logs)
	}
	mustAllocateFrom(t, s, "127.0.0.2", "u4")
	relays[1].Close()
	mustAllocateFrom(t, s, "127.0.0.1", "u5")
	mustRefuse(t, s, "127.0.0.1", "u6")
}

// TestQuotaDefaults: without configuration, one credential asking 200
// times holds DefaultUserQuota allocations, and one address with a new
// user each time DefaultAddrQuota.
func TestQuotaDefaults(t *testing.T) {
	s, _ := MustStart(t, Config{Sockets: 1})
	held := func(userID func(int) string) (n int) {
		for i := range 200 {
			if _, err := allocateFrom(t, s, "127.0.0.1", userID(i)); err == nil {
				n++
			}
		}
		return n
	}
	one := held(func(int) string { return "mallory" })
	t.Logf("one credential holds %d of 200 allocations", one)
	if one != DefaultUserQuota {
		t.Errorf("one credential holds %d allocations, want %d", one, DefaultUserQuota)
	}
	many := one + held(func(i int) string { return fmt.Sprint("u", i) })
	t.Logf("one address holds %d allocations", many)
	if many != DefaultAddrQuota {
		t.Errorf("one address holds %d allocations, want %d", many, DefaultAddrQuota)
	}
}

// TestQuotaFlood allocates with one credential from many clients at once,
// over UDP on four sockets and over TCP: never more than the quota.
func TestQuotaFlood(t *testing.T) {
	const quota, clients = 4, 48
	s, _ := MustStart(t, Config{UserQuota: quota, AddrQuota: -1, Sockets: 4})
	username, password := Credentials([]byte(testSecret), "mallory", time.Now().Add(time.Hour))
	var cs []*turn.Client
	for i := range clients {
		if i%4 == 3 {
			conn, err := net.Dial("tcp", s.TCPAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, mustClient(t, conn.RemoteAddr(), turn.NewSTUNConn(conn), username, password))
		} else {
			cs = append(cs, mustUDPClient(t, s, username, password))
		}
	}
	var (
		mu      sync.Mutex
		held    int
		other   []error
		start   = make(chan struct{})
		allDone sync.WaitGroup
	)
	for _, c := range cs {
		allDone.Go(func() {
			<-start
			relay, err := c.Allocate()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				held++
				t.Cleanup(func() { relay.Close() })
			case !strings.Contains(err.Error(), "486"):
				other = append(other, err)
			}
		})
	}
	close(start)
	allDone.Wait()
	if held != quota || len(other) > 0 {
		t.Errorf("%d of %d concurrent allocations succeeded, want %d; other errors: %v", held, clients, quota, other)
	}
	if user, _ := s.quota.counts("mallory", netip.Addr{}); user != quota {
		t.Errorf("mallory holds %d slots, want %d", user, quota)
	}
}

// TestQuotaPending covers what real clients cannot time: an Allocate that
// passed the check but was never created gives its slot back.
func TestQuotaPending(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	q := newQuota(2, 0, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	a := &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 1000}
	b := &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 1001}
	c := &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 1002}
	dst := &net.UDPAddr{IP: net.IPv4(203, 0, 113, 7), Port: 3478}
	// A client that retries its Allocate holds one slot, not two.
	for i, addr := range []*net.UDPAddr{a, a, b} {
		if !q.allow("u", "", addr) {
			t.Fatalf("allow %d refused within the quota", i)
		}
	}
	if q.allow("u", "", c) {
		t.Fatal("allow beyond the quota")
	}
	q.created(a, dst, "UDP", "u")
	// b's Allocate failed after the check (508): its slot lapses.
	now = now.Add(pendingFor + time.Second)
	if !q.allow("u", "", c) {
		t.Fatal("lapsed pending slot not given back")
	}
	q.created(c, dst, "UDP", "u")
	if q.allow("u", "", b) {
		t.Fatal("allow beyond the quota with two live allocations")
	}
	q.deleted(a, dst, "UDP")
	q.deleted(a, dst, "UDP") // reported twice: counted once
	if user, addr := q.counts("u", netip.MustParseAddr("198.51.100.1")); user != 1 || addr != 1 {
		t.Errorf("counts after deletion = %d, %d; want 1, 1", user, addr)
	}
}

// TestQuotaConcurrentAllow: pion asks before it creates, so the check must
// count the allocation at once; else every Allocate in flight passes.
func TestQuotaConcurrentAllow(t *testing.T) {
	q := newQuota(5, 0, time.Now, slog.New(slog.DiscardHandler))
	var (
		mu      sync.Mutex
		allowed int
		start   = make(chan struct{})
		wg      sync.WaitGroup
	)
	for i := range 100 {
		wg.Go(func() {
			<-start
			if q.allow("mallory", "", &net.UDPAddr{IP: net.IPv4(198, 51, 100, byte(i)), Port: 1000 + i}) {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if allowed != 5 {
		t.Errorf("%d of 100 concurrent Allocates passed the quota of 5", allowed)
	}
}

// TestQuotaFreedByTCPClose: a TCP client that just disconnects, without
// a Refresh, frees its slot too.
func TestQuotaFreedByTCPClose(t *testing.T) {
	s, _ := MustStart(t, Config{UserQuota: 1})
	conn, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := streamClient(t, s, conn, "alice")
	if _, err := c.Allocate(); err != nil {
		t.Fatal(err)
	}
	mustRefuse(t, s, "127.0.0.1", "alice")
	conn.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if user, _ := s.quota.counts("alice", netip.Addr{}); user == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("slot not freed 10 s after the TCP connection closed")
		}
	}
	mustAllocateFrom(t, s, "127.0.0.1", "alice")
}
