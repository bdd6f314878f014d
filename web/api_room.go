package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/signaling"

	"github.com/coder/websocket"
)

type roomJSON struct {
	AppointmentID eyelevel.AppointmentID `json:"appointment_id"`
	Role          eyelevel.Role          `json:"role"`
	OpensAt       string                 `json:"opens_at"`
	ClosesAt      string                 `json:"closes_at"`
	ICEServers    []eyelevel.ICEServer   `json:"ice_servers"`
	SignalURL     string                 `json:"signal_url"`
}

// signalURL is the absolute WebSocket URL of a room's signaling endpoint.
func signalURL(r *http.Request, d Deps, id eyelevel.AppointmentID) string {
	scheme := "ws"
	if r.TLS != nil || (d.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https") {
		scheme = "wss"
	}
	return scheme + "://" + r.Host + "/api/v1/appointments/" + string(id) + "/room/signal"
}

func handleRoom(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := eyelevel.AppointmentID(r.PathValue("id"))
		room, err := d.Service.Room(r.Context(), info(r).Actor, id)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, roomJSON{
			AppointmentID: id, Role: room.Role,
			OpensAt: room.OpensAt.UTC().Format(time.RFC3339), ClosesAt: room.ClosesAt.UTC().Format(time.RFC3339),
			ICEServers: room.ICEServers, SignalURL: signalURL(r, d, id),
		})
	})
}

// handleSignal upgrades to the room's signaling WebSocket after the same
// checks as the room itself. The upgrade verifies that the Origin is this
// host: CrossOriginProtection does not cover GET upgrades.
func handleSignal(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			writeError(w, r, d, eyelevel.Errorf(eyelevel.EFORBIDDEN, "error.cross_origin", "Cross-origin request refused."))
			return
		}
		id := eyelevel.AppointmentID(r.PathValue("id"))
		a := info(r).Actor
		room, err := d.Service.Room(r.Context(), a, id)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		// The server's read/write timeouts would cut a long call short.
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Time{})
		rc.SetWriteDeadline(time.Time{})
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{})
		if err != nil {
			return // Accept has answered (400 for a request that is no upgrade)
		}
		p := signaling.NewPeer(id, a.UserID, room.Role)
		p.Check = sessionCheck(d, info(r).Token, info(r).Kind, a.UserID)
		// The room closes by the service's clock, which tests and the demo set.
		d.Hub.Serve(r.Context(), c, p, time.Now().Add(d.Service.Until(room.ClosesAt)))
	})
}

// sessionCheck tells the hub whether the session that opened a signaling
// connection still exists, so a logout also ends the call's signaling.
// Only a missing session counts: when the database cannot answer, the
// connection stays.
func sessionCheck(d Deps, token, kind string, user eyelevel.UserID) func(context.Context) error {
	return func(ctx context.Context) error {
		a, err := d.Service.Authenticate(ctx, token, kind)
		switch {
		case eyelevel.ErrorCode(err) == eyelevel.EUNAUTHORIZED || err == nil && a.UserID != user:
			return signaling.ErrRevoked
		case err != nil && ctx.Err() == nil:
			d.Log.Warn("rechecking a signaling connection's session", "err", err)
		}
		return nil
	}
}

// sameOrigin reports whether a browser's Origin header names this host.
// Clients that are no browsers send none and are let through; they
// authenticate with a bearer token, which no other site can attach.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}
