package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/metrics"

	"github.com/coder/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var metricsServed = regexp.MustCompile(`msg="metrics are served" url=(http://\S+/metrics)`)

// startMetricsServer is startServer with --metrics-addr; it returns the
// base URL, the metrics URL and the server's log (stderr).
func startMetricsServer(t *testing.T, extra ...string) (base, metricsURL string, log *syncBuffer) {
	t.Helper()
	log, _ = runServer(t, append([]string{"--data", t.TempDir(), "--metrics-addr", "127.0.0.1:0"}, extra...)...)
	m := metricsServed.FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("the log does not say where metrics are served:\n%s", log)
	}
	l := regexp.MustCompile(`msg="eyelevel is listening" url=(http://\S+)`).FindStringSubmatch(log.String())
	if l == nil {
		t.Fatalf("no listening line:\n%s", log)
	}
	return l[1], m[1], log
}

// scrape reads the metrics endpoint.
func scrape(t *testing.T, u string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parsing the metrics: %v", err)
	}
	return fams
}

// sample is the sum of the family's series whose labels include want.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf, ok := fams[name]
	if !ok {
		return 0, false
	}
	var sum float64
	found := false
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum, found
}

var (
	uuidLike   = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	hexLike    = regexp.MustCompile(`(?i)\b[0-9a-f]{12,}\b`)
	digitsLike = regexp.MustCompile(`\d{6,}`)
	// eyelevel.NewID: 16 random bytes in lower-case base32, 26 letters.
	base32Like = regexp.MustCompile(`[a-z2-7]{26}`)
	emailLike  = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[a-z]{2,}`)
)

// personal says why a label value looks like personal data ("" if not):
// an id of any form eyelevel or its database makes, an email address, an
// IP address, or one of the names given.
func personal(v string, names ...string) string {
	switch {
	case uuidLike.MatchString(v):
		return "a UUID"
	case hexLike.MatchString(v):
		return "a hexadecimal id"
	case digitsLike.MatchString(v):
		return "a long number"
	case base32Like.MatchString(v):
		return "an eyelevel id"
	case emailLike.MatchString(v):
		return "an email address"
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(" /{}[]()=,;\"'", r) }) {
		if h, _, err := net.SplitHostPort(f); err == nil && net.ParseIP(h) != nil || net.ParseIP(f) != nil {
			return "an IP address"
		}
	}
	for _, n := range names {
		if strings.Contains(strings.ToLower(v), strings.ToLower(n)) {
			return "the name " + n
		}
	}
	return ""
}

// checkLabels reports every label value that looks personal. The build's
// commit is a revision, not an id of anyone: it alone may be hexadecimal.
func checkLabels(fams map[string]*dto.MetricFamily, names ...string) []string {
	var bad []string
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if name == "eyelevel_build_info" && l.GetName() == "commit" {
					continue
				}
				if why := personal(l.GetValue(), names...); why != "" {
					bad = append(bad, fmt.Sprintf("%s{%s=%q}: %s", name, l.GetName(), l.GetValue(), why))
				}
			}
		}
	}
	return bad
}

// TestPersonalCatchesIDs: the privacy check below can fail — it flags
// every kind of id, address and name, and passes the fixed words.
func TestPersonalCatchesIDs(t *testing.T) {
	id := eyelevel.NewID()
	for _, v := range []string{
		id, "GET /api/v1/appointments/" + id,
		"550e8400-e29b-41d4-a716-446655440000", "deadbeefcafe0123", "4711081512",
		"someone@example.org", "127.0.0.1", "10.0.0.7:3478", "::1", "metrik-klientin",
	} {
		if personal(v, "metrik-klientin") == "" {
			t.Errorf("%q passes as not personal", v)
		}
	}
	for _, v := range []string{"GET /api/v1/appointments/{id}", "other", "2xx", "client", "janitor", "write", "+Inf", "0.005", "go1.26.8", "devel"} {
		if why := personal(v, "metrik-klientin"); why != "" {
			t.Errorf("%q flagged as %s", v, why)
		}
	}
}

// TestMetricsAfterJourney: after a client registers, searches, books
// (twice: the second is a conflict), joins the video room's signaling,
// cancels and makes failing requests, the metrics endpoint on
// --metrics-addr has every family with sensible values and no label that
// looks like personal data; the request log names route patterns only;
// the public address does not serve /metrics.
func TestMetricsAfterJourney(t *testing.T) {
	base, metricsURL, log := startMetricsServer(t, "--demo", "--room-open-before", "240h", "--min-lead", "0s")
	const username, password = "metrik-klientin", "a long passphrase"
	reg := map[string]string{"username": username, "password": password, "language": "de", "timezone": "Europe/Berlin", "email": "metrik@example.org"}
	if st := call(t, "POST", base+"/api/v1/accounts", "", withConsent(reg), nil); st != 201 {
		t.Fatalf("register: %d", st)
	}
	tok := token(t, base, username, password)
	var found struct {
		Counselors []struct {
			ID       string
			NextSlot *struct{ Start string } `json:"next_slot"`
		}
	}
	if st := call(t, "GET", base+"/api/v1/counselors?language=de", tok, nil, &found); st != 200 || len(found.Counselors) == 0 || found.Counselors[0].NextSlot == nil {
		t.Fatalf("search: %d %+v", st, found)
	}
	co := found.Counselors[0]
	book := map[string]string{"counselor_id": co.ID, "start": co.NextSlot.Start}
	var appt struct{ ID string }
	if st := call(t, "POST", base+"/api/v1/appointments", tok, book, &appt); st != 201 {
		t.Fatalf("book: %d", st)
	}
	if st := call(t, "POST", base+"/api/v1/appointments", tok, book, nil); st != 409 {
		t.Fatalf("second booking: %d, want 409", st)
	}
	if st := call(t, "GET", base+"/api/v1/appointments/"+appt.ID+"?fields=all", tok, nil, nil); st != 200 {
		t.Fatalf("get appointment: %d", st)
	}
	if st := call(t, "GET", base+"/api/v1/appointments/zzzzzzzzzzzzzzzzzzzzzzzzzz", tok, nil, nil); st != 404 {
		t.Fatalf("unknown appointment: %d, want 404", st)
	}
	if res, err := http.Get(base + "/no/such/page/" + appt.ID); err == nil {
		res.Body.Close()
	}

	// A participant in the video room's signaling.
	var room roomInfo
	if st := call(t, "GET", base+"/api/v1/appointments/"+appt.ID+"/room", tok, nil, &room); st != 200 {
		t.Fatalf("room: %d", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, room.SignalURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tok}}})
	if err != nil {
		t.Fatalf("dial signaling: %v", err)
	}
	// The hub counts the peer once it has joined; wait for it.
	var fams map[string]*dto.MetricFamily
	for deadline := time.Now().Add(20 * time.Second); ; {
		fams = scrape(t, metricsURL)
		if n, _ := sample(fams, "eyelevel_signaling_connections", nil); n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("eyelevel_signaling_connections never reached 1")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, _ := sample(fams, "eyelevel_signaling_rooms", nil); n != 1 {
		t.Errorf("eyelevel_signaling_rooms = %v, want 1", n)
	}
	ws.Close(websocket.StatusNormalClosure, "")

	var cancelled struct{ Status string }
	if st := call(t, "DELETE", base+"/api/v1/appointments/"+appt.ID, tok, nil, &cancelled); st != 200 {
		t.Fatalf("cancel: %d", st)
	}

	// The jobs run at start on the leading node; wait for the first run.
	for deadline := time.Now().Add(20 * time.Second); ; {
		fams = scrape(t, metricsURL)
		if n, _ := sample(fams, "eyelevel_background_job_runs_total", map[string]string{"job": "janitor"}); n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the janitor never ran")
		}
		time.Sleep(20 * time.Millisecond)
	}
	atLeast := func(name string, labels map[string]string, want float64) {
		t.Helper()
		got, ok := sample(fams, name, labels)
		if !ok {
			t.Errorf("%s%v missing", name, labels)
		} else if got < want {
			t.Errorf("%s%v = %v, want at least %v", name, labels, got, want)
		}
	}
	atLeast("eyelevel_http_request_duration_seconds", map[string]string{"route": "POST /api/v1/accounts", "code": "2xx"}, 1)
	atLeast("eyelevel_http_request_duration_seconds", map[string]string{"route": "GET /api/v1/counselors", "code": "2xx"}, 1)
	atLeast("eyelevel_http_request_duration_seconds", map[string]string{"route": "POST /api/v1/appointments", "code": "2xx"}, 1)
	atLeast("eyelevel_http_request_duration_seconds", map[string]string{"route": "POST /api/v1/appointments", "code": "4xx"}, 1)
	atLeast("eyelevel_http_request_duration_seconds", map[string]string{"route": "GET /api/v1/appointments/{id}", "code": "4xx"}, 1)
	atLeast("eyelevel_http_request_duration_seconds", map[string]string{"route": "DELETE /api/v1/appointments/{id}", "code": "2xx"}, 1)
	atLeast("eyelevel_http_request_duration_seconds", map[string]string{"route": "/", "code": "4xx"}, 1) // the not-found page
	atLeast("eyelevel_bookings_total", map[string]string{"by": "client"}, 1)
	atLeast("eyelevel_cancellations_total", map[string]string{"by": "client"}, 1)
	atLeast("eyelevel_booking_conflicts_total", map[string]string{"reason": "already_yours"}, 1)
	atLeast("eyelevel_signaling_connections", nil, 0)
	atLeast("eyelevel_signaling_rooms", nil, 0)
	atLeast("eyelevel_turn_allocations", nil, 0) // the embedded relay runs (--turn-listen)
	atLeast("eyelevel_turn_relayed_bytes_total", nil, 0)
	atLeast("eyelevel_turn_relayed_packets_total", nil, 0)
	atLeast("eyelevel_turn_refused_peers_total", nil, 0)
	atLeast("eyelevel_background_job_failures_total", map[string]string{"job": "janitor"}, 0)
	atLeast("eyelevel_leader", nil, 1)
	atLeast("eyelevel_db_max_open_connections", nil, 1)
	atLeast("eyelevel_db_open_connections", nil, 1)
	atLeast("eyelevel_db_in_use_connections", nil, 0)
	atLeast("eyelevel_db_wait_count_total", nil, 0)
	atLeast("eyelevel_build_info", nil, 1)
	atLeast("go_goroutines", nil, 1)
	if _, ok := sample(fams, "process_resident_memory_bytes", nil); !ok && runtimeHasProc() {
		t.Error("process_resident_memory_bytes missing")
	}
	if n, _ := sample(fams, "eyelevel_http_request_duration_seconds", map[string]string{"route": "GET /api/v1/appointments/{id}/room/signal"}); n != 0 {
		t.Errorf("the WebSocket session was measured as a request (%v)", n)
	}
	for _, bad := range checkLabels(fams, username, "metrik@example.org", appt.ID, co.ID) {
		t.Errorf("personal data in a label: %s", bad)
	}

	// Nothing on the public address.
	if res, err := http.Get(base + "/metrics"); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Errorf("/metrics on the public address: %d, want 404", res.StatusCode)
		}
	}

	// The request log: one line per request, with patterns only; the
	// WebSocket's line comes when it ended.
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(log.String(), `route="GET /api/v1/appointments/{id}/room/signal" status=101`); {
		if time.Now().After(deadline) {
			t.Fatalf("no request line for the ended WebSocket:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var lines []string
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.Contains(l, "msg=request ") {
			lines = append(lines, l)
		}
	}
	for _, want := range []string{
		`level=INFO msg=request method=POST route="POST /api/v1/appointments" status=201 ms=`,
		`msg=request method=POST route="POST /api/v1/appointments" status=409`,
		`msg=request method=DELETE route="DELETE /api/v1/appointments/{id}" status=200`,
		`msg=request method=GET route=/ status=404`,
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	for _, l := range lines {
		if why := personal(l, username, appt.ID, co.ID); why != "" {
			t.Errorf("request log line with %s: %s", why, l)
		}
		if strings.Contains(l, "?") {
			t.Errorf("request log line with a query string: %s", l)
		}
	}
	if len(lines) < 10 {
		t.Errorf("only %d request lines", len(lines))
	}
}

// TestNoMetricsAddrNoEndpoint: without --metrics-addr nothing listens for
// metrics (serveMetrics("") opens no socket), the public address has no
// /metrics, and the log says nothing about it.
func TestNoMetricsAddrNoEndpoint(t *testing.T) {
	var out syncBuffer
	before := openSockets(t)
	stop, err := serveMetrics("", metrics.New(), slog.New(slog.NewTextHandler(&out, nil)))
	if err != nil || stop == nil {
		t.Fatalf("serveMetrics(\"\"): stop is nil %v, err %v", stop == nil, err)
	}
	if after := openSockets(t); after > before {
		t.Errorf("serveMetrics(\"\") opened %d sockets", after-before)
	}
	if err := stop(context.Background()); err != nil {
		t.Errorf("stop: %v", err)
	}
	if out.String() != "" {
		t.Errorf("serveMetrics(\"\") logged:\n%s", &out)
	}

	n := startNode(t, append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir()}, sharedDB(t)...)...)
	if st := getStatus(t, n.base+"/metrics", ""); st != http.StatusNotFound {
		t.Errorf("GET /metrics on the public address: %d, want 404", st)
	}
	if strings.Contains(n.stderr.String(), "metrics are served") {
		t.Errorf("metrics served without --metrics-addr:\n%s", n.stderr)
	}
}

// openSockets counts this process's open sockets.
func openSockets(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc to count sockets: %v", err)
	}
	k := 0
	for _, fd := range fds {
		if dest, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(dest, "socket:") {
			k++
		}
	}
	return k
}

func TestVersionCommand(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"eyelevel", "version"}, func(string) string { return "" }, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "eyelevel ") || !strings.HasPrefix(lines[1], "commit ") || !strings.HasPrefix(lines[2], "go1.") {
		t.Errorf("eyelevel version printed:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"eyelevel", "version", "extra"}, func(string) string { return "" }, strings.NewReader(""), io.Discard, io.Discard); err == nil {
		t.Error("eyelevel version extra: no error")
	}
}

func runtimeHasProc() bool {
	_, err := http.Dir("/proc/self").Open("stat")
	return err == nil
}
