package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestConfigFailsLoudly: every environment value or flag that does not
// parse stops the start with a message naming it, instead of falling back
// to a default.
func TestConfigFailsLoudly(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string // in the error
	}{
		{"duration without unit", map[string]string{"EYELEVEL_BUFFER": "15"}, nil, "EYELEVEL_BUFFER"},
		{"bool word", map[string]string{"EYELEVEL_TRUST_PROXY": "yes"}, nil, "EYELEVEL_TRUST_PROXY"},
		{"demo", map[string]string{"EYELEVEL_DEMO": "on"}, nil, "EYELEVEL_DEMO"},
		{"turn off", map[string]string{"EYELEVEL_TURN_OFF": "maybe"}, nil, "EYELEVEL_TURN_OFF"},
		{"cancel notice", map[string]string{"EYELEVEL_CANCEL_NOTICE": "1 day"}, nil, "EYELEVEL_CANCEL_NOTICE"},
		{"min lead", map[string]string{"EYELEVEL_MIN_LEAD": "-"}, nil, "EYELEVEL_MIN_LEAD"},
		{"room", map[string]string{"EYELEVEL_ROOM_OPEN_BEFORE": "10"}, nil, "EYELEVEL_ROOM_OPEN_BEFORE"},
		{"log level env", map[string]string{"EYELEVEL_LOG_LEVEL": "loud"}, nil, "log-level"},
		{"flag duration", nil, []string{"--buffer", "15"}, "buffer"},
		{"flag bool", nil, []string{"--trust-proxy=yes"}, "trust-proxy"},
		{"unknown flag", nil, []string{"--bufer", "15m"}, "bufer"},
		{"negative", nil, []string{"--buffer", "-5m"}, "negative"},
		{"sessions per day word", map[string]string{"EYELEVEL_SESSIONS_PER_DAY": "one"}, nil, "EYELEVEL_SESSIONS_PER_DAY"},
		{"sessions per day negative", nil, []string{"--sessions-per-day", "-1"}, "sessions-per-day"},
		{"env bad, flag good", map[string]string{"EYELEVEL_BUFFER": "15"}, []string{"--buffer", "15m"}, "EYELEVEL_BUFFER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"eyelevel", "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--turn-off"}, tc.args...)
			err := run(context.Background(), args, func(k string) string { return tc.env[k] }, strings.NewReader(""), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestConfigParses: valid values arrive, whether from the environment or a
// flag; flags win over the environment; 1 and 0 are booleans too.
func TestConfigParses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   map[string]string
		args  []string
		check func(c config) bool
	}{
		{"trust proxy 1", map[string]string{"EYELEVEL_TRUST_PROXY": "1"}, nil, func(c config) bool { return c.trustProxy }},
		{"trust proxy true", map[string]string{"EYELEVEL_TRUST_PROXY": "true"}, nil, func(c config) bool { return c.trustProxy }},
		{"trust proxy 0", map[string]string{"EYELEVEL_TRUST_PROXY": "0"}, nil, func(c config) bool { return !c.trustProxy }},
		{"default buffer", nil, nil, func(c config) bool { return c.buffer == 10*time.Minute }},
		{"env buffer", map[string]string{"EYELEVEL_BUFFER": "15m"}, nil, func(c config) bool { return c.buffer == 15*time.Minute }},
		{"flag over env", map[string]string{"EYELEVEL_BUFFER": "15m"}, []string{"--buffer", "5m"}, func(c config) bool { return c.buffer == 5*time.Minute }},
		{"demo 1", map[string]string{"EYELEVEL_DEMO": "1"}, nil, func(c config) bool { return c.demo }},
		{"turn off", map[string]string{"EYELEVEL_TURN_OFF": "TRUE"}, nil, func(c config) bool { return c.turn.disabled }},
		{"allow peer", map[string]string{"EYELEVEL_TURN_ALLOW_PEER": "10.0.0.0/8"}, []string{"--turn-allow-peer", "192.168.0.0/16"},
			func(c config) bool { return strings.Join(c.turn.allowPeers, " ") == "10.0.0.0/8 192.168.0.0/16" }},
		{"addr", map[string]string{"EYELEVEL_ADDR": ":9000"}, nil, func(c config) bool { return c.addr == ":9000" }},
		{"one session a day by default", nil, nil, func(c config) bool { return c.serviceConfig().SessionsPerDay == 1 }},
		{"sessions per day env", map[string]string{"EYELEVEL_SESSIONS_PER_DAY": "2"}, nil, func(c config) bool { return c.serviceConfig().SessionsPerDay == 2 }},
		{"sessions per day 0 is no limit", nil, []string{"--sessions-per-day", "0"}, func(c config) bool { return c.serviceConfig().SessionsPerDay < 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, help, err := serveConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if err != nil || help {
				t.Fatalf("serveConfig = %v, help %v", err, help)
			}
			if !tc.check(c) {
				t.Fatalf("config %+v", c)
			}
		})
	}
}

// TestServeHelp: --help and -h print the usage with every flag and succeed.
func TestServeHelp(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"serve", "-h"}, {"user", "add", "--help"}} {
		var out strings.Builder
		err := run(context.Background(), append([]string{"eyelevel"}, args...), func(string) string { return "" }, strings.NewReader(""), &out, io.Discard)
		if err != nil {
			t.Errorf("%v: run = %v, want nil", args, err)
		}
		if !strings.Contains(out.String(), "-data") || (args[0] == "serve" && !strings.Contains(out.String(), "-trust-proxy")) {
			t.Errorf("%v: usage lacks the flags:\n%s", args, out.String())
		}
	}
}

// TestShutdownWaitsForBackground: shutdown waits for a job that is still
// running, and ends and waits for long-lived (upgraded) requests, so that
// nothing touches the database after it closes.
func TestShutdownWaitsForBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		bg := newBackground()
		started, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		bg.every(ctx, time.Hour, func() { once.Do(func() { close(started); <-release }) })
		<-started

		wsEnded := make(chan struct{})
		h := bg.track(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // a WebSocket runs until its context ends
			close(wsEnded)
		}))
		go func() {
			req := httptest.NewRequest("GET", "/api/v1/appointments/x/signal", nil)
			req.Header.Set("Upgrade", "websocket")
			h.ServeHTTP(httptest.NewRecorder(), req)
		}()
		synctest.Wait()

		cancel()
		done := make(chan struct{})
		go func() { bg.shutdown(); close(done) }()
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("shutdown returned while a job was still running")
		default:
		}
		select {
		case <-wsEnded:
		default:
			t.Fatal("shutdown did not end the long-lived request")
		}
		close(release)
		<-done
	})
}

// runServer starts serve through run() and returns its log and a function
// that stops it and returns run's result.
func runServer(t *testing.T, args ...string) (log *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	args = append(append([]string{"eyelevel", "serve", "--addr", "127.0.0.1:0", "--turn-listen", "127.0.0.1:0", "--drain-delay", "0s"}, sharedDB(t)...), args...)
	go func() {
		done <- run(ctx, args, func(string) string { return "" }, strings.NewReader(""), stdout, stderr)
	}()
	for deadline := time.Now().Add(30 * time.Second); listening.FindStringSubmatch(stdout.String()) == nil; {
		select {
		case err := <-done:
			t.Fatalf("server stopped: %v\n%s", err, stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready:\n%s", stderr)
		}
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() })
	return stderr, stop
}

// TestServeStopsGracefully: cancelling run's context stops the server; run
// returns nil and the log says it stopped, with no write to a closed
// database.
func TestServeStopsGracefully(t *testing.T) {
	log, stop := runServer(t, "--data", t.TempDir())
	if err := stop(); err != nil {
		t.Fatalf("run = %v", err)
	}
	if !strings.Contains(log.String(), "eyelevel stopped") {
		t.Errorf("log does not say the server stopped:\n%s", log)
	}
	if strings.Contains(log.String(), "database is closed") {
		t.Errorf("something used the database after it closed:\n%s", log)
	}
}

// TestDataFilesPrivate: a new data directory is 0700 and every file in it
// (database, its WAL and shared memory, master key, TURN secret) is 0600;
// an existing looser directory or file is reported in the log.
func TestDataFilesPrivate(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	log, stop := runServer(t, "--data", data)
	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data directory: %v %v", fi.Mode().Perm(), err)
	}
	entries, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().IsRegular() && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	want := []string{"master.key", "turn-secret"}
	if storetest.Suite() == store.SQLite {
		want = append(want, "eyelevel.db", "eyelevel.db-wal", "eyelevel.db-shm")
	}
	for _, name := range want {
		if !names[name] {
			t.Errorf("no %s in the data directory: %v", name, names)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "chmod") {
		t.Errorf("warned about a fresh data directory:\n%s", log)
	}

	// An operator's looser directory and file are reported, not changed.
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(data, "master.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	log, stop = runServer(t, "--data", data)
	stop()
	for _, want := range []string{"chmod 700", "chmod 600", "master.key"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if fi, _ := os.Stat(data); fi.Mode().Perm() != 0o755 {
		t.Errorf("the operator's directory mode was changed to %v", fi.Mode().Perm())
	}
}
