package main

import (
	"errors"
	"flag"
	"time"
)

// nodeConfig is how this process runs as one node among several: the
// message bus that joins them, the metrics endpoint, and how it stops.
type nodeConfig struct {
	nats            string        // NATS URL; empty: one node, signaling in process
	metricsAddr     string        // Prometheus endpoint; empty: none
	drainDelay      time.Duration // /readyz answers 503 this long before the node stops
	shutdownTimeout time.Duration // the whole stop, drain included
}

func (n *nodeConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&n.nats, "nats", "", "NATS URL (nats://host:4222) joining several nodes on one PostgreSQL: video signaling between nodes; empty for one node")
	fs.StringVar(&n.metricsAddr, "metrics-addr", "", "address for Prometheus metrics at /metrics, e.g. 127.0.0.1:9090 (keep it off the public network); empty for none")
	fs.DurationVar(&n.drainDelay, "drain-delay", 5*time.Second, "on SIGTERM, how long /readyz answers 503 before the node stops accepting, so load balancers move on")
	fs.DurationVar(&n.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, the longest the whole stop may take, drain included")
}

// check refuses combinations that cannot work; db is the --db value.
func (n *nodeConfig) check(db string) error {
	if n.nats != "" && db == "" {
		return errors.New("--nats needs --db postgres://…: SQLite is one node's database, and several nodes must share one PostgreSQL")
	}
	if n.drainDelay < 0 || n.shutdownTimeout <= 0 {
		return errors.New("--drain-delay must not be negative and --shutdown-timeout must be positive")
	}
	if n.drainDelay >= n.shutdownTimeout {
		return errors.New("--drain-delay must be shorter than --shutdown-timeout")
	}
	return nil
}
