package deploy

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// defaultShutdownTimeout is serve's --shutdown-timeout default
// (cmd/eyelevel/nodeflags.go); a setting in the kit overrides it.
const defaultShutdownTimeout = 30 * time.Second

// readFile returns a file of the repository, relative to deploy/.
func readFile(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

var binDir string // removed by TestMain

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// Build stamps the tests give the Dockerfile's build step.
const (
	testVersion = "0.0.0-deploytest"
	testCommit  = "deadbee"
)

// eyelevelBinary builds cmd/eyelevel once with the Dockerfile's own go
// build step (its cache mounts dropped, /out replaced), so the tests run
// the binary the image would hold, and returns its path.
var eyelevelBinary = sync.OnceValues(func() (string, error) {
	step, err := dockerfileBuildStep()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "eyelevel-deploy-test-")
	if err != nil {
		return "", err
	}
	binDir = dir
	// Others (the read-only root test's user) must reach the binary.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "eyelevel")
	step = strings.ReplaceAll(step, "/out/eyelevel", bin)
	cmd := exec.Command("sh", "-c", step)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "TARGETOS="+runtime.GOOS, "TARGETARCH="+runtime.GOARCH, "VERSION="+testVersion, "COMMIT="+testCommit)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{err, string(out)}
	}
	return bin, nil
})

// dockerfileBuildStep returns the shell command of the Dockerfile's RUN
// that runs go build, without its --mount options.
func dockerfileBuildStep() (string, error) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		return "", err
	}
	_, stages := parseDockerfile(nil, string(b))
	for _, s := range stages {
		for _, in := range s.all("RUN") {
			if strings.Contains(in.args, "go build") {
				return regexp.MustCompile(`--mount=\S+\s*`).ReplaceAllString(in.args, ""), nil
			}
		}
	}
	return "", errors.New("the Dockerfile has no RUN with go build")
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string {
	return "go build ./cmd/eyelevel: " + e.err.Error() + "\n" + e.out
}

func mustBinary(tb testing.TB) string {
	tb.Helper()
	bin, err := eyelevelBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// serveFlags are the flag names of `eyelevel serve`, read from its --help.
var serveFlags = sync.OnceValues(func() (map[string]bool, error) {
	bin, err := eyelevelBinary()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(bin, "serve", "--help").Output()
	if err != nil {
		return nil, err
	}
	flags := map[string]bool{}
	re := regexp.MustCompile(`^\s+-([a-z0-9-]+)`)
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			flags[m[1]] = true
		}
	}
	return flags, sc.Err()
})

// checkFlags fails for every --flag in args that serve does not know.
func checkFlags(t *testing.T, where string, args []string) {
	t.Helper()
	known, err := serveFlags()
	if err != nil {
		t.Fatal(err)
	}
	if len(known) < 20 {
		t.Fatalf("serve --help listed only %d flags: %v", len(known), known)
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !known[name] {
			t.Errorf("%s: serve has no flag --%s", where, name)
		}
	}
}

// checkEnvNames fails for every EYELEVEL_* variable that is no flag of
// serve (EYELEVEL_MASTER_KEY is read directly).
func checkEnvNames(t *testing.T, where string, names []string) {
	t.Helper()
	known, err := serveFlags()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n == "EYELEVEL_MASTER_KEY" {
			continue
		}
		flag := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(n, "EYELEVEL_")), "_", "-")
		if !known[flag] {
			t.Errorf("%s: %s is not the variable of any serve flag", where, n)
		}
	}
}

// requireTool skips the test when a tool is not installed, or fails it
// under CI=true, where .ci/run installs everything (as the other packages'
// tests do with PostgreSQL and coturn).
func requireTool(t *testing.T, name, install string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (%s); CI must run this test", name, install)
		}
		t.Skipf("skipped: %s is not installed (%s)", name, install)
	}
}

// looksSecret reports whether a variable's name says it holds a secret.
func looksSecret(name string) bool {
	n := strings.ToUpper(name)
	if strings.HasSuffix(n, "_FILE") || n == "PGPASSFILE" {
		return false
	}
	return strings.Contains(n, "SECRET") || strings.Contains(n, "PASSWORD") || strings.HasSuffix(n, "_KEY") || strings.Contains(n, "TOKEN")
}
