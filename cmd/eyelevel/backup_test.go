package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
	"eyelevel/vault"
)

// backupCall is one API request that reports instead of failing the test,
// for use from other goroutines.
func backupCall(method, u, token string, body any, out any) (int, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		return res.StatusCode, json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode, nil
}

// backupReadArchive returns the manifest and database of a backup archive.
func backupReadArchive(t *testing.T, path string) (manifest, []byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var m manifest
	var db []byte
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		switch hdr.Name {
		case backupManifest:
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
		case backupDB:
			db = body
		}
	}
	return m, db
}

// TestBackupWhileBooking: a backup taken while 50 clients book sessions
// restores into a new directory; a server started on it (with the master
// key put in place) serves every booking acknowledged before the backup
// started, and nothing that was never acknowledged.
func TestBackupWhileBooking(t *testing.T) {
	if storetest.Suite() == store.Postgres {
		t.Skip("backup copies SQLite; on PostgreSQL it refuses (TestBackupRestoreErrors)")
	}
	const clients = 50
	data := t.TempDir()
	os.Chmod(data, 0o700)
	base, _ := startServer(t, "--demo", "--data", data, "--min-lead", "0s", "--sessions-per-day", "0")
	db := storetest.OpenAt(t, "", data)
	svc := servicetest.NewService(t, db, nil)
	toks := make([]string, clients)
	for i := range clients {
		name := fmt.Sprintf("backup-client-%d", i)
		u, err := svc.AddUser(context.Background(), eyelevel.RoleClient, name, "a long passphrase", "Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.RecordConsentFor(context.Background(), service.Operator, u.ID); err != nil { // else asked at first login
			t.Fatal(err)
		}
		toks[i] = token(t, base, name, "a long passphrase")
	}
	// Free slots of every German-speaking counselor in the next two weeks.
	type slot struct{ counselor, start string }
	var pool []slot
	var found struct{ Counselors []struct{ ID string } }
	if st := call(t, "GET", base+"/api/v1/counselors?language=de&limit=50", toks[0], nil, &found); st != 200 || len(found.Counselors) < 3 {
		t.Fatalf("counselors: %d %+v", st, found)
	}
	now := time.Now().UTC()
	q := "?from=" + now.Format(time.RFC3339) + "&to=" + now.Add(14*24*time.Hour).Format(time.RFC3339)
	for _, c := range found.Counselors {
		var slots struct{ Slots []struct{ Start string } }
		call(t, "GET", base+"/api/v1/counselors/"+c.ID+"/slots"+q, toks[0], nil, &slots)
		for _, s := range slots.Slots {
			pool = append(pool, slot{c.ID, s.Start})
		}
	}
	if len(pool) < 2*clients {
		t.Fatalf("only %d free slots", len(pool))
	}

	// Every client books up to four sessions, each from its own part of
	// the pool, while the backup runs.
	type booking struct {
		client int
		id     string
	}
	var mu sync.Mutex
	var acked []booking
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			booked := 0
			for j := i; j < len(pool) && booked < 4; j += clients {
				var appt struct{ ID string }
				st, err := backupCall("POST", base+"/api/v1/appointments", toks[i], map[string]string{"counselor_id": pool[j].counselor, "start": pool[j].start}, &appt)
				if err != nil {
					errs <- err
					return
				}
				if st == 201 {
					mu.Lock()
					acked = append(acked, booking{i, appt.ID})
					mu.Unlock()
					booked++
				} else if st != 409 {
					errs <- fmt.Errorf("client %d: booking answered %d", i, st)
					return
				}
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	before := slices.Clone(acked)
	mu.Unlock()
	archive := filepath.Join(t.TempDir(), "eyelevel-backup.tar.gz")
	out, err := keysRun(t, "backup", "--data", data, "--to", archive)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d bookings acknowledged before the backup, %d while it ran, %d in all", len(before), during, len(acked))
	if fi, err := os.Stat(archive); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("archive: %v %v", fi, err)
	}
	m, _ := backupReadArchive(t, archive)
	keys, _ := vault.LoadKeyFile(filepath.Join(data, "master.key"), false)
	if m.Format != backupFormat || m.Migration != store.LatestMigration(store.SQLite) || len(m.SHA256) != 64 || !slices.Equal(m.MasterKeyIDs, []string{keys.ID()}) {
		t.Fatalf("manifest %+v (key %s)", m, keys.ID())
	}

	restored := filepath.Join(t.TempDir(), "restored")
	out, err = keysRun(t, "restore", "--from", archive, "--data", restored)
	if err != nil || !strings.Contains(out, keys.ID()) {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if fi, err := os.Stat(restored); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("restored directory: %v %v", fi, err)
	}
	key, _ := os.ReadFile(filepath.Join(data, "master.key"))
	os.WriteFile(filepath.Join(restored, "master.key"), key, 0o600)
	base2, _ := startServer(t, "--data", restored)
	all := map[string]bool{}
	for _, b := range acked {
		all[b.id] = true
	}
	for i := range clients {
		var list struct {
			Appointments []struct{ ID string } `json:"appointments"`
		}
		if st := call(t, "GET", base2+"/api/v1/appointments?limit=50", toks[i], nil, &list); st != 200 {
			t.Fatalf("client %d on the restored server: %d", i, st)
		}
		have := map[string]bool{}
		for _, a := range list.Appointments {
			have[a.ID] = true
			if !all[a.ID] {
				t.Errorf("client %d: appointment %s was never acknowledged", i, a.ID)
			}
		}
		for _, b := range before {
			if b.client == i && !have[b.id] {
				t.Errorf("client %d: booking %s, acknowledged before the backup, is missing", i, b.id)
			}
		}
	}
}

// TestBackupRestoreErrors: a damaged archive, a wrong checksum, something
// that is no archive, a non-empty target and PostgreSQL each give a clear
// error, and a failed restore leaves no data directory behind.
func TestBackupRestoreErrors(t *testing.T) {
	for _, args := range [][]string{{"backup", "--to", filepath.Join(t.TempDir(), "x.tar.gz")}, {"restore", "--from", "x.tar.gz", "--data", t.TempDir()}} {
		_, err := keysRun(t, append(args, "--db", "postgres://eyelevel@db.example/eyelevel")...)
		if err == nil || !strings.Contains(err.Error(), "PostgreSQL") || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "pg_restore") {
			t.Errorf("%s on PostgreSQL: %v", args[0], err)
		}
	}
	if storetest.Suite() == store.Postgres {
		return // the rest is SQLite's
	}
	data := t.TempDir()
	storetest.OpenAt(t, "", data)
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	if out, err := keysRun(t, "backup", "--data", data, "--to", archive); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if _, err := keysRun(t, "backup", "--data", data, "--to", archive); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
	if _, err := keysRun(t, "backup", "--data", t.TempDir(), "--to", archive+"2"); err == nil || !strings.Contains(err.Error(), "no database") {
		t.Errorf("backup of an empty directory: %v", err)
	}
	m, dbBytes := backupReadArchive(t, archive)
	dir := t.TempDir()
	write := func(name string, m manifest, db []byte) string {
		path := filepath.Join(dir, name)
		m.Size = int64(len(db))
		if err := writeArchive(path, m, bytes.NewReader(db), ""); err != nil {
			t.Fatal(err)
		}
		return path
	}
	wrongSum := m
	wrongSum.SHA256 = strings.Repeat("0", 64)
	flipped := slices.Clone(dbBytes)
	flipped[len(flipped)/2] ^= 0xff
	raw, _ := os.ReadFile(archive)
	cut := filepath.Join(dir, "cut.tar.gz")
	os.WriteFile(cut, raw[:len(raw)/2], 0o600)
	notArchive := filepath.Join(dir, "notes.txt")
	os.WriteFile(notArchive, []byte("not an archive"), 0o600)
	newer := m
	newer.Migration = "9999_future.sql"
	for _, tc := range []struct{ name, archive, want string }{
		{"wrong checksum", write("sum.tar.gz", wrongSum, dbBytes), "checksum"},
		{"database changed", write("flip.tar.gz", m, flipped), "checksum"},
		{"cut short", cut, "damaged"},
		{"not an archive", notArchive, "not an eyelevel backup archive"},
		{"newer migration", write("newer.tar.gz", newer, dbBytes), "newer eyelevel"},
		{"missing", filepath.Join(dir, "nothing.tar.gz"), "no such file"},
	} {
		target := filepath.Join(t.TempDir(), "data")
		_, err := keysRun(t, "restore", "--from", tc.archive, "--data", target)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
		if _, err := os.Stat(target); err == nil {
			t.Errorf("%s: the failed restore left %s behind", tc.name, target)
		}
	}
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "eyelevel.db"), []byte("precious"), 0o600)
	if _, err := keysRun(t, "restore", "--from", archive, "--data", full); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("restore into a non-empty directory: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(full, "eyelevel.db")); string(b) != "precious" {
		t.Error("restore changed a non-empty directory")
	}
	if _, err := keysRun(t, "restore", "--from", archive); err == nil || !strings.Contains(err.Error(), "--data") {
		t.Errorf("restore without --data: %v", err)
	}
	// An existing empty directory is fine.
	empty := t.TempDir()
	if out, err := keysRun(t, "restore", "--from", archive, "--data", empty); err != nil {
		t.Errorf("restore into an empty directory: %v\n%s", err, out)
	}
}

// TestBackupLegalTexts: the operator's legal texts travel with the
// database; a text changed inside the archive is refused.
func TestBackupLegalTexts(t *testing.T) {
	if storetest.Suite() == store.Postgres {
		t.Skip("backup is SQLite's; PostgreSQL uses pg_dump")
	}
	data := t.TempDir()
	storetest.OpenAt(t, "", data)
	legal := filepath.Join(data, "legal")
	os.MkdirAll(legal, 0o700)
	texts := map[string]string{"imprint.de.md": "# Impressum\n\nBeispiel e.V.", "privacy.ar.md": "# سياسة الخصوصية", "consent-version": "7\n"}
	for name, body := range texts {
		os.WriteFile(filepath.Join(legal, name), []byte(body), 0o600)
	}
	os.WriteFile(filepath.Join(legal, "notes.txt"), []byte("not a legal text"), 0o600)
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	if out, err := keysRun(t, "backup", "--data", data, "--to", archive); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	m, _ := backupReadArchive(t, archive)
	if len(m.Legal) != len(texts) {
		t.Fatalf("manifest lists %d legal texts, want %d: %+v", len(m.Legal), len(texts), m.Legal)
	}
	target := filepath.Join(t.TempDir(), "restored")
	if out, err := keysRun(t, "restore", "--from", archive, "--data", target); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	for name, body := range texts {
		if b, err := os.ReadFile(filepath.Join(target, "legal", name)); err != nil || string(b) != body {
			t.Errorf("restored %s: %q, %v", name, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(target, "legal", "notes.txt")); err == nil {
		t.Error("a file that is no legal text was archived")
	}
	// A manifest whose checksum does not match the text is refused.
	bad := m
	bad.Legal = slices.Clone(m.Legal)
	bad.Legal[0].SHA256 = strings.Repeat("0", 64)
	_, db := backupReadArchive(t, archive)
	path := filepath.Join(t.TempDir(), "bad.tar.gz")
	bad.Size = int64(len(db))
	if err := writeArchive(path, bad, bytes.NewReader(db), data); err == nil {
		t.Fatal("writeArchive wrote a legal text against a wrong checksum")
	}

}
