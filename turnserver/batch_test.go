package turnserver

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"
)

// loopbackGuard is the development setup: PublicIP 127.0.0.1, loopback
// allowed, so only live relays' ports on 127.0.0.1 may be sent to.
func loopbackGuard() *peerGuard {
	host := &fakeInterfaces{}
	host.set("127.0.0.1/8")
	return &peerGuard{
		allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		self:  newSelfAddrs(netip.MustParseAddr("127.0.0.1"), host.list, time.Now),
		log:   slog.New(slog.DiscardHandler),
	}
}

// queuedRelay is a relay whose datagrams to peers owner flushes, as for
// a UDP client.
func queuedRelay(t *testing.T, g *peerGuard, owner *groupConn) *guardedConn {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c := newGuardedConn(conn, g, &relayStats{}, nil)
	c.owner, c.out = owner, newSendQueue(conn, relayBatch)
	t.Cleanup(func() { c.Close() })
	return c
}

// receiveAll reads want datagrams from conn and fails unless they arrive,
// in this order.
func receiveAll(t *testing.T, conn *net.UDPConn, want []string) {
	t.Helper()
	buf := make([]byte, 1500)
	for i, w := range want {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d of %d: %v", i+1, len(want), err)
		}
		if got := string(buf[:n]); got != w {
			t.Fatalf("datagram %d is %q, want %q", i+1, got, w)
		}
	}
}

// assertNothing fails if conn receives a datagram within a short while.
func assertNothing(t *testing.T, conn *net.UDPConn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, from, err := conn.ReadFrom(make([]byte, 1500)); err == nil {
		t.Errorf("received %d bytes from %v", n, from)
	} else if !os.IsTimeout(err) {
		t.Fatal(err)
	}
}

// TestBatchMixedPeers sends one batch that alternates between a peer the
// guard allows (a live relay's port) and one it refuses (another port on
// the host): each packet is judged, the allowed ones arrive in order, over
// more than one sendmmsg (the queue fills up at relayBatch), and the counts
// match.
func TestBatchMixedPeers(t *testing.T) {
	g := loopbackGuard()
	owner := &groupConn{}
	relay := queuedRelay(t, g, owner)
	allowed, refused := udpService(t, "127.0.0.1:0"), udpService(t, "127.0.0.1:0")
	g.self.addRelay(uint16(allowed.LocalAddr().(*net.UDPAddr).Port))

	const perPeer = 2*relayBatch + 3 // two full queues and a partial one
	var want []string
	for i := range perPeer {
		msg := fmt.Sprint("allowed ", i)
		if n, err := relay.WriteTo([]byte(msg), allowed.LocalAddr()); err != nil || n != len(msg) {
			t.Fatalf("WriteTo(allowed) = %d, %v", n, err)
		}
		want = append(want, msg)
		if _, err := relay.WriteTo([]byte("refused"), refused.LocalAddr()); err != errPeerRefused {
			t.Fatalf("WriteTo(refused) = %v, want errPeerRefused", err)
		}
	}
	if len(owner.dirty) != 1 {
		t.Fatalf("%d relays to flush, want 1", len(owner.dirty))
	}
	owner.flushRelays()
	if len(owner.dirty) != 0 || relay.out.n != 0 || relay.out.queued {
		t.Fatalf("after flush: %d dirty, %d queued, queued=%v", len(owner.dirty), relay.out.n, relay.out.queued)
	}
	receiveAll(t, allowed, want)
	assertNothing(t, refused)
	if got := relay.outPackets.Load(); got != perPeer {
		t.Errorf("outPackets = %d, want %d", got, perPeer)
	}
	if got := g.refusals.Load(); got != perPeer {
		t.Errorf("refusals = %d, want %d", got, perPeer)
	}
}

// TestBatchClosedRelay closes a relay with datagrams queued: the flush
// sends nothing and returns, and a queue on a closed socket empties.
func TestBatchClosedRelay(t *testing.T) {
	g := loopbackGuard()
	owner := &groupConn{}
	relay := queuedRelay(t, g, owner)
	peer := udpService(t, "127.0.0.1:0")
	g.self.addRelay(uint16(peer.LocalAddr().(*net.UDPAddr).Port))
	for range 3 {
		if _, err := relay.WriteTo([]byte("late"), peer.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	relay.Close()
	owner.flushRelays()
	assertNothing(t, peer)
	if got := relay.outPackets.Load(); got != 0 {
		t.Errorf("outPackets = %d after close, want 0", got)
	}

	// Below the relay: the socket is closed under a full queue.
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	q := newSendQueue(conn, 4)
	for range 4 {
		q.add([]byte("x"), peer.LocalAddr().(*net.UDPAddr))
	}
	conn.Close()
	if packets, _ := q.flush(); packets != 0 || q.n != 0 {
		t.Errorf("flush on a closed socket sent %d, left %d", packets, q.n)
	}
}

// TestBatchSkipsFailedDatagram puts a datagram the kernel refuses (port 0,
// EINVAL on Linux) in the middle of a batch: it is dropped and the ones
// after it are still sent, as with one sendto each.
func TestBatchSkipsFailedDatagram(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("port 0 is refused by Linux's sendmmsg")
	}
	peer := udpService(t, "127.0.0.1:0")
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q := newSendQueue(conn, 4)
	to := peer.LocalAddr().(*net.UDPAddr)
	q.add([]byte("one"), to)
	q.add([]byte("bad"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0})
	q.add([]byte("two"), to)
	packets, bytes := q.flush()
	if packets != 2 || bytes != 6 {
		t.Errorf("flush sent %d packets, %d bytes; want 2, 6", packets, bytes)
	}
	receiveAll(t, peer, []string{"one", "two"})
}

// TestBatchReader reads a partial batch (fewer datagrams queued than the
// batch holds) in order, counts it once, reads on when more come, and cuts
// an oversized datagram at the slot as the kernel cut it at pion's buffer.
func TestBatchReader(t *testing.T) {
	conn := udpService(t, "127.0.0.1:0")
	sender, err := net.DialUDP("udp4", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	r := newBatchReader(conn, 8)
	read := func(want string) (fresh int) {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		data, from, batch, err := r.read()
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != want {
			t.Fatalf("read %q, want %q", data, want)
		}
		if from.String() != sender.LocalAddr().String() {
			t.Errorf("from %v, want %v", from, sender.LocalAddr())
		}
		return len(batch)
	}
	send := func(msgs ...string) {
		for _, m := range msgs {
			if _, err := sender.Write([]byte(m)); err != nil {
				t.Fatal(err)
			}
		}
	}
	send("a", "b", "c")
	// Loopback queues a datagram before the send returns, so one batch
	// holds all three.
	if fresh := read("a") + read("b") + read("c"); fresh != 3 {
		t.Errorf("batches counted %d datagrams, want 3", fresh)
	}
	if r.buffered() != 0 {
		t.Errorf("%d datagrams left", r.buffered())
	}
	send("d")
	if read("d") != 1 {
		t.Error("a new batch was not counted")
	}
	big := bytes.Repeat([]byte("x"), slotSize+100)
	if _, err := sender.Write(big); err != nil {
		t.Fatal(err)
	}
	read(string(big[:slotSize]))
}

// TestReadAfterClose: a closed socket reports so, even with datagrams of
// its last batch not yet handed out.
func TestReadAfterClose(t *testing.T) {
	g := loopbackGuard()
	relay := queuedRelay(t, g, &groupConn{})
	listen := udpService(t, "127.0.0.1:0")
	group := newSocketGroup([]*net.UDPConn{listen})
	sender := udpService(t, "127.0.0.1:0")
	for _, conn := range []net.PacketConn{relay, group.socks[0]} {
		for range 3 {
			if _, err := sender.WriteTo([]byte("queued"), conn.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
		buf := make([]byte, 1500)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := conn.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		if _, _, err := conn.ReadFrom(buf); err == nil {
			t.Errorf("%T: ReadFrom after Close returned a datagram", conn)
		}
	}
}
