package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/vault"
)

// rootContext binds the wrapped root secret to its row, as a client's ID
// binds a data key to its owner.
const rootContext = "eyelevel derivation root"

// LoadKeyRoot gives keys the root secret of derived keys kept in the
// database (device tokens, recovery-code hashes, cancel links and the like
// are derived from it, see vault.Keyring.Derive). A database without one
// gets one: the keyring's default root, the master key derived keys came
// from before, so they stay what they were. It fails with
// vault.ErrKeyUnavailable when the root is wrapped under a key the keyring
// lacks.
func LoadKeyRoot(ctx context.Context, db *store.DB, keys *vault.Keyring) error {
	r, err := db.KeyRoot(ctx)
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		id, wrapped := keys.Wrap(keys.DefaultRoot(), rootContext)
		if _, err := db.CreateKeyRoot(ctx, store.KeyRoot{KeyID: id, Wrapped: wrapped}, time.Now().UTC()); err != nil {
			return err
		}
		r, err = db.KeyRoot(ctx) // another process may have been first
	}
	if err != nil {
		return err
	}
	root, err := keys.Unwrap(r.KeyID, r.Wrapped, rootContext)
	if err != nil {
		return fmt.Errorf("the root of derived keys is wrapped under master key %s: %w", r.KeyID, err)
	}
	keys.SetRoot(root)
	return nil
}

// RotateOptions tune RewrapKeys.
type RotateOptions struct {
	Batch    int                       // wrapped keys per transaction (default 200)
	Progress func(rewrapped int)       // called after each batch
	Pause    func(ctx context.Context) // called after each batch (tests slow it down)
}

// RewrapKeys re-wraps every wrapped key under an older master key of keys —
// clients' data keys and the root of derived keys — under the newest one,
// in batches of one transaction each. Each row is replaced only if it is
// still under the key it was read under, so a concurrent writer is never
// overwritten. It can be stopped at any point and run again: rows already
// under the newest key are not touched. It returns how many were
// re-wrapped; keys under a master key the keyring lacks are left alone
// (see KeyUse).
func RewrapKeys(ctx context.Context, db *store.DB, keys *vault.Keyring, opt RotateOptions) (int, error) {
	if opt.Batch <= 0 {
		opt.Batch = 200
	}
	old := keys.IDs()[1:]
	total := 0
	if len(old) == 0 {
		return 0, nil
	}
	err := db.InTx(ctx, func(ctx context.Context) error {
		r, err := db.KeyRoot(ctx)
		if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND || (err == nil && !slices.Contains(old, r.KeyID)) {
			return nil
		} else if err != nil {
			return err
		}
		id, wrapped, err := keys.Rewrap(r.KeyID, r.Wrapped, rootContext)
		if err != nil {
			return fmt.Errorf("re-wrap the root of derived keys: %w", err)
		}
		done, err := db.RewrapKeyRoot(ctx, r.KeyID, store.KeyRoot{KeyID: id, Wrapped: wrapped})
		if done {
			total++
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	for {
		n, found := 0, 0
		err := db.InTx(ctx, func(ctx context.Context) error {
			n = 0
			ks, err := db.ClientKeysUnder(ctx, old, opt.Batch)
			if err != nil {
				return err
			}
			found = len(ks)
			for _, k := range ks {
				id, wrapped, err := keys.Rewrap(k.KeyID, k.Wrapped, string(k.ClientID))
				if err != nil {
					return fmt.Errorf("re-wrap the data key of client %s: %w", k.ClientID, err)
				}
				done, err := db.RewrapClientKey(ctx, k.KeyID, store.ClientKey{ClientID: k.ClientID, KeyID: id, Wrapped: wrapped})
				if err != nil {
					return err
				}
				if done {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		if found == 0 {
			return total, nil
		}
		total += n
		if opt.Progress != nil {
			opt.Progress(total)
		}
		if opt.Pause != nil {
			opt.Pause(ctx)
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
