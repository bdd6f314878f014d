package turnserver

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// waitStats polls s.Stats until ok accepts it: the relays count a batch
// right after its system call, so the last packet can arrive a moment
// before its count.
func waitStats(t *testing.T, s *Server, ok func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := s.Stats()
		if ok(st) || time.Now().After(deadline) {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStatsCountRelayed(t *testing.T) {
	s, _ := MustStart(t, Config{AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if st := s.Stats(); st != (Stats{}) {
		t.Fatalf("Stats at start = %+v, want zero", st)
	}
	a, b := userClient(t, s, "alice"), userClient(t, s, "bob")
	ra, rb := mustAllocate(t, a), mustAllocate(t, b)
	if err := a.CreatePermission(rb.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if err := b.CreatePermission(ra.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Allocations != 2 || st.RelayedPackets != 0 {
		t.Fatalf("Stats after allocating = %+v, want 2 allocations, nothing relayed", st)
	}

	// Each packet a→b is counted twice: sent by a's relay to b's, read
	// by b's relay from a's. The receiver reads until it has them all, so
	// a retry would show as a surplus.
	const n = 50
	var payload int64
	buf := make([]byte, 1500)
	for i := range n {
		msg := fmt.Sprintf("packet %02d", i)
		payload += int64(len(msg))
		if _, err := ra.WriteTo([]byte(msg), rb.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		rb.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, _, err := rb.ReadFrom(buf)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if string(buf[:m]) != msg {
			t.Fatalf("received %q, want %q", buf[:m], msg)
		}
	}
	want := Stats{Allocations: 2, RelayedPackets: 2 * n, RelayedBytes: 2 * payload}
	if st := waitStats(t, s, func(st Stats) bool { return st == want }); st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}

	// A closed relay's counts stay in the totals.
	ra.Close()
	want.Allocations = 1
	if st := waitStats(t, s, func(st Stats) bool { return st.Allocations == 1 }); st != want {
		t.Errorf("Stats after closing a relay = %+v, want %+v", st, want)
	}
}

// TestStatsCountRefused: without AllowPeers, a permission to a loopback
// peer is refused and counted; with it, a packet to a loopback service that
// is not a relay is dropped by the relay socket and counted.
func TestStatsCountRefused(t *testing.T) {
	s, _ := MustStart(t, Config{})
	a := userClient(t, s, "alice")
	mustAllocate(t, a)
	peer := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	if err := a.CreatePermission(peer); err == nil {
		t.Fatal("CreatePermission to loopback succeeded")
	}
	if st := s.Stats(); st.RefusedPeers != 1 || st.RelayedPackets != 0 {
		t.Errorf("Stats = %+v, want 1 refused, nothing relayed", st)
	}

	s2, _ := MustStart(t, Config{AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	svc := udpService(t, "127.0.0.1:0")
	a2, b2 := userClient(t, s2, "alice"), userClient(t, s2, "bob")
	ra, rb := mustAllocate(t, a2), mustAllocate(t, b2)
	if err := b2.CreatePermission(ra.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if _, err := ra.WriteTo([]byte("to the service"), svc.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	// Handled in order: once this one is through, the first was judged.
	exchange(t, ra, rb, "a→b")
	if st := waitStats(t, s2, func(st Stats) bool { return st.RefusedPeers == 1 }); st.RefusedPeers != 1 {
		t.Errorf("Stats = %+v, want 1 refused", st)
	}
}
