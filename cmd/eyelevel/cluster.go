package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"eyelevel/signaling"

	"github.com/nats-io/nats.go"
)

// cluster is this node's link to the other nodes. Without --nats it is a
// cluster of one: no bus, and always ready.
type cluster struct {
	id     string // random per process: names this node in logs and on the bus
	nc     *nats.Conn
	bus    *signaling.NATSBus
	closed chan struct{} // closed when the NATS connection is
}

// joinCluster connects to NATS when --nats is set. A NATS that is down at
// start or later is retried for ever; meanwhile /readyz says not ready.
func joinCluster(ctx context.Context, n nodeConfig, log *slog.Logger) (*cluster, error) {
	b := make([]byte, 6)
	rand.Read(b)
	cl := &cluster{id: hex.EncodeToString(b)}
	if n.nats == "" {
		return cl, nil
	}
	cl.closed = make(chan struct{})
	// The URL may hold credentials: it is never logged, only the
	// connection's redacted one.
	nc, err := nats.Connect(n.nats,
		nats.Name("eyelevel "+cl.id),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true),
		nats.ConnectHandler(func(nc *nats.Conn) { log.Info("NATS connected", "server", nc.ConnectedUrlRedacted()) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("NATS disconnected; reconnecting", "err", err) // NATS errors quote no credentials
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("NATS reconnected", "server", nc.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Error("NATS", "err", err) // e.g. a slow consumer: messages from other nodes dropped
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(cl.closed) }),
	)
	if err != nil {
		return nil, fmt.Errorf("--nats: %w", err)
	}
	if nc.IsConnected() {
		log.Info("NATS connected", "server", nc.ConnectedUrlRedacted(), "node", cl.id)
	} else {
		log.Warn("NATS not reachable yet; retrying", "node", cl.id)
	}
	cl.nc = nc
	cl.bus = signaling.NewNATSBus(nc)
	return cl, nil
}

// signalBus is the bus for the signaling hub: nil for a cluster of one.
func (cl *cluster) signalBus() signaling.Bus {
	if cl.bus == nil {
		return nil
	}
	return cl.bus
}

// Ready reports whether the node can reach the other nodes.
func (cl *cluster) Ready() error {
	if cl.nc != nil && !cl.nc.IsConnected() {
		return errors.New("NATS not connected")
	}
	return nil
}

// Close leaves the cluster (after the hub has closed): what was published
// is flushed, then the connection closes.
func (cl *cluster) Close() {
	if cl.nc == nil {
		return
	}
	if err := cl.nc.Drain(); err != nil {
		cl.nc.Close()
	}
	select {
	case <-cl.closed:
	case <-time.After(5 * time.Second):
		cl.nc.Close()
	}
	cl.bus.Close()
}
