// Package turnserver is eyelevel's embedded STUN/TURN relay, built on
// pion/turn. Browsers that cannot reach each other directly (about one call
// in five) relay their DTLS-SRTP media through it; it never sees content.
//
// It accepts TURN REST credentials (see Credentials), limits the
// allocations per user and per address (Config.UserQuota, AddrQuota),
// refuses to relay into private and local networks (see PeerAllowed) and to
// its own host except to its relays, and listens on UDP with several
// SO_REUSEPORT sockets, on TCP, and optionally on TLS.
package turnserver

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/pion/turn/v5"
)

// Config configures Start.
type Config struct {
	Listen     string         // host:port for UDP and TCP, e.g. ":3478" or "127.0.0.1:0"
	PublicIP   netip.Addr     // relay address advertised to clients (XOR-RELAYED-ADDRESS); must be set
	Secret     []byte         // shared secret for TURN REST credentials (coturn use-auth-secret compatible)
	Realm      string         // default "eyelevel"
	AllowPeers []netip.Prefix // peers in otherwise-refused ranges that may be relayed to
	// TLSListen is an optional host:port for TURN over TLS (turns:), served
	// with the certificate and key in the PEM files TLSCert and TLSKey.
	TLSListen       string
	TLSCert, TLSKey string
	Sockets         int // UDP sockets sharing the port via SO_REUSEPORT; default runtime.NumCPU()
	// UserQuota and AddrQuota cap the live allocations of one user ID (of
	// the REST username) and of one client IP address; more are refused
	// with 486. 0 means DefaultUserQuota and DefaultAddrQuota, negative no
	// limit.
	UserQuota, AddrQuota int
	Log                  *slog.Logger
}

// Server is a running TURN server. Close stops it.
type Server struct {
	turn      *turn.Server
	udp       []*net.UDPConn
	group     *socketGroup
	relays    *relayGenerator
	quota     *quota
	tcp       net.Listener
	tls       net.Listener
	closeOnce sync.Once
	closeErr  error
}

// Start listens and serves until Close. It returns an error when the
// configuration is incomplete or a socket cannot be opened.
func Start(cfg Config) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg.Realm = cmp.Or(cfg.Realm, "eyelevel")
	if cfg.Sockets == 0 {
		cfg.Sockets = runtime.NumCPU()
	}
	log := cmp.Or(cfg.Log, slog.Default()).With("component", "turn")

	udp, tcp, err := listen(cfg.Listen, cfg.Sockets)
	if err != nil {
		return nil, err
	}
	s := &Server{udp: udp, tcp: tcp}
	if cfg.TLSListen != "" {
		if s.tls, err = listenTLS(cfg.TLSListen, cfg.TLSCert, cfg.TLSKey); err != nil {
			s.closeListeners()
			return nil, err
		}
	}

	publicIP := cfg.PublicIP.Unmap()
	bindIP := netip.IPv4Unspecified()
	if publicIP.Is6() {
		bindIP = netip.IPv6Unspecified()
	}
	if isLocal(publicIP) {
		bindIP = publicIP
	}
	guard := &peerGuard{allow: cfg.AllowPeers, self: newSelfAddrs(publicIP, net.InterfaceAddrs, time.Now), log: log}
	gen := &relayGenerator{bindIP: bindIP, publicIP: publicIP, guard: guard, hops: bindIP == publicIP}
	s.relays = gen
	perm := permissionHandler(guard, log)

	s.group = newSocketGroup(udp)
	s.quota = newQuota(quotaOr(cfg.UserQuota, DefaultUserQuota), quotaOr(cfg.AddrQuota, DefaultAddrQuota), time.Now, log)
	events := authEvents(log)
	events.OnAllocationCreated = func(src, dst net.Addr, protocol, userID, _ string, _ net.Addr, _ int) {
		s.quota.created(src, dst, protocol, userID)
	}
	events.OnAllocationDeleted = func(src, dst net.Addr, protocol, _, _ string) {
		s.group.forget(src)
		s.quota.deleted(src, dst, protocol)
	}
	tc := turn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   authHandler(cfg.Secret, cfg.Realm, time.Now, log),
		QuotaHandler:  s.quota.allow,
		EventHandler:  events,
		LoggerFactory: pionLogs{log},
		// Relays have PublicIP's family only. Strict RFC 6156 means IPv4
		// unless the client asks otherwise, rather than the family of the
		// client's own connection (IPv6 clients on a dual-stack port).
		StrictAddressFamily: publicIP.Is4(),
	}
	for _, c := range s.group.socks {
		tc.PacketConnConfigs = append(tc.PacketConnConfigs, turn.PacketConnConfig{
			PacketConn: c, RelayAddressGenerator: socketRelays{gen, c}, PermissionHandler: perm,
		})
	}
	for _, l := range []net.Listener{s.tcp, s.tls} {
		if l != nil {
			tc.ListenerConfigs = append(tc.ListenerConfigs, turn.ListenerConfig{
				Listener: l, RelayAddressGenerator: gen, PermissionHandler: perm,
			})
		}
	}
	if s.turn, err = turn.NewServer(tc); err != nil {
		s.closeListeners()
		return nil, fmt.Errorf("turnserver: %w", err)
	}

	rcv, snd := socketBuffers(udp[0])
	tlsAddr := "off"
	if s.tls != nil {
		tlsAddr = s.tls.Addr().String()
	}
	log.Info("turn server listening",
		"udp", s.UDPAddr().String(), "tcp", s.TCPAddr().String(), "tls", tlsAddr,
		"sockets", len(udp), "relay_ip", publicIP.String(), "relay_bind", bindIP.String(),
		"rcvbuf", rcv, "sndbuf", snd, "quota_user", s.quota.perUser, "quota_ip", s.quota.perAddr)
	return s, nil
}

// quotaOr reads Config's quota convention: 0 is def, negative no limit (0
// for newQuota).
func quotaOr(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}

func (cfg *Config) check() error {
	switch {
	case cfg.Listen == "":
		return errors.New("turnserver: Listen is empty")
	case !cfg.PublicIP.IsValid() || cfg.PublicIP.IsUnspecified():
		return errors.New("turnserver: PublicIP must be set")
	case len(cfg.Secret) == 0:
		return errors.New("turnserver: Secret is empty")
	case cfg.Sockets < 0:
		return errors.New("turnserver: Sockets is negative")
	case cfg.TLSListen != "" && (cfg.TLSCert == "" || cfg.TLSKey == ""):
		return errors.New("turnserver: TLSListen needs TLSCert and TLSKey")
	}
	return nil
}

// listen opens the UDP sockets and a TCP listener on the same port. With
// port 0 the UDP port is free but its TCP twin may not be, so it retries.
func listen(addr string, sockets int) ([]*net.UDPConn, net.Listener, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("turnserver: Listen: %w", err)
	}
	ctx := context.Background()
	for try := 0; ; try++ {
		udp, err := listenUDP(ctx, addr, sockets)
		if err != nil {
			return nil, nil, fmt.Errorf("turnserver: %w", err)
		}
		// The UDP socket's address: "localhost" resolved once, for both.
		tcpAddr := udp[0].LocalAddr().String()
		var lc net.ListenConfig
		tcp, err := lc.Listen(ctx, "tcp", tcpAddr)
		if err == nil {
			return udp, tcp, nil
		}
		for _, c := range udp {
			c.Close()
		}
		if port != "0" || try == 10 {
			return nil, nil, fmt.Errorf("turnserver: listen tcp %s: %w", tcpAddr, err)
		}
	}
}

func listenTLS(addr, certFile, keyFile string) (net.Listener, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("turnserver: TLS key pair: %w", err)
	}
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("turnserver: listen tls %s: %w", addr, err)
	}
	return tls.NewListener(l, &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}), nil
}

// isLocal reports whether ip is assigned to one of this host's interfaces,
// so relay sockets can bind to it.
func isLocal(ip netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if local, ok := netip.AddrFromSlice(n.IP); ok && local.Unmap() == ip {
				return true
			}
		}
	}
	return false
}

// Close stops listening and ends all allocations. Calling it again returns
// the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.turn.Close()
		s.relays.even.close()
	})
	return s.closeErr
}

func (s *Server) closeListeners() {
	for _, c := range s.udp {
		c.Close()
	}
	for _, l := range []net.Listener{s.tcp, s.tls} {
		if l != nil {
			l.Close()
		}
	}
}

// UDPAddr returns the bound UDP address, with the port resolved when Listen
// asked for port 0. All UDP sockets share it.
func (s *Server) UDPAddr() *net.UDPAddr { return s.udp[0].LocalAddr().(*net.UDPAddr) }

// TCPAddr returns the bound TCP address.
func (s *Server) TCPAddr() *net.TCPAddr { return s.tcp.Addr().(*net.TCPAddr) }

// TLSAddr returns the bound TURN-over-TLS address, or nil without TLS.
func (s *Server) TLSAddr() *net.TCPAddr {
	if s.tls == nil {
		return nil
	}
	return s.tls.Addr().(*net.TCPAddr)
}
