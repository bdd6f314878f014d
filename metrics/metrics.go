// Package metrics exposes eyelevel's Prometheus metrics. One Metrics per
// server process (tests run several in one process); every method is safe
// on a nil *Metrics, so parts built without metrics need no checks.
//
// No label ever carries personal data: no user or appointment ids, no
// usernames, no IP addresses — route patterns, status classes and fixed
// words only. Words that are not on the lists below are counted as
// "other", so a mistake elsewhere cannot leak into a label.
package metrics

import (
	"strconv"
	"time"

	"eyelevel/buildinfo"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the collectors of one server.
type Metrics struct {
	Registry *prometheus.Registry

	requests      *prometheus.HistogramVec
	bookings      *prometheus.CounterVec
	cancellations *prometheus.CounterVec
	conflicts     *prometheus.CounterVec
}

// Who books or cancels (an account's role, or the deletion of an account),
// and why a booking was refused: the only words these labels take.
var (
	actors  = []string{"client", "counselor", "carepoint", "admin", "orgadmin", "erasure"}
	reasons = []string{"taken", "already_yours", "overlap", "too_many", "same_day"}
)

// New returns the metrics of one server, with the Go runtime, the process
// and the build registered.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eyelevel_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and status class (WebSocket sessions excluded).",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "code"}),
		bookings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eyelevel_bookings_total",
			Help: "Sessions booked, by who booked them.",
		}, []string{"by"}),
		cancellations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eyelevel_cancellations_total",
			Help: "Sessions cancelled, by who cancelled them.",
		}, []string{"by"}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eyelevel_booking_conflicts_total",
			Help: "Bookings refused by the booking rules (slot taken, overlap, limits), by reason.",
		}, []string{"reason"}),
	}
	for _, a := range actors[:3] {
		m.bookings.WithLabelValues(a)
		m.cancellations.WithLabelValues(a)
	}
	for _, r := range reasons {
		m.conflicts.WithLabelValues(r)
	}
	bi := buildinfo.Get()
	m.Registry.MustRegister(
		m.requests, m.bookings, m.cancellations, m.conflicts,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "eyelevel_build_info",
			Help:        "Always 1; the labels say which eyelevel runs.",
			ConstLabels: prometheus.Labels{"version": bi.Version, "commit": bi.Commit, "goversion": bi.GoVersion},
		}, func() float64 { return 1 }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// ObserveRequest records one answered request: route is the ServeMux
// pattern that matched ("" for none), status the HTTP status.
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "other"
	}
	m.requests.WithLabelValues(route, StatusClass(status)).Observe(d.Seconds())
}

// StatusClass is "2xx" for 200 to 299, and so on.
func StatusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// Booked counts a session booked; by is the booker's role.
func (m *Metrics) Booked(by string) {
	if m != nil {
		m.bookings.WithLabelValues(oneOf(by, actors)).Inc()
	}
}

// Cancelled counts n sessions cancelled; by is the canceller's role, or
// "erasure" when an account's deletion cancelled them.
func (m *Metrics) Cancelled(by string, n int) {
	if m != nil && n > 0 {
		m.cancellations.WithLabelValues(oneOf(by, actors)).Add(float64(n))
	}
}

// BookingConflict counts a booking the rules refused; reason is the
// refusal's word ("taken", "overlap" …).
func (m *Metrics) BookingConflict(reason string) {
	if m != nil {
		m.conflicts.WithLabelValues(oneOf(reason, reasons)).Inc()
	}
}

// oneOf returns s if it is one of words, else "other".
func oneOf(s string, words []string) string {
	for _, w := range words {
		if s == w {
			return s
		}
	}
	return "other"
}
