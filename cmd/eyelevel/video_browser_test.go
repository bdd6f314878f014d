package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"eyelevel/i18n"
)

// TestVideoRoomBrowser: a client and a counselor, each in their own
// Chromium with a fake camera, meet in the video room: the client waits,
// the counselor admits, both receive video, see the same security code and
// chat. Then with ?relay=1, where the media must go through the embedded
// TURN server; and once more through reconnects, a reload, a second tab
// and the end of the session. Each part has its own browsers, so each
// stays within their time limit.
func TestVideoRoomBrowser(t *testing.T) {
	t.Run("direct", func(t *testing.T) {
		c := videoCall(t, false)
		for _, p := range []*videoPage{c.client, c.counselor} {
			typ, err := eval[string](p, localCandidateType)
			t.Logf("%s: local candidate type %q (%v)", p.name, typ, err)
		}
	})
	t.Run("relay", func(t *testing.T) {
		c := videoCall(t, true)
		for _, p := range []*videoPage{c.client, c.counselor} {
			typ, err := eval[string](p, localCandidateType)
			if err != nil {
				t.Fatalf("%s: candidate type: %v", p.name, err)
			}
			if typ != "relay" {
				t.Errorf("%s: local candidate type %q, want relay", p.name, typ)
			}
		}
	})
	t.Run("lifecycle", func(t *testing.T) {
		videoLifecycle(t, videoCall(t, false))
	})
	t.Run("restart", videoRestart)
	t.Run("restart relayed", videoRestartRelayed)
}

// videoPage is one participant's browser.
type videoPage struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu      sync.Mutex
	console []string // what the page logged, for failure messages
}

// listen collects the page's console messages.
func (p *videoPage) listen() {
	messages := chromedp.Console(p.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m.Time.Format("15:04:05.000")+" "+m.String())
			p.mu.Unlock()
		}
	}()
}

// fakeMedia makes Chromium grant camera and microphone and use a test
// pattern and a beep for them.
var fakeMedia = []chromedp.ExecAllocatorOption{
	chromedp.Flag("use-fake-device-for-media-stream", true),
	chromedp.Flag("use-fake-ui-for-media-stream", true),
	chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
}

// keepSockets lets a test reach the page's WebSockets (to cut one).
const keepSockets = `window.__sockets = [];
window.WebSocket = class extends window.WebSocket {
  constructor(...args) { super(...args); window.__sockets.push(this); }
};`

func newVideoPage(t *testing.T, name string) *videoPage {
	p := &videoPage{t: t, name: name, ctx: browser(t, fakeMedia...)}
	p.listen()
	if _, err := chromedp.Call(p.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: keepSockets}); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		p.mu.Lock()
		t.Logf("console of %s:\n%s", name, strings.Join(p.console, "\n"))
		p.mu.Unlock()
		// The browser's own timeout may be over: give the screenshot a fresh one.
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		defer cancel()
		if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80)); err == nil {
			path := filepath.Join(t.ArtifactDir(), name+".jpg")
			if os.WriteFile(path, shot, 0o644) == nil {
				t.Logf("screenshot of %s: %s", name, path)
			}
		}
	})
	return p
}

// state describes the page for failure messages.
const roomState = `JSON.stringify((() => {
  const txt = (id) => { const e = document.getElementById(id); return e ? e.textContent : null; };
  const pc = window.eyelevelRoom && window.eyelevelRoom.pc();
  return {url: location.href, status: txt("room-status"), alert: txt("room-alert-text"), code: txt("security-code"),
    stages: ["room-setup", "room-lobby", "room-call", "room-done"].filter((id) => { const e = document.getElementById(id); return e && !e.hidden; }),
    pc: pc && {connection: pc.connectionState, ice: pc.iceConnectionState, signaling: pc.signalingState}};
})())`

func (p *videoPage) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](roomState))
	if err != nil {
		return "state unavailable: " + err.Error()
	}
	return s
}

func (p *videoPage) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %s: %v\n%s", p.name, what, err, p.state())
	}
}

func (p *videoPage) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("%s: text of %s: %v", p.name, sel, err)
	}
	return strings.TrimSpace(s)
}

// eval runs an expression that may return a promise.
func eval[T any](p *videoPage, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// waitUntil evaluates expr (which may return a promise) every 250 ms until
// ok accepts its value, and returns that value.
func waitUntil[T any](p *videoPage, what, expr string, timeout time.Duration, ok func(T) bool) T {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var last T
	var err error
	for {
		last, err = eval[T](p, expr)
		if err == nil && ok(last) {
			return last
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %s: not after %v (last %v, err %v)\n%s", p.name, what, timeout, last, err, p.state())
		}
		select {
		case <-p.ctx.Done():
			p.t.Fatalf("%s: %s: %v", p.name, what, p.ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

const framesDecoded = `(async () => {
  const pc = window.eyelevelRoom && window.eyelevelRoom.pc();
  if (!pc) return 0;
  let n = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") n += s.framesDecoded || 0; });
  return n;
})()`

// localCandidateType is the type of the local candidate of the selected
// candidate pair: host, srflx, prflx or relay.
const localCandidateType = `(async () => {
  const pc = window.eyelevelRoom && window.eyelevelRoom.pc();
  if (!pc) return "";
  const stats = new Map();
  (await pc.getStats()).forEach((s) => stats.set(s.id, s));
  for (const s of stats.values()) {
    if (s.type !== "transport" || !s.selectedCandidatePairId) continue;
    const pair = stats.get(s.selectedCandidatePairId);
    const local = pair && stats.get(pair.localCandidateId);
    if (local) return local.candidateType;
  }
  return "";
})()`

var securityCodeFormat = regexp.MustCompile(`^\d{4} \d{4} \d{4}$`)

// videoSession is a running video call between two browsers.
type videoSession struct {
	cat               *i18n.Catalog
	room              string // the room page's URL
	code              string // the security code both show
	client, counselor *videoPage
}

// videoCall starts a server, books a session and connects its client and
// counselor in the video room, checking each step on the way.
func videoCall(t *testing.T, relay bool) *videoSession {
	base, _ := startServer(t, videoFlags...)
	return videoCallOn(t, base, relay)
}

// videoFlags start a server for video calls (with startServer or startNode).
var videoFlags = []string{"--demo", "--room-open-before", "72h", "--min-lead", "0s",
	"--turn-listen", "127.0.0.1:0", "--turn-public-ip", "127.0.0.1", "--turn-allow-peer", "127.0.0.0/8"}

// videoCallOn is videoCall on a running server.
func videoCallOn(t *testing.T, base string, relay bool) *videoSession {
	// Browsers keep the __Host- session cookie on http only for localhost.
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}

	// A new client books the next free session of any demo counselor.
	client := map[string]string{"username": "morgen-" + fmt.Sprint(time.Now().UnixNano()%100000), "password": "a long passphrase", "language": "en", "timezone": "Europe/Berlin"}
	if st := call(t, "POST", base+"/api/v1/accounts", "", withConsent(client), nil); st != 201 {
		t.Fatalf("register: %d", st)
	}
	var tok struct{ Token string }
	if st := call(t, "POST", base+"/api/v1/tokens", "", map[string]string{"username": client["username"], "password": client["password"]}, &tok); st != 201 {
		t.Fatalf("token: %d", st)
	}
	var bestStart, bestID, bestName string
	for _, l := range i18n.All {
		var found struct {
			Counselors []struct {
				ID          string                  `json:"id"`
				DisplayName string                  `json:"display_name"`
				NextSlot    *struct{ Start string } `json:"next_slot"`
			} `json:"counselors"`
		}
		call(t, "GET", base+"/api/v1/counselors?language="+l.Code, tok.Token, nil, &found)
		for _, c := range found.Counselors {
			if c.NextSlot != nil && (bestStart == "" || c.NextSlot.Start < bestStart) {
				bestStart, bestID, bestName = c.NextSlot.Start, c.ID, c.DisplayName
			}
		}
	}
	counselor := ""
	for _, d := range demoCounselors {
		if d.name == bestName {
			counselor = d.username
		}
	}
	if counselor == "" {
		t.Fatalf("no demo counselor has a free slot (best: %q)", bestName)
	}
	var appt struct{ ID string }
	if st := call(t, "POST", base+"/api/v1/appointments", tok.Token, map[string]string{"counselor_id": bestID, "start": bestStart}, &appt); st != 201 {
		t.Fatalf("book %s at %s: %d", counselor, bestStart, st)
	}
	room := base + "/appointments/" + appt.ID + "/room"
	if relay {
		room += "?relay=1"
	}

	cl := newVideoPage(t, "client")
	co := newVideoPage(t, "counselor")
	for _, p := range []struct {
		page       *videoPage
		user, pass string
	}{{cl, client["username"], client["password"]}, {co, counselor, demoPassword}} {
		p.page.do("log in",
			chromedp.Navigate(base+"/login?lang=en"),
			chromedp.WaitVisible(chromedp.CSS("#username")),
			chromedp.SendKeys(chromedp.CSS("#username"), p.user),
			chromedp.SendKeys(chromedp.CSS("#password"), p.pass),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		)
		if p.page == co { // demo staff have a second factor
			p.page.do("enter the code",
				chromedp.WaitVisible(chromedp.CSS("#otp")),
				chromedp.SendKeys(chromedp.CSS("#otp"), demoOTP(t)),
				chromedp.Click(chromedp.CSS(`form[action="/login/code"] button[type=submit]`)),
			)
		}
		p.page.do("logged in", chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)))
		p.page.do("open the room",
			chromedp.Navigate(room),
			chromedp.WaitVisible(chromedp.CSS("#room-join")),
		)
		// The camera check shows the fake camera before joining.
		waitUntil(p.page, "camera preview", `(() => { const s = document.getElementById("room-preview").srcObject; return s ? s.getTracks().length : 0; })()`,
			15*time.Second, func(n int) bool { return n == 2 })
	}

	cl.do("join as the client", chromedp.Click(chromedp.CSS("#room-join")))
	waitUntil(cl, "waiting room", `document.getElementById("room-status").textContent`, 15*time.Second, func(s string) bool {
		return s == cat.T("en", "room.status.waiting_absent") || s == cat.T("en", "room.status.waiting")
	})
	if got := cl.text("#room-status"); !strings.Contains(got, "Your counselor has been notified") {
		t.Errorf("client's waiting message: %q", got)
	}

	co.do("join as the counselor and see the client waiting",
		chromedp.Click(chromedp.CSS("#room-join")),
		chromedp.WaitVisible(chromedp.CSS("#room-admit")),
	)
	if got, want := co.text("#room-status"), cat.T("en", "room.status.client_waiting"); got != want {
		t.Errorf("counselor's status %q, want %q", got, want)
	}
	// The tab's title tells a counselor working in another tab.
	title := cat.T("en", "room.title") + " – " + cat.T("en", "app.name")
	if got, err := eval[string](co, `document.title`); err != nil || got != cat.T("en", "room.cue.title", "title", title) {
		t.Errorf("counselor's title while the client waits %q (%v), want %q", got, err, cat.T("en", "room.cue.title", "title", title))
	}
	co.do("admit the client", chromedp.Click(chromedp.CSS("#room-admit")))
	waitUntil(co, "title after admitting", `document.title`, 10*time.Second, func(s string) bool { return s == title })

	// Both receive video: frames are decoded and keep coming.
	first := map[*videoPage]int{}
	for _, p := range []*videoPage{cl, co} {
		first[p] = waitUntil(p, "first video frames", framesDecoded, 30*time.Second, func(n int) bool { return n > 0 })
	}
	for _, p := range []*videoPage{cl, co} {
		waitUntil(p, "more video frames", framesDecoded, 15*time.Second, func(n int) bool { return n > first[p]+10 })
	}

	// Both show the same security code.
	codeExpr := `document.getElementById("security-code").textContent`
	isCode := func(s string) bool { return securityCodeFormat.MatchString(s) }
	clCode := waitUntil(cl, "security code", codeExpr, 10*time.Second, isCode)
	coCode := waitUntil(co, "security code", codeExpr, 10*time.Second, isCode)
	if clCode != coCode {
		t.Errorf("security codes differ: client %q, counselor %q", clCode, coCode)
	}

	// Chat goes both ways (sent with the Enter key and with the button).
	for _, c := range []struct {
		from, to *videoPage
		text     string
		send     chromedp.Action[chromedp.Void]
	}{
		{cl, co, "Hi there", chromedp.SendKeys(chromedp.CSS("#room-chat-input"), "\r")},
		{co, cl, "ü & <b>x</b>", chromedp.Click(chromedp.CSS("#room-chat-send"))},
	} {
		c.from.do("send a chat message",
			chromedp.WaitEnabled(chromedp.CSS("#room-chat-input")),
			chromedp.SendKeys(chromedp.CSS("#room-chat-input"), c.text),
			c.send,
		)
		want, _ := json.Marshal(c.text)
		waitUntil(c.to, "chat message", `document.getElementById("room-chat-log").textContent.includes(`+string(want)+`)`,
			10*time.Second, func(b bool) bool { return b })
	}

	return &videoSession{cat: cat, room: room, code: clCode, client: cl, counselor: co}
}

// receiving waits until p decodes video frames on its current connection.
func receiving(p *videoPage) {
	p.t.Helper()
	first := waitUntil(p, "video frames", framesDecoded, 30*time.Second, func(n int) bool { return n > 0 })
	waitUntil(p, "more video frames", framesDecoded, 15*time.Second, func(n int) bool { return n > first+10 })
}

// videoLifecycle goes on from a running call: lower quality and mute, a
// reload that rejoins, a second tab that takes over, and the counselor
// ending the session.
func videoLifecycle(t *testing.T, c *videoSession) {
	cat, room, code, cl, co := c.cat, c.room, c.code, c.client, c.counselor
	cl.do("lower the quality and mute", chromedp.Click(chromedp.CSS("#room-low-quality")), chromedp.Click(chromedp.CSS("#room-mute")))
	waitUntil(cl, "a capped video sender", `(() => {
  const s = window.eyelevelRoom.pc().getSenders().find((s) => s.track && s.track.kind === "video");
  const e = s && s.getParameters().encodings[0];
  return !!e && e.maxBitrate === 300000 && e.scaleResolutionDownBy === 2;
})()`, 10*time.Second, func(b bool) bool { return b })
	pressed, err := eval[string](cl, `["room-low-quality", "room-mute"].map((id) => document.getElementById(id).getAttribute("aria-pressed")).join()`)
	if err != nil || pressed != "true,true" {
		t.Errorf("aria-pressed of lower quality and mute: %q, %v", pressed, err)
	}

	// The counselor's camera goes off and on again: the client is told.
	remoteOff := `!document.getElementById("room-remote-off").hidden`
	co.do("camera off", chromedp.Click(chromedp.CSS("#room-camera-off")))
	waitUntil(cl, "the other camera is off", remoteOff, 15*time.Second, func(b bool) bool { return b })
	co.do("camera on", chromedp.Click(chromedp.CSS("#room-camera-off")))
	waitUntil(cl, "the other camera is on", remoteOff, 15*time.Second, func(b bool) bool { return !b })

	// The signaling connection drops: the client reconnects by itself and
	// both start a fresh peer connection.
	cl.do("cut the signaling connection", chromedp.Evaluate[chromedp.Void](`window.__oldPC = window.eyelevelRoom.pc(); window.__sockets.at(-1).close()`))
	waitUntil(cl, "a new connection", `window.__sockets.length === 2 && window.__sockets[1].readyState === 1 && window.eyelevelRoom.pc() !== null && window.eyelevelRoom.pc() !== window.__oldPC`,
		15*time.Second, func(b bool) bool { return b })
	receiving(cl)
	receiving(co)
	codeExpr := `document.getElementById("security-code").textContent`
	isCode := func(s string) bool { return securityCodeFormat.MatchString(s) }
	a, b := waitUntil(cl, "code after reconnecting", codeExpr, 10*time.Second, isCode), waitUntil(co, "code after reconnecting", codeExpr, 10*time.Second, isCode)
	if a != b || a == code {
		t.Errorf("security codes after reconnecting: %q and %q (before: %q); want equal and new", a, b, code)
	}

	// A reload rejoins without waiting: the client was admitted.
	cl.do("reload and join again",
		chromedp.Navigate(room),
		chromedp.WaitVisible(chromedp.CSS("#room-join")),
		chromedp.Click(chromedp.CSS("#room-join")),
	)
	receiving(cl)
	receiving(co)
	if a, b := waitUntil(cl, "code after reload", codeExpr, 10*time.Second, isCode), waitUntil(co, "code after reload", codeExpr, 10*time.Second, isCode); a != b {
		t.Errorf("security codes after reload differ: %q, %q", a, b)
	}

	// The client opens the room in a second tab: the first gives way.
	tabCtx, cancel := chromedp.NewContext(cl.ctx)
	t.Cleanup(cancel)
	tab := &videoPage{t: t, name: "client tab 2", ctx: tabCtx}
	tab.listen()
	tab.do("join in a second tab",
		chromedp.Navigate(room),
		chromedp.WaitVisible(chromedp.CSS("#room-join")),
		chromedp.Click(chromedp.CSS("#room-join")),
	)
	doneText := `document.getElementById("room-done").hidden ? "" : document.getElementById("room-done-text").textContent`
	waitUntil(cl, "replaced", doneText, 10*time.Second, func(s string) bool { return s == cat.T("en", "room.status.replaced") })
	receiving(tab)

	// The counselor ends the session for both.
	co.do("end the session", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`), chromedp.Click(chromedp.CSS("#room-end")))
	waitUntil(co, "ended by the counselor", doneText, 10*time.Second, func(s string) bool { return s == cat.T("en", "room.status.ended_by_you") })
	waitUntil(tab, "ended for the client", doneText, 10*time.Second, func(s string) bool { return s == cat.T("en", "room.status.ended") })
	if live, err := eval[int](tab, `document.getElementById("room-preview").srcObject ? 1 : 0`); err != nil || live != 0 {
		t.Errorf("the client's camera is still on after the end (%d, %v)", live, err)
	}

	// The counselor comes back: the session reopens and the client, still
	// on the page, waits to be admitted again.
	co.do("rejoin as the counselor",
		chromedp.Click(chromedp.CSS("#room-rejoin")),
		chromedp.WaitVisible(chromedp.CSS("#room-join")),
		chromedp.Click(chromedp.CSS("#room-join")),
		chromedp.WaitVisible(chromedp.CSS("#room-admit")),
	)
	waitUntil(tab, "waiting again", `document.getElementById("room-status").textContent`, 10*time.Second, func(s string) bool { return s == cat.T("en", "room.status.waiting") })
	co.do("admit again", chromedp.Click(chromedp.CSS("#room-admit")))
	receiving(tab)
	receiving(co)
}
