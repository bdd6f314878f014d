package web

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"time"
)

// The route pattern is known only inside the mux, which sets it on the
// request it hands on; the middleware around the mux hold copies of the
// request made before. So observe puts a holder in the context, and
// routed fills it in once the mux has matched.
type routeKey struct{}

type routeHolder struct{ pattern string }

// routed is mux, telling observe which pattern matched.
func routed(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Deferred: the mux sets r.Pattern on r itself before calling the
		// handler, and a panicking handler still has it recorded.
		defer func() {
			if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
				h.pattern = r.Pattern
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// routeOf returns the pattern the mux matched for r, once it has; for
// logs, which must not carry the path's ids.
func routeOf(r *http.Request) string {
	if r.Pattern != "" { // inside a handler: the mux set it on this request
		return r.Pattern
	}
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok && h.pattern != "" {
		return h.pattern
	}
	return "other"
}

// observe logs one line per request and measures its duration, by route
// pattern and status class. The line names the pattern, never the path,
// so it carries no ids, no query string and no address. A WebSocket
// session is logged when it ends, and is not measured: its length is
// the call's, not the server's speed.
func observe(next http.Handler, d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rh := &routeHolder{}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			took := time.Since(start)
			status := sw.status
			if status == 0 {
				status = http.StatusOK // nothing written: net/http answers 200
			}
			route := rh.pattern
			if route == "" {
				route = "other"
			}
			if !sw.hijacked {
				d.Metrics.ObserveRequest(route, status, took)
			}
			d.Log.Info("request", "method", method(r.Method), "route", route, "status", status, "ms", float64(took.Microseconds())/1000)
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeKey{}, rh)))
	})
}

// method is r.Method if it is a standard one, else "other": the client
// chooses it, and the log takes no free text from clients.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 || (w.status < 200 && code >= 200) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes on to the connection's writer, for streamed answers.
func (w *statusWriter) Flush() {
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection to a WebSocket.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
		if w.status == 0 {
			w.status = http.StatusSwitchingProtocols
		}
	}
	return c, rw, err
}
