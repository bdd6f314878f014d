package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestLandingFirstScreenOnPhone: on a 360×640 phone screen, a visitor
// sees the start buttons without scrolling, in every UI language — the
// language list is shown once, in the header.
func TestLandingFirstScreenOnPhone(t *testing.T) {
	ctx := browser(t)
	base, _ := startServer(t, "--demo")
	base = strings.Replace(base, "127.0.0.1", "localhost", 1)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 640)); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"de", "en", "ar", "fa", "fa-AF", "ps", "tr", "ru", "uk", "kmr"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/?lang="+lang), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		bottoms, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("main .actions .button")].map(b => b.getBoundingClientRect().bottom)`))
		if err != nil || len(bottoms) == 0 {
			t.Fatalf("%s: start buttons: %v %v", lang, bottoms, err)
		}
		for i, b := range bottoms {
			if b > 640 {
				t.Errorf("%s: start button %d ends %.0f px down, below the first screen (640)", lang, i+1, b)
			}
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[hreflang="ar"]').length`))
		if err != nil || n != 1 {
			t.Errorf("%s: the language list appears %d times (%v)", lang, n, err)
		}
	}
}
