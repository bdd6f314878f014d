package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withConsent is a sign-up body with the consent to the processing of
// health data that registration requires.
func withConsent(reg map[string]string) map[string]any {
	out := map[string]any{"consent": true}
	for k, v := range reg {
		out[k] = v
	}
	return out
}

// TestServeWarnsWithoutLegalTexts: serve warns at start when neither a
// file nor a URL provides the imprint or the privacy policy.
func TestServeWarnsWithoutLegalTexts(t *testing.T) {
	log, stop := runServer(t, "--data", t.TempDir())
	stop()
	for _, want := range []string{"no imprint", "no privacy policy"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}

	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "legal"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "legal", "imprint.de.md"), []byte("# Impressum\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log, stop = runServer(t, "--data", data, "--privacy-url", "https://example.org/datenschutz")
	stop()
	if strings.Contains(log.String(), "no imprint") || strings.Contains(log.String(), "no privacy policy") {
		t.Errorf("warned though a file and a URL exist:\n%s", log)
	}
}

// TestServeDemoWritesSampleLegalTexts: --demo writes marked samples
// where the operator has none, and keeps the operator's own.
func TestServeDemoWritesSampleLegalTexts(t *testing.T) {
	data := t.TempDir()
	legal := filepath.Join(data, "legal")
	if err := os.MkdirAll(legal, 0o700); err != nil {
		t.Fatal(err)
	}
	own := "# Impressum\n\nDas eigene.\n"
	if err := os.WriteFile(filepath.Join(legal, "imprint.de.md"), []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	log, stop := runServer(t, "--data", data, "--demo")
	stop()
	if strings.Contains(log.String(), "no imprint") || strings.Contains(log.String(), "no privacy policy") {
		t.Errorf("demo warned about legal texts:\n%s", log)
	}
	if b, _ := os.ReadFile(filepath.Join(legal, "imprint.de.md")); string(b) != own {
		t.Errorf("the operator's imprint was overwritten: %q", b)
	}
	for name, mark := range map[string]string{"privacy.de.md": "MUSTER", "privacy.en.md": "SAMPLE", "imprint.en.md": "SAMPLE"} {
		if b, err := os.ReadFile(filepath.Join(legal, name)); err != nil || !strings.Contains(string(b), mark) {
			t.Errorf("%s: %v, want a text marked %s", name, err, mark)
		}
	}
}

// TestServeRefusesBadConsentVersion: the consent version must be one line.
func TestServeRefusesBadConsentVersion(t *testing.T) {
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "legal"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "legal", "consent-version"), []byte("2\n3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"eyelevel", "serve", "--addr", "127.0.0.1:0", "--turn-listen", "127.0.0.1:0", "--drain-delay", "0s"}, sharedDB(t)...), "--data", data)
	err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "consent-version") {
		t.Fatalf("run = %v, want a consent-version error", err)
	}
}
