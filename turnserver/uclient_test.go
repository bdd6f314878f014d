package turnserver

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// uclientResult is the summary coturn's turnutils_uclient prints.
type uclientResult struct {
	Sent, Received, Lost int
	Wall                 time.Duration // from start to exit, allocation included
}

var (
	uclientTotals = regexp.MustCompile(`start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)`)
	uclientLost   = regexp.MustCompile(`Total lost packets (\d+) `)
)

// uclientPath finds turnutils_uclient (Debian package coturn). Without it
// the test is skipped, except in CI, where it must be installed.
func uclientPath(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("turnutils_uclient")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("turnutils_uclient not found (apt-get install coturn): %v", err)
		}
		tb.Skipf("turnutils_uclient not found (apt-get install coturn): %v", err)
	}
	return path
}

// runUclient runs turnutils_uclient client-to-client (-y) against the TURN
// server at 127.0.0.1:port with REST credentials for secret, and parses its
// summary. args add the load options (-m, -n, -l, -z).
func runUclient(tb testing.TB, port int, secret string, args ...string) uclientResult {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args = append([]string{"-y", "-W", secret, "-u", "uclient"}, args...)
	args = append(args, "-e", "127.0.0.1", "-p", strconv.Itoa(port), "127.0.0.1")
	start := time.Now()
	out, err := exec.CommandContext(ctx, uclientPath(tb), args...).CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		tb.Fatalf("turnutils_uclient %v: %v\n%s", args, err, tail(out))
	}
	totals := uclientTotals.FindAllSubmatch(out, -1)
	lost := uclientLost.FindSubmatch(out)
	if len(totals) == 0 || lost == nil {
		tb.Fatalf("turnutils_uclient printed no summary:\n%s", tail(out))
	}
	last := totals[len(totals)-1]
	r := uclientResult{Wall: wall}
	r.Sent, _ = strconv.Atoi(string(last[1]))
	r.Received, _ = strconv.Atoi(string(last[2]))
	r.Lost, _ = strconv.Atoi(string(lost[1]))
	return r
}

func tail(out []byte) []byte {
	if len(out) > 4000 {
		return out[len(out)-4000:]
	}
	return out
}

func TestCoturnClientInterop(t *testing.T) {
	uclientPath(t)
	s, _ := MustStart(t, Config{AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	r := runUclient(t, s.UDPAddr().Port, testSecret, "-m", "10", "-n", "200", "-l", "200", "-z", "1")
	t.Logf("turnutils_uclient: sent %d, received %d, lost %d in %v", r.Sent, r.Received, r.Lost, r.Wall.Round(time.Millisecond))
	if r.Sent == 0 || r.Lost != 0 || r.Received != r.Sent {
		t.Errorf("sent %d, received %d, lost %d; want all delivered", r.Sent, r.Received, r.Lost)
	}
}
