package bench

// The benchmarks run against every dialect on one database per dialect,
// seeded once per process (the first benchmark that needs it pays, outside
// the timer). Environment:
//
//	EYELEVEL_BENCH_FULL=1           seed FullScale (else a small scale that seeds in seconds)
//	EYELEVEL_BENCH_COUNSELORS=n     override the scale
//	EYELEVEL_BENCH_CLIENTS=n
//	EYELEVEL_BENCH_APPOINTMENTS=n
//	EYELEVEL_BENCH_DIALECTS=sqlite,postgres   which dialects (default: sqlite, and postgres if configured)
//	EYELEVEL_BENCH_RACERS=2         clients racing for each slot in BenchmarkBooking200
//	EYELEVEL_TEST_POSTGRES=postgres://…        PostgreSQL server; each run gets a schema bench_<random>, dropped at the end
//
// See BENCHMARKS.md for the commands and results.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

const postgresEnv = "EYELEVEL_TEST_POSTGRES"

// smallScale keeps `go test -bench . ./bench` quick when full scale is not asked for.
var smallScale = Scale{Counselors: 50, Clients: 20_000, Appointments: 100_000}

// cheapPasswords: logins are not benchmarked, so hashing must not cost.
var cheapPasswords = service.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// env is one seeded database with a service on it.
type env struct {
	dialect string
	db      *store.DB
	svc     *service.Service
	data    *Dataset
	cleanup []func()

	// Booking state carried across benchmark runs in this process. Each run
	// starts from the seeded bookings: the previous run's are deleted.
	targets      []target // free slots, shuffled
	nextTarget   int
	nextClient   int
	booked       int64             // successful bookings so far
	bookingRates map[int][]float64 // bookings/s of BenchmarkBooking200 runs by racers
}

type target struct {
	counselor eyelevel.UserID
	start     time.Time
}

var (
	envMu   sync.Mutex
	envs    = map[string]*env{}
	envErrs = map[string]error{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, e := range envs {
		for i := len(e.cleanup) - 1; i >= 0; i-- {
			e.cleanup[i]()
		}
	}
	os.Exit(code)
}

func dialects() []string {
	ds := []string{store.SQLite}
	if os.Getenv(postgresEnv) != "" {
		ds = append(ds, store.Postgres)
	}
	if only := os.Getenv("EYELEVEL_BENCH_DIALECTS"); only != "" {
		want := strings.Split(only, ",")
		ds = slices.DeleteFunc(ds, func(d string) bool { return !slices.Contains(want, d) })
	}
	return ds
}

// forEachDialect runs fn as a sub-benchmark per dialect on its seeded env.
func forEachDialect(b *testing.B, fn func(b *testing.B, e *env)) {
	for _, d := range dialects() {
		b.Run(d, func(b *testing.B) {
			fn(b, getEnv(b, d))
		})
	}
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
		if err == nil {
			return n
		}
	}
	return def
}

func scale() Scale {
	s := smallScale
	if os.Getenv("EYELEVEL_BENCH_FULL") == "1" {
		s = FullScale
	}
	s.Counselors = envInt("EYELEVEL_BENCH_COUNSELORS", s.Counselors)
	s.Clients = envInt("EYELEVEL_BENCH_CLIENTS", s.Clients)
	s.Appointments = envInt("EYELEVEL_BENCH_APPOINTMENTS", s.Appointments)
	return s
}

// getEnv returns the seeded env of dialect, seeding it on first use.
func getEnv(b *testing.B, dialect string) *env {
	b.Helper()
	envMu.Lock()
	defer envMu.Unlock()
	if e := envs[dialect]; e != nil {
		return e
	}
	if err := envErrs[dialect]; err != nil {
		b.Fatalf("earlier setup failed: %v", err)
	}
	e, err := newEnv(dialect, scale())
	if err != nil {
		envErrs[dialect] = err
		b.Fatal(err)
	}
	envs[dialect] = e
	d := e.data
	b.Logf("%s: seeded %d counselors, %d clients, %d appointments (%d booked, %d in the next %v; back %d weeks) in %v",
		dialect, len(d.Counselors), len(d.Clients), d.Appointments, d.Booked, d.FutureBooked, e.svc.Config().Horizon, d.PastWeeks, d.Took.Round(time.Millisecond))
	for _, p := range d.Phases {
		b.Logf("%s:   %-12s %9d rows %v", dialect, p.Name, p.Rows, p.Took.Round(time.Millisecond))
	}
	b.Logf("%s: counselors per language: %v; GOMAXPROCS=%d", dialect, d.LanguageUse, runtime.GOMAXPROCS(0))
	return e
}

func newEnv(dialect string, s Scale) (_ *env, err error) {
	ctx := context.Background()
	e := &env{dialect: dialect}
	defer func() {
		if err != nil {
			for i := len(e.cleanup) - 1; i >= 0; i-- {
				e.cleanup[i]()
			}
		}
	}()
	dsn, dir := "", ""
	switch dialect {
	case store.SQLite:
		if dir, err = os.MkdirTemp("", "eyelevel-bench-"); err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, func() { os.RemoveAll(dir) })
	case store.Postgres:
		if dsn, err = postgresSchema(e); err != nil {
			return nil, err
		}
	}
	if e.db, err = store.Open(ctx, dsn, dir); err != nil {
		return nil, err
	}
	e.cleanup = append(e.cleanup, func() { e.db.Close() })
	now := time.Now().UTC().Truncate(time.Minute)
	if v := os.Getenv("EYELEVEL_BENCH_NOW"); v != "" {
		if now, err = time.Parse(time.RFC3339, v); err != nil {
			return nil, fmt.Errorf("EYELEVEL_BENCH_NOW: %w", err)
		}
	}
	// Clients book several sessions a day, as before the day rule.
	cfg := service.Config{SecondFactorOptional: true, Password: cheapPasswords, SessionsPerDay: -1}
	if e.data, err = Seed(ctx, e.db, s, cfg, now, 1); err != nil {
		return nil, err
	}
	clock := e.data.Now
	e.svc = service.New(e.db, cfg, nil, func() time.Time { return clock })
	return e, nil
}

// postgresSchema creates a schema of its own for this run and returns a DSN
// whose search_path is that schema; the schema is dropped at the end.
func postgresSchema(e *env) (string, error) {
	base := os.Getenv(postgresEnv)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	var r [6]byte
	rand.Read(r[:])
	schema := "bench_" + hex.EncodeToString(r[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		return "", fmt.Errorf("create schema: %w", err)
	}
	e.cleanup = append(e.cleanup, func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop schema %s: %v\n", schema, err)
		}
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, nil
}

// cpuTime is the CPU time this process has used, user and system. On
// SQLite the database runs in the process, so the CPU time per op is what an
// op costs on an otherwise idle machine, which wall-clock latencies on a
// busy one are not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportLoad reports the machine's load average over the last minute, so
// that results taken while other work ran can be told apart.
func reportLoad(b *testing.B) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		if l, err := strconv.ParseFloat(f[0], 64); err == nil {
			b.ReportMetric(l, "load1")
		}
	}
}

// reportCPU reports the process's CPU time since start per op.
func reportCPU(b *testing.B, start time.Duration, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(ops), "cpu-ms/op")
	}
}

// reportLatency reports the median and 99th percentile of lat in ms.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		i := min(len(lat)-1, int(p*float64(len(lat))))
		return float64(lat[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
}

// BenchmarkSearch is a client's search for counselors who speak a language,
// with each counselor's next free slot: one random language per op, one
// search at a time.
func BenchmarkSearch(b *testing.B) {
	forEachDialect(b, func(b *testing.B, e *env) {
		ctx := context.Background()
		rng := mrand.New(mrand.NewPCG(1, 1))
		var lat []time.Duration
		byLang := map[string][]time.Duration{}
		matches, withSlot := 0, 0
		cpu := cpuTime()
		for b.Loop() {
			lang := Languages[rng.IntN(len(Languages))]
			t := time.Now()
			ms, err := e.svc.Search(ctx, eyelevel.Actor{}, service.SearchInput{Language: lang})
			d := time.Since(t)
			lat = append(lat, d)
			byLang[lang] = append(byLang[lang], d)
			if err != nil {
				b.Fatal(err)
			}
			matches += len(ms)
			for _, m := range ms {
				if m.NextSlot != nil {
					withSlot++
				}
			}
		}
		reportCPU(b, cpu, len(lat))
		reportLoad(b)
		reportLatency(b, lat)
		// One line, as benchmark logs are cut after ten lines.
		var per strings.Builder
		for _, lang := range Languages {
			l := byLang[lang]
			if len(l) == 0 {
				continue
			}
			slices.Sort(l)
			fmt.Fprintf(&per, " %s %.1f/%.1f", lang, float64(l[len(l)/2])/1e6, float64(l[min(len(l)-1, len(l)*99/100)])/1e6)
		}
		b.Logf("%s: search p50/p99 ms by language:%s", e.dialect, per.String())
		b.ReportMetric(float64(matches)/float64(len(lat)), "matches/op")
		if matches > 0 {
			b.ReportMetric(float64(withSlot)/float64(matches), "with-slot")
		}
	})
}

// BenchmarkSlots4Weeks is the free slots of a random counselor in the next
// 28 days, one request at a time.
func BenchmarkSlots4Weeks(b *testing.B) {
	forEachDialect(b, func(b *testing.B, e *env) {
		ctx := context.Background()
		rng := mrand.New(mrand.NewPCG(2, 2))
		var lat []time.Duration
		n := 0
		from := e.data.Now
		cpu := cpuTime()
		for b.Loop() {
			id := e.data.Counselors[rng.IntN(len(e.data.Counselors))]
			t := time.Now()
			ss, err := e.svc.Slots(ctx, eyelevel.Actor{}, service.SlotsInput{CounselorID: id, From: from, To: from.Add(28 * 24 * time.Hour)})
			lat = append(lat, time.Since(t))
			if err != nil {
				b.Fatal(err)
			}
			n += len(ss)
		}
		reportCPU(b, cpu, len(lat))
		reportLoad(b)
		reportLatency(b, lat)
		b.ReportMetric(float64(n)/float64(len(lat)), "slots/op")
	})
}

// bookingClients is how many clients book at once.
const bookingClients = 200

// prepareTargets lists every free slot in the horizon, shuffled.
func (e *env) prepareTargets(b *testing.B) {
	if e.targets != nil {
		return
	}
	ctx := context.Background()
	now := e.data.Now
	for _, id := range e.data.Counselors {
		ss, err := e.svc.Slots(ctx, eyelevel.Actor{}, service.SlotsInput{CounselorID: id, From: now, To: now.Add(e.svc.Config().Horizon)})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range ss {
			e.targets = append(e.targets, target{id, s.Start})
		}
	}
	rng := mrand.New(mrand.NewPCG(3, 3))
	rng.Shuffle(len(e.targets), func(i, j int) { e.targets[i], e.targets[j] = e.targets[j], e.targets[i] })
}

// BenchmarkBooking200 has 200 clients book at once. Each op is one booking
// attempt; every free slot is handed to R clients in a row, which then race
// for it: one wins, the others get a 409. It runs with R=2 (racers=2: every
// booking is contested) and R=1 (racers=1: none is, though clients still
// contend for counselors and the database); EYELEVEL_BENCH_RACERS=n runs
// only R=n. Each goroutine is one client at a time and moves on to a fresh
// client after five bookings, well below the limit of open bookings.
// Afterwards a query checks that no counselor has two booked appointments
// that overlap, and the run's bookings are deleted, so that each run starts
// from the seeded data.
func BenchmarkBooking200(b *testing.B) {
	racers := []int{2, 1}
	if n := envInt("EYELEVEL_BENCH_RACERS", 0); n > 0 {
		racers = []int{n}
	}
	forEachDialect(b, func(b *testing.B, e *env) {
		for _, r := range racers {
			b.Run(fmt.Sprintf("racers=%d", r), func(b *testing.B) { bookingRun(b, e, r) })
		}
	})
}

// bookingRun is BenchmarkBooking200 on e with racers clients per slot.
func bookingRun(b *testing.B, e *env, racers int) {
	ctx := context.Background()
	e.prepareTargets(b)
	slotsNeeded := (b.N + racers - 1) / racers
	if e.nextTarget+slotsNeeded > len(e.targets) {
		b.Fatalf("only %d free slots left for %d ops: lower -benchtime or seed more counselors", len(e.targets)-e.nextTarget, b.N)
	}
	base := e.nextTarget
	e.nextTarget += slotsNeeded
	var (
		op                       atomic.Int64
		ok, taken, other, failed atomic.Int64
		clientMu                 sync.Mutex
		firstErr                 atomic.Value
	)
	newClient := func() eyelevel.Actor {
		clientMu.Lock()
		defer clientMu.Unlock()
		if e.nextClient >= len(e.data.Clients) {
			e.nextClient = 0
		}
		id := e.data.Clients[e.nextClient]
		e.nextClient++
		return eyelevel.Actor{UserID: id, Role: eyelevel.RoleClient, Language: "de", TimeZone: "Europe/Berlin"}
	}
	b.ResetTimer()
	cpu := cpuTime()
	var wg sync.WaitGroup
	for range bookingClients {
		wg.Go(func() {
			client, held := newClient(), 0
			for {
				i := op.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t := e.targets[base+int(i)/racers]
				_, err := e.svc.Book(ctx, client, service.BookInput{CounselorID: t.counselor, Start: t.start})
				switch {
				case err == nil:
					ok.Add(1)
					if held++; held == 5 {
						client, held = newClient(), 0
					}
				case errorKey(err) == "booking.err.taken":
					taken.Add(1)
				case eyelevel.ErrorCode(err) == eyelevel.ECONFLICT:
					other.Add(1) // the client's own overlap or limit
				default:
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	reportCPU(b, cpu, b.N)
	reportLoad(b)
	elapsed := b.Elapsed().Seconds()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d bookings failed with other errors than 409, first: %v", n, firstErr.Load())
	}
	rate := float64(ok.Load()) / elapsed
	b.ReportMetric(rate, "bookings/s")
	b.ReportMetric(float64(b.N)/elapsed, "attempts/s")
	b.ReportMetric(float64(taken.Load()+other.Load())/float64(b.N), "409/op")
	b.ReportMetric(float64(other.Load()), "409-own")
	e.booked += ok.Load()
	if b.N >= 1000 { // the ramp-up runs say little about throughput
		if e.bookingRates == nil {
			e.bookingRates = map[int][]float64{}
		}
		e.bookingRates[racers] = append(e.bookingRates[racers], rate)
	}
	e.checkNoDoubleBooking(b, ctx)
	e.deleteBookings(b, ctx)
}

// deleteBookings deletes what the booking benchmark booked, so that every
// run starts from the seeded state: booking got fast enough that three runs
// of 10 s each with one client per slot booked more than all the free slots
// of the eight weeks. The benchmark's bookings are those created at the
// seeding time; the seeded ones were created before.
func (e *env) deleteBookings(b *testing.B, ctx context.Context) {
	if _, err := e.db.Exec(ctx, `DELETE FROM appointments WHERE end_at > $1 AND created_at = $1`, e.data.Now.Unix()); err != nil {
		b.Fatal(err)
	}
	e.booked, e.nextTarget = 0, 0
}

// checkNoDoubleBooking fails b if any counselor has two booked appointments
// that overlap, or if the booked appointments made by the benchmark do not
// match the successes counted. Sorted by start, a counselor's appointments
// overlap somewhere only if two consecutive ones do (if i and j > i overlap,
// so do i and i+1), so the query compares each with the one before; only
// appointments that end after the seeding time can involve a booking made
// here. (A self-join did the same, but SQLite, which gets no ANALYZE, can
// plan it quadratically: it did once an index on end_at appeared.)
func (e *env) checkNoDoubleBooking(b *testing.B, ctx context.Context) {
	n, err := e.db.QueryInt(ctx, `SELECT count(*) FROM (
		SELECT start_at, lag(end_at) OVER (PARTITION BY counselor_id ORDER BY start_at) AS prev_end
		FROM appointments WHERE status = 'booked' AND end_at > $1) t
		WHERE start_at < prev_end`, e.data.Now.Unix())
	if err != nil {
		b.Fatal(err)
	}
	if n != 0 {
		b.Fatalf("DOUBLE BOOKING: %d booked appointments overlap the one before", n)
	}
	made, err := e.db.QueryInt(ctx, `SELECT count(*) FROM appointments WHERE status = 'booked' AND end_at > $1 AND created_at = $1`, e.data.Now.Unix())
	if err != nil {
		b.Fatal(err)
	}
	if made != e.booked {
		b.Fatalf("%d appointments booked by the benchmark in the database, %d successes counted", made, e.booked)
	}
}

// BenchmarkRawCommit is the database's commit rate: one transaction per op
// that inserts one row into a table of its own, through the store's
// transactions as Book uses them, from 1 goroutine and from 200. Reported
// with it: the median booking throughput of this process's
// BenchmarkBooking200 runs (per number of racers) as a fraction of the
// commit rate at 200.
func BenchmarkRawCommit(b *testing.B) {
	forEachDialect(b, func(b *testing.B, e *env) {
		ctx := context.Background()
		create := `CREATE TABLE IF NOT EXISTS bench_commit (id INTEGER PRIMARY KEY, v BIGINT NOT NULL)`
		if e.dialect == store.Postgres {
			create = `CREATE TABLE IF NOT EXISTS bench_commit (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v BIGINT NOT NULL)`
		}
		if _, err := e.db.Exec(ctx, create); err != nil {
			b.Fatal(err)
		}
		commit := func(v int64) error {
			return e.db.InTx(ctx, func(ctx context.Context) error {
				_, err := e.db.Exec(ctx, `INSERT INTO bench_commit (v) VALUES ($1)`, v)
				return err
			})
		}
		b.Run("goroutines=1", func(b *testing.B) {
			var v int64
			cpu := cpuTime()
			for b.Loop() {
				v++
				if err := commit(v); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
			reportCPU(b, cpu, b.N)
			reportLoad(b)
		})
		b.Run(fmt.Sprintf("goroutines=%d", bookingClients), func(b *testing.B) {
			var op atomic.Int64
			var firstErr atomic.Value
			b.ResetTimer()
			cpu := cpuTime()
			var wg sync.WaitGroup
			for range bookingClients {
				wg.Go(func() {
					for {
						i := op.Add(1)
						if i > int64(b.N) {
							return
						}
						if err := commit(i); err != nil {
							firstErr.CompareAndSwap(nil, err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			if err := firstErr.Load(); err != nil {
				b.Fatal(err)
			}
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "commits/s")
			reportCPU(b, cpu, b.N)
			reportLoad(b)
			for r, rates := range e.bookingRates {
				rs := slices.Sorted(slices.Values(rates))
				b.ReportMetric(rs[len(rs)/2]/rate, fmt.Sprintf("racers=%d-booking/commit", r))
			}
		})
	})
}

// errorKey returns the catalog key of an eyelevel error, or "".
func errorKey(err error) string {
	var e *eyelevel.Error
	if errors.As(err, &e) {
		return e.Key
	}
	return ""
}
