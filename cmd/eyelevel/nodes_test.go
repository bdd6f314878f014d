package main

import (
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestLoginsWorkOnEveryNode: two nodes on one PostgreSQL with the same
// master key (each its own data directory): an API token, the page login's
// second-factor step, the session cookie and the device cookie issued by
// one node are taken by the other — nothing is signed with a key of one
// process.
func TestLoginsWorkOnEveryNode(t *testing.T) {
	if storetest.Suite() != store.Postgres {
		t.Skip("two nodes share a database only on PostgreSQL: runs in the PostgreSQL suite")
	}
	db := sharedDB(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	a := startNode(t, append([]string{"--addr", "127.0.0.1:0", "--data", dirA, "--demo", "--drain-delay", "0s"}, db...)...)
	key, err := os.ReadFile(filepath.Join(dirA, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, "master.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	b := startNode(t, append([]string{"--addr", "127.0.0.1:0", "--data", dirB, "--drain-delay", "0s"}, db...)...)

	// An API token of a staff account with a second factor.
	tok := tokenOTP(t, a.base, "anna", demoPassword, demoOTP(t))
	if st := getStatus(t, b.base+"/api/v1/me", tok); st != 200 {
		t.Errorf("node A's API token on node B: %d", st)
	}

	// A page login: the password on A, the code on B, the pages on both.
	jar := map[string]string{}
	st, loc := post(t, a.base+"/login", jar, map[string]string{"username": "leyla", "password": demoPassword})
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/login/code") || jar["__Host-eyelevel-login"] == "" {
		t.Fatalf("password step on A: %d → %q, cookies %v", st, loc, jar)
	}
	st, loc = post(t, b.base+"/login/code", jar, map[string]string{"code": demoOTP(t)})
	if st != http.StatusSeeOther || strings.HasPrefix(loc, "/login") || jar["__Host-eyelevel-session"] == "" {
		t.Fatalf("code step on B with A's pending login: %d → %q", st, loc)
	}
	for _, n := range []*node{a, b} {
		if st, loc := get(t, n.base+"/appointments", jar); st != 200 {
			t.Errorf("a page with B's session cookie on %s: %d → %q", n.base, st, loc)
		}
	}
	// B's device cookie is recognised by A: the pending login A signs
	// carries the same device id (an unknown device would get none).
	device := jar["__Host-eyelevel-device"]
	if device == "" {
		t.Fatal("no device cookie after the login")
	}
	delete(jar, "__Host-eyelevel-session")
	if st, _ := post(t, a.base+"/login", jar, map[string]string{"username": "leyla", "password": demoPassword}); st != http.StatusSeeOther {
		t.Fatalf("second password step on A: %d", st)
	}
	id := strings.Split(device, ".")[1]
	if pending := strings.Split(jar["__Host-eyelevel-login"], "."); len(pending) != 6 || pending[4] != id {
		t.Errorf("A did not recognise B's device cookie: pending login %v, device id %q", pending, id)
	}
}

// post sends a form with the cookies of jar and keeps those set.
func post(t *testing.T, u string, jar map[string]string, values map[string]string) (int, string) {
	t.Helper()
	v := neturl.Values{}
	for k, x := range values {
		v.Set(k, x)
	}
	return send(t, "POST", u, jar, strings.NewReader(v.Encode()))
}

func get(t *testing.T, u string, jar map[string]string) (int, string) {
	t.Helper()
	return send(t, "GET", u, jar, nil)
}

func send(t *testing.T, method, u string, jar map[string]string, body io.Reader) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, value := range jar {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(jar, c.Name)
		} else {
			jar[c.Name] = c.Value
		}
	}
	return res.StatusCode, res.Header.Get("Location")
}
