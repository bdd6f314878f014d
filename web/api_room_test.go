package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/signaling"
	"eyelevel/web"

	"github.com/coder/websocket"
)

// TestAPIRoom covers the room endpoint's answers by caller and time; the
// full who × when table is in the service tests.
func TestAPIRoom(t *testing.T) {
	w := newWorld(t)
	path := "/api/v1/appointments/" + string(w.apptA) + "/room"

	w.do(t, clientA, "GET", path, nil).wantError(t, 409, eyelevel.ECONFLICT)
	w.clock.Advance(apptAStart.Add(-5 * time.Minute).Sub(w.clock.Now()))
	for _, c := range []struct {
		who    role
		status int
	}{{anon, 401}, {clientA, 200}, {counselorX, 200}, {clientB, 404}, {counselorY, 404}, {admin, 404}} {
		res := w.do(t, c.who, "GET", path, nil)
		res.wantStatus(t, c.status)
		if c.status != 200 {
			continue
		}
		var room struct {
			Role      string `json:"role"`
			OpensAt   string `json:"opens_at"`
			ClosesAt  string `json:"closes_at"`
			SignalURL string `json:"signal_url"`
		}
		res.decode(t, &room)
		if room.OpensAt != "2026-12-02T07:50:00Z" || room.ClosesAt != "2026-12-02T09:05:00Z" || !strings.HasSuffix(room.SignalURL, path+"/signal") || !strings.HasPrefix(room.SignalURL, "ws://") {
			t.Errorf("%s: room %+v", c.who, room)
		}
	}
	w.clock.Advance(2 * time.Hour)
	w.do(t, clientA, "GET", path, nil).wantError(t, 409, eyelevel.ECONFLICT)
}

// TestAPISignalOrigin: the WebSocket upgrade is refused for another site's
// Origin (CSRF for WebSockets) and for non-participants, with the JSON error.
func TestAPISignalOrigin(t *testing.T) {
	w := newWorld(t)
	w.clock.Advance(apptAStart.Add(-5 * time.Minute).Sub(w.clock.Now()))
	srv := httptest.NewServer(w.h)
	defer srv.Close()
	path := "/api/v1/appointments/" + string(w.apptA) + "/room/signal"
	upgrade := func(who role, origin string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for k, v := range map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="} {
			req.Header.Set(k, v)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if tok := w.tokens[who]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.Error.Code
	}
	if st, code := upgrade(clientA, "https://evil.example"); st != 403 || code != eyelevel.EFORBIDDEN {
		t.Errorf("foreign origin: %d %q, want 403 forbidden", st, code)
	}
	if st, _ := upgrade(clientA, srv.URL); st != http.StatusSwitchingProtocols {
		t.Errorf("same origin: %d, want 101", st)
	}
	if st, code := upgrade(clientB, srv.URL); st != 404 || code != eyelevel.ENOTFOUND {
		t.Errorf("other client: %d %q, want 404", st, code)
	}
	if st, code := upgrade(anon, srv.URL); st != 401 || code != eyelevel.EUNAUTHORIZED {
		t.Errorf("anonymous: %d %q, want 401", st, code)
	}
}

// signalAfterLogout opens client A's signaling connection on a server
// whose hub rechecks sessions every recheck, calls logout with the
// connection's token, and returns the code the server closed it with.
func signalAfterLogout(t *testing.T, recheck time.Duration, logout func(w *world, base, tok string)) websocket.StatusCode {
	w := newWorld(t)
	w.clock.Advance(apptAStart.Add(-5 * time.Minute).Sub(w.clock.Now()))
	hub := signaling.New(signaling.Config{Recheck: recheck})
	srv := httptest.NewServer(web.NewServer(web.Deps{Service: w.svc, Catalog: w.cat, Hub: hub}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok := w.login(t, w.names[clientA])
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/appointments/" + string(w.apptA) + "/room/signal"
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tok}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, b, err := c.Read(ctx); err != nil || !strings.Contains(string(b), `"welcome"`) {
		t.Fatalf("first message %s, %v", b, err)
	}
	logout(w, srv.URL, tok)
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

// TestAPISignalClosedAfterLogout: a signaling connection does not outlive
// its session. The periodic recheck finds a session ended elsewhere; the
// logout endpoint closes the connection at once.
func TestAPISignalClosedAfterLogout(t *testing.T) {
	st := signalAfterLogout(t, 10*time.Millisecond, func(w *world, _, tok string) {
		if err := w.svc.Logout(w.ctx, tok); err != nil {
			t.Fatal(err)
		}
	})
	if st != signaling.StatusRevoked {
		t.Errorf("periodic recheck: closed with %d, want %d", st, signaling.StatusRevoked)
	}
	st = signalAfterLogout(t, time.Hour, func(_ *world, base, tok string) {
		req, _ := http.NewRequest("DELETE", base+"/api/v1/tokens/current", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("logout: %d", res.StatusCode)
		}
	})
	if st != signaling.StatusRevoked {
		t.Errorf("logout: closed with %d, want %d", st, signaling.StatusRevoked)
	}
}
