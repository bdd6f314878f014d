package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"eyelevel/i18n"
	"eyelevel/metrics"

	"github.com/coder/websocket"
)

// lockedBuffer collects log output from the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// requestCount is how many requests the histogram holds for route and
// status class.
func requestCount(t *testing.T, mx *metrics.Metrics, route, code string) uint64 {
	t.Helper()
	mfs, err := mx.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() != "eyelevel_http_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["code"] == code {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}

// TestObserveLogsRoutePatterns: every request is logged and measured by
// the pattern that matched — never the path with its ids, the query
// string or the caller's address — and unmatched paths as "other". A
// WebSocket is logged when it ends, and left out of the latency histogram.
func TestObserveLogsRoutePatterns(t *testing.T) {
	var logBuf lockedBuffer
	mx := metrics.New()
	d := Deps{Log: slog.New(slog.NewTextHandler(&logBuf, nil)), Metrics: mx}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("POST /things", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusServiceUnavailable) })
	wsEnded := make(chan struct{})
	mux.HandleFunc("GET /ws/{id}", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c.Read(r.Context()) // until the client closes
		c.CloseNow()
		close(wsEnded)
	})
	// withContext stands for the middleware between observe and the mux,
	// which hand on copies of the request.
	withContext := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, &request{})))
		})
	}
	srv := httptest.NewServer(observe(withContext(routed(mux)), d))
	defer srv.Close()

	const id = "k5x3qzv7m2a4b6c8d9e2f3g4h5"
	get := func(path string, want int) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("GET %s: %d, want %d", path, res.StatusCode, want)
		}
	}
	get("/things/"+id+"?email=someone%40example.org&token=s3cr3t", 200)
	get("/nowhere/"+id, 404)
	get("/fail", 503)
	res, err := http.Post(srv.URL+"/things?x=1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	req, _ := http.NewRequest("ALICE", srv.URL+"/things", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
	ctx := context.Background()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.Close(websocket.StatusNormalClosure, "")
	<-wsEnded

	for _, c := range []struct {
		route, code string
		want        uint64
	}{
		{"GET /things/{id}", "2xx", 1},
		{"POST /things", "2xx", 1},
		{"other", "4xx", 2}, // /nowhere and the ALICE method
		{"GET /fail", "5xx", 1},
		{"GET /ws/{id}", "1xx", 0},
		{"GET /ws/{id}", "2xx", 0},
	} {
		if n := requestCount(t, mx, c.route, c.code); n != c.want {
			t.Errorf("histogram %s %s: %d requests, want %d", c.route, c.code, n, c.want)
		}
	}

	// The WebSocket's line is written after its handler returned, which
	// the server may finish after Close told the client: wait for it.
	srv.Close()
	out := logBuf.String()
	for _, want := range []string{
		`msg=request method=GET route="GET /things/{id}" status=200`,
		`msg=request method=GET route=other status=404`,
		`msg=request method=GET route="GET /fail" status=503`,
		`msg=request method=POST route="POST /things" status=201`,
		`msg=request method=GET route="GET /ws/{id}" status=101`,
		`msg=request method=other route=other status=405`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, leak := range []string{id, "ALICE", "?", "example.org", "s3cr3t", "127.0.0.1", "Go-http-client"} {
		if strings.Contains(out, leak) {
			t.Errorf("log contains %q:\n%s", leak, out)
		}
	}
}

// TestObservePanicIsA500: a panicking handler is measured and logged as
// the 500 the recoverer answers, with its route.
func TestObservePanicIsA500(t *testing.T) {
	var logBuf lockedBuffer
	mx := metrics.New()
	d := Deps{Log: slog.New(slog.NewTextHandler(&logBuf, nil)), Metrics: mx}
	mux := http.NewServeMux()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	d.Catalog = cat
	mux.HandleFunc("POST /boom/{id}", func(http.ResponseWriter, *http.Request) { panic("boom") })
	h := observe(recoverer(routed(mux), d), d)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/boom/1234567", nil))
	if rec.Code != 500 {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if n := requestCount(t, mx, "POST /boom/{id}", "5xx"); n != 1 {
		t.Errorf("histogram POST /boom/{id} 5xx: %d, want 1", n)
	}
	if !strings.Contains(logBuf.String(), `msg=request method=POST route="POST /boom/{id}" status=500`) {
		t.Errorf("no request line for the panic:\n%s", logBuf.String())
	}
}

// BenchmarkObserve: the cost of the request log line and the histogram on
// a trivial handler (go test ./web -run '^$' -bench Observe -count 3).
func BenchmarkObserve(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	d := Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New()}
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"bare", mux}, {"observed", observe(routed(mux), d)}} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/things/k5x3qzv7m2a4b6c7d2e2f3g4h5", nil)
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
