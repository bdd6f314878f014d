// Package metrics exposes eyelevel's Prometheus metrics. One Metrics per
// server process (tests run several in one process); every method is safe
// on a nil *Metrics, so parts built without metrics need no checks.
//
// No label ever carries personal data: no user or appointment ids, no
// usernames, no IP addresses — route patterns, status classes and fixed
// words only.
package metrics

import "github.com/prometheus/client_golang/prometheus"

// Metrics holds the collectors of one server.
type Metrics struct {
	Registry *prometheus.Registry
}

// New returns the metrics of one server.
func New() *Metrics {
	return &Metrics{Registry: prometheus.NewRegistry()}
}
