package turnserver

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// hopRelay is a relay bound to PublicIP (127.0.0.1 here), as Start makes
// them when the host has that address.
func hopRelay(t *testing.T, g *peerGuard, owner *groupConn) *guardedConn {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(conn.LocalAddr().(*net.UDPAddr).Port)
	c := newGuardedConn(conn, g, &relayStats{}, newHopState(netip.MustParseAddr("127.0.0.1"), port))
	c.owner, c.out = owner, newSendQueue(conn, relayBatch)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestHopBetweenRelays: a relay's datagrams to another live relay are
// handed over in-process, in order, from the sender's relayed address; a
// reader blocked on its socket is woken; a closed relay is no longer a
// destination (its port is refused like any other on the host).
func TestHopBetweenRelays(t *testing.T) {
	g := loopbackGuard()
	owner := &groupConn{}
	a, b := hopRelay(t, g, owner), hopRelay(t, g, &groupConn{})

	type result struct {
		msg  string
		from string
		err  error
	}
	got := make(chan result, 1)
	read := func() {
		buf := make([]byte, 1500)
		n, from, err := b.ReadFrom(buf)
		r := result{err: err}
		if err == nil {
			r.msg, r.from = string(buf[:n]), from.String()
		}
		got <- r
	}
	go read() // blocks on the empty socket until a hop wakes it
	const n = 5
	for i := range n {
		if _, err := a.WriteTo(fmt.Appendf(nil, "hop %d", i), b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	owner.flushRelays()
	for i := range n {
		if i > 0 {
			go read()
		}
		select {
		case r := <-got:
			if r.err != nil {
				t.Fatal(r.err)
			}
			if want := fmt.Sprint("hop ", i); r.msg != want || r.from != a.LocalAddr().String() {
				t.Fatalf("read %q from %s, want %q from %s", r.msg, r.from, want, a.LocalAddr())
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("hop %d never read", i)
		}
	}
	if got := a.outPackets.Load(); got != n {
		t.Errorf("sender counted %d, want %d", got, n)
	}
	if got := b.inPackets.Load(); got != n {
		t.Errorf("receiver counted %d, want %d", got, n)
	}
	go read()
	b.Close()
	if r := <-got; r.err == nil {
		t.Errorf("ReadFrom after Close returned %q", r.msg)
	}
	if _, err := a.WriteTo([]byte("after close"), b.LocalAddr()); err != errPeerRefused {
		t.Errorf("WriteTo a closed relay: %v, want errPeerRefused", err)
	}
}
