package turnserver

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

func TestPeerAllowed(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	lan := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fd00:1::/32")}
	for _, tc := range []struct {
		ip    string
		allow []netip.Prefix
		want  bool
	}{
		// Public addresses pass.
		{"8.8.8.8", nil, true},
		{"203.0.113.5", nil, true},
		{"100.63.255.255", nil, true},
		{"100.128.0.0", nil, true},
		{"172.32.0.1", nil, true},
		{"2a00:1450:4001:82b::200e", nil, true},
		{"::ffff:8.8.8.8", nil, true},
		{"64:ff9b::808:808", nil, true}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", nil, true},  // 6to4 of 8.8.8.8

		// IPv4 ranges that lead into the server's networks.
		{"127.0.0.1", nil, false},
		{"127.255.255.254", nil, false},
		{"10.0.0.1", nil, false},
		{"172.16.0.1", nil, false},
		{"172.31.255.255", nil, false},
		{"192.168.1.1", nil, false},
		{"169.254.169.254", nil, false}, // cloud metadata
		{"100.64.0.1", nil, false},
		{"100.127.255.255", nil, false},
		{"0.0.0.0", nil, false},
		{"0.1.2.3", nil, false},
		{"224.0.0.1", nil, false},
		{"239.255.255.250", nil, false},
		{"255.255.255.255", nil, false},
		{"192.0.0.170", nil, false},
		{"198.18.0.1", nil, false},

		// IPv6, and IPv4 hidden in IPv6.
		{"::1", nil, false},
		{"::", nil, false},
		{"fc00::1", nil, false},
		{"fd12:3456::1", nil, false},
		{"fe80::1", nil, false},
		{"fe80::1%eth0", nil, false},
		{"fec0::1", nil, false},
		{"ff02::1", nil, false},
		{"ff0e::1", nil, false},
		{"::ffff:127.0.0.1", nil, false},
		{"::ffff:10.0.0.1", nil, false},
		{"::ffff:192.168.1.1", nil, false},
		{"::ffff:169.254.1.1", nil, false},
		{"::ffff:100.64.0.1", nil, false},
		{"::ffff:0.0.0.0", nil, false},
		{"::127.0.0.1", nil, false},        // IPv4-compatible
		{"64:ff9b::a00:1", nil, false},     // NAT64 of 10.0.0.1
		{"64:ff9b::7f00:1", nil, false},    // NAT64 of 127.0.0.1
		{"64:ff9b:1::808:808", nil, false}, // local-use NAT64
		{"2002:a00:1::1", nil, false},      // 6to4 of 10.0.0.1
		{"2002:7f00:1::1", nil, false},     // 6to4 of 127.0.0.1

		// The allow-list overrides, in both IPv4 forms, and only where it covers.
		{"127.0.0.1", loopback, true},
		{"127.8.9.10", loopback, true},
		{"::ffff:127.0.0.1", loopback, true},
		{"::1", loopback, false},
		{"10.0.0.1", loopback, false},
		{"10.1.2.3", lan, true},
		{"::ffff:10.1.2.3", lan, true},
		{"10.2.0.1", lan, false},
		{"fd00:1::5", lan, true},
		{"fd00:2::5", lan, false},
		{"8.8.8.8", lan, true},
	} {
		if got := PeerAllowed(netip.MustParseAddr(tc.ip), tc.allow); got != tc.want {
			t.Errorf("PeerAllowed(%s, %v) = %v, want %v", tc.ip, tc.allow, got, tc.want)
		}
	}
	if PeerAllowed(netip.Addr{}, nil) {
		t.Error("PeerAllowed(invalid) = true")
	}
}

// fakeInterfaces is a host's interface addresses, changeable by tests.
type fakeInterfaces struct {
	mu    sync.Mutex
	addrs []string // CIDR notation, as net.InterfaceAddrs gives them
}

func (f *fakeInterfaces) set(addrs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addrs = addrs
}

func (f *fakeInterfaces) list() ([]net.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []net.Addr
	for _, a := range f.addrs {
		ip, n, err := net.ParseCIDR(a)
		if err != nil {
			return nil, err
		}
		n.IP = ip
		out = append(out, n)
	}
	return out, nil
}

func TestPeerGuard(t *testing.T) {
	host := &fakeInterfaces{}
	host.set("127.0.0.1/8", "192.0.2.10/24", "2001:db8::10/64", "fe80::1/64")
	now := time.Unix(1_800_000_000, 0)
	// The development setup: PublicIP on loopback, loopback allowed.
	g := &peerGuard{
		allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("192.0.2.0/24")},
		self:  newSelfAddrs(netip.MustParseAddr("127.0.0.1"), host.list, func() time.Time { return now }),
		log:   slog.New(slog.DiscardHandler),
	}
	g.self.addRelay(50000)
	for _, tc := range []struct {
		to   string
		want bool
	}{
		{"127.0.0.1:50000", true}, // a live relay
		{"[::ffff:127.0.0.1]:50000", true},
		{"127.0.0.1:50002", false}, // a service on the public IP, not a relay
		{"127.0.0.1:3478", false},  // the server's own TURN port
		{"[::ffff:127.0.0.1]:3478", false},
		{"127.0.0.2:50000", false},  // loopback, but not the relayed address
		{"192.0.2.10:50000", false}, // another address of the host, although allowed
		{"192.0.2.11:50000", true},  // someone else in an allowed range
		{"[64:ff9b::c000:20a]:50000", false},
		{"[2001:db8::10]:53", false},
		{"10.0.0.1:50000", false},
		{"8.8.8.8:3478", true},
	} {
		if got := g.allowed(netip.MustParseAddrPort(tc.to)); got != tc.want {
			t.Errorf("allowed(%s) = %v, want %v", tc.to, got, tc.want)
		}
	}
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true}, // PublicIP: relays are there, allowed judges the port
		{"::ffff:127.0.0.1", true},
		{"127.0.0.2", false},
		{"192.0.2.10", false},
		{"192.0.2.11", true},
		{"10.0.0.1", false},
		{"8.8.8.8", true},
	} {
		if got := g.permit(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("permit(%s) = %v, want %v", tc.ip, got, tc.want)
		}
	}

	// A relay that ends is no longer a peer.
	g.self.removeRelay(50000)
	if g.allowed(netip.MustParseAddrPort("127.0.0.1:50000")) {
		t.Error("allowed(127.0.0.1:50000) after its relay closed")
	}

	// Behind 1:1 NAT: PublicIP is not on the host. Allowing everything
	// does not open it, the host's own addresses, or loopback.
	g = &peerGuard{
		allow: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")},
		self:  newSelfAddrs(netip.MustParseAddr("203.0.113.7"), host.list, func() time.Time { return now }),
	}
	g.self.addRelay(40000)
	for _, tc := range []struct {
		to   string
		want bool
	}{
		{"203.0.113.7:40000", true},
		{"203.0.113.7:53", false},
		{"203.0.113.7:3478", false},
		{"192.0.2.10:40000", false},
		{"127.0.0.1:40000", false},
		{"0.0.0.0:40000", false},
		{"0.1.2.3:40000", false},
		{"[::1]:40000", false},
		{"[fe80::1]:40000", false},
		{"[2002:cb00:7107::1]:53", false}, // 6to4 of 203.0.113.7
		{"198.51.100.1:53", true},
	} {
		if got := g.allowed(netip.MustParseAddrPort(tc.to)); got != tc.want {
			t.Errorf("NAT: allowed(%s) = %v, want %v", tc.to, got, tc.want)
		}
	}
	for _, ip := range []string{"192.0.2.10", "127.0.0.1", "::1", "2001:db8::10"} {
		if g.permit(netip.MustParseAddr(ip)) {
			t.Errorf("NAT: permit(%s) = true, want false", ip)
		}
	}
}

func TestSelfAddrsRefresh(t *testing.T) {
	host := &fakeInterfaces{}
	host.set("127.0.0.1/8", "192.0.2.10/24")
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := newSelfAddrs(netip.MustParseAddr("203.0.113.7"), host.list, clock)
	added := netip.MustParseAddr("198.51.100.5")
	if s.has(added) || !s.has(netip.MustParseAddr("192.0.2.10")) {
		t.Fatal("initial interface addresses not read")
	}
	// An address the host gains (DHCP, failover IP) counts from the next
	// refresh on, one it loses no longer does.
	host.set("127.0.0.1/8", "198.51.100.5/24")
	if s.has(added) {
		t.Error("refreshed before selfRefresh passed")
	}
	mu.Lock()
	now = now.Add(selfRefresh)
	mu.Unlock()
	if !s.has(added) {
		t.Error("new interface address not picked up after selfRefresh")
	}
	if s.has(netip.MustParseAddr("192.0.2.10")) {
		t.Error("removed interface address still counted")
	}
}

// BenchmarkPeerGuard is the check every relayed packet passes: to another
// relay on PublicIP (both browsers relayed), and to a browser elsewhere.
func BenchmarkPeerGuard(b *testing.B) {
	g := &peerGuard{self: newSelfAddrs(netip.MustParseAddr("203.0.113.7"), net.InterfaceAddrs, time.Now)}
	for port := range uint16(100) {
		g.self.addRelay(40000 + port)
	}
	for _, to := range []string{"203.0.113.7:40050", "198.51.100.1:50000"} {
		b.Run(to, func(b *testing.B) {
			ap := netip.MustParseAddrPort(to)
			for b.Loop() {
				if !g.allowed(ap) {
					b.Fatal("refused")
				}
			}
		})
	}
}
