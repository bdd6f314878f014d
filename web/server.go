// Package web serves eyelevel over HTTP: the JSON API under /api/v1 and the
// server-rendered pages. It translates requests into service calls and
// service errors into responses; the rules live in the service.
package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/metrics"
	"eyelevel/service"
	"eyelevel/signaling"
)

// Deps are what the web layer needs.
type Deps struct {
	Service *service.Service
	Catalog *i18n.Catalog
	Log     *slog.Logger
	Hub     *signaling.Hub // video room signaling
	// TrustProxy takes the client IP from X-Forwarded-For, and whether the
	// client used HTTPS (for HSTS) from X-Forwarded-Proto (set it only
	// behind a reverse proxy that overwrites those headers).
	TrustProxy bool
	Operator   Operator // who runs the service, for the footer and landing page
	// Metrics records requests (nil: none).
	Metrics *metrics.Metrics
	// Ready reports whether this node should receive traffic (/readyz):
	// nil means always.
	Ready func(context.Context) error
}

// NewServer returns the whole HTTP surface of eyelevel.
func NewServer(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Hub == nil {
		d.Hub = signaling.NewHub(nil)
	}
	mux := http.NewServeMux()
	v := newViews(d)
	addRoutes(mux, d, v)
	// routed tells observe (outermost) which route pattern matched.
	var h http.Handler = routed(mux)
	h = consentGate(h, d, v)   // after withActor: a client must agree to the current consent first
	h = refuseBadText(h, d, v) // after withActor: errors speak the caller's language
	h = withActor(h, d)
	// Browsers send Sec-Fetch-Site/Origin; cross-site form posts are
	// refused. API clients send neither and pass; they carry a bearer token.
	h = csrfProtection(h, d)
	h = securityHeaders(h, d)
	h = recoverer(h, d)
	h = observe(h, d) // outermost: sees the 500 of a panic, and the whole time
	return h
}

func securityHeaders(next http.Handler, d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if overHTTPS(r, d.TrustProxy) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// overHTTPS reports whether the client reached us over HTTPS: directly, or
// through a trusted proxy that says so. Browsers ignore HSTS over plain
// HTTP, and sending it there would announce a promise we cannot keep.
func overHTTPS(r *http.Request, trustProxy bool) bool {
	if r.TLS != nil {
		return true
	}
	protos := strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")
	return trustProxy && strings.EqualFold(strings.TrimSpace(protos[len(protos)-1]), "https")
}

func csrfProtection(next http.Handler, d Deps) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, d, eyelevel.Errorf(eyelevel.EFORBIDDEN, "error.cross_origin", "Cross-origin request refused."))
	}))
	return cop.Handler(next)
}

func recoverer(next http.Handler, d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				d.Log.Error("panic serving request", "method", method(r.Method), "route", routeOf(r), "panic", v)
				writeError(w, r, d, eyelevel.Errorf(eyelevel.EINTERNAL, "error.internal", "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// request is what every handler knows about the caller.
type request struct {
	Actor eyelevel.Actor
	Token string // the session's secret, for logout
	Kind  string // the session's kind: service.SessionWeb or SessionAPI
	Lang  string // negotiated UI language
	Zone  *time.Location
	IP    string
}

type requestKey struct{}

func info(r *http.Request) *request {
	if ri, ok := r.Context().Value(requestKey{}).(*request); ok {
		return ri
	}
	return &request{Lang: i18n.Default, Zone: time.UTC}
}

const (
	sessionCookie = "__Host-eyelevel-session"
	// deviceCookie marks a browser that has logged in before, so others'
	// failed guesses cannot lock it out (see service.SignIn).
	deviceCookie = "__Host-eyelevel-device"
	langCookie   = "eyelevel-lang"
)

// withActor resolves who is calling (bearer token, else session cookie) and
// in which language and time zone to answer.
//
// A session that could not be looked up (the database is down) is not a
// missing one: the caller gets 503 and keeps the cookie, instead of being
// logged out.
func withActor(next http.Handler, d Deps) http.Handler {
	pages := sync.OnceValue(func() *views { return newViews(d) }) // for the outage page only
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := &request{IP: clientIP(r, d.TrustProxy)}
		var lookupErr error
		if auth := r.Header.Get("Authorization"); auth != "" {
			scheme, tok, ok := strings.Cut(auth, " ")
			ok = ok && strings.EqualFold(scheme, "Bearer")
			a, err := d.Service.Authenticate(r.Context(), strings.TrimSpace(tok), service.SessionAPI)
			if ok && lookupFailed(err) {
				lookupErr = err
			} else if !ok || err != nil {
				ri.Lang = d.Catalog.Negotiate("", "", r.Header.Get("Accept-Language"))
				r = r.WithContext(context.WithValue(r.Context(), requestKey{}, ri))
				writeError(w, r, d, eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "error.bad_token", "The access token is invalid or expired."))
				return
			}
			ri.Actor, ri.Token, ri.Kind = a, tok, service.SessionAPI
		} else if c, err := r.Cookie(sessionCookie); err == nil {
			if a, err := d.Service.Authenticate(r.Context(), c.Value, service.SessionWeb); err == nil {
				ri.Actor, ri.Token, ri.Kind = a, c.Value, service.SessionWeb
			} else if lookupFailed(err) {
				lookupErr = err
			}
		}
		explicit := r.URL.Query().Get("lang")
		if explicit != "" && d.Catalog.Has(explicit) {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: explicit, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
		} else if c, err := r.Cookie(langCookie); err == nil {
			explicit = c.Value
		}
		ri.Lang = d.Catalog.Negotiate(explicit, ri.Actor.Language, r.Header.Get("Accept-Language"))
		// Content the service picks by language (program steps,
		// questionnaires) follows the page, not only the account.
		ri.Actor.Language = ri.Lang
		ri.Zone = time.UTC
		if loc, ok := service.LoadZone(ri.Actor.TimeZone); ok {
			ri.Zone = loc
		} else if c, err := r.Cookie("eyelevel-tz"); err == nil {
			if loc, ok := service.LoadZone(c.Value); ok {
				ri.Zone = loc
			}
		} else if loc, ok := service.LoadZone("Europe/Berlin"); ok {
			ri.Zone = loc
		}
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, ri))
		if lookupErr != nil {
			d.Log.Error("looking up the session", "method", method(r.Method), "err", lookupErr)
			unavailable := eyelevel.Errorf(eyelevel.EUNAVAILABLE, "error.unavailable", "The service is briefly unavailable. Please try again in a few minutes.")
			w.Header().Set("Retry-After", "10")
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeError(w, r, d, unavailable)
			} else {
				pages().fail(w, r, unavailable)
			}
			return
		}
		if gateLimited(w, r, d) { // staff without a second factor: enrolment only
			return
		}
		next.ServeHTTP(w, r)
	})
}

// lookupFailed reports whether Authenticate failed for want of an answer
// (an internal error) rather than because the credential is not valid.
func lookupFailed(err error) bool {
	code := eyelevel.ErrorCode(err)
	return code == eyelevel.EINTERNAL || code == eyelevel.EUNAVAILABLE
}

func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
