package turnserver

import (
	"errors"
	"net"
	"sync"
	"time"
)

var errNoEvenPort = errors.New("turnserver: no free even/odd relay port pair")

// evenPorts makes RFC 5766 EVEN-PORT allocations reliable. A client asking
// for one (RTP/RTCP clients such as coturn's turnutils_uclient; browsers
// never do) gets an even relay port and a RESERVATION-TOKEN for the odd
// port above it, which it allocates next. pion finds the even port by
// opening and closing sockets and remembers only the port number, so on a
// busy host another socket may take either port in between, and the odd
// port may be taken already; the client then gets 508. Here the search
// keeps both sockets open, and the allocations that follow take them.
type evenPorts struct {
	mu   sync.Mutex
	held map[int]heldSocket // port → socket kept for the allocation to come
}

type heldSocket struct {
	conn    *net.UDPConn
	expires time.Time
}

// holdFor is how long a port waits: the RTP Allocate follows its probe at
// once, the RTCP one redeems a token that pion keeps for 30 s.
const holdFor = 30 * time.Second

// probe opens an even port and the odd one above it and holds both.
func (e *evenPorts) probe(bind func(port int) (*net.UDPConn, error)) (*net.UDPConn, error) {
	for range 64 {
		even, err := bind(0)
		if err != nil {
			return nil, err
		}
		port := even.LocalAddr().(*net.UDPAddr).Port
		if port%2 != 0 || port == 65535 {
			even.Close()
			continue
		}
		odd, err := bind(port + 1)
		if err != nil {
			even.Close()
			continue
		}
		e.mu.Lock()
		e.pruneLocked(time.Now())
		if e.held == nil {
			e.held = map[int]heldSocket{}
		}
		expires := time.Now().Add(holdFor)
		e.held[port] = heldSocket{even, expires}
		e.held[port+1] = heldSocket{odd, expires}
		e.mu.Unlock()
		return even, nil
	}
	return nil, errNoEvenPort
}

// take returns the socket held for port, or nil.
func (e *evenPorts) take(port int) *net.UDPConn {
	if port == 0 {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pruneLocked(time.Now())
	h, ok := e.held[port]
	if !ok {
		return nil
	}
	delete(e.held, port)
	return h.conn
}

// close releases all held sockets.
func (e *evenPorts) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for port, h := range e.held {
		h.conn.Close()
		delete(e.held, port)
	}
}

func (e *evenPorts) pruneLocked(now time.Time) {
	for port, h := range e.held {
		if now.After(h.expires) {
			h.conn.Close()
			delete(e.held, port)
		}
	}
}

// heldProbe is what pion's even-port search gets: it closes the socket
// after reading the port, but the socket stays held for the Allocate.
type heldProbe struct{ *net.UDPConn }

// Close implements net.PacketConn; see heldProbe.
func (heldProbe) Close() error { return nil }
