package turnserver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"

	"github.com/pion/turn/v5"
)

var (
	errTCPRelay    = errors.New("turnserver: TCP relay (RFC 6062) is not offered")
	errRelayFamily = errors.New("turnserver: relay address family differs from PublicIP's")
	errPeerRefused = errors.New("turnserver: peer refused")
)

// relayGenerator allocates the UDP relay sockets. It binds them to bindIP
// (PublicIP when the host has it, else the wildcard) and advertises publicIP
// as XOR-RELAYED-ADDRESS.
//
// TCP allocations are refused: browsers relay over UDP only, and a TCP relay
// could reach services on the server's own public address, which the peer
// filter must let through because two relayed browsers meet there.
type relayGenerator struct {
	bindIP   netip.Addr
	publicIP netip.Addr
	guard    *peerGuard
	even     evenPorts
}

// Validate implements turn.RelayAddressGenerator.
func (g *relayGenerator) Validate() error {
	if !g.publicIP.IsValid() || !g.bindIP.IsValid() {
		return errors.New("turnserver: relay generator without address")
	}
	return nil
}

// AllocatePacketConn implements turn.RelayAddressGenerator.
func (g *relayGenerator) AllocatePacketConn(conf turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if (conf.Network == "udp6") != g.publicIP.Is6() {
		return nil, nil, errRelayFamily
	}
	bind := func(port int) (*net.UDPConn, error) { return g.bind(conf.Network, port) }
	if conf.UserID == "" {
		// Only pion's search for an EVEN-PORT comes without a user.
		conn, err := g.even.probe(bind)
		if err != nil {
			return nil, nil, err
		}
		return heldProbe{conn}, g.relayed(conn), nil
	}
	conn := g.even.take(conf.RequestedPort)
	if conn == nil {
		var err error
		if conn, err = bind(conf.RequestedPort); err != nil {
			return nil, nil, err
		}
	}
	return &guardedConn{UDPConn: conn, guard: g.guard}, g.relayed(conn), nil
}

func (g *relayGenerator) bind(network string, port int) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: socketControl(false)}
	addr := net.JoinHostPort(g.bindIP.String(), strconv.Itoa(port))
	pc, err := lc.ListenPacket(context.Background(), network, addr)
	if err != nil {
		return nil, err
	}
	return pc.(*net.UDPConn), nil
}

// relayed is the address clients are told for conn.
func (g *relayGenerator) relayed(conn *net.UDPConn) *net.UDPAddr {
	return &net.UDPAddr{IP: g.publicIP.AsSlice(), Port: conn.LocalAddr().(*net.UDPAddr).Port}
}

// AllocateListener implements turn.RelayAddressGenerator; see relayGenerator.
func (g *relayGenerator) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errTCPRelay
}

// AllocateConn implements turn.RelayAddressGenerator; see relayGenerator.
func (g *relayGenerator) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) {
	return nil, errTCPRelay
}

// peerGuard is the last check before a relay socket sends: the peer filter
// again (pion applies it only when a permission is made), and the server's
// own TURN ports, which PeerAllowed cannot see because it judges addresses,
// not ports. Sending there would let a client chain allocations through
// itself.
type peerGuard struct {
	allow []netip.Prefix
	self  []netip.AddrPort // PublicIP and the listening address, at the UDP port
}

func (g *peerGuard) allowed(to netip.AddrPort) bool {
	ip := to.Addr().Unmap()
	for _, s := range g.self {
		if s.Port() == to.Port() && s.Addr() == ip {
			return false
		}
	}
	return PeerAllowed(ip, g.allow)
}

// guardedConn is a relay socket that sends only where peerGuard allows.
type guardedConn struct {
	*net.UDPConn
	guard *peerGuard
}

// WriteTo implements net.PacketConn.
func (c *guardedConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok || !c.guard.allowed(ua.AddrPort()) {
		return 0, errPeerRefused
	}
	return c.UDPConn.WriteToUDP(p, ua)
}
