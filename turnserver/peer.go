package turnserver

import (
	"log/slog"
	"net"
	"net/netip"
)

// refused lists ranges a relay must not reach beyond what netip's predicates
// cover: they are local to the server's network, or route back to it.
var refused = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"; Linux routes 0.x to the host itself
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments (RFC 6890)
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking, used for internal networks (RFC 2544)
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and broadcast 255.255.255.255
	netip.MustParsePrefix("::/96"),          // unspecified, loopback, IPv4-compatible (deprecated)
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64 (RFC 8215)
	netip.MustParsePrefix("100::/64"),       // discard-only (RFC 6666)
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated)
}

// Ranges that embed an IPv4 address a router would reach: judged by it.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052, address in the last 32 bits
	sixToFour = netip.MustParsePrefix("2002::/16")    // RFC 3056, address in bits 16–47
)

// PeerAllowed reports whether relaying to ip is allowed: loopback, private
// (RFC 1918, RFC 4193 fc00::/7), link-local, multicast, unspecified, CGNAT
// 100.64/10, and IPv4-mapped forms of these are refused unless covered by
// allow. So are a few more ranges that lead back into the server's own
// network: 0/8, 240/4, 192.0.0/24, 198.18/15, and NAT64 or 6to4 addresses
// whose embedded IPv4 address is refused.
func PeerAllowed(ip netip.Addr, allow []netip.Prefix) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("")
	for _, p := range allow {
		if p.Contains(ip) || p.Contains(ip.Unmap()) {
			return true
		}
	}
	return publicPeer(ip.Unmap())
}

func publicPeer(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range refused {
		if p.Contains(ip) {
			return false
		}
	}
	if v4, ok := embeddedIPv4(ip); ok {
		return publicPeer(v4)
	}
	return true
}

// permissionHandler is pion's hook for CreatePermission and ChannelBind.
func permissionHandler(guard *peerGuard, log *slog.Logger) func(net.Addr, net.IP) bool {
	return func(client net.Addr, peer net.IP) bool {
		ip, _ := netip.AddrFromSlice(peer)
		if guard.permit(ip) {
			return true
		}
		guard.refusals.Add(1)
		log.Debug("turn peer refused", "peer", ip.Unmap().String(), "client", addrString(client))
		return false
	}
}
