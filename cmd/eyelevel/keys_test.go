package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
	"eyelevel/vault"
)

// keysProcessEnv tells a re-executed test binary to run one eyelevel
// command as a process of its own; its value is the arguments as JSON.
const keysProcessEnv = "EYELEVEL_TEST_KEYS_PROCESS"

// TestKeysProcess is not a test on its own: TestKeysRotateKilledAndResumed
// runs the test binary again with only this function, so that keys rotate
// is a real process it can kill -9.
func TestKeysProcess(t *testing.T) {
	raw := os.Getenv(keysProcessEnv)
	if raw == "" {
		t.Skip("only run by the key rotation tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), append([]string{"eyelevel"}, args...), os.Getenv, strings.NewReader(""), os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// keysRun runs one eyelevel command in this process and returns its output.
func keysRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out strings.Builder
	err := run(context.Background(), append([]string{"eyelevel"}, args...), func(string) string { return "" }, strings.NewReader(""), &out, &out)
	return out.String(), err
}

// keysClient is a client of keysWorld with what it wrote.
type keysClient struct {
	tok, appt string
}

// keysWorld starts a demo server on a fresh database of the suite's
// dialect and gives n clients (added directly, with cheap passwords) a
// reflection and a booked session with anna, who writes a note on it:
// all sealed under the client's data key.
func keysWorld(t *testing.T, n int) (base, annaTok string, flags []string, clients []keysClient) {
	t.Helper()
	dsn, dir, flags := serverDB(t)
	os.Chmod(dir, 0o700)
	base, _ = startServer(t, append([]string{"--demo", "--min-lead", "0s", "--room-open-before", "240h"}, flags...)...)
	db := storetest.OpenAt(t, dsn, dir)
	svc := servicetest.NewService(t, db, nil)
	annaTok = tokenOTP(t, base, "anna", demoPassword, demoOTP(t))
	var anna struct{ ID string }
	call(t, "GET", base+"/api/v1/me", annaTok, nil, &anna)
	for i := range n {
		name := fmt.Sprintf("keys-client-%d", i)
		u, err := svc.AddUser(context.Background(), eyelevel.RoleClient, name, "a long passphrase", "Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.RecordConsentFor(context.Background(), service.Operator, u.ID); err != nil { // else asked at first login
			t.Fatal(err)
		}
		c := keysClient{tok: token(t, base, name, "a long passphrase")}
		if st := call(t, "PUT", base+"/api/v1/program/steps/1/reflection", c.tok, map[string]any{"text": "reflection of " + name, "done": true}, nil); st != 200 {
			t.Fatalf("reflection: %d", st)
		}
		var slots struct{ Slots []struct{ Start string } }
		now := time.Now().UTC()
		q := "?from=" + now.Format(time.RFC3339) + "&to=" + now.Add(14*24*time.Hour).Format(time.RFC3339)
		if st := call(t, "GET", base+"/api/v1/counselors/"+anna.ID+"/slots"+q, c.tok, nil, &slots); st != 200 || len(slots.Slots) == 0 {
			t.Fatalf("slots: %d %d", st, len(slots.Slots))
		}
		var appt struct{ ID string }
		if st := call(t, "POST", base+"/api/v1/appointments", c.tok, map[string]string{"counselor_id": anna.ID, "start": slots.Slots[0].Start}, &appt); st != 201 {
			t.Fatalf("book: %d", st)
		}
		c.appt = appt.ID
		if st := call(t, "PUT", base+"/api/v1/appointments/"+c.appt+"/note", annaTok, map[string]string{"text": "note on " + name}, nil); st != 200 {
			t.Fatalf("note: %d", st)
		}
		clients = append(clients, c)
	}
	return base, annaTok, flags, clients
}

// keysCheckReadable: every client's reflection and session note decrypt
// on the server at base.
func keysCheckReadable(t *testing.T, base, annaTok string, clients []keysClient) {
	t.Helper()
	for i, c := range clients {
		var step struct {
			Reflection *struct{ Text string } `json:"reflection"`
		}
		if st := call(t, "GET", base+"/api/v1/program/steps/1", c.tok, nil, &step); st != 200 || step.Reflection == nil || step.Reflection.Text != fmt.Sprintf("reflection of keys-client-%d", i) {
			t.Fatalf("client %d: reflection %d %+v", i, st, step.Reflection)
		}
		var note struct{ Text string }
		if st := call(t, "GET", base+"/api/v1/appointments/"+c.appt+"/note", annaTok, nil, &note); st != 200 || note.Text != fmt.Sprintf("note on keys-client-%d", i) {
			t.Fatalf("client %d: note %d %+v", i, st, note)
		}
	}
}

// TestKeysRotateKilledAndResumed: keys rotate, killed with SIGKILL halfway
// through re-wrapping, leaves a key file with the new key first and the old
// one kept; a server started before the rotation reads everything
// throughout (it re-reads the key file when it meets the new key); run
// again, rotate continues instead of making a third key; remove-old drops
// the old key; a server started with the new key alone reads every
// reflection and session note.
func TestKeysRotateKilledAndResumed(t *testing.T) {
	const n = 12
	base, annaTok, flags, clients := keysWorld(t, n)
	data := flags[1]
	keyFile := filepath.Join(data, "master.key")
	oldKeys, err := vault.LoadKeyFile(keyFile, false)
	if err != nil {
		t.Fatal(err)
	}
	oldID := oldKeys.ID()

	// Batches of 2, half a second apart: killed after the second batch.
	args, _ := json.Marshal(append([]string{"keys", "rotate", "--batch", "2"}, flags...))
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeysProcess$")
	cmd.Env = append(os.Environ(), keysProcessEnv+"="+string(args), keysPauseEnv+"=500ms", storetest.PostgresEnv+"=")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	killed := false
	for lines.Scan() {
		t.Log("rotate:", lines.Text())
		var done int
		if _, err := fmt.Sscanf(lines.Text(), "re-wrapped %d", &done); err == nil && done >= 5 {
			cmd.Process.Kill()
			killed = true
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	cmd.Wait()
	if !killed {
		t.Fatal("rotate ended before it could be killed")
	}

	keys, err := vault.LoadKeyFile(keyFile, false)
	if err != nil || len(keys.IDs()) != 2 || keys.IDs()[1] != oldID {
		t.Fatalf("key file after the kill: %v %v", err, keys)
	}
	newID := keys.ID()
	out, err := keysRun(t, append([]string{"keys", "status"}, flags...)...)
	t.Log(out)
	if err != nil || !strings.Contains(out, newID) || !strings.Contains(out, oldID) || !strings.Contains(out, "old: keys rotate re-wraps it") {
		t.Fatalf("status halfway: %v\n%s", err, out)
	}
	wrapped := keysWrappedTotal(t, out) // every account's data key (addresses are sealed too) and the root
	// Halfway, the running server reads what is under either key.
	keysCheckReadable(t, base, annaTok, clients)

	out, err = keysRun(t, append([]string{"keys", "rotate"}, flags...)...)
	t.Log(out)
	if err != nil || !strings.Contains(out, "continuing") || strings.Contains(out, "new master key") {
		t.Fatalf("resumed rotate: %v\n%s", err, out)
	}
	out, err = keysRun(t, append([]string{"keys", "remove-old"}, flags...)...)
	if err != nil || !strings.Contains(out, "removed 1 old key") {
		t.Fatalf("remove-old: %v\n%s", err, out)
	}
	keys, _ = vault.LoadKeyFile(keyFile, false)
	if strings.Join(keys.IDs(), ",") != newID {
		t.Fatalf("key file after remove-old: %v", keys.IDs())
	}
	out, err = keysRun(t, append([]string{"keys", "status"}, flags...)...)
	if err != nil || strings.Contains(out, oldID) || keysWrappedTotal(t, out) != wrapped {
		t.Fatalf("status after: %v\n%s", err, out)
	}
	// The server started before the rotation still reads and writes.
	keysCheckReadable(t, base, annaTok, clients)
	// A server started with the new key alone reads everything.
	base2, _ := startServer(t, flags...)
	keysCheckReadable(t, base2, annaTok, clients)

	// A new client's data key, created by the old server, is under the new key.
	dsn := ""
	if len(flags) > 2 {
		dsn = flags[3]
	}
	db := storetest.OpenAt(t, dsn, data)
	use, err := db.KeyUse(context.Background())
	if err != nil || len(use) != 1 || use[newID] != wrapped {
		t.Fatalf("key use: %v %v", use, err)
	}
}

// TestKeysRotateRefusesWithoutKey: rotate without the current key file,
// and keys with a bad subcommand, fail with a clear message.
func TestKeysRotateRefusesWithoutKey(t *testing.T) {
	_, _, flags := serverDB(t)
	out, err := keysRun(t, append([]string{"keys", "rotate"}, flags...)...)
	if err == nil || !strings.Contains(err.Error(), "current master key") {
		t.Fatalf("rotate without a key: %v\n%s", err, out)
	}
	if _, err := keysRun(t, "keys", "spin"); err == nil || !strings.Contains(err.Error(), "keys rotate") {
		t.Fatalf("unknown subcommand: %v", err)
	}
	if entries, _ := os.ReadDir(flags[1]); len(entries) > 0 && storetest.Suite() == store.Postgres {
		for _, e := range entries {
			if e.Name() == "master.key" {
				t.Fatal("rotate created a master key")
			}
		}
	}
}

// TestKeysRotateWithEnvironment: with EYELEVEL_MASTER_KEY rotate cannot
// write a file; given one key it says how to add one, given NEW,OLD it
// re-wraps to NEW, and remove-old says which key may go.
func TestKeysRotateWithEnvironment(t *testing.T) {
	dsn, dir, flags := serverDB(t)
	db := storetest.OpenAt(t, dsn, dir)
	oldKey, newKey := vault.NewKey(), vault.NewKey()
	old, _ := vault.New(oldKey)
	if err := service.LoadKeyRoot(context.Background(), db, old); err != nil {
		t.Fatal(err)
	}
	runEnv := func(env string, args ...string) (string, error) {
		var out strings.Builder
		getenv := func(k string) string {
			if k == "EYELEVEL_MASTER_KEY" {
				return env
			}
			return ""
		}
		err := run(context.Background(), append([]string{"eyelevel"}, append(args, flags...)...), getenv, strings.NewReader(""), &out, &out)
		return out.String(), err
	}
	b64 := base64.StdEncoding.EncodeToString
	if _, err := runEnv(b64(oldKey), "keys", "rotate"); err == nil || !strings.Contains(err.Error(), "NEW,OLD") {
		t.Fatalf("one key in the environment: %v", err)
	}
	out, err := runEnv(b64(newKey)+","+b64(oldKey), "keys", "rotate")
	if err != nil || !strings.Contains(out, "done: 1 ") {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	out, err = runEnv(b64(newKey)+","+b64(oldKey), "keys", "remove-old")
	if err != nil || !strings.Contains(out, old.ID()) || !strings.Contains(out, "keep only") {
		t.Fatalf("remove-old: %v\n%s", err, out)
	}
	out, err = runEnv(b64(newKey), "keys", "status")
	if err != nil || strings.Contains(out, old.ID()) {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "master.key")); err == nil {
		t.Fatal("a key file was written although the key is in the environment")
	}
}

// TestKeysOneAtATime: while one keys command holds the key file, another
// rotate refuses instead of writing the file too.
func TestKeysOneAtATime(t *testing.T) {
	_, dir, flags := serverDB(t)
	path := filepath.Join(dir, "master.key")
	if err := vault.WriteKeyFile(path, [][]byte{vault.NewKey()}); err != nil {
		t.Fatal(err)
	}
	unlock, err := lockKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keysRun(t, append([]string{"keys", "rotate"}, flags...)...); err == nil || !strings.Contains(err.Error(), "another keys command") {
		t.Fatalf("rotate while locked: %v", err)
	}
	unlock()
	if out, err := keysRun(t, append([]string{"keys", "rotate"}, flags...)...); err != nil {
		t.Fatalf("rotate after: %v\n%s", err, out)
	}
}

// keysWrappedTotal sums the WRAPPED KEYS column of `keys status`.
func keysWrappedTotal(t *testing.T, status string) int {
	t.Helper()
	total := 0
	for _, line := range strings.Split(status, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || len(f[0]) != 16 || f[0] == "KEY" {
			continue
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("status line %q: %v", line, err)
		}
		total += n
	}
	return total
}
