package servicetest

import (
	"bufio"
	"go/build"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StripeMock starts Stripe's own API mock, stripe-mock (go install
// github.com/stripe/stripe-mock@v0.203.0), for the test and returns its
// base URL. It looks in PATH and in GOPATH/bin; without it the test is
// skipped, except under CI=true, where it fails.
func StripeMock(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		bin = filepath.Join(build.Default.GOPATH, "bin", "stripe-mock")
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatal("stripe-mock is not installed (go install github.com/stripe/stripe-mock@v0.203.0)")
			}
			tb.Skip("stripe-mock is not installed (go install github.com/stripe/stripe-mock@v0.203.0)")
		}
	}
	// Both listeners on loopback with ports of the system's choosing, so
	// that tests in parallel do not collide.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start stripe-mock: %v", err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		pw.Close()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "Listening for HTTP at address: "); ok {
				addr <- a
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			tb.Fatal("stripe-mock ended without listening")
		}
		return "http://" + a
	case <-time.After(time.Minute): // a safeguard against a hung start, not a timing assumption
		tb.Fatal("stripe-mock did not start within a minute")
	}
	return ""
}
