package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"eyelevel"
)

// Email addresses at rest: sealed with the user's own data key (a
// client_keys row serves any user id), so that key rotation re-wraps them
// with everything else and deleting the user's key leaves nothing to open;
// found by an HMAC-SHA256 of the lower-cased address under a key derived
// from the master key ("email lookup", stable across rotation), which
// answers "who has this address" without storing it.

const emailLookupPurpose = "email lookup"

func emailContext(user eyelevel.UserID) string { return "email|" + string(user) }

// emailHash is the lookup hash of addr; "" without a master key.
func (s *Service) emailHash(addr string) string {
	if s.cfg.Keys == nil {
		return ""
	}
	m := hmac.New(sha256.New, s.cfg.Keys.Derive(emailLookupPurpose))
	m.Write([]byte(strings.ToLower(strings.TrimSpace(addr))))
	return hex.EncodeToString(m.Sum(nil))
}

// sealEmail returns addr sealed with user's data key and its lookup hash;
// nil and "" for no address. EUNAVAILABLE without a master key.
func (s *Service) sealEmail(ctx context.Context, user eyelevel.UserID, addr string) ([]byte, string, error) {
	if addr == "" {
		return nil, "", nil
	}
	sealed, err := s.keys().seal(ctx, user, []byte(addr), emailContext(user))
	if err != nil {
		return nil, "", err
	}
	return sealed, s.emailHash(addr), nil
}

// openEmail fills u.Email from its sealed address.
func (s *Service) openEmail(ctx context.Context, u *eyelevel.User) error {
	if u.Email != "" || len(u.EmailSealed) == 0 {
		return nil
	}
	b, err := s.keys().open(ctx, u.ID, u.EmailSealed, emailContext(u.ID))
	if err != nil {
		return err
	}
	u.Email = string(b)
	return nil
}

// openSealedEmail opens an address sealed for user (a pending one).
func (s *Service) openSealedEmail(ctx context.Context, user eyelevel.UserID, plain string, sealed []byte) (string, error) {
	if plain != "" || len(sealed) == 0 {
		return plain, nil
	}
	b, err := s.keys().open(ctx, user, sealed, emailContext(user))
	return string(b), err
}

// setEmail stores user's address (sealed; "" for none) and whether it is
// verified.
func (s *Service) setEmail(ctx context.Context, user eyelevel.UserID, addr string, verified bool) error {
	sealed, hash, err := s.sealEmail(ctx, user, addr)
	if err != nil {
		return err
	}
	return s.db.SetEmail(ctx, user, sealed, hash, verified)
}

// createUser inserts u with its address sealed, in the transaction ctx
// carries (the data key needs the user's row first). The address must not
// be stored without a master key: EUNAVAILABLE then.
func (s *Service) createUser(ctx context.Context, u eyelevel.User) error {
	addr, verified := u.Email, u.EmailVerified
	u.Email, u.EmailVerified = "", false
	if err := s.db.CreateUser(ctx, u); err != nil || addr == "" {
		return err
	}
	return s.setEmail(ctx, u.ID, addr, verified)
}

// outboxPurpose derives the key that seals the outbox's recipients.
const outboxPurpose = "outbox address"
