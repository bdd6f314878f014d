package turnserver

import (
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// udpService is a UDP service on the TURN server's host, such as DNS,
// SNMP or a database's replication port, that the relay must not reach.
func udpService(tb testing.TB, addr string) *net.UDPConn {
	tb.Helper()
	svc, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { svc.Close() })
	return svc
}

// TestRelayRefusesOwnHost runs the development setup (PublicIP 127.0.0.1,
// AllowPeers 127.0.0.0/8): a relay reaches the other client's relay but not
// a UDP service on the same address.
func TestRelayRefusesOwnHost(t *testing.T) {
	s, logs := MustStart(t, Config{AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	svc := udpService(t, "127.0.0.1:0")
	a, b := userClient(t, s, "alice"), userClient(t, s, "bob")
	ra, rb := mustAllocate(t, a), mustAllocate(t, b)
	if err := b.CreatePermission(ra.LocalAddr()); err != nil {
		t.Fatal(err)
	}

	// The permission is for the IP, where the relays are: it is granted.
	// The packet to the service is dropped by the relay socket.
	if _, err := ra.WriteTo([]byte("to the service"), svc.LocalAddr()); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	// The server handles a client's packets in order, so once the next
	// one has reached b's relay, the first has been sent or dropped, and
	// a packet sent over loopback is queued at once.
	exchange(t, ra, rb, "a→b")
	exchange(t, rb, ra, "b→a")
	svc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, from, err := svc.ReadFrom(make([]byte, 1500)); err == nil {
		t.Errorf("the service received %d bytes from %v through the relay", n, from)
	} else if !os.IsTimeout(err) {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "peer refused") {
		t.Errorf("no refusal logged:\n%s", logs)
	}

	// Other loopback addresses are the host too, and hold no relays.
	if err := a.CreatePermission(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 5000}); err == nil {
		t.Error("CreatePermission(127.0.0.2) succeeded, want 403")
	}
}

// TestRelayRefusesOwnInterfaces allows a real interface address of this
// host explicitly; the relay refuses it all the same.
func TestRelayRefusesOwnInterfaces(t *testing.T) {
	var own netip.Addr
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() && !ip.IsLoopback() {
				own = ip.Unmap()
				break
			}
		}
	}
	if !own.IsValid() {
		t.Skip("no IPv4 interface address besides loopback")
	}
	s, _ := MustStart(t, Config{AllowPeers: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"), netip.PrefixFrom(own, 32),
	}})
	c := userClient(t, s, "alice")
	mustAllocate(t, c)
	if err := c.CreatePermission(&net.UDPAddr{IP: own.AsSlice(), Port: 5000}); err == nil {
		t.Errorf("CreatePermission(%s), an address of this host, succeeded; want 403", own)
	}
}
