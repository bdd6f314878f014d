package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"eyelevel/store"
)

// A backup archive is a gzip-compressed tar file: first manifest.json
// (backupManifest), then eyelevel.db, a consistent copy of the SQLite
// database, then the operator's legal texts (legal/…). It never holds a
// master key.
const (
	backupFormat   = "eyelevel-backup/1"
	backupManifest = "manifest.json"
	backupDB       = "eyelevel.db"
)

// manifest describes a backup archive.
type manifest struct {
	Format       string    `json:"format"`
	Version      string    `json:"eyelevel_version"`
	Commit       string    `json:"commit,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	Database     string    `json:"database"`
	Migration    string    `json:"migration"`
	File         string    `json:"file"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"`
	MasterKeyIDs []string  `json:"master_key_ids"`
	// Legal are the operator's legal texts, archived after the database
	// (backup_legal.go); archives made before list none.
	Legal []legalFile `json:"legal,omitempty"`
}

func init() {
	commands["backup"] = backupCommand
	commands["restore"] = restoreCommand
}

// pgBackupHelp is the answer of backup and restore on PostgreSQL.
const pgBackupHelp = `the database is PostgreSQL: back it up with its own tools (see the README, "Keys, backup and restore"):
  pg_dump --format=custom --file=eyelevel.dump 'postgres://…'
  pg_restore --no-owner --dbname='postgres://…/new-empty-database' eyelevel.dump
and keep the master key (master.key in --data, or EYELEVEL_MASTER_KEY) apart from the dump`

func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c config
	var to string
	flags := flag.NewFlagSet("backup", flag.ContinueOnError)
	c.flags(flags, false)
	flags.StringVar(&to, "to", "", "the archive to write (a new file, .tar.gz)")
	if err := fromEnv(flags, getenv); err != nil {
		return err
	}
	if help, err := parseFlags(flags, args, stdout); help || err != nil {
		return err
	}
	if c.db != "" {
		return errors.New("backup: " + pgBackupHelp)
	}
	if to == "" {
		return errors.New("backup: --to FILE is required")
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("backup: %s exists; give a new file", to)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(to), ".eyelevel-backup-")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, backupDB)
	info, err := store.SnapshotSQLite(ctx, c.data, snap)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	m := manifest{Format: backupFormat, CreatedAt: time.Now().UTC().Truncate(time.Second), Database: store.SQLite,
		Migration: info.Migration, File: backupDB, MasterKeyIDs: info.KeyIDs}
	m.Version, m.Commit = buildVersion()
	if m.Legal, err = legalFiles(c.data); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if m.MasterKeyIDs == nil {
		m.MasterKeyIDs = []string{}
	}
	f, err := os.Open(snap)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if m.Size, err = io.Copy(h, f); err != nil {
		return err
	}
	m.SHA256 = hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	part := filepath.Join(tmp, "archive")
	if err := writeArchive(part, m, f, c.data); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// A link fails rather than replace a file made meanwhile; where links
	// are not supported, rename.
	if err := os.Link(part, to); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup: %s exists; give a new file", to)
	} else if err != nil {
		if err := os.Rename(part, to); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	fmt.Fprintf(stdout, "backup written to %s: %d bytes of database, migration %s, sha256 %s\n", to, m.Size, m.Migration, m.SHA256)
	if len(m.MasterKeyIDs) > 0 {
		fmt.Fprintf(stdout, "a restore needs the master key(s) %v, which are not in the archive: keep them elsewhere\n", m.MasterKeyIDs)
	}
	return nil
}

func writeArchive(path string, m manifest, db io.Reader, dataDir string) error {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	zw := gzip.NewWriter(out)
	tw := tar.NewWriter(zw)
	body, _ := json.MarshalIndent(m, "", "  ")
	body = append(body, '\n')
	hdr := &tar.Header{Name: backupManifest, Mode: 0o600, Size: int64(len(body)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(body); err != nil {
		return err
	}
	hdr = &tar.Header{Name: backupDB, Mode: 0o600, Size: m.Size, ModTime: m.CreatedAt, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.Copy(tw, db); err != nil {
		return err
	}
	if err := writeLegal(tw, dataDir, m.Legal, m.CreatedAt); err != nil {
		return err
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		return err
	}
	return errors.Join(out.Sync(), out.Close())
}

// buildVersion is the module version and VCS commit the binary was built
// from, as far as Go recorded them.
func buildVersion() (version, commit string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown", ""
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			commit = s.Value
		}
	}
	return bi.Main.Version, commit
}
