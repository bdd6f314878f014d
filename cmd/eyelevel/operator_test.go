package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func getBody(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestServeOperatorSettings: --operator-name, --imprint-url and
// --privacy-url reach every page; --demo names a demo operator; a link that
// is not http(s) or a local path stops the start.
func TestServeOperatorSettings(t *testing.T) {
	base, _ := startServer(t, "--operator-name", "Beratungsnetz e.V.", "--imprint-url", "https://example.org/impressum", "--privacy-url", "/privacy")
	body := getBody(t, base+"/login?lang=en")
	for _, want := range []string{"Beratungsnetz e.V.", `href="https://example.org/impressum">Imprint<`, `href="/privacy">Privacy policy<`} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	demo, _ := startServer(t, "--demo")
	if body := getBody(t, demo+"/?lang=en"); !strings.Contains(body, "eyelevel demo") || !strings.Contains(body, "free of charge") {
		t.Error("demo landing page names no operator or no cost")
	}

	err := run(context.Background(), []string{"eyelevel", "serve", "--data", t.TempDir(), "--imprint-url", "javascript:alert(1)"},
		func(string) string { return "" }, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "imprint-url") {
		t.Errorf("bad --imprint-url: %v", err)
	}
	err = run(context.Background(), []string{"eyelevel", "serve", "--data", t.TempDir()},
		func(k string) string {
			if k == "EYELEVEL_PRIVACY_URL" {
				return "ftp://example.org/p"
			}
			return ""
		}, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "privacy-url") {
		t.Errorf("bad EYELEVEL_PRIVACY_URL: %v", err)
	}
}
