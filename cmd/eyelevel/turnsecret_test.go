package main

import (
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"eyelevel/turnserver"
)

// turnFlags parses serve's flags with env as the environment.
func turnFlags(t *testing.T, env map[string]string, args ...string) config {
	t.Helper()
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.flags(fs, true)
	if err := fromEnv(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse(append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--turn-listen", "127.0.0.1:0"}, args...)); err != nil {
		t.Fatal(err)
	}
	return c
}

func writeSecret(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "turn.secret")
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

// TestTurnSecretFile: the secret in the file (EYELEVEL_TURN_SECRET_FILE)
// is the one the relay checks and the one browsers' credentials are
// minted with.
func TestTurnSecretFile(t *testing.T) {
	const secret = "file-secret-0123456789abcdef0123456789abcdef"
	path := writeSecret(t, secret+"\n", 0o400)
	c := turnFlags(t, map[string]string{"EYELEVEL_TURN_SECRET_FILE": path})
	if c.turn.secretFile != path {
		t.Fatalf("secretFile = %q, want %q from the environment", c.turn.secretFile, path)
	}
	v, err := startVideo(c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	expires := time.Now().Add(time.Hour)
	ice := v.ICE("u1", expires)[0]
	name, pass := turnserver.Credentials([]byte(secret), "u1", expires)
	if ice.Username != name || ice.Credential != pass {
		t.Fatalf("ICE credentials %q/%q are not those of the file's secret (%q/%q)", ice.Username, ice.Credential, name, pass)
	}

	// The relay accepts credentials from the file's secret and refuses
	// those from another one (a newline kept in the secret would be one).
	addr := v.server.UDPAddr().String()
	for _, tc := range []struct {
		secret string
		ok     bool
	}{{secret, true}, {secret + "\n", false}} {
		name, pass := turnserver.Credentials([]byte(tc.secret), "u2", expires)
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		client, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: addr, STUNServerAddr: addr, Conn: conn, Username: name, Password: pass})
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
			t.Fatalf("allocation with the file's secret: %v", err)
		case tc.ok:
			relay.Close()
		case err == nil:
			relay.Close()
			t.Fatal("the relay accepted credentials from another secret")
		}
	}
}

func TestTurnSecretFileRefused(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	good := writeSecret(t, "0123456789abcdef0123456789abcdef\n", 0o600)
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"both flags":      {args: []string{"--turn-secret", "s3cret-s3cret-s3cret", "--turn-secret-file", good}, want: "exclude each other"},
		"flag and env":    {env: map[string]string{"EYELEVEL_TURN_SECRET": "s3cret-s3cret-s3cret"}, args: []string{"--turn-secret-file", good}, want: "exclude each other"},
		"empty file":      {args: []string{"--turn-secret-file", writeSecret(t, "", 0o600)}, want: "is empty"},
		"only a newline":  {args: []string{"--turn-secret-file", writeSecret(t, "\n", 0o400)}, want: "is empty"},
		"two lines":       {args: []string{"--turn-secret-file", writeSecret(t, "a-secret\nanother\n", 0o600)}, want: "more than one line"},
		"group readable":  {args: []string{"--turn-secret-file", writeSecret(t, "a-secret\n", 0o640)}, want: "chmod 600"},
		"others readable": {args: []string{"--turn-secret-file", writeSecret(t, "a-secret\n", 0o604)}, want: "chmod 600"},
		"missing file":    {args: []string{"--turn-secret-file", filepath.Join(t.TempDir(), "none")}, want: "--turn-secret-file"},
		// With external relays the secret is needed as well.
		"external": {args: []string{"--turn-external", "turn:turn.example:3478", "--turn-secret-file", writeSecret(t, "", 0o600)}, want: "is empty"},
	} {
		t.Run(name, func(t *testing.T) {
			c := turnFlags(t, tc.env, tc.args...)
			v, err := startVideo(c, log)
			if err == nil {
				v.Close()
				t.Fatalf("startVideo accepted it; want an error with %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
}

// TestTurnSecretFileHelp: serve --help lists the flag.
func TestTurnSecretFileHelp(t *testing.T) {
	var out strings.Builder
	if _, help, err := serveConfig([]string{"--help"}, func(string) string { return "" }, &out); err != nil || !help {
		t.Fatalf("serve --help: help %v, err %v", help, err)
	}
	if !strings.Contains(out.String(), "-turn-secret-file") {
		t.Errorf("serve --help does not list --turn-secret-file:\n%s", out.String())
	}
}
