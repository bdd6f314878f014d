package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
)

// cluster is this node's link to the other nodes. Without --nats it is a
// cluster of one: no bus, and always ready.
type cluster struct {
	id string // random per process: names this node in logs and on the bus
}

// joinCluster connects to NATS when --nats is set.
func joinCluster(ctx context.Context, n nodeConfig, log *slog.Logger) (*cluster, error) {
	b := make([]byte, 6)
	rand.Read(b)
	cl := &cluster{id: hex.EncodeToString(b)}
	if n.nats != "" {
		return nil, errors.New("--nats: not built yet")
	}
	return cl, nil
}

// Ready reports whether the node can reach the other nodes.
func (cl *cluster) Ready() error { return nil }

// Close leaves the cluster (after the hub has closed).
func (cl *cluster) Close() {}
