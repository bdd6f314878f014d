package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"eyelevel/metrics"
	"eyelevel/signaling"
	"eyelevel/store"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// watchNode makes mx read this node's figures at each scrape: signaling,
// the embedded relay (when it runs), background jobs, the lead and the
// database pools.
func watchNode(mx *metrics.Metrics, hub *signaling.Hub, v *video, bg *background, db *store.DB) {
	src := metrics.Sources{
		Signaling: func() (int, int) {
			s := hub.Stats()
			return s.Connections, s.Rooms
		},
		Jobs: func() []metrics.Job {
			var out []metrics.Job
			for _, j := range bg.jobCounts() {
				out = append(out, metrics.Job{Name: j.Name, Runs: j.Runs, Failures: j.Failures})
			}
			return out
		},
		DBPools: func() []metrics.Pool {
			var out []metrics.Pool
			for _, p := range db.PoolStats() {
				out = append(out, metrics.Pool{Name: p.Name, Stats: p.Stats})
			}
			return out
		},
	}
	if bg.lead != nil {
		src.Leader = bg.lead.IsLeader
	}
	if v.server != nil {
		src.TURN = func() metrics.TURNStats {
			s := v.server.Stats()
			return metrics.TURNStats{Allocations: s.Allocations, RelayedBytes: s.RelayedBytes, RelayedPackets: s.RelayedPackets, RefusedPeers: s.RefusedPeers}
		}
	}
	mx.Watch(src)
}

// serveMetrics serves mx at /metrics on addr, apart from the public
// address (nothing when addr is empty), until stop is called.
func serveMetrics(addr string, mx *metrics.Metrics, log *slog.Logger) (stop func(context.Context) error, err error) {
	if addr == "" {
		return func(context.Context) error { return nil }, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(mx.Registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("serving metrics", "err", err)
		}
	}()
	log.Info("metrics are served", "url", "http://"+ln.Addr().String()+"/metrics")
	// A scrape in flight may finish within what is left of the stop's
	// time; then the connections are closed.
	return func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if err != nil {
			srv.Close()
		}
		<-done
		return err
	}, nil
}
