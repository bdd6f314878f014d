package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"eyelevel/store/storetest"
)

// TestMain runs the end-to-end suite on SQLite and again on PostgreSQL.
func TestMain(m *testing.M) { os.Exit(storetest.RunSuite(m)) }

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startServer runs `eyelevel serve` through run() on a random port, on a
// fresh database of the suite's dialect, and
// returns its base URL once /healthz answers.
func startServer(t testing.TB, extra ...string) (base string, stdout *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout = &syncBuffer{}
	stderr := &syncBuffer{}
	args := append([]string{"eyelevel", "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--turn-listen", "127.0.0.1:0", "--drain-delay", "0s"}, sharedDB(t)...)
	args = append(args, extra...)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, func(string) string { return "" }, strings.NewReader(""), stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			if res, err := http.Get(base + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return base, stdout
				}
			}
		}
		select {
		case err := <-done:
			t.Fatalf("server stopped: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("server not ready in time; stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	return "", nil
}

// serverDB picks a fresh database of the suite's dialect for a server:
// its DSN ("" for SQLite), a data directory (a temporary one for
// PostgreSQL, where it holds keys only) and the --data and --db flags.
func serverDB(t testing.TB) (dsn, dir string, flags []string) {
	t.Helper()
	dsn, dir = storetest.Location(t, storetest.Suite())
	if dir == "" {
		dir = t.TempDir()
	}
	flags = []string{"--data", dir}
	if dsn != "" {
		flags = append(flags, "--db", dsn)
	}
	return dsn, dir, flags
}

// sharedDB returns the flags that put a server on a fresh database of the
// suite's dialect: none for SQLite (the database lives in --data), --db for
// PostgreSQL. Servers given the same flags (and --data) share the database.
func sharedDB(t testing.TB) []string {
	t.Helper()
	if dsn, _ := storetest.Location(t, storetest.Suite()); dsn != "" {
		return []string{"--db", dsn}
	}
	return nil
}

// call does one JSON API request and decodes the answer into out.
func call(t testing.TB, method, u, token string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, u, err)
		}
	}
	return res.StatusCode
}

func TestServeDemoAPIEndToEnd(t *testing.T) {
	base, stdout := startServer(t, "--demo")
	for _, want := range []string{"admin", "demo-client", "leyla", "eyelevel-demo"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout.String())
		}
	}

	// Register a pseudonymous client and get a token.
	var acct struct{ ID, Username, Role string }
	if st := call(t, "POST", base+"/api/v1/accounts", "", map[string]any{"username": "stern-42", "password": "a long passphrase", "language": "fa", "timezone": "Asia/Tehran", "consent": true}, &acct); st != 201 || acct.Role != "client" {
		t.Fatalf("register: %d %+v", st, acct)
	}
	if st := call(t, "POST", base+"/api/v1/accounts", "", map[string]any{"username": "STERN-42", "password": "a long passphrase", "language": "fa", "timezone": "Asia/Tehran", "consent": true}, nil); st != 409 {
		t.Fatalf("duplicate username: %d, want 409", st)
	}
	var tok struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	if st := call(t, "POST", base+"/api/v1/tokens", "", map[string]string{"username": "stern-42", "password": "a long passphrase"}, &tok); st != 201 || tok.Token == "" {
		t.Fatalf("token: %d", st)
	}

	// Search Farsi speakers; native speakers come first, each with a next slot.
	var found struct {
		Counselors []struct {
			ID        string `json:"id"`
			Languages []struct {
				Code   string `json:"code"`
				Native bool   `json:"native"`
			} `json:"languages"`
			NextSlot *struct{ Start, End string } `json:"next_slot"`
		} `json:"counselors"`
	}
	if st := call(t, "GET", base+"/api/v1/counselors?language=fa", tok.Token, nil, &found); st != 200 || len(found.Counselors) < 2 {
		t.Fatalf("search: %d, %d counselors", st, len(found.Counselors))
	}
	first := found.Counselors[0]
	if first.NextSlot == nil {
		t.Fatal("first counselor has no free slot")
	}

	// Book the next slot; a second booking of it is refused.
	var appt struct{ ID, Status, Start string }
	book := map[string]string{"counselor_id": first.ID, "start": first.NextSlot.Start}
	if st := call(t, "POST", base+"/api/v1/appointments", tok.Token, book, &appt); st != 201 || appt.Status != "booked" {
		t.Fatalf("book: %d %+v", st, appt)
	}
	if st := call(t, "POST", base+"/api/v1/appointments", tok.Token, book, nil); st != 409 {
		t.Fatalf("second booking: %d, want 409", st)
	}
	var list struct {
		Appointments []struct{ ID string } `json:"appointments"`
	}
	if st := call(t, "GET", base+"/api/v1/appointments", tok.Token, nil, &list); st != 200 || len(list.Appointments) != 1 || list.Appointments[0].ID != appt.ID {
		t.Fatalf("list: %d %+v", st, list)
	}

	// Cancel: allowed until the start (within 24 h it is a late
	// cancellation); the slot is free again.
	var cancelled struct{ Status string }
	st := call(t, "DELETE", base+"/api/v1/appointments/"+appt.ID, tok.Token, nil, &cancelled)
	if st != 200 || cancelled.Status != "cancelled" {
		t.Fatalf("cancel: %d %+v", st, cancelled)
	}
	if st := call(t, "POST", base+"/api/v1/appointments", tok.Token, book, &appt); st != 201 {
		t.Fatalf("rebook after cancel: %d", st)
	}

	// Logging out makes the token useless.
	if st := call(t, "DELETE", base+"/api/v1/tokens/current", tok.Token, nil, nil); st != 204 {
		t.Fatalf("logout: %d", st)
	}
	if st := call(t, "GET", base+"/api/v1/appointments", tok.Token, nil, nil); st != 401 {
		t.Fatalf("after logout: %d, want 401", st)
	}
}

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	env := func(string) string { return "" }
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"eyelevel", "user", "add", "--role", "admin", "--username", "chef", "--data", dir}, env, strings.NewReader("correct horse battery\n"), &out, &errOut)
	if err != nil || !strings.Contains(out.String(), `created admin "chef"`) {
		t.Fatalf("user add: %v %q %q", err, out.String(), errOut.String())
	}
	err = run(context.Background(), []string{"eyelevel", "user", "add", "--role", "counselor", "--username", "berater", "--languages", "fa:native,de", "--gender", "male", "--data", dir}, env, strings.NewReader("correct horse battery\n"), &out, &errOut)
	if err != nil {
		t.Fatalf("add counselor: %v", err)
	}
	for _, c := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"--role", "admin", "--username", "chef"}, "correct horse battery\n", "taken"},
		{[]string{"--role", "admin", "--username", "x"}, "correct horse battery\n", "--username"},
		{[]string{"--role", "admin", "--username", "short-pw"}, "short\n", "--password"},
		{[]string{"--role", "boss", "--username", "someone"}, "correct horse battery\n", "--role"},
		{[]string{"--role", "counselor", "--username", "bad-lang", "--languages", "zz"}, "correct horse battery\n", "--languages"},
	} {
		args := append([]string{"eyelevel", "user", "add", "--data", dir}, c.args...)
		err := run(context.Background(), args, env, strings.NewReader(c.stdin), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want mention of %q", c.args, err, c.want)
		}
	}

	// The new admin can log in on a server over the same data directory.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"eyelevel", "serve", "--addr", "127.0.0.1:0", "--data", dir, "--turn-listen", "127.0.0.1:0", "--drain-delay", "0s"}, env, nil, stdout, io.Discard)
	}()
	var base string
	for i := 0; i < 600 && base == ""; i++ {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if base == "" {
		t.Fatal("server did not start")
	}
	var tok struct{ Token string }
	if st := call(t, "POST", base+"/api/v1/tokens", "", map[string]string{"username": "chef", "password": "correct horse battery"}, &tok); st != 201 {
		t.Fatalf("admin login: %d", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRunUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"eyelevel"}, func(string) string { return "" }, nil, &out, &out); err == nil {
		t.Error("no command: want error")
	}
	if err := run(context.Background(), []string{"eyelevel", "frobnicate"}, func(string) string { return "" }, nil, &out, &out); err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("unknown command: %v", err)
	}
	env := func(k string) string { return map[string]string{"EYELEVEL_ADDR": "not-an-address"}[k] }
	if err := run(context.Background(), []string{"eyelevel", "serve", "--data", t.TempDir()}, env, nil, &out, &out); err == nil {
		t.Error("bad EYELEVEL_ADDR: want error")
	}
}

// form posts an HTML form with the session cookie and returns the status,
// the redirect target, the body and any new session cookie. Go's cookie jar
// drops Secure cookies on http://, so the test carries the cookie itself.
func form(t *testing.T, method, u, cookie string, values map[string]string) (status int, location, body, setCookie string) {
	t.Helper()
	v := make(neturl.Values)
	for k, x := range values {
		v.Set(k, x)
	}
	var r io.Reader
	if method == "POST" {
		r = strings.NewReader(v.Encode())
	}
	req, _ := http.NewRequest(method, u, r)
	if method == "POST" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "en")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.Name == "__Host-eyelevel-session" && c.Value != "" {
			setCookie = c.Name + "=" + c.Value
		}
	}
	return res.StatusCode, res.Header.Get("Location"), string(b), setCookie
}

var (
	bookLink   = regexp.MustCompile(`href="(/book\?counselor=[^"]+)"`)
	cancelLink = regexp.MustCompile(`href="(/appointments/[a-z0-9]+/cancel)"`)
	cancelForm = regexp.MustCompile(`action="(/appointments/[a-z0-9]+/cancel)"`)
)

func TestServeDemoHTMLFormsEndToEnd(t *testing.T) {
	base, _ := startServer(t, "--demo", "--cancel-notice", "1h", "--min-lead", "2h")

	st, loc, page, cookie := form(t, "POST", base+"/register", "", map[string]string{
		"username": "nachtigall", "password": "a long passphrase", "language": "en", "timezone": "Asia/Kabul", "consent": "yes"})
	if st != http.StatusOK || cookie == "" || !strings.Contains(page, `class="recovery-code"`) || !strings.Contains(page, `href="/selftest"`) || loc != "" {
		t.Fatalf("register: %d cookie=%v (want the recovery code, then the self-test)", st, cookie != "")
	}

	st, _, body, _ := form(t, "GET", base+"/counselors?language=ar", cookie, nil)
	if st != 200 || !strings.Contains(body, "Samira Haddad") || !strings.Contains(body, "Omar Khalil") {
		t.Fatalf("search Arabic: %d\n%s", st, body)
	}
	if strings.Contains(body, "Anna Schneider") {
		t.Error("search for Arabic lists a counselor who does not speak it")
	}
	m := bookLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no booking link in search results:\n%s", body)
	}
	confirm := strings.ReplaceAll(m[1], "&amp;", "&")
	st, _, body, _ = form(t, "GET", base+confirm, cookie, nil)
	if st != 200 || !strings.Contains(body, "Asia/Kabul") {
		t.Fatalf("confirm page: %d (want the time shown in the client's zone)\n%s", st, body)
	}
	q, _ := neturl.ParseQuery(confirm[strings.Index(confirm, "?")+1:])
	st, loc, _, _ = form(t, "POST", base+"/book", cookie, map[string]string{"counselor": q.Get("counselor"), "start": q.Get("start")})
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/appointments") {
		t.Fatalf("book: %d %q", st, loc)
	}
	// The same slot again is refused with a reason, not a crash.
	st, _, body, _ = form(t, "POST", base+"/book", cookie, map[string]string{"counselor": q.Get("counselor"), "start": q.Get("start")})
	if st != http.StatusConflict {
		t.Fatalf("second booking: %d, want 409\n%s", st, body)
	}

	// Cancelling asks first: the list links to a page whose button cancels.
	st, _, body, _ = form(t, "GET", base+"/appointments", cookie, nil)
	l := cancelLink.FindStringSubmatch(body)
	if st != 200 || l == nil {
		t.Fatalf("appointments: %d, no cancel link\n%s", st, body)
	}
	st, _, body, _ = form(t, "GET", base+l[1], cookie, nil)
	c := cancelForm.FindStringSubmatch(body)
	if st != 200 || c == nil || c[1] != l[1] {
		t.Fatalf("cancel page: %d, no cancel form\n%s", st, body)
	}
	st, loc, _, _ = form(t, "POST", base+c[1], cookie, nil)
	if st != http.StatusSeeOther {
		t.Fatalf("cancel: %d %q", st, loc)
	}
	_, _, body, _ = form(t, "GET", base+"/appointments", cookie, nil)
	if cancelLink.MatchString(body) {
		t.Error("cancelled appointment still offers a cancel button")
	}
	if _, _, body, _ = form(t, "GET", base+l[1], cookie, nil); cancelForm.MatchString(body) {
		t.Error("cancelled appointment's cancel page still offers the button")
	}
	// The slot is free again: booking it once more succeeds.
	st, _, _, _ = form(t, "POST", base+"/book", cookie, map[string]string{"counselor": q.Get("counselor"), "start": q.Get("start")})
	if st != http.StatusSeeOther {
		t.Fatalf("rebook after cancel: %d", st)
	}

	// Logging out ends the session on the server, not only in the browser.
	form(t, "POST", base+"/logout", cookie, nil)
	st, loc, _, _ = form(t, "GET", base+"/appointments", cookie, nil)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Fatalf("after logout: %d %q, want a redirect to /login", st, loc)
	}
}
