package main

import (
	"context"
	"strings"
	"testing"
)

// TestNodeFlagsRefused: settings that cannot work stop the start with a
// message naming the flag, before anything is opened.
func TestNodeFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"NATS with SQLite", []string{"--nats", "nats://127.0.0.1:4222"}, "--nats needs --db postgres://"},
		{"drain not shorter than the stop", []string{"--drain-delay", "30s", "--shutdown-timeout", "30s"}, "--drain-delay must be shorter"},
		{"negative drain", []string{"--drain-delay", "-1s"}, "--drain-delay must not be negative"},
		{"no time to stop", []string{"--shutdown-timeout", "0s"}, "--shutdown-timeout must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"eyelevel", "serve", "--addr", "127.0.0.1:0", "--data", dir, "--turn-off"}, tc.args...)
			var out, errOut syncBuffer
			err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(out.String(), "listening") {
				t.Error("the server started")
			}
		})
	}
}
