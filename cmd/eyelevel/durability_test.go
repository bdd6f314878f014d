package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"eyelevel/store"
	"eyelevel/store/storetest"
)

// durabilityFullEnv asks TestKill9Durability for the size of issue 13's
// benchmark: 200 clients per database and five kills.
const durabilityFullEnv = "EYELEVEL_DURABILITY_FULL"

// TestKill9Durability builds the eyelevel binary, serves a fresh database
// with it and has clients book and cancel over the API while the server is
// killed with SIGKILL at random moments and started again on the same
// data. Every booking and cancellation the server acknowledged must be in
// the database afterwards, and no counselor may hold two booked sessions
// that overlap. Small by default; EYELEVEL_DURABILITY_FULL=1 runs 200
// clients and five kills, EYELEVEL_DURABILITY_PHASE sets the time between
// kills (numbers in BENCHMARKS.md).
func TestKill9Durability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs for several seconds")
	}
	clients, kills, phase := 40, 2, 2*time.Second
	if os.Getenv(durabilityFullEnv) == "1" {
		clients, kills, phase = 200, 5, 6*time.Second
	}
	if v := os.Getenv("EYELEVEL_DURABILITY_PHASE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("EYELEVEL_DURABILITY_PHASE: %v", err)
		}
		phase = d
	}
	dsn, dir := storetest.Location(t, storetest.Suite())
	if dir == "" {
		dir = t.TempDir() // keys only, for PostgreSQL
	}
	// The test locations do not wait for PostgreSQL's disk (see Location);
	// a server in production does.
	dsn = strings.Replace(dsn, "&synchronous_commit=off", "", 1)
	bin := buildEyelevel(t)
	args := []string{"serve", "--addr", "127.0.0.1:0", "--turn-listen", "127.0.0.1:0", "--data", dir, "--demo",
		"--log-level", "error", "--signup-limit", "100000", "--sessions-per-day", "0"}
	if dsn != "" {
		args = append(args, "--db", dsn)
	}

	srv := startBinary(t, bin, args)
	var base atomic.Pointer[string]
	base.Store(&srv.base)
	hc := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	d := &durability{hc: hc, base: &base, acked: map[string]ackedBooking{}}
	counselors := d.counselors(t)
	tokens := d.registerClients(t, clients)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i, tok := range tokens {
		wg.Go(func() { d.client(stop, tok, counselors, uint64(i)) })
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	pause := func() { time.Sleep(phase/2 + time.Duration(rng.Int64N(int64(phase)))) }
	for k := range kills {
		pause()
		srv.kill9(t)
		t.Logf("kill %d: %d bookings acknowledged so far", k+1, d.booked.Load())
		srv = startBinary(t, bin, args)
		base.Store(&srv.base)
	}
	pause()
	close(stop)
	wg.Wait()
	srv.kill9(t) // the last acknowledgements must survive a kill too

	d.check(t, dsn, dir)
	if d.booked.Load() == 0 || d.cancelled.Load() == 0 {
		t.Fatalf("%d bookings and %d cancellations acknowledged: the clients did not get through", d.booked.Load(), d.cancelled.Load())
	}
}

// buildEyelevel builds this package's binary into a temporary directory.
func buildEyelevel(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no go tool to build the binary: %v", err)
		}
		t.Skipf("no go tool to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "eyelevel")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// binaryServer is a serve process of the built binary.
type binaryServer struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	done   chan struct{}
}

// startBinary starts bin with args and returns once /healthz answers.
func startBinary(t *testing.T, bin string, args []string) *binaryServer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	// Configuration comes from the flags alone.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EYELEVEL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	s := &binaryServer{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
	})
	found := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if m := listening.FindStringSubmatch(lines.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s.base = <-found:
	case <-s.done:
		t.Fatalf("serve stopped: %v\n%s", cmd.ProcessState, s.stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve did not listen in time:\n%s", s.stderr.String())
	}
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if res, err := http.Get(s.base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not healthy in time:\n%s", s.stderr.String())
		}
		select {
		case <-s.done:
			t.Fatalf("serve stopped: %v\n%s", cmd.ProcessState, s.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// kill9 ends the server with SIGKILL and waits until it is gone.
func (s *binaryServer) kill9(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
}

// durability is the clients' shared state: what the server acknowledged.
type durability struct {
	hc   *http.Client
	base *atomic.Pointer[string]

	mu        sync.Mutex
	acked     map[string]ackedBooking
	booked    atomic.Int64
	cancelled atomic.Int64
	refused   atomic.Int64 // 4xx answers to bookings: taken, limits
	failed    atomic.Int64 // no answer (the server was killed) or 5xx
}

type ackedBooking struct {
	counselor, start string
	cancelTried      bool // a cancellation was sent; its answer may be lost
	cancelled        bool // the server acknowledged the cancellation
}

// do sends one API request to the current server; status 0 means no answer.
func (d *durability) do(method, path, token string, body, out any) int {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, *d.base.Load()+path, r)
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := d.hc.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			return 0 // cut off mid-answer: not acknowledged
		}
	}
	io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// counselors returns the IDs of the demo counselors, found by searching
// every language as a client.
func (d *durability) counselors(t *testing.T) []string {
	t.Helper()
	tok := d.registerClients(t, 1)[0]
	seen := map[string]bool{}
	var ids []string
	for _, lang := range []string{"de", "en", "fa", "fa-AF", "ps", "ar", "tr", "ru", "uk", "kmr"} {
		var found struct {
			Counselors []struct{ ID string } `json:"counselors"`
		}
		if st := d.do("GET", "/api/v1/counselors?language="+lang, tok, nil, &found); st != 200 {
			t.Fatalf("search %s: %d", lang, st)
		}
		for _, c := range found.Counselors {
			if !seen[c.ID] {
				seen[c.ID] = true
				ids = append(ids, c.ID)
			}
		}
	}
	if len(ids) == 0 {
		t.Fatal("no demo counselors")
	}
	return ids
}

var clientSeq atomic.Int64

// registerClients registers n clients with consent and returns their API
// tokens, four at a time (each costs two password hashes).
func (d *durability) registerClients(t *testing.T, n int) []string {
	t.Helper()
	tokens := make([]string, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			name := fmt.Sprintf("durable-%d", clientSeq.Add(1))
			acct := map[string]any{"username": name, "password": "a long passphrase", "language": "de", "timezone": "Europe/Berlin", "consent": true}
			if st := d.do("POST", "/api/v1/accounts", "", acct, nil); st != 201 {
				errs <- fmt.Errorf("register %s: %d", name, st)
				return
			}
			var tok struct{ Token string }
			if st := d.do("POST", "/api/v1/tokens", "", map[string]string{"username": name, "password": "a long passphrase"}, &tok); st != 201 || tok.Token == "" {
				errs <- fmt.Errorf("token %s: %d", name, st)
				return
			}
			tokens[i] = tok.Token
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return tokens
}

// client books free slots near the front of random counselors' calendars
// (so that clients race for them) until stop closes, and cancels its
// oldest booking whenever it holds three, so that it stays below the limit
// of open bookings and cancellations are tested too. Without an answer
// (the server is being killed and restarted) it waits a little and goes
// on with the next server.
func (d *durability) client(stop <-chan struct{}, token string, counselors []string, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 9))
	var held []string
	pause := func() { time.Sleep(time.Duration(20+rng.IntN(30)) * time.Millisecond) }
	for {
		select {
		case <-stop:
			return
		default:
		}
		c := counselors[rng.IntN(len(counselors))]
		now := time.Now().UTC()
		q := "?from=" + now.Add(2*time.Hour).Format(time.RFC3339) + "&to=" + now.Add(21*24*time.Hour).Format(time.RFC3339)
		var slots struct {
			Slots []struct{ Start string } `json:"slots"`
		}
		if st := d.do("GET", "/api/v1/counselors/"+c+"/slots"+q, token, nil, &slots); st != 200 {
			d.failed.Add(1)
			pause()
			continue
		}
		if len(slots.Slots) == 0 {
			continue
		}
		start := slots.Slots[rng.IntN(min(len(slots.Slots), 8))].Start
		var appt struct{ ID, Status string }
		st := d.do("POST", "/api/v1/appointments", token, map[string]string{"counselor_id": c, "start": start}, &appt)
		switch {
		case st == 201 && appt.ID != "":
			d.mu.Lock()
			d.acked[appt.ID] = ackedBooking{counselor: c, start: start}
			d.mu.Unlock()
			d.booked.Add(1)
			held = append(held, appt.ID)
		case st >= 400 && st < 500:
			d.refused.Add(1)
		default:
			d.failed.Add(1)
			pause()
		}
		if len(held) < 3 {
			continue
		}
		id := held[0]
		d.mu.Lock()
		a := d.acked[id]
		a.cancelTried = true
		d.acked[id] = a
		d.mu.Unlock()
		switch st := d.do("DELETE", "/api/v1/appointments/"+id, token, nil, &appt); {
		case st == 200 && appt.Status == "cancelled":
			d.mu.Lock()
			a.cancelled = true
			d.acked[id] = a
			d.mu.Unlock()
			d.cancelled.Add(1)
			held = held[1:]
		case st >= 400 && st < 500:
			held = held[1:] // e.g. already cancelled by the lost attempt before
		default:
			d.failed.Add(1)
			pause()
		}
	}
}

// check opens the database the killed server left behind and compares it
// with what was acknowledged.
func (d *durability) check(t *testing.T, dsn, dir string) {
	t.Helper()
	db := storetest.Raw(t, dsn, dir)
	ctx := context.Background()
	status := map[string]string{}
	start := map[string]int64{}
	counselor := map[string]string{}
	rows, err := db.QueryContext(ctx, `SELECT id, status, start_at, counselor_id FROM appointments`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, st, c string
		var s int64
		if err := rows.Scan(&id, &st, &s, &c); err != nil {
			t.Fatal(err)
		}
		status[id], start[id], counselor[id] = st, s, c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	lost, wrong := 0, 0
	for id, a := range d.acked {
		st, ok := status[id]
		at, _ := time.Parse(time.RFC3339, a.start)
		switch {
		case !ok:
			lost++
			t.Errorf("acknowledged booking %s (counselor %s at %s) is missing", id, a.counselor, a.start)
		case counselor[id] != a.counselor || start[id] != at.Unix():
			wrong++
			t.Errorf("booking %s is with %s at %d, acknowledged with %s at %s", id, counselor[id], start[id], a.counselor, a.start)
		case a.cancelled && st != "cancelled":
			lost++
			t.Errorf("acknowledged cancellation of %s is missing: status %q", id, st)
		case !a.cancelTried && st != "booked":
			wrong++
			t.Errorf("booking %s, never cancelled, has status %q", id, st)
		}
	}
	var doubles int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (
		SELECT start_at, lag(end_at) OVER (PARTITION BY counselor_id ORDER BY start_at) AS prev_end
		FROM appointments WHERE status = 'booked') t
		WHERE start_at < prev_end`).Scan(&doubles); err != nil {
		t.Fatal(err)
	}
	if doubles != 0 {
		t.Errorf("DOUBLE BOOKING: %d booked sessions overlap the counselor's one before", doubles)
	}
	dialect := store.SQLite
	if dsn != "" {
		dialect = store.Postgres
	}
	t.Logf("%s: %d bookings and %d cancellations acknowledged, %d lost, %d wrong, %d double bookings; %d booking attempts refused (4xx), %d requests without an answer",
		dialect, d.booked.Load(), d.cancelled.Load(), lost, wrong, doubles, d.refused.Load(), d.failed.Load())
}
