package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"eyelevel/store"
)

// errDraining is /readyz's answer while the node drains before a stop.
var errDraining = errors.New("draining before a stop")

// ready is /readyz: the database answers and is migrated, the cluster is
// reachable, and the node is not draining before a stop.
func ready(ctx context.Context, db *store.DB, cl *cluster, bg *background) error {
	if bg.draining.Load() {
		return errDraining
	}
	if err := db.Ping(ctx); err != nil {
		return err
	}
	if err := db.Migrated(ctx); err != nil {
		return err
	}
	return cl.Ready()
}

// stopper stops serve in order, so that a rolling restart drops no call:
//
//  1. /readyz answers 503 for --drain-delay while everything else works,
//     so that load balancers send new requests elsewhere;
//  2. the signaling hub closes its WebSockets with 1012 (service restart):
//     browsers reconnect at once, to another node, while the call's media
//     goes on peer to peer;
//  3. the HTTP server stops accepting and finishes in-flight requests;
//  4. the background jobs and tracked requests are waited for;
//  5. the TURN relay, the cluster link and then the database close.
//
// --shutdown-timeout bounds the whole: past it, what is left is closed
// by force and logged. serve fills in the parts as it starts them; a part
// still nil (serve failed before it) is skipped.
type stopper struct {
	node     nodeConfig
	log      *slog.Logger
	bg       *background
	stopJobs context.CancelFunc
	hub      interface{ Close(context.Context) error }
	srv      *http.Server
	serving  bool      // srv.Serve runs: drain first
	closers  []closer  // after the background work, last first
	db       io.Closer // last of all
}

type closer struct {
	name string
	c    func(context.Context) error // ctx ends with --shutdown-timeout
}

// closeLater adds c to what closes after the background work, before
// those added earlier (as defer would).
func (s *stopper) closeLater(name string, c func(context.Context) error) {
	s.closers = append(s.closers, closer{name, c})
}

// stop runs the sequence; serve defers it.
func (s *stopper) stop() {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), s.node.shutdownTimeout)
	defer cancel()
	forced := false
	if s.serving && s.node.drainDelay > 0 {
		s.bg.draining.Store(true)
		s.log.Info("eyelevel is draining: /readyz answers 503", "delay", s.node.drainDelay)
		t := time.NewTimer(s.node.drainDelay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	s.bg.draining.Store(true)
	if s.hub != nil {
		if err := s.hub.Close(ctx); err != nil {
			s.log.Error("closing video rooms", "err", err)
			forced = true
		}
	}
	if s.srv != nil {
		if err := s.srv.Shutdown(ctx); err != nil {
			s.log.Error("in-flight requests did not finish in time: closing their connections", "err", err)
			s.srv.Close()
			forced = true
		}
	}
	if s.stopJobs != nil {
		s.stopJobs()
	}
	waited := make(chan struct{})
	go func() {
		s.bg.shutdown()
		close(waited)
	}()
	select {
	case <-waited:
	case <-ctx.Done():
		s.log.Error("background work did not end in time: closing the database under it")
		forced = true
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i].c(ctx); err != nil {
			s.log.Error("closing "+s.closers[i].name, "err", err)
		}
	}
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			s.log.Error("closing the database", "err", err)
		}
	}
	if forced {
		s.log.Error("eyelevel stopped by force after --shutdown-timeout", "timeout", s.node.shutdownTimeout)
	}
	s.log.Info("eyelevel stopped", "took", time.Since(start).Round(time.Millisecond))
}
