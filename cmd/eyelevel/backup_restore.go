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
	"slices"
	"strings"

	"eyelevel/store"
)

func restoreCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c config
	var from string
	flags := flag.NewFlagSet("restore", flag.ContinueOnError)
	c.flags(flags, false)
	flags.StringVar(&from, "from", "", "the backup archive to restore")
	flags.StringVar(&c.masterKeyFile, "master-key-file", "", "the master key file to check the archive's keys against (default: master.key in --data; or EYELEVEL_MASTER_KEY)")
	if err := fromEnv(flags, getenv); err != nil {
		return err
	}
	if help, err := parseFlags(flags, args, stdout); help || err != nil {
		return err
	}
	if c.db != "" {
		return errors.New("restore: " + pgBackupHelp)
	}
	if from == "" {
		return errors.New("restore: --from FILE is required")
	}
	explicit := false
	flags.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "data" })
	if !explicit && getenv("EYELEVEL_DATA") == "" {
		return errors.New("restore: --data DIR is required: the directory to restore into (new or empty)")
	}
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()

	// The target: missing (created 0700) or an empty directory.
	created := false
	if entries, err := os.ReadDir(c.data); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(c.data, 0o700); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		created = true
	} else if err != nil {
		return fmt.Errorf("restore: %w", err)
	} else if len(entries) > 0 {
		names := make([]string, 0, 3)
		for _, e := range entries[:min(3, len(entries))] {
			names = append(names, e.Name())
		}
		return fmt.Errorf("restore: %s is not empty (it holds %s): restore into a new or empty directory; nothing was changed", c.data, strings.Join(names, ", "))
	}
	m, err := unpackArchive(ctx, in, c.data)
	if err != nil {
		os.Remove(filepath.Join(c.data, backupDB))
		os.RemoveAll(filepath.Join(c.data, backupLegalDir))
		if created {
			os.Remove(c.data)
		}
		return fmt.Errorf("restore: %s: %w; nothing was restored", from, err)
	}
	fmt.Fprintf(stdout, "restored the backup of %s (eyelevel %s, migration %s) into %s\n", m.CreatedAt.Format("2006-01-02 15:04:05 UTC"), m.Version, m.Migration, filepath.Join(c.data, backupDB))
	if len(m.MasterKeyIDs) == 0 {
		fmt.Fprintln(stdout, "its data needs no master key; serve creates one at the first start")
		return nil
	}
	fmt.Fprintf(stdout, "its data needs the master key(s) %s: put the key file at %s (mode 0600) or set EYELEVEL_MASTER_KEY, then start eyelevel serve --data %s\n",
		strings.Join(m.MasterKeyIDs, ", "), filepath.Join(c.data, "master.key"), c.data)
	if keys, path, err := loadKeys(c, getenv, false); err == nil {
		var missing []string
		for _, id := range m.MasterKeyIDs {
			if !keys.Has(id) {
				missing = append(missing, id)
			}
		}
		where := path
		if where == "" {
			where = "EYELEVEL_MASTER_KEY"
		}
		if len(missing) == 0 {
			fmt.Fprintf(stdout, "%s holds them all\n", where)
		} else {
			fmt.Fprintf(stdout, "%s lacks %s\n", where, strings.Join(missing, ", "))
		}
	}
	return nil
}

// unpackArchive reads a backup archive, writes its database into dir and
// checks it against the manifest; on error it may leave a partial file.
func unpackArchive(ctx context.Context, r io.Reader, dir string) (manifest, error) {
	var m manifest
	zr, err := gzip.NewReader(r)
	if err != nil {
		return m, fmt.Errorf("not an eyelevel backup archive (%v)", err)
	}
	tr := tar.NewReader(zr)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != backupManifest {
		return m, fmt.Errorf("not an eyelevel backup archive (no %s first: %v)", backupManifest, err)
	}
	dec := json.NewDecoder(io.LimitReader(tr, 1<<20))
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("the manifest does not parse: %v", err)
	}
	if m.Format != backupFormat {
		return m, fmt.Errorf("unknown archive format %q (want %q)", m.Format, backupFormat)
	}
	if m.Database != store.SQLite || m.File != backupDB || len(m.SHA256) != 64 {
		return m, errors.New("the manifest is incomplete")
	}
	if latest := store.LatestMigration(store.SQLite); m.Migration > latest {
		return m, fmt.Errorf("the database is at migration %s, newer than this eyelevel knows (%s): restore with a newer eyelevel", m.Migration, latest)
	}
	hdr, err = tr.Next()
	if err != nil || hdr.Name != backupDB {
		return m, fmt.Errorf("the archive is damaged: no %s after the manifest (%v)", backupDB, err)
	}
	path := filepath.Join(dir, backupDB)
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return m, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), tr)
	if err = errors.Join(err, out.Sync(), out.Close()); err != nil {
		return m, fmt.Errorf("the archive is damaged: %v", err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != m.Size || sum != m.SHA256 {
		return m, fmt.Errorf("the archive is damaged: %s does not match the checksum in its manifest (%d bytes, sha256 %s; want %d bytes, %s)", backupDB, n, sum, m.Size, m.SHA256)
	}
	info, err := store.InspectSQLite(ctx, path)
	if err != nil {
		return m, err
	}
	if info.Migration != m.Migration || !slices.Equal(info.KeyIDs, m.MasterKeyIDs) {
		return m, errors.New("the database does not match its manifest")
	}
	return m, readLegal(tr, dir, m.Legal)
}
