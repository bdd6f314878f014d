package turnserver

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// A socketGroup is the set of SO_REUSEPORT sockets sharing the TURN port.
// pion keeps allocations per socket, and the kernel spreads clients over the
// sockets by their address. That breaks one thing: a RESERVATION-TOKEN
// (RFC 5766 EVEN-PORT, asked for by RTP/RTCP clients such as coturn's
// turnutils_uclient, never by browsers) is redeemed from another client
// port, which may land on another socket, whose pion does not know the
// token. So the group notes which socket handed out each token, forwards
// the Allocate that redeems it to that socket, and from then on forwards
// that client's packets there too.
//
// Browsers' packets never take this path: without forwarded clients the
// check per packet is one atomic load and a byte comparison.
type socketGroup struct {
	socks []*groupConn

	mu        sync.RWMutex
	tokens    map[string]tokenOwner     // RESERVATION-TOKEN → socket that issued it
	owners    map[netip.AddrPort]*owner // forwarded client → socket that has its allocation
	forwarded atomic.Int32              // len(owners), read without the lock
	redeemed  atomic.Int64              // clients ever forwarded, for tests
}

type tokenOwner struct {
	sock    int
	expires time.Time
}

type owner struct {
	sock int
	seen atomic.Int64 // unix seconds of the last packet forwarded
}

// Tokens live 30 s in pion. Owners are forgotten when their allocation is
// deleted; one that was missed (an Allocate that failed) is dropped once
// idle longer than an allocation can be (10 minutes without a Refresh).
const (
	tokenLifetime = 30 * time.Second
	ownerIdle     = 11 * time.Minute
	// Forwarded packets wait here while the other socket's reader is busy.
	// A kernel buffer holds thousands; under CPU starvation (a busy 2-core
	// host) 64 overflowed.
	inboxSize = 2048
)

func newSocketGroup(conns []*net.UDPConn) *socketGroup {
	g := &socketGroup{tokens: map[string]tokenOwner{}, owners: map[netip.AddrPort]*owner{}}
	for i, c := range conns {
		g.socks = append(g.socks, &groupConn{UDPConn: c, group: g, index: i,
			reader: newBatchReader(c, listenBatch), inbox: make(chan packet, inboxSize)})
	}
	return g
}

type packet struct {
	data []byte
	from *net.UDPAddr
}

// groupConn is one socket of a group, as pion sees it.
type groupConn struct {
	*net.UDPConn
	group  *socketGroup
	index  int
	reader *batchReader   // used by pion's one reading goroutine only
	inbox  chan packet    // packets forwarded from other sockets
	dirty  []*guardedConn // relays with datagrams queued by this reader
	closed atomic.Bool
}

// ReadFrom implements net.PacketConn: it returns forwarded packets first,
// then the socket's, read in batches, passing on packets that belong to
// another socket.
func (c *groupConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		if c.closed.Load() {
			return 0, nil, net.ErrClosed
		}
		if c.reader.buffered() == 0 {
			// Before waiting for the next batch, and after each forwarded
			// packet, which may come in a steady stream.
			c.flushRelays()
		}
		select {
		case pkt := <-c.inbox:
			return copy(p, pkt.data), pkt.from, nil
		default:
		}
		data, addr, _, err := c.reader.read()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && !c.closed.Load() {
				// Woken by wake: clear the deadline before looking at
				// the inbox again, so a wake in between is not lost.
				c.UDPConn.SetReadDeadline(time.Time{})
				continue
			}
			return 0, nil, err
		}
		from, ok := addr.(*net.UDPAddr)
		if !ok {
			continue
		}
		if to := c.group.route(c.index, data, from); to != c.index {
			c.group.socks[to].deliver(data, from)
			continue
		}
		return copy(p, data), from, nil
	}
}

// flushRelays sends what the packets of the last batch queued on relays.
func (c *groupConn) flushRelays() {
	for i, r := range c.dirty {
		r.flush()
		r.out.queued = false
		c.dirty[i] = nil
	}
	c.dirty = c.dirty[:0]
}

// WriteTo implements net.PacketConn, noting reservation tokens handed out.
func (c *groupConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if token, ok := allocateToken(p, 0x0103); ok { // Allocate success response
		c.group.issued(token, c.index)
	}
	return c.UDPConn.WriteTo(p, addr)
}

// Close implements net.PacketConn.
func (c *groupConn) Close() error {
	c.closed.Store(true)
	return c.UDPConn.Close()
}

// deliver queues a forwarded packet and wakes the reader.
func (c *groupConn) deliver(data []byte, from *net.UDPAddr) {
	select {
	case c.inbox <- packet{data: append([]byte(nil), data...), from: from}:
		c.UDPConn.SetReadDeadline(time.Unix(1, 0))
	default: // full: drop, as a socket buffer would
	}
}

// route returns the socket that must handle pkt from src, read by sock.
func (g *socketGroup) route(sock int, pkt []byte, src *net.UDPAddr) int {
	isAllocate := isAllocateRequest(pkt)
	if g.forwarded.Load() == 0 && !isAllocate {
		return sock
	}
	key := src.AddrPort()
	if isAllocate {
		// A token decides even for a known client: its address may be
		// reused by another one (behind a NAT) that redeems a new token.
		if token, ok := allocateToken(pkt, 0x0003); ok {
			if to, ok := g.redeem(token, sock, key); ok {
				return to
			}
		}
	}
	g.mu.RLock()
	o := g.owners[key]
	g.mu.RUnlock()
	if o == nil {
		return sock
	}
	o.seen.Store(time.Now().Unix())
	return o.sock
}

// redeem routes client to the socket that issued token, and remembers it.
func (g *socketGroup) redeem(token string, sock int, client netip.AddrPort) (int, bool) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.tokens[token]
	if !ok || now.After(t.expires) {
		return 0, false
	}
	// One redemption per token: the retry after the 401 challenge comes
	// from the same client, and packets with a copied token and forged
	// sources cannot grow owners.
	delete(g.tokens, token)
	g.pruneLocked(now)
	if t.sock == sock {
		delete(g.owners, client)
	} else {
		o := &owner{sock: t.sock}
		o.seen.Store(now.Unix())
		g.owners[client] = o
		g.redeemed.Add(1)
	}
	g.forwarded.Store(int32(len(g.owners)))
	return t.sock, true
}

// forget ends forwarding for a client whose allocation is gone.
func (g *socketGroup) forget(client net.Addr) {
	ua, ok := client.(*net.UDPAddr)
	if !ok || g.forwarded.Load() == 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.owners, ua.AddrPort())
	g.forwarded.Store(int32(len(g.owners)))
}

// issued records that sock handed out token.
func (g *socketGroup) issued(token string, sock int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pruneLocked(time.Now())
	g.tokens[token] = tokenOwner{sock: sock, expires: time.Now().Add(tokenLifetime)}
}

func (g *socketGroup) pruneLocked(now time.Time) {
	for t, o := range g.tokens {
		if now.After(o.expires) {
			delete(g.tokens, t)
		}
	}
	for k, o := range g.owners {
		if now.Unix()-o.seen.Load() > int64(ownerIdle/time.Second) {
			delete(g.owners, k)
		}
	}
	g.forwarded.Store(int32(len(g.owners)))
}

// isAllocateRequest reports whether pkt starts like a STUN Allocate request.
func isAllocateRequest(pkt []byte) bool {
	return len(pkt) >= 20 && pkt[0] == 0x00 && pkt[1] == 0x03
}

// allocateToken returns the RESERVATION-TOKEN of a STUN message of type
// msgType, if it has one.
func allocateToken(pkt []byte, msgType uint16) (string, bool) {
	if len(pkt) < 20 || binary.BigEndian.Uint16(pkt) != msgType ||
		binary.BigEndian.Uint32(pkt[4:]) != 0x2112a442 {
		return "", false
	}
	end := min(len(pkt), 20+int(binary.BigEndian.Uint16(pkt[2:])))
	for off := 20; off+4 <= end; {
		typ := binary.BigEndian.Uint16(pkt[off:])
		n := int(binary.BigEndian.Uint16(pkt[off+2:]))
		if off+4+n > end {
			break
		}
		if typ == 0x0022 { // RESERVATION-TOKEN
			return string(pkt[off+4 : off+4+n]), true
		}
		off += 4 + (n+3)&^3
	}
	return "", false
}
