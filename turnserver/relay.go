package turnserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"time"

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
// could reach services on the server's own public address, whose IP the
// permission check must let through because two relayed browsers meet
// there (only relay sockets judge the port, see peerGuard).
type relayGenerator struct {
	bindIP   netip.Addr
	publicIP netip.Addr
	guard    *peerGuard
	even     evenPorts
	stats    relayStats
	hops     bool // relays bound to PublicIP hand each other datagrams (hop.go)
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
	var hops *hopState
	if g.hops {
		hops = newHopState(g.publicIP, uint16(conn.LocalAddr().(*net.UDPAddr).Port))
	}
	c := newGuardedConn(conn, g.guard, &g.stats, hops)
	return c, g.relayed(conn), nil
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

// peerGuard decides where relays may send: PeerAllowed, and nowhere on
// the server's own addresses but to live relays (see selfAddrs), however
// AllowPeers reads. pion asks permit when a permission is made, by IP only;
// relay sockets ask allowed before every packet, with the port.
type peerGuard struct {
	allow    []netip.Prefix
	self     *selfAddrs
	log      *slog.Logger
	refusals atomic.Int64 // permissions and packets refused, for Stats
}

// permit judges a peer IP for CreatePermission and ChannelBind. Of the
// server's own addresses only PublicIP passes, where the relays are; which
// of its ports may be reached, allowed decides.
func (g *peerGuard) permit(ip netip.Addr) bool {
	ip = ip.Unmap()
	return PeerAllowed(ip, g.allow) && (ip == g.self.public || !g.self.has(ip))
}

// allowed judges a packet's destination: on the server's own addresses,
// only the relayed address of a live allocation. That also keeps clients
// from chaining allocations through the server's own TURN port.
func (g *peerGuard) allowed(to netip.AddrPort) bool {
	ok, _ := g.judge(to)
	return ok
}

// judge is allowed, and returns the relay at to when it is one of ours.
func (g *peerGuard) judge(to netip.AddrPort) (bool, *guardedConn) {
	ip := to.Addr().Unmap()
	if !PeerAllowed(ip, g.allow) {
		return false, nil
	}
	if !g.self.has(ip) {
		return true, nil
	}
	return g.self.relay(to)
}

// guardedConn is a relay socket that sends only where peerGuard allows, and
// counts as a live relay until closed. Datagrams from peers are read in
// batches (see batchReader).
type guardedConn struct {
	*net.UDPConn
	guard  *peerGuard
	stats  *relayStats
	reader *batchReader // used by pion's one reading goroutine only
	// With a UDP client, datagrams to peers wait in out until owner's
	// reader flushes them; with a TCP or TLS client out is nil and each is
	// sent at once.
	out     *sendQueue
	owner   *groupConn
	hops    *hopState // nil when relays are not bound to PublicIP
	port    uint16
	closed  atomic.Bool
	refused atomic.Bool // logged once per relay, not per packet

	// Counted by the relay's own readers and writers: per batch from
	// peers, per packet to peers (the only writer is the goroutine that
	// reads the client's transport, so the atomic is uncontended).
	inPackets, inBytes, outPackets, outBytes atomic.Int64
}

// hops (nil: none) is set before the relay is registered: once it is,
// other relays' senders find it and hand datagrams to its inbox.
func newGuardedConn(conn *net.UDPConn, guard *peerGuard, stats *relayStats, hops *hopState) *guardedConn {
	c := &guardedConn{UDPConn: conn, guard: guard, stats: stats, hops: hops,
		reader: newBatchReader(conn, relayBatch), port: uint16(conn.LocalAddr().(*net.UDPAddr).Port)}
	guard.self.addLocalRelay(c.port, c)
	stats.add(c)
	return c
}

// ReadFrom implements net.PacketConn: datagrams handed over by other
// relays first, then the socket's, read in batches.
func (c *guardedConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		if c.closed.Load() {
			return 0, nil, net.ErrClosed
		}
		if n, from, ok := c.readHop(p); ok {
			return n, from, nil
		}
		waiting := c.reader.buffered() == 0
		if waiting && !c.beforeWait() {
			continue
		}
		data, from, fresh, err := c.reader.read()
		if waiting && c.hops != nil {
			c.hops.waiting.Store(false)
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && c.hops != nil && !c.closed.Load() {
				c.UDPConn.SetReadDeadline(time.Time{}) // woken by hop
				continue
			}
			return 0, nil, err
		}
		if fresh != nil {
			c.inPackets.Add(int64(len(fresh)))
			c.inBytes.Add(batchBytes(fresh))
		}
		return copy(p, data), from, nil
	}
}

// WriteTo implements net.PacketConn.
func (c *guardedConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	var allowed bool
	var local *guardedConn
	if ok {
		allowed, local = c.guard.judge(ua.AddrPort())
	}
	if !allowed {
		c.guard.refusals.Add(1)
		if c.refused.CompareAndSwap(false, true) {
			c.guard.log.Debug("turn peer refused", "peer", addrString(addr), "relay_port", c.port)
		}
		return 0, errPeerRefused
	}
	if local != nil && c.owner != nil && c.hop(p, local) {
		c.out.hopPackets++
		c.out.hopBytes += int64(len(p))
		c.markDirty()
		return len(p), nil
	}
	if c.out != nil && len(p) <= slotSize {
		if c.out.full() {
			c.flush()
		}
		c.markDirty()
		c.out.add(p, ua)
		return len(p), nil
	}
	n, err := c.UDPConn.WriteToUDP(p, ua)
	if err == nil {
		c.outPackets.Add(1)
		c.outBytes.Add(int64(n))
	}
	return n, err
}

// markDirty puts the relay on its owner's list to flush.
func (c *guardedConn) markDirty() {
	if !c.out.queued {
		c.out.queued = true
		c.owner.dirty = append(c.owner.dirty, c)
	}
}

// flush sends the queued datagrams and counts them with those handed to
// other relays; only owner's reader calls it.
func (c *guardedConn) flush() {
	packets, bytes := c.out.hopPackets, c.out.hopBytes
	c.out.hopPackets, c.out.hopBytes = 0, 0
	if c.closed.Load() {
		c.out.n = 0
	} else {
		p, b := c.out.flush()
		packets, bytes = packets+p, bytes+b
	}
	c.outPackets.Add(packets)
	c.outBytes.Add(bytes)
}

// socketRelays allocates relays for the clients of one listening socket,
// whose reader flushes their queued datagrams.
type socketRelays struct {
	*relayGenerator
	sock *groupConn
}

// AllocatePacketConn implements turn.RelayAddressGenerator.
func (s socketRelays) AllocatePacketConn(conf turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	pc, addr, err := s.relayGenerator.AllocatePacketConn(conf)
	if c, ok := pc.(*guardedConn); ok {
		c.owner, c.out = s.sock, newSendQueue(c.UDPConn, relayBatch)
	}
	return pc, addr, err
}

// Close implements net.PacketConn. The relay is forgotten before its port
// is freed, so a new relay on the same port is not forgotten instead.
func (c *guardedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.guard.self.removeRelay(c.port)
		c.stats.remove(c)
	}
	return c.UDPConn.Close()
}
