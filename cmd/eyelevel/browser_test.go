package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium for a test, with extra options if any
// (e.g. flags for a fake camera). It skips only when Chromium is missing
// and CI is not "true"; in CI a missing browser fails the test.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is required in CI (apt-get install chromium)")
		}
		t.Skip("Chromium not installed")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(360, 800),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// stepper returns a function that runs browser steps and, when they fail,
// saves a screenshot and fails the test.
func stepper(t *testing.T, ctx context.Context) func(what string, steps ...chromedp.Action[chromedp.Void]) {
	return func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(80))
			if len(shot) > 0 {
				p := filepath.Join(t.TempDir(), "failure.jpg")
				os.WriteFile(p, shot, 0o644)
				t.Logf("screenshot: %s", p)
			}
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// TestBrowserRegisterFindBook: a new client registers, finds a
// Farsi-speaking counselor, books, and the counselor sees the appointment —
// in a real browser, without JavaScript of ours.
func TestBrowserRegisterFindBook(t *testing.T) {
	ctx := browser(t)
	base, _ := startServer(t, "--demo")
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	do := stepper(t, ctx)

	do("register",
		chromedp.Navigate(base+"/register?lang=de"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "morgenrot-7"),
		chromedp.SendKeys(chromedp.CSS("#password"), "ein langes Passwort"),
		chromedp.Click(chromedp.CSS("#consent")),
		chromedp.Click(chromedp.CSS(`form[action="/register"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	if lang, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.lang")); lang != "de" {
		t.Errorf("html lang = %q, want de", lang)
	}

	do("find a Farsi-speaking counselor",
		chromedp.Navigate(base+"/counselors?language=fa"),
		chromedp.WaitVisible(chromedp.CSS(".card")),
	)
	if first := text(".card h3"); first != "Leyla Ahmadi" && first != "Nasrin Karimi" {
		t.Fatalf("first Farsi counselor = %q", first)
	}
	counselor := text(".card h3")

	do("open the confirmation of the next free time",
		chromedp.Click(chromedp.CSS(".card a.button")),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/book"]`)),
	)
	do("book",
		chromedp.Click(chromedp.CSS(`form[action="/book"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".card")),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/appointments") {
		t.Errorf("after booking at %s, want /appointments", loc)
	}
	if got := text("main"); !strings.Contains(got, counselor) {
		t.Fatalf("client's appointments do not show %s:\n%s", counselor, got)
	}

	username := map[string]string{"Leyla Ahmadi": "leyla", "Nasrin Karimi": "nasrin"}[counselor]
	do("log out and in as the counselor",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`header a[href="/login"]`)),
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), demoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#otp")), // demo staff have a second factor
		chromedp.SendKeys(chromedp.CSS("#otp"), demoOTP(t)),
		chromedp.Click(chromedp.CSS(`form[action="/login/code"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(base+"/appointments"),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	if got := text("main"); !strings.Contains(got, "morgenrot-7") {
		t.Fatalf("counselor's appointments do not show the client:\n%s", got)
	}
}
