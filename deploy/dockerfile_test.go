package deploy

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string
	line int
}

// exec returns the words of an exec-form (JSON array) argument, or nil.
func (in instruction) exec() []string {
	var words []string
	if json.Unmarshal([]byte(in.args), &words) != nil {
		return nil
	}
	return words
}

// stage is the instructions from one FROM to the next.
type stage struct {
	from  instruction
	instr []instruction
}

func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.instr {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func parseDockerfile(tb testing.TB, text string) (global []instruction, stages []stage) {
	if tb != nil {
		tb.Helper()
	}
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		start := i
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			next := strings.TrimSpace(lines[i])
			if strings.HasPrefix(next, "#") {
				continue // comments inside a continued instruction are dropped
			}
			line = strings.TrimSuffix(line, `\`) + " " + next
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start + 1}
		switch {
		case in.cmd == "FROM":
			stages = append(stages, stage{from: in})
		case len(stages) == 0:
			global = append(global, in)
		default:
			stages[len(stages)-1].instr = append(stages[len(stages)-1].instr, in)
		}
	}
	return global, stages
}

func TestDockerfile(t *testing.T) {
	global, stages := parseDockerfile(t, readFile(t, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stage(s)", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.Contains(build.from.args, "golang:") {
		t.Errorf("the first stage builds with %q, want a golang image", build.from.args)
	}
	if !slices.ContainsFunc(global, func(in instruction) bool { return in.cmd == "ARG" && strings.HasPrefix(in.args, "GO_VERSION=1.26") }) {
		t.Error("want ARG GO_VERSION=1.26 (go.mod's Go) before the first FROM")
	}
	base := strings.Fields(final.from.args)[0]
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("runtime image %q: want distroless/static or scratch (no shell, no libc)", base)
	}

	// The binary: static, stamped with version and commit from build args.
	var gobuild string
	for _, in := range build.all("RUN") {
		if strings.Contains(in.args, "go build") {
			gobuild = in.args
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X eyelevel/buildinfo.version=${VERSION}", "-X eyelevel/buildinfo.commit=${COMMIT}", "./cmd/eyelevel"} {
		if !strings.Contains(gobuild, want) {
			t.Errorf("the go build step lacks %q: %s", want, gobuild)
		}
	}
	for _, arg := range []string{"VERSION", "COMMIT"} {
		if !slices.ContainsFunc(build.all("ARG"), func(in instruction) bool { return strings.HasPrefix(in.args, arg) }) {
			t.Errorf("the build stage does not declare ARG %s", arg)
		}
	}
	checkLinkerVariables(t, "version", "commit")

	// Runs as a user other than root.
	users := final.all("USER")
	if len(users) == 0 {
		t.Fatal("the runtime stage has no USER: it would run as root")
	}
	user := strings.Split(users[len(users)-1].args, ":")[0]
	if user == "root" || user == "0" || user == "" {
		t.Errorf("USER %s: want a non-root user", users[len(users)-1].args)
	}

	// What it runs.
	entry, cmd := final.all("ENTRYPOINT"), final.all("CMD")
	if len(entry) != 1 || len(cmd) != 1 || entry[0].exec() == nil || cmd[0].exec() == nil {
		t.Fatalf("want one ENTRYPOINT and one CMD, both in exec form (there is no shell): %v %v", entry, cmd)
	}
	args := cmd[0].exec()
	if !strings.HasSuffix(entry[0].exec()[0], "/eyelevel") || !slices.Equal(args, []string{"serve", "--addr", ":8080", "--data", "/data"}) {
		t.Errorf("ENTRYPOINT %v CMD %v: want eyelevel serve --addr :8080 --data /data", entry[0].exec(), args)
	}
	checkFlags(t, "Dockerfile CMD", args)
	var copied bool
	for _, in := range final.all("COPY") {
		if strings.Contains(in.args, "/out/eyelevel") && strings.HasSuffix(in.args, entry[0].exec()[0]) {
			copied = true
		}
	}
	if !copied {
		t.Errorf("no COPY puts the built binary at %s", entry[0].exec()[0])
	}

	var exposed []string
	for _, in := range final.all("EXPOSE") {
		exposed = append(exposed, strings.Fields(in.args)...)
	}
	for _, port := range []string{"8080/tcp", "3478/udp", "3478/tcp", "5349/tcp"} {
		if !slices.Contains(exposed, port) {
			t.Errorf("EXPOSE lacks %s (have %v)", port, exposed)
		}
	}
	if !slices.ContainsFunc(final.all("VOLUME"), func(in instruction) bool { return strings.Contains(in.args, "/data") }) {
		t.Error("want VOLUME /data: the only place the container writes")
	}
	// distroless has no shell: a shell-form health check could never pass.
	for _, in := range final.all("HEALTHCHECK") {
		if strings.Contains(in.args, "CMD-SHELL") || !strings.Contains(in.args, "[") {
			t.Errorf("line %d: HEALTHCHECK needs a shell the image does not have: %s", in.line, in.args)
		}
	}
	for _, in := range final.all("ENV") {
		name, _, _ := strings.Cut(in.args, "=")
		if looksSecret(name) {
			t.Errorf("line %d: a secret in the image's environment: %s", in.line, name)
		}
	}
}

// TestBuildStamp runs `eyelevel version` of the binary built with the
// Dockerfile's go build step and the build args VERSION and COMMIT.
func TestBuildStamp(t *testing.T) {
	bin := mustBinary(t)
	if out, err := exec.Command("file", bin).Output(); err == nil && !strings.Contains(string(out), "statically linked") {
		t.Errorf("the binary is not static: %s", out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if strings.Contains(string(out), `unknown command "version"`) {
		t.Skip("skipped: this eyelevel has no version command yet")
	}
	if err != nil || !strings.Contains(string(out), testVersion) || !strings.Contains(string(out), testCommit) {
		t.Errorf("eyelevel version: %v: %s; want %s and %s from the build args", err, out, testVersion, testCommit)
	}
}

// checkLinkerVariables fails unless package buildinfo still declares the
// package-level string variables the Dockerfile sets with -X.
func checkLinkerVariables(t *testing.T, names ...string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../buildinfo/buildinfo.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "string" && vs.Values == nil {
				for _, n := range vs.Names {
					declared[n.Name] = true
				}
			}
		}
	}
	for _, n := range names {
		if !declared[n] {
			t.Errorf("buildinfo has no uninitialized string variable %q for -X eyelevel/buildinfo.%s", n, n)
		}
	}
}

func TestDockerignore(t *testing.T) {
	var patterns []string
	for _, l := range strings.Split(readFile(t, "../.dockerignore"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	for _, want := range []string{".git", "**/eyelevel-data", "**/master.key", "**/turn-secret", "deploy/.env", "deploy/secrets"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
	for _, p := range patterns {
		if p == "*.go" || p == "**/*.go" || p == "go.mod" || p == "go.sum" || p == "cmd" {
			t.Errorf(".dockerignore drops %s, which the build needs", p)
		}
	}
}

// TestDockerBuild builds the image where a Docker engine answers.
func TestDockerBuild(t *testing.T) {
	requireDockerEngine(t)
	cmd := exec.Command("docker", "build", "-f", "deploy/Dockerfile", "--build-arg", "VERSION=0.0.0-test", "--build-arg", "COMMIT=test", "-t", "eyelevel:deploy-test", ".")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	out, err := exec.Command("docker", "run", "--rm", "--read-only", "eyelevel:deploy-test", "serve", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "-shutdown-timeout") {
		t.Fatalf("docker run eyelevel:deploy-test serve --help: %v\n%s", err, out)
	}
}

// requireDockerEngine skips unless `docker info` succeeds: a client
// without an engine (as on the CI machine) cannot build or run anything.
func requireDockerEngine(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("skipped: no docker command on this machine")
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("skipped: the docker client is here but no Docker engine answers (docker info: %v: %s)", err, strings.TrimSpace(string(out)))
	}
}
