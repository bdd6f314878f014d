package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// repoRoot is the module root (this file is in cmd/eyelevel).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// axeScript returns axe-core from the npm registry, installed by .ci/run
// into build/axe (or named by EYELEVEL_AXE). Missing axe skips the scan
// outside CI and fails it in CI.
func axeScript(t *testing.T) string {
	path := os.Getenv("EYELEVEL_AXE")
	if path == "" {
		path = filepath.Join(repoRoot(), "build", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is required in CI: %v", err)
		}
		t.Skipf("axe-core not installed (%v); npm install --prefix build/axe axe-core@4", err)
	}
	return string(b)
}

// TestPagesInBrowserRTLAndAccessible opens the main pages in Chromium in a
// left-to-right and right-to-left languages: html lang and dir are right,
// the navigation starts at the reading side, a screenshot of the booking
// page is kept under build/screenshots, and axe-core finds no serious or
// critical violation.
func TestPagesInBrowserRTLAndAccessible(t *testing.T) {
	ctx := browser(t)
	axe := axeScript(t)
	base, _ := startServer(t, "--demo", "--room-open-before", "240h", "--min-lead", "0s")
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)

	// A client with a booking, so that the appointments, confirmation and
	// room pages have content.
	reg := map[string]string{"username": "leser-1", "password": "a long passphrase", "language": "de", "timezone": "Europe/Berlin"}
	if st := call(t, "POST", base+"/api/v1/accounts", "", withConsent(reg), nil); st != 201 {
		t.Fatalf("register: %d", st)
	}
	tok := token(t, base, reg["username"], reg["password"])
	var found struct {
		Counselors []struct {
			ID       string                  `json:"id"`
			NextSlot *struct{ Start string } `json:"next_slot"`
		} `json:"counselors"`
	}
	call(t, "GET", base+"/api/v1/counselors?language=fa", tok, nil, &found)
	if len(found.Counselors) < 2 || found.Counselors[0].NextSlot == nil || found.Counselors[1].NextSlot == nil {
		t.Fatalf("search: %+v", found)
	}
	first, second := found.Counselors[0], found.Counselors[1]
	var appt struct{ ID string }
	if st := call(t, "POST", base+"/api/v1/appointments", tok, map[string]string{"counselor_id": first.ID, "start": first.NextSlot.Start}, &appt); st != 201 {
		t.Fatalf("book: %d", st)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), reg["username"]),
		chromedp.SendKeys(chromedp.CSS("#password"), reg["password"]),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}

	pages := map[string]string{
		"landing":      "/",
		"register":     "/register",
		"find":         "/counselors?language=fa",
		"booking":      "/counselors/" + second.ID,
		"confirm":      "/book?counselor=" + second.ID + "&start=" + second.NextSlot.Start,
		"appointments": "/appointments",
		"room":         "/appointments/" + appt.ID + "/room",
		"cancel":       "/appointments/" + appt.ID + "/cancel",
		"help":         "/help",
		"self-test":    "/selftest",
		"program":      "/program",
		"step":         "/program/1",
		"progress":     "/progress",
	}
	shots := filepath.Join(repoRoot(), "build", "screenshots")
	os.MkdirAll(shots, 0o755)
	for _, lang := range []string{"de", "ar", "fa-AF"} {
		for name, path := range pages {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(base+path+sep+"lang="+lang), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
				t.Fatalf("%s %s: %v", lang, name, err)
			}
			wantDir := "ltr"
			if lang != "de" {
				wantDir = "rtl"
			}
			attrs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.documentElement.lang, document.documentElement.dir]`))
			if err != nil || attrs[0] != lang || attrs[1] != wantDir {
				t.Errorf("%s %s: html lang/dir = %v (%v), want %s %s", lang, name, attrs, err, lang, wantDir)
			}
			// The first navigation link sits at the start of the reading
			// direction: the left edge in LTR, the right edge in RTL.
			edges, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const a = document.querySelector("header nav a"); const r = a.getBoundingClientRect(); return [r.left, document.documentElement.clientWidth - r.right]; })()`))
			if err != nil {
				t.Fatalf("%s %s: nav: %v", lang, name, err)
			}
			if start, end := edges[0], edges[1]; (wantDir == "ltr" && start > end) || (wantDir == "rtl" && end > start) {
				t.Errorf("%s %s: navigation not mirrored: %.0f px from the left, %.0f px from the right", lang, name, start, end)
			}
			if name == "booking" {
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
				if err == nil {
					os.WriteFile(filepath.Join(shots, "booking-"+lang+".jpg"), png, 0o644)
				}
			}
			if lang == "fa-AF" {
				continue // axe runs in one LTR and one RTL language
			}
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
				t.Fatalf("inject axe: %v", err)
			}
			res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))))`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("%s %s: axe: %v", lang, name, err)
			}
			var violations []map[string]any
			json.Unmarshal([]byte(res), &violations)
			for _, v := range violations {
				t.Errorf("%s %s: accessibility (%v) %v: %v at %v", lang, name, v["impact"], v["id"], v["help"], v["nodes"])
			}
		}
	}
	_ = time.Second
}
