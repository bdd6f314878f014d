package turnserver

import (
	"bytes"
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
	// Rate is packets received per second while packets flowed, from the
	// progress line uclient prints every second: from the first with
	// packets sent to the first with all packets received.
	Rate float64
}

var (
	uclientTotals   = regexp.MustCompile(`start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)`)
	uclientLost     = regexp.MustCompile(`Total lost packets (\d+) `)
	uclientEnd      = regexp.MustCompile(`Total transmit time is (\d+)`)
	uclientProgress = regexp.MustCompile(`(?m)^(\d+): : start_mclient: msz=\d+, tot_send_msgs=(\d+), tot_recv_msgs=(\d+)`)
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

// uclientRun is a turnutils_uclient process.
type uclientRun struct {
	cmd   *exec.Cmd
	args  []string
	out   bytes.Buffer
	start time.Time
	done  chan struct{}
	err   error
}

// startUclient starts turnutils_uclient client-to-client (-y) against the
// TURN server at 127.0.0.1:port with REST credentials for secret. args add
// the load options (-m, -n, -l, -z).
func startUclient(tb testing.TB, port int, secret string, args ...string) *uclientRun {
	tb.Helper()
	args = append([]string{"-y", "-W", secret, "-u", "uclient"}, args...)
	args = append(args, "-e", "127.0.0.1", "-p", strconv.Itoa(port), "127.0.0.1")
	r := &uclientRun{args: args, start: time.Now(), done: make(chan struct{})}
	r.cmd = exec.Command(uclientPath(tb), args...)
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		tb.Fatalf("turnutils_uclient: %v", err)
	}
	go func() {
		// uclient ends on its own; the timer only guards against a hang.
		t := time.AfterFunc(5*time.Minute, func() { r.cmd.Process.Kill() })
		r.err = r.cmd.Wait()
		t.Stop()
		close(r.done)
	}()
	return r
}

// wait waits for the run to end and parses its summary.
func (r *uclientRun) wait(tb testing.TB) uclientResult {
	tb.Helper()
	<-r.done
	res := uclientResult{Wall: time.Since(r.start)}
	out := r.out.Bytes()
	if r.err != nil {
		tb.Fatalf("turnutils_uclient %v: %v\n%s", r.args, r.err, tail(out))
	}
	totals := uclientTotals.FindAllSubmatch(out, -1)
	lost := uclientLost.FindSubmatch(out)
	if len(totals) == 0 || lost == nil {
		tb.Fatalf("turnutils_uclient printed no summary:\n%s", tail(out))
	}
	last := totals[len(totals)-1]
	res.Sent, _ = strconv.Atoi(string(last[1]))
	res.Received, _ = strconv.Atoi(string(last[2]))
	res.Lost, _ = strconv.Atoi(string(lost[1]))
	res.Rate = progressRate(out, res.Received)
	return res
}

// progressRate computes uclientResult.Rate. The progress lines start with
// the seconds since sending began, so the rate counts whole seconds only:
// from the first line with packets sent to the first with all received, or
// else to the end of the transmission.
func progressRate(out []byte, received int) float64 {
	first, firstRecv := -1, 0
	for _, m := range uclientProgress.FindAllSubmatch(out, -1) {
		t, _ := strconv.Atoi(string(m[1]))
		sent, _ := strconv.Atoi(string(m[2]))
		recv, _ := strconv.Atoi(string(m[3]))
		switch {
		case sent == 0:
		case first < 0:
			first, firstRecv = t, recv
		case recv >= received && t > first:
			return float64(recv-firstRecv) / float64(t-first)
		}
	}
	if end := uclientEnd.FindSubmatch(out); end != nil && first >= 0 {
		if t, _ := strconv.Atoi(string(end[1])); t > first {
			return float64(received-firstRecv) / float64(t-first)
		}
	}
	return 0
}

func tail(out []byte) []byte {
	if len(out) > 4000 {
		return out[len(out)-4000:]
	}
	return out
}

func TestCoturnClientInterop(t *testing.T) {
	uclientPath(t)
	// Four sockets: some of uclient's RTCP allocations, which redeem the
	// RTP allocation's RESERVATION-TOKEN, land on another socket.
	// uclient's clients share one user and one address: no quotas. They
	// send to each other's relayed addresses, which the relay allows.
	s, _ := MustStart(t, Config{
		Sockets: 4, AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		UserQuota: -1, AddrQuota: -1,
	})
	run := startUclient(t, s.UDPAddr().Port, testSecret, "-m", "10", "-n", "200", "-l", "200", "-z", "1")
	sampler := sampleProcs(200*time.Millisecond, os.Getpid(), run.cmd.Process.Pid)
	r := run.wait(t)
	drops, _ := sampler.Stop()
	t.Logf("turnutils_uclient: sent %d, received %d, lost %d in %v; socket drops: server %d, uclient %d",
		r.Sent, r.Received, r.Lost, r.Wall.Round(time.Millisecond), drops[os.Getpid()], drops[run.cmd.Process.Pid])
	if r.Sent == 0 || r.Lost != 0 || r.Received != r.Sent {
		t.Errorf("sent %d, received %d, lost %d; want all delivered", r.Sent, r.Received, r.Lost)
	}
	if s.group.redeemed.Load() == 0 {
		t.Error("no client was forwarded to the socket holding its reservation")
	}
}
