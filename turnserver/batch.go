package turnserver

import (
	"errors"
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

// sendQueue holds a relay's datagrams to peers until the reader of the
// listening socket that serves the relay's client flushes them, with one
// sendmmsg, before it waits for more. pion relays a client's packet from
// that reader's goroutine, so the queue has one user and no lock.
type sendQueue struct {
	conn   batchConn
	msgs   []ipv4.Message
	slots  [][]byte
	n      int
	queued bool // on the listening socket's list of queues to flush
	// Handed to other relays in-process (hop.go) since the last flush.
	hopPackets, hopBytes int64
}

func newSendQueue(c *net.UDPConn, size int) *sendQueue {
	q := &sendQueue{conn: newBatchConn(c), msgs: make([]ipv4.Message, size), slots: make([][]byte, size)}
	buf := make([]byte, size*slotSize)
	for i := range q.msgs {
		q.slots[i] = buf[i*slotSize : (i+1)*slotSize : (i+1)*slotSize]
		q.msgs[i].Buffers = make([][]byte, 1)
	}
	return q
}

// add queues a copy of p for to. The caller flushes a full queue first.
func (q *sendQueue) add(p []byte, to *net.UDPAddr) {
	m := &q.msgs[q.n]
	m.Buffers[0] = q.slots[q.n][:copy(q.slots[q.n], p)]
	m.Addr = to
	q.n++
}

func (q *sendQueue) full() bool { return q.n == len(q.msgs) }

// flush sends the queue and returns the datagrams and bytes sent. A
// datagram the kernel refuses is dropped and the rest still go, as with one
// sendto each; a closed socket drops them all.
func (q *sendQueue) flush() (packets, bytes int64) {
	msgs := q.msgs[:q.n]
	for len(msgs) > 0 {
		n, err := q.conn.WriteBatch(msgs, 0)
		n = max(n, 0)
		for i := range n {
			bytes += int64(msgs[i].N)
		}
		packets += int64(n)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				break
			}
			n++ // skip the one that failed
		} else if n == 0 {
			break
		}
		msgs = msgs[min(n, len(msgs)):]
	}
	for i := range q.msgs[:q.n] {
		q.msgs[i].Addr = nil
	}
	q.n = 0
	return packets, bytes
}
