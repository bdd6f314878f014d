package web_test

import (
	"encoding/json"
	"html/template"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"eyelevel/i18n"
	"eyelevel/web"
)

var roomI18N = regexp.MustCompile(`(?s)<script type="application/json" id="room-i18n">(.*?)</script>`)

// roomTexts returns the translations a room page hands to room.js.
func roomTexts(tb testing.TB, body string) map[string]string {
	tb.Helper()
	m := roomI18N.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("no room-i18n block in:\n%.2000s", body)
	}
	var texts map[string]string
	if err := json.Unmarshal([]byte(m[1]), &texts); err != nil {
		tb.Fatalf("room-i18n is not JSON: %v\n%s", err, m[1])
	}
	return texts
}

// TestRoomPage: the room page follows the room's hours, is only for the
// appointment's two participants, alone may use camera and microphone,
// and gives room.js every text it shows.
func TestRoomPage(t *testing.T) {
	w := newWorld(t)
	path := "/appointments/" + string(w.apptA) + "/room"

	// Monday: the room opens on Wednesday at 07:50.
	r := w.do(t, clientA, "GET", path, nil)
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), `data-wait-ms="`) || strings.Contains(string(r.Body), `id="room-i18n"`) {
		t.Fatalf("before opening: %d\n%s", r.Status, r.Body)
	}
	if links := w.do(t, clientA, "GET", "/appointments", nil); strings.Contains(string(links.Body), path) {
		t.Error("appointments link a room that opens in two days")
	}
	w.clock.Advance(24 * time.Hour) // Tuesday 08:00: it opens within the day
	if links := w.do(t, clientA, "GET", "/appointments", nil); !strings.Contains(string(links.Body), `href="`+path+`"`) {
		t.Errorf("appointments do not link the room that opens tomorrow:\n%s", links.Body)
	}

	w.clock.Advance(23*time.Hour + 55*time.Minute) // Wednesday 07:55
	for _, who := range []role{clientA, counselorX} {
		r := w.do(t, who, "GET", path, nil)
		body := string(r.Body)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: status %d\n%s", who, r.Status, body)
		}
		if pp := r.Header.Get("Permissions-Policy"); !strings.Contains(pp, "camera=(self)") || !strings.Contains(pp, "microphone=(self)") {
			t.Errorf("%s: Permissions-Policy %q", who, pp)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") {
			t.Errorf("%s: CSP %q", who, csp)
		}
		for _, want := range []string{`id="security-code"`, `<script src="/static/room.js?v=`, `data-role="` + string(map[role]string{clientA: "client", counselorX: "counselor"}[who]) + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: page lacks %s", who, want)
			}
		}
		if got := strings.Contains(body, `id="room-end"`); got != (who == counselorX) {
			t.Errorf("%s: end button shown = %v", who, got)
		}
		// The client's waiting room says what comes next, checks the
		// camera and microphone, and links the crisis page; the counselor
		// learns how a waiting client is announced.
		lang := regexp.MustCompile(`<html lang="([^"]+)"`).FindStringSubmatch(body)[1]
		clientLobby := []string{`id="room-lobby-preview"`, `id="room-lobby-level"`, `<p class="room-crisis">` + w.cat.T(lang, "room.lobby.crisis") + ` <a class="help-now" href="/help"`,
			template.HTMLEscapeString(w.cat.T(lang, "room.lobby.next"))}
		for _, want := range clientLobby {
			if got := strings.Contains(body, want); got != (who == clientA) {
				t.Errorf("%s: page has %s: %v", who, want, got)
			}
		}
		if got := strings.Contains(body, template.HTMLEscapeString(w.cat.T(lang, "room.lobby.counselor_hint"))); got != (who == counselorX) {
			t.Errorf("%s: counselor's hint shown = %v", who, got)
		}
		if strings.Contains(body, "style=") {
			t.Errorf("%s: inline style", who)
		}
		roomTexts(t, body)
	}
	if pp := w.do(t, clientA, "GET", "/appointments", nil).Header.Get("Permissions-Policy"); !strings.Contains(pp, "camera=()") {
		t.Errorf("other pages' Permissions-Policy %q", pp)
	}

	// Every key room.js names is handed over, in German too.
	js, err := os.ReadFile("static/room.js")
	if err != nil {
		t.Fatal(err)
	}
	texts := roomTexts(t, string(w.do(t, clientA, "GET", path, nil).Body))
	keys := regexp.MustCompile(`"((?:room|signal|appointments)\.[a-z_.]*[a-z_])"`).FindAllStringSubmatch(string(js), -1)
	if len(keys) < 20 {
		t.Fatalf("found only %d keys in room.js", len(keys))
	}
	var names []string
	for _, k := range keys {
		names = append(names, k[1])
	}
	names = append(names, "room.quality.good", "room.quality.fair", "room.quality.poor", "room.quality.unknown")
	for k, v := range texts {
		if v == k {
			t.Errorf("the page hands room.js key %s without a text", k)
		}
	}
	for _, k := range names {
		if _, ok := w.cat.Entry("de", k); !ok {
			t.Errorf("key %s missing in de", k)
		}
		if _, ok := w.cat.Entry("en", k); !ok {
			t.Errorf("key %s missing in en", k)
		}
		if texts[k] == "" || texts[k] == k {
			t.Errorf("room page does not hand %s to room.js", k)
		}
	}

	// Nobody else gets in; anonymous visitors are asked to log in.
	if r := w.do(t, clientB, "GET", path, nil); r.Status != http.StatusNotFound {
		t.Errorf("other client: %d", r.Status)
	}
	if r := w.do(t, counselorY, "GET", path, nil); r.Status != http.StatusNotFound {
		t.Errorf("other counselor: %d", r.Status)
	}
	if r := w.do(t, anon, "GET", path, nil); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
		t.Errorf("anonymous: %d %s", r.Status, r.Header.Get("Location"))
	}

	// After the end plus 15 minutes the room has closed.
	w.clock.Advance(5*time.Minute + 50*time.Minute + 15*time.Minute)
	if r := w.do(t, clientA, "GET", path, nil); r.Status != http.StatusConflict || strings.Contains(string(r.Body), `id="room"`) {
		t.Errorf("after closing: %d\n%s", r.Status, r.Body)
	}
}

// TestRoomPageEscapesTexts: a translation cannot break out of the JSON
// data block that carries the texts to room.js.
func TestRoomPageEscapesTexts(t *testing.T) {
	en, err := os.ReadFile("../i18n/catalog/en.json")
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]i18n.Entry
	if err := json.Unmarshal(en, &cat); err != nil {
		t.Fatal(err)
	}
	evil := `</script><script>alert(1)</script><!-- & "quoted" 'single'`
	cat["room.status.connected"] = i18n.Entry{Text: evil}
	b, _ := json.Marshal(cat)
	c, err := i18n.LoadFS(fstest.MapFS{"catalog/en.json": {Data: b}})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	w.h = web.NewServer(web.Deps{Service: w.svc, Catalog: c})
	w.clock.Advance(2*24*time.Hour - 5*time.Minute)
	r := w.do(t, clientA, "GET", "/appointments/"+string(w.apptA)+"/room", nil)
	body := string(r.Body)
	if strings.Count(body, "<script") != 2 || strings.Contains(body, "alert(1)</script>") {
		t.Fatalf("the translation escaped its block:\n%s", body)
	}
	if got := roomTexts(t, body)["room.status.connected"]; got != evil {
		t.Errorf("text = %q, want %q", got, evil)
	}
}
