package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unit is a systemd unit file: section → key → values in order.
type unit map[string]map[string][]string

func parseUnit(text string) unit {
	u := unit{}
	section := ""
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "["):
			section = strings.Trim(l, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, _ := strings.Cut(l, "=")
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// last is the value in force (later lines override, except for lists).
func (u unit) last(key string) string {
	v := u["Service"][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func TestSystemdUnit(t *testing.T) {
	text := readFile(t, "eyelevel.service")
	u := parseUnit(text)
	for key, want := range map[string]string{
		"ProtectSystem":          "strict",
		"NoNewPrivileges":        "yes",
		"DynamicUser":            "yes",
		"StateDirectory":         "eyelevel",
		"PrivateTmp":             "yes",
		"ProtectHome":            "yes",
		"PrivateDevices":         "yes",
		"CapabilityBoundingSet":  "",
		"AmbientCapabilities":    "",
		"KillSignal":             "SIGTERM",
		"Restart":                "on-failure",
		"RestrictSUIDSGID":       "yes",
		"MemoryDenyWriteExecute": "yes",
	} {
		if _, ok := u["Service"][key]; !ok {
			t.Errorf("[Service] lacks %s=%s", key, want)
		} else if got := u.last(key); got != want {
			t.Errorf("%s=%s, want %s", key, got, want)
		}
	}
	families := strings.Fields(u.last("RestrictAddressFamilies"))
	slices.Sort(families)
	// AF_NETLINK: the relay reads the host's addresses (turnserver/self.go).
	if want := []string{"AF_INET", "AF_INET6", "AF_NETLINK", "AF_UNIX"}; !slices.Equal(families, want) {
		t.Errorf("RestrictAddressFamilies=%v, want %v", families, want)
	}
	if n, err := strconv.Atoi(u.last("LimitNOFILE")); err != nil || n < 65536 {
		t.Errorf("LimitNOFILE=%s: want at least 65536 for many WebSockets", u.last("LimitNOFILE"))
	}
	if !slices.ContainsFunc(u["Service"]["EnvironmentFile"], func(v string) bool { return strings.HasSuffix(v, "/etc/eyelevel/eyelevel.env") }) {
		t.Error("no EnvironmentFile=/etc/eyelevel/eyelevel.env")
	}
	for _, want := range []string{"master.key:/etc/eyelevel/master.key", "turn.secret:/etc/eyelevel/turn.secret"} {
		if !slices.Contains(u["Service"]["LoadCredential"], want) {
			t.Errorf("LoadCredential=%s is missing: %v", want, u["Service"]["LoadCredential"])
		}
	}

	// ExecStart: the data in the state directory, the key from the
	// credentials directory, flags serve knows.
	exec := strings.Fields(u.last("ExecStart"))
	if len(exec) < 2 || exec[1] != "serve" {
		t.Fatalf("ExecStart=%v: want eyelevel serve", exec)
	}
	args := strings.Join(exec[2:], " ")
	for _, want := range []string{"--data %S/eyelevel", "--master-key-file %d/master.key", "--turn-secret-file %d/turn.secret"} {
		if !strings.Contains(args, want) {
			t.Errorf("ExecStart lacks %q: %s", want, args)
		}
	}
	checkFlags(t, "ExecStart", exec[2:])

	// TimeoutStopSec beyond the shutdown timeout of the environment file.
	stop, err := time.ParseDuration(u.last("TimeoutStopSec"))
	if err != nil {
		t.Fatalf("TimeoutStopSec=%q: %v", u.last("TimeoutStopSec"), err)
	}
	shutdown := defaultShutdownTimeout
	if v := envFile(t, "eyelevel.env.example")["EYELEVEL_SHUTDOWN_TIMEOUT"]; v != "" {
		if shutdown, err = time.ParseDuration(v); err != nil {
			t.Fatal(err)
		}
	}
	if stop <= shutdown {
		t.Errorf("TimeoutStopSec=%v is not longer than the shutdown timeout %v", stop, shutdown)
	}
}

// TestSystemdAnalyze runs systemd-analyze verify on the unit, its
// ExecStart pointed at a freshly built binary, and fails on any complaint
// about it (an unknown directive is only a warning to systemd); then asks
// systemd-analyze security for its exposure score.
func TestSystemdAnalyze(t *testing.T) {
	requireTool(t, "systemd-analyze", "apt-get install systemd")
	bin := mustBinary(t)
	text := readFile(t, "eyelevel.service")
	if !strings.Contains(text, "ExecStart=/usr/local/bin/eyelevel ") {
		t.Fatal("ExecStart does not run /usr/local/bin/eyelevel")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "eyelevel.service")
	text = strings.Replace(text, "ExecStart=/usr/local/bin/eyelevel ", "ExecStart="+bin+" ", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "eyelevel.service") {
			t.Errorf("systemd-analyze verify: %s", l)
		}
	}

	out, err = exec.Command("systemd-analyze", "security", "--offline=true", "--no-pager", path).CombinedOutput()
	if err != nil && strings.Contains(string(out), "offline") {
		t.Logf("systemd-analyze security --offline is not supported here: %s", strings.TrimSpace(string(out)))
		return
	}
	m := regexp.MustCompile(`Overall exposure level for eyelevel\.service: ([0-9.]+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("systemd-analyze security: no exposure level in\n%s", out)
	}
	if level, _ := strconv.ParseFloat(m[1], 64); level > 2.0 {
		t.Errorf("exposure level %s, want at most 2.0 (%q)", m[1], m[0])
	}
	t.Logf("systemd-analyze security: %s", m[0])
}
