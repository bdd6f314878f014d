package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"eyelevel"
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
