package metrics

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

// Sources are the figures other parts of the server keep, read at each
// scrape. A nil function leaves its metrics out (no embedded relay: no
// TURN metrics).
type Sources struct {
	Signaling func() (connections, rooms int)
	TURN      func() TURNStats
	Jobs      func() []Job
	Leader    func() bool
	DBPools   func() []Pool
}

// TURNStats are the embedded relay's figures.
type TURNStats struct {
	Allocations                                int
	RelayedBytes, RelayedPackets, RefusedPeers int64
}

// Job is one background job's totals; Name is a fixed word.
type Job struct {
	Name           string
	Runs, Failures int64
}

// Pool is one database connection pool's statistics; Name is a fixed
// word ("main", or "write" and "read" on SQLite).
type Pool struct {
	Name  string
	Stats sql.DBStats
}

// Watch registers the sources' metrics. Call it once.
func (m *Metrics) Watch(s Sources) {
	if m != nil {
		m.Registry.MustRegister(&sourceCollector{s: s})
	}
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	signalingConns = desc("eyelevel_signaling_connections", "Video-room signaling connections open on this node.")
	signalingRooms = desc("eyelevel_signaling_rooms", "Video rooms with someone connected to this node.")
	turnAllocs     = desc("eyelevel_turn_allocations", "Relay allocations open on the embedded TURN server.")
	turnBytes      = desc("eyelevel_turn_relayed_bytes_total", "Payload bytes the embedded TURN server relayed, both directions.")
	turnPackets    = desc("eyelevel_turn_relayed_packets_total", "Packets the embedded TURN server relayed, both directions.")
	turnRefused    = desc("eyelevel_turn_refused_peers_total", "Packets or permissions the embedded TURN server refused by its peer filter.")
	jobRuns        = desc("eyelevel_background_job_runs_total", "Runs of a background job on this node.", "job")
	jobFailures    = desc("eyelevel_background_job_failures_total", "Failed runs of a background job on this node.", "job")
	leader         = desc("eyelevel_leader", "1 while this node runs the background jobs, else 0.")
	dbOpen         = desc("eyelevel_db_open_connections", "Connections open in the database pool.", "pool")
	dbInUse        = desc("eyelevel_db_in_use_connections", "Connections in use in the database pool.", "pool")
	dbIdle         = desc("eyelevel_db_idle_connections", "Idle connections in the database pool.", "pool")
	dbMaxOpen      = desc("eyelevel_db_max_open_connections", "The most connections the database pool may open (0: no limit).", "pool")
	dbWaits        = desc("eyelevel_db_wait_count_total", "Times a query waited for a free connection.", "pool")
	dbWaited       = desc("eyelevel_db_wait_duration_seconds_total", "Time queries spent waiting for a free connection.", "pool")
	dbClosedIdle   = desc("eyelevel_db_closed_idle_total", "Connections closed for being idle too long or too many.", "pool")
)

// sourceCollector reads the sources when Prometheus scrapes.
type sourceCollector struct{ s Sources }

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	if c.s.Signaling != nil {
		ch <- signalingConns
		ch <- signalingRooms
	}
	if c.s.TURN != nil {
		ch <- turnAllocs
		ch <- turnBytes
		ch <- turnPackets
		ch <- turnRefused
	}
	if c.s.Jobs != nil {
		ch <- jobRuns
		ch <- jobFailures
	}
	if c.s.Leader != nil {
		ch <- leader
	}
	if c.s.DBPools != nil {
		for _, d := range []*prometheus.Desc{dbOpen, dbInUse, dbIdle, dbMaxOpen, dbWaits, dbWaited, dbClosedIdle} {
			ch <- d
		}
	}
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	if c.s.Signaling != nil {
		conns, rooms := c.s.Signaling()
		gauge(signalingConns, float64(conns))
		gauge(signalingRooms, float64(rooms))
	}
	if c.s.TURN != nil {
		t := c.s.TURN()
		gauge(turnAllocs, float64(t.Allocations))
		counter(turnBytes, float64(t.RelayedBytes))
		counter(turnPackets, float64(t.RelayedPackets))
		counter(turnRefused, float64(t.RefusedPeers))
	}
	if c.s.Jobs != nil {
		for _, j := range c.s.Jobs() {
			counter(jobRuns, float64(j.Runs), j.Name)
			counter(jobFailures, float64(j.Failures), j.Name)
		}
	}
	if c.s.Leader != nil {
		v := 0.0
		if c.s.Leader() {
			v = 1
		}
		gauge(leader, v)
	}
	if c.s.DBPools != nil {
		for _, p := range c.s.DBPools() {
			st := p.Stats
			gauge(dbOpen, float64(st.OpenConnections), p.Name)
			gauge(dbInUse, float64(st.InUse), p.Name)
			gauge(dbIdle, float64(st.Idle), p.Name)
			gauge(dbMaxOpen, float64(st.MaxOpenConnections), p.Name)
			counter(dbWaits, float64(st.WaitCount), p.Name)
			counter(dbWaited, st.WaitDuration.Seconds(), p.Name)
			counter(dbClosedIdle, float64(st.MaxIdleClosed+st.MaxIdleTimeClosed), p.Name)
		}
	}
}
