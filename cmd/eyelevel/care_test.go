package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCareConfigThroughRun: reflections survive a restart with the key file,
// a lost key file gives a clear 503 instead of a crash or a silent new key,
// and operators can replace program steps and crisis numbers.
func TestCareConfigThroughRun(t *testing.T) {
	data := t.TempDir()
	db := sharedDB(t)
	base, _ := startServer(t, append([]string{"--data", data}, db...)...)
	reg := map[string]string{"username": "ruhe-3", "password": "a long passphrase", "language": "en", "timezone": "Europe/Berlin"}
	if st := call(t, "POST", base+"/api/v1/accounts", "", withConsent(reg), nil); st != 201 {
		t.Fatalf("register: %d", st)
	}
	tok := token(t, base, reg["username"], reg["password"])
	if st := call(t, "PUT", base+"/api/v1/program/steps/1/reflection", tok, map[string]any{"text": "a quiet evening", "done": true}, nil); st != 200 {
		t.Fatalf("save reflection: %d", st)
	}
	keyFile := filepath.Join(data, "master.key")
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", fi, err)
	}

	// A second instance on the same data with the same key reads it.
	base2, _ := startServer(t, append([]string{"--data", data}, db...)...)
	var step struct {
		Reflection *struct{ Text string } `json:"reflection"`
	}
	if st := call(t, "GET", base2+"/api/v1/program/steps/1", tok, nil, &step); st != 200 || step.Reflection == nil || step.Reflection.Text != "a quiet evening" {
		t.Fatalf("read on a second instance: %d %+v", st, step.Reflection)
	}

	// The key file is lost: the server still starts, says why, and answers 503.
	if err := os.Rename(keyFile, keyFile+".away"); err != nil {
		t.Fatal(err)
	}
	hotlines := filepath.Join(t.TempDir(), "hotlines.json")
	os.WriteFile(hotlines, []byte(`[{"number":"144","dial":"144","label":{"en":"Ambulance","de":"Sanität"}}]`), 0o644)
	over := filepath.Join(data, "program", "en")
	os.MkdirAll(over, 0o755)
	os.WriteFile(filepath.Join(over, "1-situation.md"), []byte("---\nstep: 1\nslug: situation\ntitle: Where I stand\nsummary: s\nminutes: 10\nprompts:\n  - q?\n---\nOur own text.\n"), 0o644)
	base3, _ := startServer(t, append([]string{"--data", data, "--hotlines", hotlines}, db...)...)
	var failed struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if st := call(t, "GET", base3+"/api/v1/program/steps/1", tok, nil, &failed); st != 503 || failed.Error.Code != "unavailable" || !strings.Contains(failed.Error.Message, "key") {
		t.Fatalf("without the key: %d %+v", st, failed)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("a new master key was created while reflections depend on the old one")
	}
	var prog struct {
		Steps []struct{ Title string } `json:"steps"`
	}
	if st := call(t, "GET", base3+"/api/v1/program", tok, nil, &prog); st != 200 || len(prog.Steps) != 7 || prog.Steps[0].Title != "Where I stand" {
		t.Fatalf("program with the operator's step 1: %d %+v", st, prog.Steps)
	}
	var lines struct {
		Hotlines []struct{ Number, Label string } `json:"hotlines"`
	}
	if st := call(t, "GET", base3+"/api/v1/hotlines?lang=de", "", nil, &lines); st != 200 || len(lines.Hotlines) != 1 || lines.Hotlines[0].Number != "144" || lines.Hotlines[0].Label != "Sanität" {
		t.Fatalf("operator's hotlines: %d %+v", st, lines)
	}
}
