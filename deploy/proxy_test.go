package deploy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is a running `eyelevel serve` started by a test.
type server struct {
	cmd    *exec.Cmd
	url    string     // http://127.0.0.1:port
	exited chan error // cmd.Wait's result, once
	mu     sync.Mutex
	log    strings.Builder
}

// Log returns what the server wrote to stderr so far.
func (s *server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func (s *server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
}

// startServe starts cmd, which runs serve with --addr 127.0.0.1:0, and
// waits until it prints where it listens.
func startServe(t *testing.T, cmd *exec.Cmd) *server {
	t.Helper()
	s := &server{cmd: cmd, exited: make(chan error, 1)}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = s
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // "already finished" once it stopped
	urls := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
		for lines.Scan() {
			if m := listening.FindStringSubmatch(lines.Text()); m != nil {
				urls <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
		s.exited <- cmd.Wait()
	}()
	select {
	case s.url = <-urls:
	case err := <-s.exited:
		t.Fatalf("serve exited before listening: %v\n%s", err, s.Log())
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve did not listen within 2 minutes\n%s", s.Log())
	}
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.terminate(); err != nil {
		t.Error(err)
	}
}

// terminate sends SIGTERM and waits for the exit; an unclean one is an
// error. It may run outside the test's goroutine.
func (s *server) terminate() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-s.exited:
		if err != nil {
			return fmt.Errorf("serve ended with %v\n%s", err, s.Log())
		}
		return nil
	case <-time.After(2 * time.Minute):
		return fmt.Errorf("serve did not stop within 2 minutes of SIGTERM\n%s", s.Log())
	}
}

// TestProxyFailover runs two nodes behind Caddy with the kit's
// reverse_proxy block (plain HTTP on loopback instead of the site's TLS)
// and stops one with SIGTERM: every request through the proxy, before,
// during and after the stop, must be answered 200 by a node.
func TestProxyFailover(t *testing.T) {
	requireTool(t, "caddy", "apt-get install caddy")
	bin := mustBinary(t)
	var nodes []*server
	for i := range 2 {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data"),
			"--turn-off", "--trust-proxy", "--drain-delay", "1s", "--shutdown-timeout", "10s")
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		nodes = append(nodes, startServe(t, cmd))
		t.Logf("node %d at %s", i+1, nodes[i].url)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := readFile(t, "Caddyfile")
	for old, repl := range map[string]string{
		"{$EYELEVEL_DOMAIN:localhost} {":    fmt.Sprintf("{\n\tadmin off\n}\n\nhttp://127.0.0.1:%d {", port),
		"\ttls {$EYELEVEL_TLS:internal}\n":  "",
		"eyelevel-1:8080 eyelevel-2:8080 {": strings.TrimPrefix(nodes[0].url, "http://") + " " + strings.TrimPrefix(nodes[1].url, "http://") + " {",
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("Caddyfile: %q not found", old)
		}
		conf = strings.Replace(conf, old, repl, 1)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	caddy := exec.Command("caddy", "run", "--config", path, "--adapter", "caddyfile")
	caddy.Env = []string{"HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "PATH=/usr/bin:/bin"}
	var caddyLog strings.Builder
	caddy.Stdout, caddy.Stderr = &caddyLog, &caddyLog
	if err := caddy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		caddy.Process.Kill()
		caddy.Wait()
	})

	proxy := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(path string) (int, error) {
		res, err := client.Get(proxy + path)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}
	// Wait for Caddy, sleeping between tries.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if code, err := get("/healthz"); err == nil && code == http.StatusOK {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("Caddy did not answer within a minute: %d %v\n%s", code, err, caddyLog.String())
		}
	}

	var failures []string
	check := func(when string, n int) {
		for range n {
			if code, err := get("/"); err != nil || code != http.StatusOK {
				failures = append(failures, fmt.Sprintf("%s: GET / %d %v", when, code, err))
			}
		}
	}
	check("both nodes up", 20)
	stopped := make(chan error, 1)
	go func() { stopped <- nodes[0].terminate() }()
	during := 0
	for running := true; running; during++ {
		select {
		case err := <-stopped:
			if err != nil {
				t.Error(err)
			}
			running = false
		default:
			check("node 1 stopping", 1)
		}
	}
	check("node 1 stopped", 20)
	if len(failures) > 0 {
		t.Errorf("%d requests through the proxy failed:\n%s\ncaddy:\n%s", len(failures), strings.Join(failures, "\n"), caddyLog.String())
	}
	t.Logf("%d requests while node 1 stopped", during)
	if log := nodes[0].Log(); !strings.Contains(log, "eyelevel stopped") {
		t.Errorf("node 1's log:\n%s", log)
	}
}
