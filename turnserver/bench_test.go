package turnserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkRelay puts the same turnutils_uclient load (50 clients, each
// 2000 packets of 1000 B plus RTCP, client to client through the relay) on
// the embedded server and on coturn's turnserver, paced at 1 ms and
// unpaced. It needs coturn and is not part of the test suite (go test runs
// no benchmarks unless asked). docs/turn.md has the command and results:
//
//	go test ./turnserver -run '^$' -bench Relay -benchtime 1x -count 3
//
// TURNBENCH_SOCKETS sets the embedded server's Sockets and TURNBENCH_FLAGS
// adds uclient flags (e.g. "-c"). TURNBENCH_CPUPROFILE=file writes the
// embedded server's CPU profile (of its last run). benchUclient lists the
// metrics.
func BenchmarkRelay(b *testing.B) {
	uclientPath(b)
	if _, err := exec.LookPath("turnserver"); err != nil {
		b.Skipf("coturn's turnserver not found: %v", err)
	}
	extra := strings.Fields(os.Getenv("TURNBENCH_FLAGS"))
	sockets, _ := strconv.Atoi(os.Getenv("TURNBENCH_SOCKETS"))
	for _, pace := range []string{"1", "0"} {
		load := append([]string{"-m", "50", "-n", "2000", "-l", "1000", "-z", pace}, extra...)
		b.Run("server=embedded/z="+pace, func(b *testing.B) {
			port, pid := startEmbedded(b, sockets)
			benchUclient(b, port, pid, load)
		})
		b.Run("server=coturn/z="+pace, func(b *testing.B) {
			port, pid := startCoturn(b)
			benchUclient(b, port, pid, load)
		})
	}
}

// benchUclient runs the load b.N times against the server at port, whose
// process is serverPID, and reports per run:
//   - delivered/s: packets received per second while they flowed (uclientResult.Rate);
//   - loss%: packets lost end to end, as uclient counts them;
//   - srvdrop%: of those, dropped by a full receive buffer of a server socket;
//   - clidrop%: of those, dropped by a full receive buffer of one of uclient's
//     own sockets, which it sizes at 64 KiB;
//   - srvcpu-ms: server process CPU time;
//   - srvcpu-us/pkt: that per packet delivered, which compares servers
//     that lost different shares (a lost packet costs less).
func benchUclient(b *testing.B, port, serverPID int, load []string) {
	b.ResetTimer()
	var sent, received, lost, srvDrops, cliDrops int
	var rate float64
	var cpu time.Duration
	for range b.N {
		run := startUclient(b, port, testSecret, load...)
		sampler := sampleProcs(200*time.Millisecond, serverPID, run.cmd.Process.Pid)
		r := run.wait(b)
		drops, cpus := sampler.Stop()
		cliDrops += drops[run.cmd.Process.Pid]
		sent, received, lost, rate = sent+r.Sent, received+r.Received, lost+r.Lost, rate+r.Rate
		srvDrops += drops[serverPID]
		cpu += cpus[serverPID]
	}
	n := float64(b.N)
	b.ReportMetric(rate/n, "delivered/s")
	b.ReportMetric(100*float64(lost)/float64(max(sent, 1)), "loss%")
	b.ReportMetric(100*float64(srvDrops)/float64(max(sent, 1)), "srvdrop%")
	b.ReportMetric(100*float64(cliDrops)/float64(max(sent, 1)), "clidrop%")
	b.ReportMetric(float64(cpu.Milliseconds())/n, "srvcpu-ms")
	b.ReportMetric(float64(cpu.Microseconds())/float64(max(received, 1)), "srvcpu-us/pkt")
	b.ReportMetric(float64(sent)/n, "sent/run")
}

// startEmbedded runs the embedded server in a child process, as coturn
// runs in its own, so that its CPU time is measured alone. The child is
// this test binary running TestHelperTURNServer.
func startEmbedded(tb testing.TB, sockets int) (port, pid int) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperTURNServer$")
	cmd.Env = append(os.Environ(), "TURNSERVER_HELPER=1", "TURNSERVER_HELPER_SOCKETS="+strconv.Itoa(sockets))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stdin.Close(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "turn port "); ok {
			port, _ = strconv.Atoi(p)
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if port == 0 {
		tb.Fatal("embedded server child did not report its port")
	}
	return port, cmd.Process.Pid
}

// TestHelperTURNServer is the child process of startEmbedded: it serves
// until its standard input closes. Run alone, it does nothing.
func TestHelperTURNServer(t *testing.T) {
	if os.Getenv("TURNSERVER_HELPER") != "1" {
		t.Skip("child process of BenchmarkRelay")
	}
	sockets, _ := strconv.Atoi(os.Getenv("TURNSERVER_HELPER_SOCKETS"))
	if path := os.Getenv("TURNBENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	s, err := Start(Config{
		Listen:     "127.0.0.1:0",
		PublicIP:   netip.MustParseAddr("127.0.0.1"),
		Secret:     []byte(testSecret),
		AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Sockets:    sockets,
		UserQuota:  -1, // uclient's 50 clients share one user and address
		AddrQuota:  -1,
		Log:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fmt.Printf("turn port %d\n", s.UDPAddr().Port)
	io.Copy(io.Discard, os.Stdin)
}

// startCoturn runs coturn's turnserver on a free loopback port, configured
// like the embedded server (REST secret, loopback peers allowed), and stops
// it at the end of the benchmark.
func startCoturn(tb testing.TB) (port, pid int) {
	tb.Helper()
	port = freePort(tb)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "turnserver",
		"--use-auth-secret", "--static-auth-secret="+testSecret, "--realm=eyelevel",
		"--allowed-peer-ip=127.0.0.1", "--allow-loopback-peers",
		"--no-cli", "--no-tls", "--no-dtls",
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port="+strconv.Itoa(port),
		"-n", "--log-file=stdout", "--simple-log")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cancel(); cmd.Wait() })
	if err := waitSTUN(port, 10*time.Second); err != nil {
		tb.Fatalf("coturn did not answer: %v\n%s", err, tail(out.Bytes()))
	}
	return port, cmd.Process.Pid
}

// freePort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// waitSTUN sends STUN Binding requests to 127.0.0.1:port until one is
// answered or timeout passes.
func waitSTUN(port int, timeout time.Duration) error {
	conn, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	defer conn.Close()
	req := make([]byte, 20)
	req[1] = 0x01                                 // Binding request, no attributes
	copy(req[4:], []byte{0x21, 0x12, 0xa4, 0x42}) // magic cookie
	rand.Read(req[8:])
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 1500)
	for wait := 20 * time.Millisecond; time.Now().Before(deadline); wait = min(2*wait, time.Second) {
		conn.Write(req)
		conn.SetReadDeadline(time.Now().Add(wait))
		if n, err := conn.Read(buf); err == nil && n >= 20 && bytes.Equal(buf[8:20], req[8:20]) {
			return nil
		}
	}
	return fmt.Errorf("no STUN answer on port %d within %v", port, timeout)
}
