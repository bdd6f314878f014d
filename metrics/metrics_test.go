package metrics

import (
	"database/sql"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// gather returns the registry's families by name.
func gather(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value is the value of the family's series whose labels include want.
func value(mf *dto.MetricFamily, want map[string]string) (float64, bool) {
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		ok := true
		for k, v := range want {
			ok = ok && labels[k] == v
		}
		if !ok {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// everySource is a node with every source present.
func everySource() Sources {
	return Sources{
		Signaling: func() (int, int) { return 3, 2 },
		TURN: func() TURNStats {
			return TURNStats{Allocations: 4, RelayedBytes: 1000, RelayedPackets: 10, RefusedPeers: 1}
		},
		Jobs:   func() []Job { return []Job{{"janitor", 5, 1}, {"waitlist", 7, 0}} },
		Leader: func() bool { return true },
		DBPools: func() []Pool {
			return []Pool{{"main", sql.DBStats{OpenConnections: 2, InUse: 1, Idle: 1, MaxOpenConnections: 32}}}
		},
	}
}

func TestNilMetricsIgnoreAll(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("GET /", 200, time.Millisecond)
	m.Booked("client")
	m.Cancelled("client", 1)
	m.BookingConflict("taken")
	m.Watch(everySource())
}

// TestSourcesAreReadAtScrape: the figures of the sources appear as they
// are when gathered; the counters count; a word that is not a role or a
// refusal reason is counted as "other", so no name or id becomes a label.
func TestSourcesAreReadAtScrape(t *testing.T) {
	m := New()
	m.Watch(everySource())
	m.Booked("client")
	m.Booked("carepoint")
	m.Booked("k5x3qzv7m2a4b6c8d9e2f3g4h5") // not a role
	m.Cancelled("counselor", 3)
	m.Cancelled("erasure", 0)
	m.BookingConflict("taken")
	m.BookingConflict("alice@example.org")
	m.ObserveRequest("", 404, time.Millisecond)
	m.ObserveRequest("GET /api/v1/me", 200, time.Millisecond)
	fams := gather(t, m)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"eyelevel_bookings_total", map[string]string{"by": "client"}, 1},
		{"eyelevel_bookings_total", map[string]string{"by": "carepoint"}, 1},
		{"eyelevel_bookings_total", map[string]string{"by": "other"}, 1},
		{"eyelevel_cancellations_total", map[string]string{"by": "counselor"}, 3},
		{"eyelevel_booking_conflicts_total", map[string]string{"reason": "taken"}, 1},
		{"eyelevel_booking_conflicts_total", map[string]string{"reason": "other"}, 1},
		{"eyelevel_booking_conflicts_total", map[string]string{"reason": "same_day"}, 0},
		{"eyelevel_http_request_duration_seconds", map[string]string{"route": "other", "code": "4xx"}, 1},
		{"eyelevel_http_request_duration_seconds", map[string]string{"route": "GET /api/v1/me", "code": "2xx"}, 1},
		{"eyelevel_signaling_connections", nil, 3},
		{"eyelevel_signaling_rooms", nil, 2},
		{"eyelevel_turn_allocations", nil, 4},
		{"eyelevel_turn_relayed_bytes_total", nil, 1000},
		{"eyelevel_turn_relayed_packets_total", nil, 10},
		{"eyelevel_turn_refused_peers_total", nil, 1},
		{"eyelevel_background_job_runs_total", map[string]string{"job": "janitor"}, 5},
		{"eyelevel_background_job_failures_total", map[string]string{"job": "janitor"}, 1},
		{"eyelevel_background_job_runs_total", map[string]string{"job": "waitlist"}, 7},
		{"eyelevel_leader", nil, 1},
		{"eyelevel_db_open_connections", map[string]string{"pool": "main"}, 2},
		{"eyelevel_db_max_open_connections", map[string]string{"pool": "main"}, 32},
		{"eyelevel_build_info", nil, 1},
	} {
		mf, ok := fams[c.name]
		if !ok {
			t.Errorf("%s missing", c.name)
			continue
		}
		if got, ok := value(mf, c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := fams[name]; !ok && (name != "process_resident_memory_bytes" || runtimeHasProc()) {
			t.Errorf("%s missing", name)
		}
	}
}

func runtimeHasProc() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

// TestWithoutRelayNoTURNMetrics: a node without the embedded relay
// reports no TURN figures (rather than zeros that look like an idle relay).
func TestWithoutRelayNoTURNMetrics(t *testing.T) {
	m := New()
	s := everySource()
	s.TURN = nil
	m.Watch(s)
	fams := gather(t, m)
	if _, ok := fams["eyelevel_turn_allocations"]; ok {
		t.Error("eyelevel_turn_allocations reported without a relay")
	}
	if _, ok := fams["eyelevel_signaling_connections"]; !ok {
		t.Error("eyelevel_signaling_connections missing")
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{101: "1xx", 200: "2xx", 204: "2xx", 302: "3xx", 404: "4xx", 499: "4xx", 500: "5xx", 503: "5xx", 0: "other", 600: "other"} {
		if got := StatusClass(status); got != want {
			t.Errorf("StatusClass(%d) = %q, want %q", status, got, want)
		}
	}
}

// TestDashboardQueriesExist: deploy/grafana-dashboard.json is JSON, and
// every metric its queries name is one this registry exports.
func TestDashboardQueriesExist(t *testing.T) {
	b, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string
		Panels []struct {
			Title   string
			Type    string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	m := New()
	m.Watch(everySource())
	m.ObserveRequest("GET /", 200, time.Millisecond) // a histogram appears with its first request
	fams := gather(t, m)
	name := regexp.MustCompile(`\b(?:eyelevel|go|process)_[a-z0-9_]+`)
	queries := 0
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			queries++
			names := name.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: query names no metric: %s", p.Title, tg.Expr)
			}
			for _, n := range names {
				base := n
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					if b, ok := strings.CutSuffix(n, suffix); ok && fams[b] != nil && fams[b].GetType() == dto.MetricType_HISTOGRAM {
						base = b
					}
				}
				if fams[base] == nil {
					t.Errorf("panel %q queries %s, which is not exported", p.Title, n)
				}
			}
		}
	}
	if queries < 15 {
		t.Errorf("the dashboard has %d queries; expected the full set", queries)
	}
}
