package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"eyelevel/i18n"

	"github.com/chromedp/chromedp"
)

// TestBrowserSelfTestInArabic: a new client registers in Arabic, takes the
// self-test right to left, sees the recommendation, opens step 1 of the
// program and saves a reflection — in a real browser, without our script.
func TestBrowserSelfTestInArabic(t *testing.T) {
	ctx := browser(t)
	base, _ := startServer(t, "--demo")
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ar := func(key string, args ...any) string { return cat.T("ar", key, args...) }

	do := stepper(t, ctx)
	shots := filepath.Join(repoRoot(), "build", "screenshots")
	os.MkdirAll(shots, 0o755)
	shot := func(name string) {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}

	do("register in Arabic",
		chromedp.Navigate(base+"/register?lang=ar"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "yasmin-22"),
		chromedp.SendKeys(chromedp.CSS("#password"), "كلمة مرور طويلة جدا"),
		chromedp.Click(chromedp.CSS("#consent")),
		chromedp.Click(chromedp.CSS(`form[action="/register"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".recovery-code")), // shown once, then on
		chromedp.Click(chromedp.CSS(`a.button[href="/selftest"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/selftest"]`)),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/selftest") {
		t.Fatalf("after registering at %s, want the self-test", loc)
	}
	if dir, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.dir")); dir != "rtl" {
		t.Fatalf("self-test dir = %q, want rtl", dir)
	}
	if h := text("main h1"); h != ar("selftest.heading") {
		t.Fatalf("self-test heading %q, want %q", h, ar("selftest.heading"))
	}
	shot("selftest-ar")
	// Right to left: each radio button sits at the right end of its label.
	pos, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const input = document.querySelector('input[name="phq4.1"]'), label = input.closest("label");
		const a = input.getBoundingClientRect(), b = label.getBoundingClientRect();
		return [a.left, a.right, b.left, b.right];
	})()`))
	if err != nil || len(pos) != 4 {
		t.Fatalf("answer position: %v %v", pos, err)
	}
	if pos[1] < pos[3]-24 || pos[0] < pos[2]+24 {
		t.Fatalf("radio button at x %.0f–%.0f in its label at %.0f–%.0f: not on the right", pos[0], pos[1], pos[2], pos[3])
	}

	var answers []chromedp.Action[chromedp.Void]
	for i := 1; i <= 4; i++ {
		answers = append(answers, chromedp.Click(chromedp.CSS(`input[name="phq4.`+strconv.Itoa(i)+`"][value="0"]`)))
	}
	for i := 1; i <= 5; i++ {
		answers = append(answers, chromedp.Click(chromedp.CSS(`input[name="who5.`+strconv.Itoa(i)+`"][value="4"]`)))
	}
	answers = append(answers,
		chromedp.Click(chromedp.CSS(`form[action="/selftest"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".advice")),
	)
	do("answer the self-test", answers...)
	shot("selftest-result-ar")
	if got := text(".advice p"); got != ar("selftest.advice.counseling") {
		t.Fatalf("recommendation %q, want %q", got, ar("selftest.advice.counseling"))
	}
	if got := text("main"); !strings.Contains(got, ar("selftest.who5.percent", "n", 80)) {
		t.Fatalf("result lacks the WHO-5 percentage:\n%s", got)
	}

	const reflection = "أريد أن أتحدث مع ابني بهدوء."
	do("open step 1 and save a reflection",
		chromedp.Navigate(base+"/program"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/program/1"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/program/1"]`)),
		chromedp.WaitVisible(chromedp.CSS("#text")),
		chromedp.SendKeys(chromedp.CSS("#text"), reflection),
		chromedp.Click(chromedp.CSS(`form.reflection button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	shot("step1-ar")
	if got := text(".notice"); got != ar("notice.saved") {
		t.Fatalf("notice %q, want %q", got, ar("notice.saved"))
	}
	do("reload step 1", chromedp.Navigate(base+"/program/1"), chromedp.WaitVisible(chromedp.CSS("#text")))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#text").value`))
	if err != nil || got != reflection {
		t.Fatalf("saved reflection = %q (%v), want %q", got, err, reflection)
	}
	if dir, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.dir")); dir != "rtl" {
		t.Fatalf("step page dir = %q, want rtl", dir)
	}
}
