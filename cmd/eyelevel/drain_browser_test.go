package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// videoRestart: two browsers in a call on one node; the node stops (as on
// SIGTERM) and a new one starts on the same address and data. Both
// browsers reconnect their signaling, keep their peer connection (no new
// negotiation) and decode video throughout.
func videoRestart(t *testing.T) {
	n, flags, c := restartableCall(t, false)
	pages := []*videoPage{c.client, c.counselor}
	for _, p := range pages {
		p.do("remember the call", chromedp.Evaluate[chromedp.Void](`window.__pc = window.eyelevelRoom.pc(); window.__socketsBefore = window.__sockets.length`))
	}
	frames := map[*videoPage]int{}
	more := func(what string) {
		t.Helper()
		for _, p := range pages {
			from := frames[p]
			frames[p] = waitUntil(p, what, framesDecoded, 15*time.Second, func(n int) bool { return n > from+10 })
		}
	}
	more("frames before the restart")

	n.stop()
	if err := n.wait(t, 30*time.Second); err != nil {
		t.Fatalf("run = %v", err)
	}
	more("frames while no server runs")

	startNode(t, append([]string{"--addr", strings.TrimPrefix(n.base, "http://")}, flags...)...)
	connected := c.cat.T("en", "room.status.connected")
	for _, p := range pages {
		waitUntil(p, "signaling again", `window.__sockets.length > window.__socketsBefore && window.__sockets.at(-1).readyState === 1`,
			30*time.Second, func(b bool) bool { return b })
		waitUntil(p, "the call resumed", `document.getElementById("room-status").textContent`, 15*time.Second, func(s string) bool { return s == connected })
	}
	more("frames after the restart")
	for _, p := range pages {
		same, err := eval[bool](p, `window.eyelevelRoom.pc() === window.__pc && !document.getElementById("room-call").hidden`)
		if err != nil || !same {
			t.Errorf("%s: the call's peer connection was replaced (%v)\n%s", p.name, err, p.state())
		}
	}
	if code, err := eval[string](c.client, `document.getElementById("security-code").textContent`); err != nil || code != c.code {
		t.Errorf("security code after the restart %q (%v), want %q", code, err, c.code)
	}
}

// restartableCall is a call between two browsers on a node that the test
// stops itself; flags start a node on the same data.
func restartableCall(t *testing.T, relay bool) (n *node, flags []string, c *videoSession) {
	flags = append(append([]string{"--data", t.TempDir(), "--drain-delay", "300ms"}, videoFlags...), sharedDB(t)...)
	n = startNode(t, append([]string{"--addr", "127.0.0.1:0"}, flags...)...)
	c = videoCallOn(t, strings.Replace(n.base, "127.0.0.1", "localhost", 1), relay)
	return n, flags, c
}

// videoRestartRelayed: a call relayed by the embedded TURN server stops
// when its node stops (docs/operations.md says so); with the new node the
// browsers restart ICE through its relay and the same peer connection
// carries video again.
func videoRestartRelayed(t *testing.T) {
	n, flags, c := restartableCall(t, true)
	pages := []*videoPage{c.client, c.counselor}
	for _, p := range pages {
		p.do("remember the call", chromedp.Evaluate[chromedp.Void](`window.__pc = window.eyelevelRoom.pc()`))
	}
	n.stop()
	if err := n.wait(t, 30*time.Second); err != nil {
		t.Fatalf("run = %v", err)
	}
	// The video stops: what the jitter buffers held is played, then the
	// count of decoded frames stays the same (8 samples, 250 ms apart).
	last, same := -1, 0
	waitUntil(c.client, "relayed video stops without its relay", framesDecoded, 60*time.Second, func(k int) bool {
		if k == last {
			same++
		} else {
			last, same = k, 0
		}
		return k > 0 && same >= 8
	})
	startNode(t, append([]string{"--addr", strings.TrimPrefix(n.base, "http://")}, flags...)...)
	for _, p := range pages {
		from, _ := eval[int](p, framesDecoded)
		waitUntil(p, "relayed frames again", framesDecoded, 60*time.Second, func(k int) bool { return k > from+10 })
		if same, err := eval[bool](p, `window.eyelevelRoom.pc() === window.__pc`); err != nil || !same {
			t.Errorf("%s: the peer connection was replaced (%v)", p.name, err)
		}
		if typ, err := eval[string](p, localCandidateType); err != nil || typ != "relay" {
			t.Errorf("%s: candidate type %q (%v), want relay", p.name, typ, err)
		}
	}
}
