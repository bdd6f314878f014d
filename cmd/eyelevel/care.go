package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"eyelevel/program"
	"eyelevel/questionnaire"
	"eyelevel/service"
	"eyelevel/store"
	"eyelevel/vault"
)

// careConfig loads what the care program needs from the operator's
// configuration: the master key for reflections, replacement questionnaire
// and program files from the data directory, and the crisis numbers.
func careConfig(ctx context.Context, c config, getenv func(string) string, db *store.DB, log *slog.Logger, scfg *service.Config) error {
	var err error
	if scfg.Keys, err = masterKey(ctx, c, getenv, db, log); err != nil {
		return err
	}
	instruments := []fs.FS{questionnaire.Embedded()}
	if dir := filepath.Join(c.data, "instruments"); isDir(dir) {
		instruments = append(instruments, os.DirFS(dir))
		log.Info("questionnaires: using replacements", "dir", dir)
	}
	if scfg.Instruments, err = questionnaire.Load(instruments...); err != nil {
		return err
	}
	steps := []fs.FS{program.Embedded()}
	if dir := filepath.Join(c.data, "program"); isDir(dir) {
		steps = append(steps, os.DirFS(dir))
		log.Info("program: using replacements", "dir", dir)
	}
	if scfg.Program, err = program.Load(steps...); err != nil {
		return err
	}
	if c.hotlines != "" {
		body, err := os.ReadFile(c.hotlines)
		if err != nil {
			return fmt.Errorf("--hotlines: %w", err)
		}
		if scfg.Hotlines, err = parseHotlines(body); err != nil {
			return fmt.Errorf("--hotlines %s: %w", c.hotlines, err)
		}
	}
	return nil
}

// hotlineDial is what a tel: link may hold: digits, with + first for an
// international number.
var hotlineDial = regexp.MustCompile(`^\+?[0-9]{1,20}$`)

// parseHotlines reads the --hotlines file: a JSON list of at least one
// crisis number, each with number, dial and an English label. (An empty
// list, or null, would leave the help page without a number to call.)
func parseHotlines(body []byte) ([]service.Hotline, error) {
	var lines []service.Hotline
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lines); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the list")
	}
	if len(lines) == 0 {
		return nil, errors.New("the list needs at least one number")
	}
	for _, h := range lines {
		if strings.TrimSpace(h.Number) == "" || strings.TrimSpace(h.Label["en"]) == "" {
			return nil, errors.New("every entry needs number, dial and an English label")
		}
		if !hotlineDial.MatchString(h.Dial) {
			return nil, fmt.Errorf("dial %q: only digits, with + first for an international number", h.Dial)
		}
	}
	return lines, nil
}

// masterKey returns the keyring that wraps clients' data keys: from
// EYELEVEL_MASTER_KEY, or the key file (see keys.go), created on first
// start, with the root of derived keys from the database. A new key is
// never created while the database holds data keys, because that would
// hide the loss of the old one; the server then runs without reflections.
func masterKey(ctx context.Context, c config, getenv func(string) string, db *store.DB, log *slog.Logger) (*vault.Keyring, error) {
	use, err := db.KeyUse(ctx) // data keys and the root of derived keys
	if err != nil {
		return nil, err
	}
	inUse := slices.Sorted(maps.Keys(use))
	keys, path, err := loadKeys(c, getenv, len(inUse) == 0)
	if errors.Is(err, fs.ErrNotExist) {
		log.Error("the master key file is missing, but the database holds encrypted reflections: they cannot be read or written until the key is restored",
			"file", path, "key_ids", inUse)
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	for _, id := range inUse {
		if !keys.Has(id) {
			log.Error("some clients' reflections were encrypted under another master key and cannot be read", "key_id", id, "key_ids", keys.IDs())
		}
	}
	if len(inUse) > 0 && !slices.Contains(inUse, keys.ID()) {
		log.Warn("no reflections are encrypted under the current master key yet")
	}
	if err := service.LoadKeyRoot(ctx, db, keys); err != nil {
		log.Error("the master key that protects derived keys (device tokens, recovery codes) is missing: running without encrypted data until it is restored", "err", err)
		return nil, nil
	}
	return keys, nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
