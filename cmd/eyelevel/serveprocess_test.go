package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

// serveProcessEnv tells a re-executed test binary to be a serve process;
// its value is serve's arguments as JSON.
const serveProcessEnv = "EYELEVEL_TEST_SERVE"

// TestServeProcess is not a test on its own: tests that must freeze or
// kill -9 a server (the mail durability and leader tests) run the test
// binary again with only this function, so that serve is a real process.
// It serves until stdin closes, with the master key from
// EYELEVEL_MASTER_KEY when that is set.
func TestServeProcess(t *testing.T) {
	raw := os.Getenv(serveProcessEnv)
	if raw == "" {
		t.Skip("only run by the tests that start serve as a process")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	getenv := func(k string) string {
		if k == "EYELEVEL_MASTER_KEY" {
			return os.Getenv(k)
		}
		return ""
	}
	if err := run(ctx, append([]string{"eyelevel", "serve"}, args...), getenv, strings.NewReader(""), os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}
