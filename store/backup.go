package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// SnapshotInfo describes a copy of the SQLite database.
type SnapshotInfo struct {
	Migration string   // the last migration applied
	KeyIDs    []string // master keys that wrap its data keys and derivation root
}

// SnapshotSQLite writes a consistent copy of the SQLite database in
// dataDir to dest, a file that must not exist, with VACUUM INTO: it reads
// one snapshot in a read transaction while servers keep reading and writing
// (in WAL mode writers do not wait for it), and the copy is compacted. The
// database is not migrated or otherwise changed.
func SnapshotSQLite(ctx context.Context, dataDir, dest string) (SnapshotInfo, error) {
	src := filepath.Join(dataDir, "eyelevel.db")
	if _, err := os.Stat(src); err != nil {
		return SnapshotInfo{}, fmt.Errorf("no database to back up: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("open sqlite: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return SnapshotInfo{}, fmt.Errorf("copy the database: %w", err)
	}
	return InspectSQLite(ctx, dest)
}

// InspectSQLite checks the integrity of the SQLite database file at path
// (read only) and returns its migration level and the master keys its data
// needs.
func InspectSQLite(ctx context.Context, path string) (SnapshotInfo, error) {
	var info SnapshotInfo
	if _, err := os.Stat(path); err != nil {
		return info, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return info, fmt.Errorf("open sqlite: %w", err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil {
		return info, fmt.Errorf("not an eyelevel database: %w", err)
	} else if check != "ok" {
		return info, fmt.Errorf("the database is damaged: %s", check)
	}
	var level sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT max(name) FROM schema_migrations`).Scan(&level); err != nil || !level.Valid {
		return info, fmt.Errorf("not an eyelevel database (no migrations applied): %v", err)
	}
	info.Migration = level.String
	q := `SELECT DISTINCT key_id FROM client_keys`
	var n int
	db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'key_root'`).Scan(&n)
	if n > 0 {
		q += ` UNION SELECT key_id FROM key_root`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return info, fmt.Errorf("read key IDs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return info, err
		}
		info.KeyIDs = append(info.KeyIDs, id)
	}
	sort.Strings(info.KeyIDs)
	return info, rows.Err()
}

// LatestMigration is the name of the last migration this build knows for
// dialect: a database migrated further needs a newer eyelevel.
func LatestMigration(dialect string) string {
	entries, err := fs.ReadDir(migrations, "migrations/"+dialect)
	if err != nil || len(entries) == 0 {
		return ""
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names[len(names)-1]
}
