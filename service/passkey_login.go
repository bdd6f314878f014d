package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"eyelevel"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// The passkey path of a page login's second step: the pending login
// (secondfactor_login.go) names the account, so the ceremony is the
// non-discoverable one: the browser is offered that account's passkeys.

// pendingBinding ties a login ceremony to the one pending login it was
// started for.
func pendingBinding(pending string) string {
	sum := sha256.Sum256([]byte("passkey pending|" + pending))
	return hex.EncodeToString(sum[:])
}

// PendingHasPasskey reports whether the account of a pending login has a
// passkey to log in with (and passkeys work here), for the second step's
// page. Errors: EUNAUTHORIZED (the pending login is void).
func (s *Service) PendingHasPasskey(ctx context.Context, pending string) (bool, error) {
	_, u, err := s.openPending(ctx, pending)
	if err != nil {
		return false, err
	}
	if !s.PasskeysAvailable() {
		return false, nil
	}
	return s.hasPasskey(ctx, u.ID)
}

// BeginPasskeyLogin starts the passkey ceremony of a pending login and
// returns the options for navigator.credentials.get as JSON. Errors:
// EUNAUTHORIZED (the pending login is void), ENOTFOUND (no passkey),
// EUNAVAILABLE.
func (s *Service) BeginPasskeyLogin(ctx context.Context, pending string) ([]byte, error) {
	_, u, err := s.openPending(ctx, pending)
	if err != nil {
		return nil, err
	}
	rp, err := s.relyingParty()
	if err != nil {
		return nil, err
	}
	pu, err := s.loadPasskeyUser(ctx, u)
	if err != nil {
		return nil, err
	}
	if len(pu.creds) == 0 {
		return nil, eyelevel.Errorf(eyelevel.ENOTFOUND, "passkey.err.none", "This account has no passkey.")
	}
	assertion, session, err := rp.BeginLogin(pu, webauthn.WithUserVerification(protocol.VerificationDiscouraged))
	if err != nil {
		return nil, err
	}
	if err := s.saveCeremony(ctx, u.ID, passkeyLogin, pendingBinding(pending), session); err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

// FinishPasskeyLogin checks a passkey assertion for the pending login's
// account and, if it holds, starts the session like a right code would.
// Refused (EUNAUTHORIZED): a void pending login; a ceremony not started
// for this pending login, expired or already used (a replay); a passkey of
// another account; a bad signature; a signature counter that did not grow
// (a cloned authenticator).
func (s *Service) FinishPasskeyLogin(ctx context.Context, pending string, response []byte) (SignedIn, error) {
	p, u, err := s.openPending(ctx, pending)
	if err != nil {
		return SignedIn{}, err
	}
	rp, err := s.relyingParty()
	if err != nil {
		return SignedIn{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return SignedIn{}, passkeyFailed()
	}
	// Taken before the check, in its own transaction: a failed try uses
	// the challenge up too.
	session, err := s.takeCeremony(ctx, parsed.Response.CollectedClientData.Challenge, u.ID, passkeyLogin, pendingBinding(pending))
	if err != nil {
		return SignedIn{}, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		pu, err := s.loadPasskeyUser(ctx, u)
		if err != nil {
			return err
		}
		cred, err := rp.ValidateLogin(pu, session, parsed)
		if err != nil {
			s.log.Info("passkey login refused", "user", u.ID, "err", err)
			return passkeyFailed()
		}
		var old uint32
		found := false
		for _, r := range pu.rows {
			if string(r.ID) == string(cred.ID) {
				old, found = r.SignCount, true
			}
		}
		if !found {
			return passkeyFailed()
		}
		if cred.Authenticator.CloneWarning {
			s.log.Warn("passkey signature counter did not grow: a cloned authenticator? login refused", "user", u.ID)
			return eyelevel.Errorf(eyelevel.EUNAUTHORIZED, "passkey.err.cloned", "This passkey may have been copied, so it was refused. Use a code, and remove this passkey.")
		}
		rec, err := json.Marshal(cred)
		if err != nil {
			return err
		}
		ok, err := s.db.UsePasskey(ctx, u.ID, cred.ID, old, cred.Authenticator.SignCount, rec, s.now())
		if err != nil {
			return err
		}
		if !ok { // another login with the same counter won
			return passkeyFailed()
		}
		return nil
	})
	if err != nil {
		return SignedIn{}, err
	}
	return s.completeSecondFactor(ctx, p, u)
}
