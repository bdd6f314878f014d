package turnserver

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Two relayed browsers meet at PublicIP: each relay sends to the other's
// relayed address. When the relays are bound to PublicIP (the host has
// it), that hop stays inside the process: the sending relay hands the
// datagram to the receiving one, which reads it as if from the socket,
// with the same source address (PublicIP and the sender's port). It saves
// a sendmmsg, a recvmmsg and a netpoll wake-up per packet, about a third
// of the system calls of a relayed packet. The peer filter has judged the
// packet before; the receiver's permissions and channels are pion's, as
// for any datagram. Behind NAT (relays bound to the wildcard) the kernel
// path is kept, since the datagram would leave through the NAT.

// hopInbox is how many datagrams wait for a receiving relay's reader, as
// the socket group's inbox; more are dropped, as a full socket buffer
// would.
const hopInbox = 2048

// hopPacket is a datagram handed from one relay to another.
type hopPacket struct {
	buf  *[]byte // from hopBuffers
	n    int
	from *net.UDPAddr
}

var hopBuffers = sync.Pool{New: func() any { b := make([]byte, slotSize); return &b }}

// hopState is a relay's side of in-process hops.
type hopState struct {
	inbox   chan hopPacket
	self    *net.UDPAddr // this relay's address as its peers see it
	waiting atomic.Bool  // the reader is about to block on the socket
}

func newHopState(public netip.Addr, port uint16) *hopState {
	return &hopState{inbox: make(chan hopPacket, hopInbox), self: net.UDPAddrFromAddrPort(netip.AddrPortFrom(public, port))}
}

// hop hands p to relay to, and reports whether it was taken (queued or
// dropped for a full inbox); if not, the caller sends it by the kernel.
func (c *guardedConn) hop(p []byte, to *guardedConn) bool {
	if to.hops == nil || c.hops == nil || len(p) > slotSize || to.closed.Load() {
		return false
	}
	buf := hopBuffers.Get().(*[]byte)
	pkt := hopPacket{buf: buf, n: copy(*buf, p), from: c.hops.self}
	select {
	case to.hops.inbox <- pkt:
		if to.hops.waiting.Swap(false) {
			to.UDPConn.SetReadDeadline(time.Unix(1, 0)) // wake the reader
		}
	default:
		hopBuffers.Put(buf)
	}
	return true
}

// readHop returns a datagram handed over by another relay, if one waits.
func (c *guardedConn) readHop(p []byte) (int, net.Addr, bool) {
	if c.hops == nil {
		return 0, nil, false
	}
	select {
	case pkt := <-c.hops.inbox:
		n := copy(p, (*pkt.buf)[:pkt.n])
		hopBuffers.Put(pkt.buf)
		c.inPackets.Add(1) // uncontended: only this relay's reader counts in
		c.inBytes.Add(int64(pkt.n))
		return n, pkt.from, true
	default:
		return 0, nil, false
	}
}

// beforeWait is called by the reader before it may block on the socket. It
// reports false when a hop arrived meanwhile, so the reader must not block.
func (c *guardedConn) beforeWait() bool {
	h := c.hops
	if h == nil {
		return true
	}
	h.waiting.Store(true)
	if len(h.inbox) > 0 {
		h.waiting.Store(false)
		return false
	}
	return true
}
