package turnserver

import (
	"net/netip"
	"testing"
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

func TestPeerGuard(t *testing.T) {
	g := &peerGuard{
		allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		self:  []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:3478")},
	}
	for _, tc := range []struct {
		to   string
		want bool
	}{
		{"127.0.0.1:50000", true},
		{"127.0.0.1:3478", false}, // the server's own TURN port
		{"[::ffff:127.0.0.1]:3478", false},
		{"127.0.0.2:3478", true},
		{"10.0.0.1:50000", false},
		{"8.8.8.8:3478", true},
	} {
		if got := g.allowed(netip.MustParseAddrPort(tc.to)); got != tc.want {
			t.Errorf("allowed(%s) = %v, want %v", tc.to, got, tc.want)
		}
	}
}
