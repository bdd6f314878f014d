package turnserver

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// selfRefresh is how often the interface addresses are read again (DHCP,
// IPv6 privacy addresses and failover IPs change while the server runs).
const selfRefresh = time.Minute

// thisNetwork is 0.0.0.0/8, which Linux routes to the host itself.
var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// selfAddrs knows the server's own addresses and its live relays. A relay
// that sends to its own host reaches every UDP service there, whatever
// --turn-allow-peer says, so the only ports it may send to on its own
// addresses are other relays: two relayed browsers meet at PublicIP.
type selfAddrs struct {
	public netip.Addr                 // PublicIP, where the relays are
	list   func() ([]net.Addr, error) // net.InterfaceAddrs
	now    func() time.Time

	mu     sync.Mutex // one refresh at a time
	ifaces atomic.Pointer[[]netip.Addr]
	next   atomic.Int64 // unix nanoseconds of the next refresh

	relays sync.Map // netip.AddrPort (PublicIP, relay port) → *guardedConn (or struct{} in tests)
}

func newSelfAddrs(public netip.Addr, list func() ([]net.Addr, error), now func() time.Time) *selfAddrs {
	s := &selfAddrs{public: public.Unmap(), list: list, now: now}
	s.ifaces.Store(&[]netip.Addr{})
	s.refresh()
	return s
}

// has reports whether ip is one of the server's own: PublicIP, an address
// of one of its interfaces, or loopback, unspecified or 0/8, in any of the
// IPv6 forms PeerAllowed also unwraps.
func (s *selfAddrs) has(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if ip == s.public || ip.IsLoopback() || ip.IsUnspecified() || thisNetwork.Contains(ip) {
		return true
	}
	if v4, ok := embeddedIPv4(ip); ok {
		return s.has(v4)
	}
	if s.now().UnixNano() >= s.next.Load() {
		s.refresh()
	}
	for _, a := range *s.ifaces.Load() {
		if a == ip {
			return true
		}
	}
	return false
}

// refresh reads the interface addresses. On error it keeps the last ones.
func (s *selfAddrs) refresh() {
	if !s.mu.TryLock() {
		return // another goroutine is at it; the last list serves meanwhile
	}
	defer s.mu.Unlock()
	s.next.Store(s.now().Add(selfRefresh).UnixNano())
	addrs, err := s.list()
	if err != nil {
		return
	}
	var ips []netip.Addr
	for _, a := range addrs {
		var ip net.IP
		switch a := a.(type) {
		case *net.IPNet:
			ip = a.IP
		case *net.IPAddr:
			ip = a.IP
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			ips = append(ips, addr.Unmap())
		}
	}
	s.ifaces.Store(&ips)
}

// addRelay notes a live relay on port; removeRelay forgets it.
func (s *selfAddrs) addRelay(port uint16) {
	s.relays.Store(netip.AddrPortFrom(s.public, port), struct{}{})
}

// addLocalRelay notes the live relay c on port.
func (s *selfAddrs) addLocalRelay(port uint16, c *guardedConn) {
	s.relays.Store(netip.AddrPortFrom(s.public, port), c)
}

func (s *selfAddrs) removeRelay(port uint16) {
	s.relays.Delete(netip.AddrPortFrom(s.public, port))
}

// relay reports whether to is the relayed address of a live allocation,
// and returns that relay (nil when registered without one, in tests).
func (s *selfAddrs) relay(to netip.AddrPort) (bool, *guardedConn) {
	v, ok := s.relays.Load(netip.AddrPortFrom(to.Addr().Unmap().WithZone(""), to.Port()))
	c, _ := v.(*guardedConn)
	return ok, c
}

// embeddedIPv4 returns the IPv4 address inside a NAT64 (64:ff9b::/96) or
// 6to4 (2002::/16) address.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}
