package deploy

import (
	"regexp"
	"strings"
	"testing"
)

// exposesSecret reports why a command-line argument or environment value
// would show a secret to other users of the host (ps, /proc/PID/cmdline,
// docker inspect): a flag named for a secret with its value (not a file),
// or a compose variable named for one.
func exposesSecret(arg string) string {
	if strings.HasPrefix(arg, "-") {
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if looksSecret(strings.ReplaceAll(name, "-", "_")) {
			return "the flag " + name + " carries a secret"
		}
	}
	for _, m := range regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(arg, -1) {
		if looksSecret(m[1]) {
			return "it takes the secret " + m[1] + " from .env"
		}
	}
	return ""
}

func TestExposesSecret(t *testing.T) {
	for arg, want := range map[string]bool{
		"--static-auth-secret=${X}":                     true,
		"--turn-secret=abc":                             true,
		"--stripe-key":                                  true,
		"--password=x":                                  true,
		"serve --turn-secret-file=/run/secrets/t":       false,
		"--turn-secret-file":                            false,
		"--master-key-file=/run/secrets/master-key":     false,
		"--external-ip=${EYELEVEL_PUBLIC_IP:?set}":      false,
		"postgres://u@h/db?x=${EYELEVEL_TURN_SECRET}":   true,
		"${POSTGRES_PASSWORD:-}":                        true,
		"-c":                                            false,
		"/run/secrets/coturn-conf":                      false,
		"turn:${EYELEVEL_TURN_HOST}:3478?transport=tcp": false,
	} {
		if got := exposesSecret(arg) != ""; got != want {
			t.Errorf("exposesSecret(%q) = %v, want %v", arg, got, want)
		}
	}
}

// TestNoSecretOnCommandLine: no service of the compose file, and not the
// systemd unit, gets a secret on its command line or in its environment.
// coturn runs on the host's network, where every local user can read its
// command line; docker inspect shows every container's environment. With
// the TURN secret one mints relay credentials.
func TestNoSecretOnCommandLine(t *testing.T) {
	c := loadCompose(t)
	if len(c.Services) < 6 {
		t.Fatalf("only %d services read from compose.yaml", len(c.Services))
	}
	for name, s := range c.Services {
		for _, a := range append(append([]string{}, s.Entrypoint...), s.Command...) {
			if why := exposesSecret(a); why != "" {
				t.Errorf("%s: command-line argument %q: %s", name, a, why)
			}
		}
		for k, v := range s.Environment {
			if looksSecret(k) {
				t.Errorf("%s: the environment holds the secret %s; give a file (%s_FILE, a compose secret)", name, k, k)
			}
			if why := exposesSecret(v); why != "" {
				t.Errorf("%s: environment %s=%q: %s", name, k, v, why)
			}
		}
	}
	u := parseUnit(readFile(t, "eyelevel.service"))
	for _, a := range strings.Fields(u.last("ExecStart")) {
		if why := exposesSecret(a); why != "" {
			t.Errorf("eyelevel.service: ExecStart argument %q: %s", a, why)
		}
	}
	for _, e := range u["Service"]["Environment"] {
		k, _, _ := strings.Cut(strings.Trim(e, `"`), "=")
		if looksSecret(k) {
			t.Errorf("eyelevel.service: Environment=%s holds a secret", k)
		}
	}
	// The environment file's example: secrets are credentials, not
	// variables (a commented-out line counts too).
	for k := range envFile(t, "eyelevel.env.example") {
		if k == "EYELEVEL_MASTER_KEY" || k == "EYELEVEL_TURN_SECRET" {
			t.Errorf("eyelevel.env.example suggests %s; the unit gives it as a credential", k)
		}
	}
}

// TestServeHelpTurnSecretFile: the kit relies on --turn-secret-file
// (EYELEVEL_TURN_SECRET_FILE); serve --help must list it.
func TestServeHelpTurnSecretFile(t *testing.T) {
	known, err := serveFlags()
	if err != nil {
		t.Fatal(err)
	}
	if !known["turn-secret-file"] {
		t.Error("serve --help does not list --turn-secret-file")
	}
	checkEnvNames(t, "TestServeHelpTurnSecretFile", []string{"EYELEVEL_TURN_SECRET_FILE"})
}

// coturnConfRecipe is the command in compose.yaml's comments that makes
// coturn's configuration secret from turnserver.conf and the TURN secret.
func coturnConfRecipe(t *testing.T) string {
	t.Helper()
	for _, l := range strings.Split(readFile(t, "compose.yaml"), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		if strings.Contains(l, "static-auth-secret=") && strings.HasPrefix(l, "{ cat turnserver.conf;") {
			return l
		}
	}
	t.Fatal("compose.yaml does not say how to make coturn's configuration with static-auth-secret=")
	return ""
}
