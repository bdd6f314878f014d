package turnserver

import (
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Datagrams are read in batches with recvmmsg (ReadBatch): one system call
// and one wake-up of the reading goroutine for all that is queued on the
// socket, instead of one each per packet. On systems without recvmmsg
// x/net reads one datagram per call, so the code is the same everywhere.
const (
	listenBatch = 32 // listening sockets carry every client's packets
	relayBatch  = 8  // a relay socket carries one allocation's peers
	// slotSize is a batch slot's buffer. It is above pion's buffers (1600
	// bytes), so a datagram is never cut shorter than pion would cut it.
	slotSize = 2048
)

// batchConn is what ipv4.PacketConn and ipv6.PacketConn have in common
// (their Message types are the same type).
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

func newBatchConn(c *net.UDPConn) batchConn {
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
		return ipv6.NewPacketConn(c)
	}
	return ipv4.NewPacketConn(c)
}

// batchReader hands out a socket's datagrams one at a time, reading them a
// batch at a time. Its buffers are reused: a datagram is valid until the
// next read. One goroutine reads (pion has one reader per socket).
type batchReader struct {
	conn      batchConn
	msgs      []ipv4.Message
	next, end int
}

func newBatchReader(c *net.UDPConn, size int) *batchReader {
	r := &batchReader{conn: newBatchConn(c), msgs: make([]ipv4.Message, size)}
	buf := make([]byte, size*slotSize)
	for i := range r.msgs {
		r.msgs[i].Buffers = [][]byte{buf[i*slotSize : (i+1)*slotSize : (i+1)*slotSize]}
	}
	return r
}

// read returns the next datagram and its sender. fresh is the batch just
// read, when this call read one (else nil), for counting per batch.
func (r *batchReader) read() (data []byte, from net.Addr, fresh []ipv4.Message, err error) {
	if r.next == r.end {
		n, err := r.conn.ReadBatch(r.msgs, 0)
		if err != nil || n == 0 {
			r.next, r.end = 0, 0
			if err == nil {
				err = net.ErrClosed
			}
			return nil, nil, nil, err
		}
		r.next, r.end = 0, n
		fresh = r.msgs[:n]
	}
	m := &r.msgs[r.next]
	r.next++
	return m.Buffers[0][:m.N], m.Addr, fresh, nil
}

// buffered reports how many datagrams of the current batch are left.
func (r *batchReader) buffered() int { return r.end - r.next }

// batchBytes sums a batch's payload.
func batchBytes(ms []ipv4.Message) int64 {
	var n int64
	for i := range ms {
		n += int64(ms[i].N)
	}
	return n
}
