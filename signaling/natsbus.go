package signaling

import (
	"context"
	"errors"
	"sync"

	"github.com/nats-io/nats.go"
)

// busQueue bounds the messages from other nodes waiting for this node's
// hub. Beyond it NATS drops them (a slow consumer, logged by the
// connection's error handler) instead of growing without end.
const busQueue = 4096

// NATSBus is a Bus over core NATS. All its subscriptions feed one bounded
// channel read by one goroutine, so a room costs a subscription, not a
// goroutine, and messages are handled in the order they arrived.
type NATSBus struct {
	nc       *nats.Conn
	ch       chan *nats.Msg
	mu       sync.Mutex
	handlers map[*nats.Subscription]func(data []byte, reply string)
	quit     chan struct{}
	done     chan struct{}
}

// NewNATSBus starts a bus on nc; Close stops it (nc stays the caller's).
func NewNATSBus(nc *nats.Conn) *NATSBus {
	b := &NATSBus{nc: nc, ch: make(chan *nats.Msg, busQueue), handlers: map[*nats.Subscription]func([]byte, string){},
		quit: make(chan struct{}), done: make(chan struct{})}
	go b.dispatch()
	return b
}

func (b *NATSBus) dispatch() {
	defer close(b.done)
	for {
		select {
		case <-b.quit:
			return
		case m := <-b.ch:
			if len(m.Data) > MaxBusMessage {
				continue // no node of ours sends that much: not worth decoding
			}
			b.mu.Lock()
			fn := b.handlers[m.Sub]
			b.mu.Unlock()
			if fn != nil {
				fn(m.Data, m.Reply)
			}
		}
	}
}

// Subscribe implements Bus.
func (b *NATSBus) Subscribe(subject string, fn func(data []byte, reply string)) (func(), error) {
	// Locked until the handler is in: the dispatcher waits for it.
	b.mu.Lock()
	defer b.mu.Unlock()
	sub, err := b.nc.ChanSubscribe(subject, b.ch)
	if err != nil {
		return nil, err
	}
	b.handlers[sub] = fn
	return func() {
		sub.Unsubscribe()
		b.mu.Lock()
		delete(b.handlers, sub)
		b.mu.Unlock()
	}, nil
}

// Publish implements Bus.
func (b *NATSBus) Publish(subject string, data []byte) error { return b.nc.Publish(subject, data) }

// Ask implements Bus: NATS answers at once when nobody listens.
func (b *NATSBus) Ask(ctx context.Context, subject string, data []byte) ([]byte, error) {
	m, err := b.nc.RequestWithContext(ctx, subject, data)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(m.Data) > MaxBusMessage {
		return nil, errors.New("signaling: answer too large")
	}
	return m.Data, nil
}

// Gather implements Bus.
func (b *NATSBus) Gather(ctx context.Context, subject string, data []byte, each func([]byte)) error {
	inbox := b.nc.NewInbox()
	ch := make(chan *nats.Msg, 64)
	sub, err := b.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	if err := b.nc.PublishRequest(subject, inbox, data); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			if len(m.Data) <= MaxBusMessage {
				each(m.Data)
			}
		}
	}
}

// Flush implements Bus.
func (b *NATSBus) Flush(ctx context.Context) error { return b.nc.FlushWithContext(ctx) }

// Close stops delivering messages.
func (b *NATSBus) Close() {
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.done
}
