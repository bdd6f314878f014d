package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestWarnShortRetention(t *testing.T) {
	for _, c := range []struct {
		months months
		warn   bool
	}{{2, true}, {5, true}, {6, false}, {24, false}} {
		var buf bytes.Buffer
		warnShortRetention(trustConfig{retention: c.months, auditRetention: 24}, slog.New(slog.NewTextHandler(&buf, nil)))
		if got := strings.Contains(buf.String(), "shorter than 6 months"); got != c.warn {
			t.Errorf("%d months: warned %v, want %v (%s)", c.months, got, c.warn, buf.String())
		}
	}
}
