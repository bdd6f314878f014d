package deploy

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"eyelevel/turnserver"
)

// TestCaddyValidate lets Caddy adapt and validate the Caddyfile where it is
// installed (Debian: caddy), with the defaults and with a Let's Encrypt
// address, and checks the proxy it builds.
func TestCaddyValidate(t *testing.T) {
	requireTool(t, "caddy", "apt-get install caddy")
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_DATA_HOME=" + home, "XDG_CONFIG_HOME=" + home, "PATH=/usr/bin:/bin"}
	// compose.yaml passes EYELEVEL_TLS as ${EYELEVEL_TLS:-internal}: unset
	// here is Caddy's default, never empty.
	for _, tls := range []string{"", "EYELEVEL_TLS=ops@example.org"} {
		cmd := exec.Command("caddy", "validate", "--config", "Caddyfile", "--adapter", "caddyfile")
		cmd.Env = append(env, "EYELEVEL_DOMAIN=counseling.example.org", tls)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Valid configuration") {
			t.Fatalf("caddy validate (%s): %v\n%s", tls, err, out)
		}
	}
	cmd := exec.Command("caddy", "adapt", "--config", "Caddyfile", "--adapter", "caddyfile")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("caddy adapt: %v", err)
	}
	var proxy struct {
		Upstreams []struct{ Dial string }
		Health    struct {
			Active struct {
				URI          string `json:"uri"`
				ExpectStatus int    `json:"expect_status"`
			}
		} `json:"health_checks"`
		LB struct {
			Selection struct{ Policy string } `json:"selection_policy"`
		} `json:"load_balancing"`
	}
	found := findHandler(t, out, "reverse_proxy", &proxy)
	if !found {
		t.Fatalf("no reverse_proxy handler in\n%s", out)
	}
	var dials []string
	for _, u := range proxy.Upstreams {
		dials = append(dials, u.Dial)
	}
	if !slices.Equal(dials, []string{"eyelevel-1:8080", "eyelevel-2:8080"}) || proxy.Health.Active.URI != "/readyz" ||
		proxy.Health.Active.ExpectStatus != 200 || proxy.LB.Selection.Policy != "round_robin" {
		t.Errorf("the proxy Caddy builds: %+v", proxy)
	}
}

// findHandler decodes the first handler named name anywhere in Caddy's
// JSON into v.
func findHandler(t *testing.T, config []byte, name string, v any) bool {
	t.Helper()
	var doc any
	if err := json.Unmarshal(config, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(any) bool
	walk = func(x any) bool {
		switch x := x.(type) {
		case map[string]any:
			if x["handler"] == name {
				b, _ := json.Marshal(x)
				if err := json.Unmarshal(b, v); err != nil {
					t.Fatal(err)
				}
				return true
			}
			for _, y := range x {
				if walk(y) {
					return true
				}
			}
		case []any:
			for _, y := range x {
				if walk(y) {
					return true
				}
			}
		}
		return false
	}
	return walk(doc)
}

// TestCoturnConfig starts coturn (Debian: coturn) on loopback with the
// configuration compose.yaml gives it: turnserver.conf with the secret
// appended, in a file of mode 0400, and no secret on the command line.
// coturn only logs a line it does not understand and goes on, so a
// misspelt denied-peer-ip would silently relay into a private network.
func TestCoturnConfig(t *testing.T) {
	requireTool(t, "turnserver", "apt-get install coturn")
	conf := readFile(t, "turnserver.conf")
	var denied []string
	for _, l := range strings.Split(conf, "\n") {
		if r, ok := strings.CutPrefix(l, "denied-peer-ip="); ok {
			denied = append(denied, r)
		}
	}
	if len(denied) < 10 {
		t.Fatalf("turnserver.conf has only %d denied-peer-ip lines", len(denied))
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	dir := t.TempDir()
	withSecret := filepath.Join(dir, "turnserver.conf")
	if err := os.WriteFile(withSecret, []byte(conf+"static-auth-secret=test-secret\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("turnserver", "-c", withSecret, "--listening-ip=127.0.0.1", "--listening-port="+strconv.Itoa(port),
		"--pidfile="+filepath.Join(dir, "pid"), "--external-ip=203.0.113.7")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log []string
	blacklisted := map[string]bool{}
	deadline := time.After(time.Minute)
	for started := false; !started; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("turnserver stopped:\n%s", strings.Join(log, "\n"))
			}
			log = append(log, l)
			if strings.Contains(l, "Bad configuration format") {
				t.Errorf("coturn: %s", l)
			}
			if _, r, ok := strings.Cut(l, "Black listing: "); ok {
				blacklisted[strings.TrimSpace(r)] = true
			}
			started = strings.Contains(l, "pid file created")
		case <-deadline:
			t.Fatalf("turnserver did not start within a minute:\n%s", strings.Join(log, "\n"))
		}
	}
	// coturn lists every range it took (some twice, as it reads the file
	// in two passes).
	for _, r := range denied {
		if !blacklisted[r] {
			t.Errorf("coturn did not take denied-peer-ip=%s", r)
		}
	}
	go func() {
		for range lines {
		}
	}()

	// The secret in the file is the one coturn checks: the nodes'
	// credentials from it get a relay, those from another secret do not.
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for _, tc := range []struct {
		secret string
		ok     bool
	}{{"test-secret", true}, {"another-secret", false}} {
		name, pass := turnserver.Credentials([]byte(tc.secret), "u1", time.Now().Add(time.Hour))
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		client, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: addr, STUNServerAddr: addr, Conn: conn,
			Username: name, Password: pass, Realm: "eyelevel"})
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		if err := client.Listen(); err != nil {
			t.Fatal(err)
		}
		relay, err := client.Allocate()
		switch {
		case tc.ok && err != nil:
			t.Errorf("coturn refused credentials from the secret in its configuration: %v", err)
		case !tc.ok && err == nil:
			t.Error("coturn accepted credentials from another secret")
		}
		if err == nil {
			relay.Close()
		}
	}
}
