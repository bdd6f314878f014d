package main

import (
	"log/slog"
	"os"
	"path/filepath"
)

// warnLoosePermissions warns about a data directory, or files in it (the
// database, the master key, the TURN secret), that other users of the
// machine may read. New ones are created 0700 and 0600; existing ones are
// the operator's, so eyelevel says so rather than changing them.
func warnLoosePermissions(dir, keyFile string, log *slog.Logger) {
	fi, err := os.Stat(dir)
	if err != nil {
		return // created strictly on first start
	}
	if fi.IsDir() && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("other users may open the data directory; run chmod 700 on it", "dir", dir, "mode", fi.Mode().Perm().String())
	}
	files := []string{keyFile}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	for _, path := range files {
		if path == "" {
			continue
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("other users may read a file of eyelevel's; run chmod 600 on it", "file", path, "mode", fi.Mode().Perm().String())
		}
	}
}
