package turnserver

import (
	"net"
	"testing"
	"time"
)

func TestEvenPortsHoldPair(t *testing.T) {
	var e evenPorts
	defer e.close()
	bind := func(port int) (*net.UDPConn, error) {
		return net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	}
	probe, err := e.probe(bind)
	if err != nil {
		t.Fatal(err)
	}
	port := probe.LocalAddr().(*net.UDPAddr).Port
	if port%2 != 0 {
		t.Fatalf("probe port %d is odd", port)
	}
	// pion closes the probe; the socket must stay open for the Allocate.
	heldProbe{probe}.Close()
	if _, err := bind(port + 1); err == nil {
		t.Errorf("port %d is free, want it held", port+1)
	}
	for _, p := range []int{port, port + 1} {
		c := e.take(p)
		if c == nil || c.LocalAddr().(*net.UDPAddr).Port != p {
			t.Fatalf("take(%d) = %v", p, c)
		}
		if _, err := c.WriteTo([]byte("x"), c.LocalAddr()); err != nil {
			t.Errorf("held socket %d is closed: %v", p, err)
		}
		c.Close()
		if e.take(p) != nil {
			t.Errorf("take(%d) twice", p)
		}
	}
	if e.take(0) != nil {
		t.Error("take(0) returned a socket")
	}

	// Unclaimed sockets are closed after holdFor.
	if _, err := e.probe(bind); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.pruneLocked(time.Now().Add(holdFor + time.Second))
	n := len(e.held)
	e.mu.Unlock()
	if n != 0 {
		t.Errorf("%d sockets still held after holdFor", n)
	}
}
