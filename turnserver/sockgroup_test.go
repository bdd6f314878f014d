package turnserver

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

func stunMessage(t *testing.T, typ stun.MessageType, attrs ...stun.Setter) []byte {
	t.Helper()
	m, err := stun.Build(append([]stun.Setter{stun.TransactionID, typ}, attrs...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m.Raw
}

func TestAllocateToken(t *testing.T) {
	token := stun.RawAttribute{Type: 0x0022, Value: []byte("ABCDEFGH")}
	software := stun.NewSoftware("x") // an attribute before it, padded
	allocate := stun.NewType(stun.MethodAllocate, stun.ClassRequest)
	success := stun.NewType(stun.MethodAllocate, stun.ClassSuccessResponse)

	if got, ok := allocateToken(stunMessage(t, allocate, software, token), 0x0003); !ok || got != "ABCDEFGH" {
		t.Errorf("request: got %q, %v", got, ok)
	}
	if got, ok := allocateToken(stunMessage(t, success, token), 0x0103); !ok || got != "ABCDEFGH" {
		t.Errorf("response: got %q, %v", got, ok)
	}
	for name, pkt := range map[string][]byte{
		"no token":     stunMessage(t, allocate, software),
		"other method": stunMessage(t, stun.NewType(stun.MethodRefresh, stun.ClassRequest), token),
		"channel data": {0x40, 0x00, 0x00, 0x04, 1, 2, 3, 4},
		"short":        {0x00, 0x03},
		"truncated":    stunMessage(t, allocate, software, token)[:30],
	} {
		if got, ok := allocateToken(pkt, 0x0003); ok {
			t.Errorf("%s: got token %q", name, got)
		}
	}
}

func TestSocketGroupForwardsReservation(t *testing.T) {
	conns, err := listenUDP(context.Background(), "127.0.0.1:0", 2)
	if err != nil {
		t.Fatal(err)
	}
	g := newSocketGroup(conns)
	defer g.socks[0].Close()
	defer g.socks[1].Close()
	rtp := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	rtcp := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40001}
	token := stun.RawAttribute{Type: 0x0022, Value: []byte("ABCDEFGH")}

	// Socket 0 hands out the token.
	g.socks[0].WriteTo(stunMessage(t, stun.NewType(stun.MethodAllocate, stun.ClassSuccessResponse), token), rtp)
	// The Allocate redeeming it arrives at socket 1: it goes to socket 0,
	// and so does everything later from that client.
	redeem := stunMessage(t, stun.NewType(stun.MethodAllocate, stun.ClassRequest), token)
	if got := g.route(1, redeem, rtcp); got != 0 {
		t.Errorf("redeeming Allocate routed to %d, want 0", got)
	}
	channelData := []byte{0x40, 0x00, 0x00, 0x04, 1, 2, 3, 4}
	if got := g.route(1, channelData, rtcp); got != 0 {
		t.Errorf("later packet routed to %d, want 0", got)
	}
	if got := g.route(1, channelData, rtp); got != 1 {
		t.Errorf("other client's packet routed to %d, want 1", got)
	}
	// Once its allocation is deleted, the client is no longer forwarded.
	g.forget(rtcp)
	if got := g.route(1, channelData, rtcp); got != 1 || g.forwarded.Load() != 0 {
		t.Errorf("forgotten client routed to %d (%d forwarded), want 1", got, g.forwarded.Load())
	}
	// A token issued by the socket that reads its redemption stays there.
	g.socks[1].WriteTo(stunMessage(t, stun.NewType(stun.MethodAllocate, stun.ClassSuccessResponse), stun.RawAttribute{Type: 0x0022, Value: []byte("IJKLMNOP")}), rtp)
	redeem2 := stunMessage(t, stun.NewType(stun.MethodAllocate, stun.ClassRequest), stun.RawAttribute{Type: 0x0022, Value: []byte("IJKLMNOP")})
	if got := g.route(1, redeem2, rtcp); got != 1 || g.forwarded.Load() != 0 {
		t.Errorf("own token routed to %d (%d forwarded), want 1", got, g.forwarded.Load())
	}

	// A forwarded packet wakes a reader blocked on the socket.
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 100)
		n, from, err := g.socks[0].ReadFrom(buf)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(buf[:n]) + " from " + from.String()
	}()
	time.Sleep(10 * time.Millisecond) // let the reader block; the test holds without it
	g.socks[0].deliver([]byte("hello"), rtcp)
	select {
	case s := <-got:
		if s != "hello from 127.0.0.1:40001" {
			t.Errorf("read %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reader not woken")
	}
}
