package signaling

import (
	"context"
	"encoding/json"
	"time"

	"github.com/coder/websocket"
)

// Limits of one signaling connection.
const (
	MaxMessage   = 64 << 10 // bytes; an SDP with many candidates fits easily
	pingInterval = 20 * time.Second
	writeTimeout = 10 * time.Second
)

// Serve runs one participant's WebSocket until it closes, the peer is
// dropped, or until (the room's closing time) passes. The calling goroutine
// reads; one goroutine writes, and also pings, so writes never interleave.
func (h *Hub) Serve(parent context.Context, c *websocket.Conn, p *Peer, until time.Time) {
	ctx, cancel := context.WithDeadline(parent, until)
	defer cancel()
	c.SetReadLimit(MaxMessage)
	h.Join(p)
	defer h.Leave(p)

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer cancel() // a failed write ends the reader too
		ping := time.NewTicker(pingInterval)
		defer ping.Stop()
		for {
			select {
			case b := <-p.out:
				wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
				err := c.Write(wctx, websocket.MessageText, b)
				wcancel()
				if err != nil {
					return
				}
			case <-ping.C:
				pctx, pcancel := context.WithTimeout(ctx, writeTimeout)
				err := c.Ping(pctx)
				pcancel()
				if err != nil {
					return
				}
			case <-p.done:
				// Flush what was queued before the drop (e.g. "replaced", "ended").
				for {
					select {
					case b := <-p.out:
						wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
						c.Write(wctx, websocket.MessageText, b)
						wcancel()
					default:
						return
					}
				}
			case <-ctx.Done():
				return
			}
		}
	}()

	closed := make(chan struct{})
	go func() {
		// End the read with a close frame when the room closes, the writer
		// fails, or the peer is dropped; Close unblocks Read.
		defer close(closed)
		select {
		case <-writerDone:
		case <-p.done:
			<-writerDone
		}
		cancel()
		status, reason := websocket.StatusNormalClosure, ""
		if ctx.Err() == context.DeadlineExceeded {
			status, reason = websocket.StatusGoingAway, "room closed"
		}
		c.Close(status, reason)
	}()

	for {
		typ, data, err := c.Read(parent)
		if err != nil {
			break
		}
		if typ != websocket.MessageText {
			continue
		}
		if reply := h.Handle(p, data); reply != nil {
			b, _ := json.Marshal(reply)
			select {
			case p.out <- b:
			default:
			}
		}
	}
	cancel()
	<-closed
}
