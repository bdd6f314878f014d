package turnserver

import (
	"bytes"
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

const testSecret = "test-secret"

// logBuffer collects a server's log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// MustStart starts a server on a free loopback port and closes it at the
// end of the test. Its log is returned for assertions.
func MustStart(tb testing.TB, cfg Config) (*Server, *logBuffer) {
	tb.Helper()
	logs := &logBuffer{}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if !cfg.PublicIP.IsValid() {
		cfg.PublicIP = netip.MustParseAddr("127.0.0.1")
	}
	if cfg.Secret == nil {
		cfg.Secret = []byte(testSecret)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := Start(cfg)
	if err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s, logs
}

// mustClient returns a listening pion client on conn, closed at the end of
// the test.
func mustClient(tb testing.TB, server net.Addr, conn net.PacketConn, username, password string) *turn.Client {
	tb.Helper()
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: server.String(),
		TURNServerAddr: server.String(),
		Conn:           conn,
		Username:       username,
		Password:       password,
		Realm:          "eyelevel",
	})
	if err != nil {
		tb.Fatalf("NewClient: %v", err)
	}
	if err := c.Listen(); err != nil {
		tb.Fatalf("client Listen: %v", err)
	}
	tb.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// mustUDPClient returns a client that talks to s over UDP.
func mustUDPClient(tb testing.TB, s *Server, username, password string) *turn.Client {
	tb.Helper()
	network := "udp4"
	if s.UDPAddr().IP.To4() == nil {
		network = "udp6"
	}
	conn, err := net.ListenPacket(network, net.JoinHostPort(s.UDPAddr().IP.String(), "0"))
	if err != nil {
		tb.Fatal(err)
	}
	return mustClient(tb, s.UDPAddr(), conn, username, password)
}

// userClient returns a UDP client with valid credentials for userID.
func userClient(tb testing.TB, s *Server, userID string) *turn.Client {
	tb.Helper()
	username, password := Credentials([]byte(testSecret), userID, time.Now().Add(time.Hour))
	return mustUDPClient(tb, s, username, password)
}

func mustAllocate(tb testing.TB, c *turn.Client) net.PacketConn {
	tb.Helper()
	relay, err := c.Allocate()
	if err != nil {
		tb.Fatalf("Allocate: %v", err)
	}
	tb.Cleanup(func() { relay.Close() })
	return relay
}

func TestAllocate(t *testing.T) {
	s, _ := MustStart(t, Config{})
	relay := mustAllocate(t, userClient(t, s, "alice"))
	got := relay.LocalAddr().(*net.UDPAddr)
	if !got.IP.Equal(net.IPv4(127, 0, 0, 1)) || got.Port == 0 {
		t.Errorf("relayed address = %v, want 127.0.0.1:<port>", got)
	}
}

func TestAllocateAdvertisesPublicIP(t *testing.T) {
	// 203.0.113.7 (documentation range) is not on this host: relay sockets
	// bind to 0.0.0.0 and the address handed out is PublicIP. Nothing is sent.
	s, _ := MustStart(t, Config{PublicIP: netip.MustParseAddr("203.0.113.7")})
	relay := mustAllocate(t, userClient(t, s, "alice"))
	if got := relay.LocalAddr().(*net.UDPAddr); !got.IP.Equal(net.ParseIP("203.0.113.7")) {
		t.Errorf("relayed address = %v, want 203.0.113.7:<port>", got)
	}
}

func TestAuthRejected(t *testing.T) {
	s, logs := MustStart(t, Config{})
	expiredUser, expiredPass := Credentials([]byte(testSecret), "alice", time.Now().Add(-time.Minute))
	validUser, _ := Credentials([]byte(testSecret), "alice", time.Now().Add(time.Hour))
	_, otherSecretPass := Credentials([]byte("not-the-secret"), "alice", time.Now().Add(time.Hour))
	for _, tc := range []struct {
		name, username, password, reason string
	}{
		{"expired", expiredUser, expiredPass, "expired"},
		{"forged password", validUser, "Zm9yZ2VkIHBhc3N3b3JkIQ==", "bad message integrity"},
		{"other secret", validUser, otherSecretPass, "bad message integrity"},
		{"malformed", "alice", "secret", "malformed username"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustUDPClient(t, s, tc.username, tc.password)
			if relay, err := c.Allocate(); err == nil {
				relay.Close()
				t.Fatal("Allocate succeeded, want an error")
			} else if !strings.Contains(err.Error(), "401") {
				t.Errorf("Allocate error = %v, want 401 Unauthorized", err)
			}
			if !strings.Contains(logs.String(), `"reason":"`+tc.reason+`"`) {
				t.Errorf("log has no rejection for %q:\n%s", tc.reason, logs)
			}
			if strings.Contains(logs.String(), tc.password) {
				t.Errorf("log contains the password")
			}
		})
	}
}

func TestPermissionRefused(t *testing.T) {
	s, logs := MustStart(t, Config{})
	c := userClient(t, s, "alice")
	mustAllocate(t, c)
	for _, ip := range []string{"127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.1.1", "100.64.0.1", "224.0.0.1"} {
		err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP(ip), Port: 5000})
		if err == nil {
			t.Errorf("CreatePermission(%s) succeeded, want 403", ip)
		}
		if !strings.Contains(logs.String(), `"peer":"`+ip+`"`) {
			t.Errorf("CreatePermission(%s): no refusal logged", ip)
		}
	}
	if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP("198.51.100.1"), Port: 5000}); err != nil {
		t.Errorf("CreatePermission(public) = %v", err)
	}
}

func TestPermissionRefusedIPv6(t *testing.T) {
	if ln, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	cfg := Config{Listen: "[::1]:0", PublicIP: netip.MustParseAddr("::1")}
	s, _ := MustStart(t, cfg)
	c := userClient(t, s, "alice")
	mustAllocate(t, c)
	for _, ip := range []string{"::1", "fd00::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1"} {
		if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP(ip), Port: 5000}); err == nil {
			t.Errorf("CreatePermission(%s) succeeded, want 403", ip)
		}
	}

	// The same request passes once allowed: the refusal above was the filter.
	cfg.AllowPeers = []netip.Prefix{netip.MustParsePrefix("::1/128")}
	s, _ = MustStart(t, cfg)
	c = userClient(t, s, "alice")
	mustAllocate(t, c)
	if err := c.CreatePermission(&net.UDPAddr{IP: net.IPv6loopback, Port: 5000}); err != nil {
		t.Errorf("CreatePermission(::1) with AllowPeers = %v", err)
	}
}

// exchange sends msg from one relay to the other until it arrives, and
// checks it arrived intact and from the sender's relayed address.
func exchange(t *testing.T, from, to net.PacketConn, msg string) {
	t.Helper()
	buf := make([]byte, 1500)
	for try := 0; try < 5; try++ {
		if _, err := from.WriteTo([]byte(msg), to.LocalAddr()); err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
		to.SetReadDeadline(time.Now().Add(time.Second))
		n, src, err := to.ReadFrom(buf)
		if err != nil {
			continue
		}
		if got := string(buf[:n]); got != msg {
			t.Fatalf("received %q, want %q", got, msg)
		}
		if src.String() != from.LocalAddr().String() {
			t.Errorf("received from %v, want %v", src, from.LocalAddr())
		}
		return
	}
	t.Fatalf("%q never arrived at %v", msg, to.LocalAddr())
}

func TestRelayBetweenClients(t *testing.T) {
	s, _ := MustStart(t, Config{AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	a := userClient(t, s, "alice")
	b := userClient(t, s, "bob")
	ra, rb := mustAllocate(t, a), mustAllocate(t, b)
	// Each side permits the other, as ICE does before checks flow.
	if err := a.CreatePermission(rb.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if err := b.CreatePermission(ra.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	// The first packets go as Send/Data indications, later ones over the
	// channel the client binds meanwhile.
	for i := range 20 {
		exchange(t, ra, rb, fmt.Sprintf("a→b %d", i))
		exchange(t, rb, ra, fmt.Sprintf("b→a %d", i))
	}
}

func TestSocketsSharePort(t *testing.T) {
	s, _ := MustStart(t, Config{Sockets: 3})
	if len(s.udp) != 3 {
		t.Fatalf("%d UDP sockets, want 3", len(s.udp))
	}
	for _, c := range s.udp {
		if c.LocalAddr().String() != s.UDPAddr().String() {
			t.Errorf("socket on %v, want %v", c.LocalAddr(), s.UDPAddr())
		}
	}
	if s.TCPAddr().Port != s.UDPAddr().Port {
		t.Errorf("TCP port %d, UDP port %d", s.TCPAddr().Port, s.UDPAddr().Port)
	}
	// Several clients land on different sockets by source-port hash; all work.
	for i := range 6 {
		mustAllocate(t, userClient(t, s, fmt.Sprint("u", i)))
	}
}

func TestStartRejectsIncompleteConfig(t *testing.T) {
	ip := netip.MustParseAddr("127.0.0.1")
	for name, cfg := range map[string]Config{
		"no listen":    {PublicIP: ip, Secret: []byte("s")},
		"no public IP": {Listen: "127.0.0.1:0", Secret: []byte("s")},
		"unspecified":  {Listen: "127.0.0.1:0", PublicIP: netip.IPv4Unspecified(), Secret: []byte("s")},
		"no secret":    {Listen: "127.0.0.1:0", PublicIP: ip},
		"tls no cert":  {Listen: "127.0.0.1:0", PublicIP: ip, Secret: []byte("s"), TLSListen: "127.0.0.1:0"},
	} {
		if s, err := Start(cfg); err == nil {
			s.Close()
			t.Errorf("%s: Start succeeded", name)
		}
	}
}
