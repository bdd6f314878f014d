package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"eyelevel/service"
	"eyelevel/store"
	"eyelevel/vault"
)

const keysUsage = `usage:
  eyelevel keys status     [--data DIR] [--db URL] [--master-key-file F]
  eyelevel keys rotate     [--data DIR] [--db URL] [--master-key-file F] [--batch 200] [--finish]
  eyelevel keys remove-old [--data DIR] [--db URL] [--master-key-file F]

rotate adds a new master key at the top of the key file (the old ones stay),
then re-wraps every client's data key under it, in batches, while serve runs.
Run it again after an interruption: it continues where it stopped. remove-old
(or rotate --finish) then drops the keys that no longer wrap anything.
With EYELEVEL_MASTER_KEY instead of a file, put the new key first
(EYELEVEL_MASTER_KEY=NEW,OLD) for serve and rotate; rotate then re-wraps.
`

// keysPauseEnv makes keys rotate wait this long after each batch: tests
// use it to stop the process halfway.
const keysPauseEnv = "EYELEVEL_TEST_ROTATE_PAUSE"

func init() { commands["keys"] = keysCommand }

func keysCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "status" && args[0] != "rotate" && args[0] != "remove-old") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, keysUsage)
			return nil
		}
		fmt.Fprint(stderr, keysUsage)
		return errors.New("unknown keys command (want: keys status, keys rotate or keys remove-old)")
	}
	var c config
	var batch int
	var finish bool
	fs := flag.NewFlagSet("keys "+args[0], flag.ContinueOnError)
	c.flags(fs, false)
	fs.StringVar(&c.masterKeyFile, "master-key-file", "", "the master key file (default: master.key in --data; or set EYELEVEL_MASTER_KEY)")
	if args[0] == "rotate" {
		fs.IntVar(&batch, "batch", 200, "data keys re-wrapped per transaction")
		fs.BoolVar(&finish, "finish", false, "afterwards, drop the old keys from the key file (as keys remove-old)")
	}
	if err := fromEnv(fs, getenv); err != nil {
		return err
	}
	if help, err := parseFlags(fs, args[1:], stdout); help || err != nil {
		return err
	}
	if batch < 0 {
		return errors.New("--batch must be positive")
	}
	db, err := store.Open(ctx, c.db, c.data)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "status" {
		return keysStatus(ctx, c, getenv, db, stdout)
	}
	if _, path, _ := loadKeys(c, getenv, false); path != "" {
		unlock, err := lockKeyFile(path)
		if err != nil {
			return err
		}
		defer unlock()
	}
	switch args[0] {
	case "remove-old":
		return keysRemoveOld(ctx, c, getenv, db, stdout)
	}
	if err := keysRotate(ctx, c, getenv, db, batch, stdout); err != nil {
		return err
	}
	if finish {
		return keysRemoveOld(ctx, c, getenv, db, stdout)
	}
	return nil
}

// loadKeys reads the master keys from EYELEVEL_MASTER_KEY or the key file
// (--master-key-file, by default master.key in the data directory),
// creating the file with one new key if create is set and it is missing.
// path is the file's ("" for the environment variable).
func loadKeys(c config, getenv func(string) string, create bool) (keys *vault.Keyring, path string, err error) {
	if s := getenv("EYELEVEL_MASTER_KEY"); s != "" {
		raw, err := vault.ParseKeys(s)
		if err != nil {
			return nil, "", fmt.Errorf("EYELEVEL_MASTER_KEY: %w", err)
		}
		keys, err = vault.NewRing(raw...)
		if err != nil {
			return nil, "", fmt.Errorf("EYELEVEL_MASTER_KEY: %w", err)
		}
		return keys, "", nil
	}
	path = c.masterKeyFile
	if path == "" {
		path = filepath.Join(c.data, "master.key")
		if create {
			if err := os.MkdirAll(c.data, 0o700); err != nil {
				return nil, path, err
			}
		}
	}
	keys, err = vault.LoadKeyFile(path, create)
	return keys, path, err
}

func keysStatus(ctx context.Context, c config, getenv func(string) string, db *store.DB, stdout io.Writer) error {
	use, err := db.KeyUse(ctx)
	if err != nil {
		return err
	}
	keys, path, err := loadKeys(c, getenv, false)
	var ids []string
	where := "in EYELEVEL_MASTER_KEY"
	if path != "" {
		where = "in " + path
	}
	if err != nil {
		fmt.Fprintf(stdout, "the master keys cannot be read: %v\n", err)
		where = "in the key file"
	} else {
		ids = keys.IDs()
	}
	all := slices.Clone(ids)
	for id := range use {
		if !slices.Contains(all, id) {
			all = append(all, id)
		}
	}
	slices.Sort(all[len(ids):])
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "KEY ID\t%s\tWRAPPED KEYS\t\n", where)
	missing := 0
	for i, id := range all {
		present, note := "yes", ""
		if i == 0 && len(ids) > 0 {
			note = "newest: wraps new data"
		}
		if !slices.Contains(ids, id) {
			present, note = "NO", "data under it cannot be read"
			missing++
		} else if i > 0 && use[id] == 0 {
			note = "wraps nothing: keys remove-old drops it"
		} else if i > 0 {
			note = "old: keys rotate re-wraps it"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", id, present, use[id], note)
	}
	tw.Flush()
	if missing > 0 {
		return fmt.Errorf("%d master key(s) in use are missing", missing)
	}
	return nil
}

func keysRotate(ctx context.Context, c config, getenv func(string) string, db *store.DB, batch int, stdout io.Writer) error {
	keys, path, err := loadKeys(c, getenv, false)
	if err != nil {
		return fmt.Errorf("rotation needs the current master key: %w", err)
	}
	// The root of derived keys is kept under the current key before a new
	// one exists, so it comes from the key derived keys came from so far.
	if err := service.LoadKeyRoot(ctx, db, keys); err != nil {
		return err
	}
	use, err := db.KeyUse(ctx)
	if err != nil {
		return err
	}
	ids := keys.IDs()
	pending := 0
	for _, id := range ids[1:] {
		pending += use[id]
	}
	switch {
	case pending > 0:
		fmt.Fprintf(stdout, "continuing: %d wrapped keys are still under an older key than %s\n", pending, ids[0])
	case path == "" && len(ids) == 1:
		return errors.New("EYELEVEL_MASTER_KEY holds one key: put a new key first (EYELEVEL_MASTER_KEY=NEW,OLD, e.g. NEW from `openssl rand -base64 32`), give it to serve too, and run keys rotate again")
	case path == "":
		fmt.Fprintf(stdout, "nothing is under an older key than %s (the first in EYELEVEL_MASTER_KEY)\n", ids[0])
	default:
		raw := append([][]byte{vault.NewKey()}, keys.Raw()...)
		if err := vault.WriteKeyFile(path, raw); err != nil {
			return err
		}
		if err := keys.Reload(); err != nil {
			return err
		}
		ids = keys.IDs()
		fmt.Fprintf(stdout, "new master key %s written to %s (the old keys are kept below it)\n", ids[0], path)
	}
	var pause time.Duration
	if s := getenv(keysPauseEnv); s != "" {
		pause, _ = time.ParseDuration(s)
	}
	n, err := service.RewrapKeys(ctx, db, keys, service.RotateOptions{
		Batch:    batch,
		Progress: func(n int) { fmt.Fprintf(stdout, "re-wrapped %d\n", n) },
		Pause: func(ctx context.Context) {
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
		},
	})
	if err != nil {
		return fmt.Errorf("after %d re-wrapped keys: %w (run keys rotate again to continue)", n, err)
	}
	fmt.Fprintf(stdout, "done: %d wrapped keys re-wrapped under %s\n", n, ids[0])
	if use, err = db.KeyUse(ctx); err != nil {
		return err
	}
	for id, k := range use {
		if id != ids[0] {
			fmt.Fprintf(stdout, "still under %s: %d (see keys status)\n", id, k)
		}
	}
	return nil
}

func keysRemoveOld(ctx context.Context, c config, getenv func(string) string, db *store.DB, stdout io.Writer) error {
	keys, path, err := loadKeys(c, getenv, false)
	if err != nil {
		return err
	}
	use, err := db.KeyUse(ctx)
	if err != nil {
		return err
	}
	ids, raw := keys.IDs(), keys.Raw()
	var keep [][]byte
	var dropped, kept []string
	for i, id := range ids {
		if i == 0 || use[id] > 0 {
			keep = append(keep, raw[i])
			if i > 0 {
				kept = append(kept, id)
			}
		} else {
			dropped = append(dropped, id)
		}
	}
	if path == "" {
		if len(dropped) > 0 {
			fmt.Fprintf(stdout, "EYELEVEL_MASTER_KEY: keep only the keys %s and %v; these wrap nothing: %v\n", ids[0], kept, dropped)
		}
		return nil
	}
	if len(dropped) > 0 {
		if err := vault.WriteKeyFile(path, keep); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "removed %d old key(s) from %s: %v\n", len(dropped), path, dropped)
	if len(kept) > 0 {
		fmt.Fprintf(stdout, "kept %v: they still wrap data (run keys rotate)\n", kept)
	}
	return nil
}
