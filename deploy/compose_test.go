package deploy

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// service is what the tests read of a compose service.
type service struct {
	Image           string            `yaml:"image"`
	Build           map[string]any    `yaml:"build"`
	Command         []string          `yaml:"command"`
	Entrypoint      []string          `yaml:"entrypoint"`
	Environment     map[string]string `yaml:"environment"`
	Secrets         []string          `yaml:"secrets"`
	ReadOnly        bool              `yaml:"read_only"`
	Tmpfs           []string          `yaml:"tmpfs"`
	Restart         string            `yaml:"restart"`
	StopSignal      string            `yaml:"stop_signal"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	Ports           []string          `yaml:"ports"`
	Volumes         []string          `yaml:"volumes"`
	Networks        []string          `yaml:"networks"`
	NetworkMode     string            `yaml:"network_mode"`
	Healthcheck     map[string]any    `yaml:"healthcheck"`
	DependsOn       yaml.Node         `yaml:"depends_on"` // a list or a map
}

type composeFile struct {
	Services map[string]service `yaml:"services"`
	Networks map[string]struct {
		Internal bool `yaml:"internal"`
	} `yaml:"networks"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	if err := yaml.Unmarshal([]byte(readFile(t, "compose.yaml")), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// nodes returns the eyelevel services: those built from deploy/Dockerfile.
func (c composeFile) nodes() []string {
	var names []string
	for name, s := range c.Services {
		if s.Build["dockerfile"] == "deploy/Dockerfile" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func (c composeFile) byImage(prefix string) []string {
	var names []string
	for name, s := range c.Services {
		if strings.HasPrefix(s.Image, prefix) {
			names = append(names, name)
		}
	}
	return names
}

func TestCompose(t *testing.T) {
	c := loadCompose(t)
	nodes := c.nodes()
	if len(nodes) != 2 {
		t.Fatalf("want two eyelevel nodes, got %v", nodes)
	}
	for _, img := range []string{"postgres:", "nats:", "caddy:"} {
		if len(c.byImage(img)) != 1 {
			t.Errorf("want one %s service, got %v", img, c.byImage(img))
		}
	}
	pg, nats := c.byImage("postgres:")[0], c.byImage("nats:")[0]

	first := c.Services[nodes[0]]
	volumes := map[string]bool{}
	for _, name := range nodes {
		s := c.Services[name]
		t.Run(name, func(t *testing.T) {
			if !s.ReadOnly {
				t.Error("read_only is not set")
			}
			if !slices.ContainsFunc(s.Tmpfs, func(m string) bool { return strings.HasPrefix(m, "/tmp") }) {
				t.Error("no tmpfs on /tmp (SQLite's temporary files)")
			}
			if s.Restart == "" || s.Restart == "no" {
				t.Errorf("restart: %q", s.Restart)
			}
			if s.StopSignal != "" && s.StopSignal != "SIGTERM" {
				t.Errorf("stop_signal %s: eyelevel drains on SIGTERM", s.StopSignal)
			}
			grace, err := time.ParseDuration(s.StopGracePeriod)
			if err != nil {
				t.Fatalf("stop_grace_period %q: %v", s.StopGracePeriod, err)
			}
			shutdown := defaultShutdownTimeout
			if v := s.Environment["EYELEVEL_SHUTDOWN_TIMEOUT"]; v != "" {
				if shutdown, err = time.ParseDuration(v); err != nil {
					t.Fatal(err)
				}
			}
			if grace <= shutdown {
				t.Errorf("stop_grace_period %v is not longer than the shutdown timeout %v: Docker would kill the node mid-drain", grace, shutdown)
			}
			env := s.Environment
			if db, err := url.Parse(env["EYELEVEL_DB"]); err != nil || db.Scheme != "postgres" || db.Hostname() != pg {
				t.Errorf("EYELEVEL_DB %q does not name the %s service", env["EYELEVEL_DB"], pg)
			} else if _, ok := db.User.Password(); ok {
				t.Error("EYELEVEL_DB carries the database password; it belongs in the pgpass secret")
			}
			if env["EYELEVEL_NATS"] != "nats://"+nats+":4222" {
				t.Errorf("EYELEVEL_NATS %q does not name the %s service", env["EYELEVEL_NATS"], nats)
			}
			if env["EYELEVEL_TRUST_PROXY"] != "true" {
				t.Error("behind the proxy the node needs EYELEVEL_TRUST_PROXY=true")
			}
			if s.Command[0] != "serve" {
				t.Errorf("command %v does not run serve", s.Command)
			}
			checkFlags(t, name+" command", s.Command[1:])
			checkEnvNames(t, name+" environment", envNames(env))
			for k, v := range env {
				if looksSecret(k) && !strings.HasPrefix(v, "${") {
					t.Errorf("%s is written into compose.yaml; take it from .env or a secret file", k)
				}
			}
			if len(s.Ports) > 0 {
				t.Errorf("the node publishes %v: it should be reached only through the proxy", s.Ports)
			}
			var data string
			for _, v := range s.Volumes {
				if src, dst, _ := strings.Cut(v, ":"); dst == "/data" {
					data = src
				}
			}
			if data == "" || volumes[data] {
				t.Errorf("want a data volume of its own on /data, got %v", s.Volumes)
			}
			volumes[data] = true
			// The same keys on every node, as files: the master key and
			// the TURN secret.
			for _, v := range []string{"EYELEVEL_MASTER_KEY_FILE", "EYELEVEL_TURN_SECRET_FILE"} {
				f := env[v]
				if !strings.HasPrefix(f, "/run/secrets/") || !slices.Contains(s.Secrets, strings.TrimPrefix(f, "/run/secrets/")) {
					t.Errorf("%s %q is not one of the node's secrets %v", v, f, s.Secrets)
				}
				if f != first.Environment[v] {
					t.Errorf("the nodes do not share %s: %q, %q", v, f, first.Environment[v])
				}
			}
			for _, v := range []string{"EYELEVEL_MASTER_KEY", "EYELEVEL_TURN_SECRET"} {
				if _, ok := env[v]; ok {
					t.Errorf("%s is in the environment (docker inspect shows it); give the file in %s_FILE", v, v)
				}
			}
			if !slices.Contains(dependsOn(s.DependsOn), pg) {
				t.Errorf("the node does not wait for %s", pg)
			}
		})
	}

	// The proxy: the only published web ports; PostgreSQL and NATS only on
	// an internal network.
	proxy := c.Services[c.byImage("caddy:")[0]]
	if !slices.Contains(proxy.Ports, "443:443") {
		t.Errorf("the proxy publishes %v, want 443", proxy.Ports)
	}
	for _, name := range []string{pg, nats} {
		s := c.Services[name]
		if len(s.Ports) > 0 {
			t.Errorf("%s publishes %v", name, s.Ports)
		}
		for _, n := range s.Networks {
			if !c.Networks[n].Internal {
				t.Errorf("%s is on network %s, which is not internal", name, n)
			}
		}
	}
	if c.Services[pg].Healthcheck == nil {
		t.Errorf("%s has no health check for the nodes to wait on", pg)
	}

	// Secrets come from files the operator creates, which git ignores.
	gitignore := readFile(t, "../.gitignore")
	for name, s := range c.Secrets {
		if !strings.HasPrefix(s.File, "./secrets/") {
			t.Errorf("secret %s comes from %s, want ./secrets/…", name, s.File)
		}
	}
	for _, want := range []string{"/deploy/.env", "/deploy/secrets/"} {
		if !strings.Contains(gitignore, want+"\n") {
			t.Errorf(".gitignore lacks %s", want)
		}
	}
	checkNotCommitted(t)
}

// checkNotCommitted fails when git tracks a secret file of the kit.
func checkNotCommitted(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		return
	}
	out, err := exec.Command("git", "ls-files", "--", ".").Output()
	if err != nil {
		return // not a git checkout
	}
	for _, f := range strings.Fields(string(out)) {
		if f == ".env" || strings.HasPrefix(f, "secrets/") || strings.HasSuffix(f, ".key") || strings.HasSuffix(f, ".pem") || f == "eyelevel.env" {
			t.Errorf("git tracks %s: secrets must not be committed", f)
		}
	}
}

// dependsOn returns the services of a depends_on list or map.
func dependsOn(n yaml.Node) []string {
	var names []string
	for i, c := range n.Content {
		if n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode && i%2 == 0 {
			names = append(names, c.Value)
		}
	}
	return names
}

func envNames(env map[string]string) []string {
	var names []string
	for k := range env {
		if strings.HasPrefix(k, "EYELEVEL_") {
			names = append(names, k)
		}
	}
	return names
}

// envFile reads KEY=value lines, commented-out ones ("#KEY=value")
// included, so that examples are checked too.
func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	vars := map[string]string{}
	re := regexp.MustCompile(`^#?([A-Z][A-Z0-9_]*)=(.*)$`)
	for _, l := range strings.Split(readFile(t, path), "\n") {
		if m := re.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			vars[m[1]] = m[2]
		}
	}
	return vars
}

func TestEnvExamples(t *testing.T) {
	// env.example is compose's .env: no secret goes through it, since
	// compose would put it on a command line or into an environment.
	compose := envFile(t, "env.example")
	for k := range compose {
		if looksSecret(k) {
			t.Errorf("env.example: %s is a secret; give it as a file in secrets/", k)
		}
	}
	text := readFile(t, "compose.yaml")
	for _, k := range []string{"EYELEVEL_DOMAIN", "EYELEVEL_PUBLIC_IP", "EYELEVEL_TURN_HOST"} {
		if _, ok := compose[k]; !ok {
			t.Errorf("env.example lacks %s", k)
		}
		if !strings.Contains(text, "${"+k) {
			t.Errorf("compose.yaml does not use %s", k)
		}
	}
	// eyelevel.env.example is the unit's EnvironmentFile: every variable is
	// one of serve's flags.
	unit := envFile(t, "eyelevel.env.example")
	var names []string
	for k, v := range unit {
		if strings.HasPrefix(k, "EYELEVEL_") {
			names = append(names, k)
		}
		if looksSecret(k) && v != "" {
			t.Errorf("eyelevel.env.example: %s has a value", k)
		}
		if db, err := url.Parse(v); k == "EYELEVEL_DB" && err == nil && db.User != nil {
			if _, ok := db.User.Password(); ok {
				t.Errorf("eyelevel.env.example: EYELEVEL_DB carries a password")
			}
		}
	}
	if len(names) < 5 {
		t.Fatalf("eyelevel.env.example: only %v", names)
	}
	checkEnvNames(t, "eyelevel.env.example", names)
}

func TestCaddyfile(t *testing.T) {
	c := loadCompose(t)
	text := readFile(t, "Caddyfile")
	directive := func(name string) string {
		m := regexp.MustCompile(`(?m)^\s*` + name + `\s+(.+)$`).FindStringSubmatch(text)
		if m == nil {
			t.Errorf("Caddyfile: no %s", name)
			return ""
		}
		return strings.TrimSpace(m[1])
	}
	upstreams := strings.Fields(strings.TrimSuffix(directive("reverse_proxy"), "{"))
	var want []string
	for _, n := range c.nodes() {
		want = append(want, n+":8080")
	}
	if !slices.Equal(upstreams, want) {
		t.Errorf("reverse_proxy to %v, want every node %v", upstreams, want)
	}
	if got := directive("health_uri"); got != "/readyz" {
		t.Errorf("health_uri %q, want /readyz (503 while draining)", got)
	}
	if got := directive("lb_policy"); strings.Contains(got, "cookie") || strings.Contains(got, "ip_hash") || strings.Contains(got, "client_ip") {
		t.Errorf("lb_policy %s makes sessions sticky; eyelevel needs none", got)
	}
	if !strings.Contains(directive("tls"), "internal") {
		t.Error("want tls internal (or a certificate) as the default")
	}
	interval, err := time.ParseDuration(directive("health_interval"))
	if err != nil {
		t.Fatal(err)
	}
	// The node must answer 503 for longer than the proxy takes to notice.
	for _, n := range c.nodes() {
		drain, err := time.ParseDuration(c.Services[n].Environment["EYELEVEL_DRAIN_DELAY"])
		if err != nil {
			t.Fatalf("%s: EYELEVEL_DRAIN_DELAY: %v", n, err)
		}
		if drain <= interval {
			t.Errorf("%s: drain delay %v is not longer than the health check interval %v", n, drain, interval)
		}
	}
	if strings.Contains(text, "X-Forwarded-For") && !strings.Contains(text, "# Caddy sets X-Forwarded-For") {
		t.Error("the Caddyfile changes X-Forwarded-For; eyelevel trusts the last address only if the proxy overwrites it")
	}
}

// TestCoturn: the nodes hand out coturn's URLs, and coturn checks the same
// credentials and refuses what the embedded relay refuses.
func TestCoturn(t *testing.T) {
	c := loadCompose(t)
	var turnURLs int
	for _, a := range c.Services[c.nodes()[0]].Command {
		if strings.HasPrefix(a, "--turn-external=turn:") {
			turnURLs++
		}
	}
	if turnURLs == 0 {
		t.Fatal("the nodes run the embedded relay; the compose file's comments explain coturn")
	}
	cot := c.Services["coturn"]
	if cot.NetworkMode != "host" || !cot.ReadOnly {
		t.Errorf("coturn: network_mode %q read_only %v", cot.NetworkMode, cot.ReadOnly)
	}
	// coturn's configuration is a secret holding the nodes' TURN secret:
	// the recipe in compose.yaml's comments appends it to turnserver.conf.
	i := slices.Index(cot.Command, "-c")
	if i < 0 || i+1 >= len(cot.Command) || !strings.HasPrefix(cot.Command[i+1], "/run/secrets/") ||
		!slices.Contains(cot.Secrets, strings.TrimPrefix(cot.Command[i+1], "/run/secrets/")) {
		t.Fatalf("coturn does not read its configuration from one of its secrets %v: %v", cot.Secrets, cot.Command)
	}
	confFile := c.Secrets[strings.TrimPrefix(cot.Command[i+1], "/run/secrets/")].File
	nodeEnv := c.Services[c.nodes()[0]].Environment
	secretFile := c.Secrets[strings.TrimPrefix(nodeEnv["EYELEVEL_TURN_SECRET_FILE"], "/run/secrets/")].File
	if recipe := coturnConfRecipe(t); !strings.Contains(recipe, "cat "+strings.TrimPrefix(secretFile, "./")+")") ||
		!strings.HasSuffix(recipe, "> "+strings.TrimPrefix(confFile, "./")) {
		t.Errorf("the recipe %q does not make coturn's %s from the nodes' %s", recipe, confFile, secretFile)
	}
	conf := readFile(t, "turnserver.conf")
	for _, want := range []string{"use-auth-secret", "no-tcp-relay", "no-multicast-peers", "user-quota=5",
		"denied-peer-ip=10.0.0.0-10.255.255.255", "denied-peer-ip=127.0.0.0-127.255.255.255",
		"denied-peer-ip=169.254.0.0-169.254.255.255", "denied-peer-ip=172.16.0.0-172.31.255.255",
		"denied-peer-ip=192.168.0.0-192.168.255.255", "denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"denied-peer-ip=::1"} {
		if !slices.Contains(strings.Split(conf, "\n"), want) {
			t.Errorf("turnserver.conf lacks %s", want)
		}
	}
	if regexp.MustCompile(`(?m)^\s*(static-auth-secret|allow-loopback-peers)`).MatchString(conf) {
		t.Error("turnserver.conf carries a secret or allows loopback peers")
	}
}

// TestComposeConfig lets docker compose validate the file where a Docker
// engine answers and the compose plugin is installed.
func TestComposeConfig(t *testing.T) {
	requireDockerEngine(t)
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		t.Skip("skipped: the docker compose plugin is not installed")
	}
	dir := t.TempDir()
	env := filepath.Join(dir, "test.env")
	if err := os.WriteFile(env, []byte("EYELEVEL_PUBLIC_IP=203.0.113.7\nEYELEVEL_TURN_HOST=turn.example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("docker", "compose", "--env-file", env, "-f", "compose.yaml", "config", "--quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
}
