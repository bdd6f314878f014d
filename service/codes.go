package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"time"

	"eyelevel"
)

// Access codes are 80 random bits written in an alphabet without the look-
// alikes 0, O, 1 and I, as four groups of four for printing
// ("K7QF-3M9T-XR2P-4HWD"). Only the SHA-256 of the normalized form (upper
// case, no dashes or spaces) is stored: the database never holds a
// printable single-use code.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

var codeEncoding = base32.NewEncoding(codeAlphabet).WithPadding(base32.NoPadding)

// Code issuing and guessing limits. Only failed redemptions count; a
// success is refunded. They guard redeeming codes only: an account that
// hits them can still log in, book and do everything else.
const (
	maxCodesPerRequest = 500
	maxCodeLen         = 64
	codePerAccount     = 10 // failures per account and 15 minutes
	codePerAccountDay  = 50 // failures per account and day
	codePerIP          = 60 // failures per address and 15 minutes: a care point's many clients share one
	codeWindow         = 15 * time.Minute
)

// newCode returns a fresh access code in its printed form.
func newCode() string {
	var b [10]byte
	rand.Read(b[:])
	s := codeEncoding.EncodeToString(b[:])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// NormalizeCode returns the form of a code that is hashed: upper case,
// without dashes and white space.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0' {
			return -1
		}
		return r
	}, strings.ToUpper(code))
}

// HashCode is how a normalized code is stored: hex SHA-256.
func HashCode(normalized string) string {
	h := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(h[:])
}

// IssueCodes issues codes of contract id: count single-use codes, or with
// shared the contract's one shared code (asked again, the same one). Admins and the
// orgadmin of the contract's organization may. Errors: EINVALID (count),
// ENOTFOUND (also for everyone else), EEXPIRED (the contract has ended),
// EUNAUTHORIZED.
func (s *Service) IssueCodes(ctx context.Context, a eyelevel.Actor, id string, count int, shared bool) ([]string, error) {
	k, err := s.managedContract(ctx, a, id)
	if err != nil {
		return nil, err
	}
	p := problems{}
	if shared {
		p.check(count == 0 || count == 1, "count", "code.err.count_shared")
	} else {
		p.check(count >= 1 && count <= maxCodesPerRequest, "count", "code.err.count")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if k.Ended(now) || !k.ClosedAt.IsZero() {
		return nil, eyelevel.Errorf(eyelevel.EEXPIRED, "code.err.issue_expired", "This contract has ended; its codes can no longer be issued.")
	}
	if shared {
		return s.sharedCode(ctx, k.ID, now)
	}
	codes := make([]string, count)
	hashes := make([]string, count)
	for i := range codes {
		codes[i] = newCode()
		hashes[i] = HashCode(NormalizeCode(codes[i]))
	}
	if err := s.db.InsertCodes(ctx, k.ID, hashes, now); err != nil {
		return nil, err
	}
	return codes, nil
}

// sharedCode returns the contract's shared code, creating it the first
// time; of two racing first requests the database keeps one.
func (s *Service) sharedCode(ctx context.Context, contract string, now time.Time) ([]string, error) {
	for range 2 {
		c, err := s.db.SharedCode(ctx, contract)
		if err == nil {
			return []string{c.Code}, nil
		} else if eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
			return nil, err
		}
		code := newCode()
		err = s.db.InsertSharedCode(ctx, contract, HashCode(NormalizeCode(code)), code, now)
		if err == nil {
			return []string{code}, nil
		} else if eyelevel.ErrorCode(err) != eyelevel.ECONFLICT {
			return nil, err
		}
	}
	return nil, eyelevel.Errorf(eyelevel.ECONFLICT, "error.conflict", "That already exists.")
}

// RedeemCode gives client a the allowance of the contract whose code
// they entered, from address addr. The code row is marked in the same
// transaction as the credit is granted, and records no one. Errors:
// EINVALID (code empty or too long), ENOTFOUND (unknown code), ECONFLICT
// (a single-use code already redeemed, a contract the account already
// holds, a shared code whose pool is used up), EEXPIRED (the contract
// has ended or not started), ETOOMANY (too many failed attempts),
// EUNAUTHORIZED, EFORBIDDEN (not a client).
func (s *Service) RedeemCode(ctx context.Context, a eyelevel.Actor, code, addr string) (eyelevel.Credit, error) {
	if a.Anonymous() {
		return eyelevel.Credit{}, unauthorized()
	} else if a.Role != eyelevel.RoleClient {
		return eyelevel.Credit{}, forbidden()
	}
	code = NormalizeCode(code)
	if code == "" || len(code) > maxCodeLen {
		return eyelevel.Credit{}, invalid(map[string]string{"code": "code.err.format"})
	}
	acct, ip := "code:acct:"+string(a.UserID), "code:ip:"+addr
	limits := []Limit{{acct, codePerAccount, codeWindow}, {acct + ":day", codePerAccountDay, loginDay}, {ip, codePerIP, codeWindow}}
	if err := s.reserve(ctx, limits...); err != nil {
		return eyelevel.Credit{}, err
	}
	c, err := s.redeem(ctx, a.UserID, HashCode(code))
	if err == nil || eyelevel.ErrorCode(err) == eyelevel.EINTERNAL || eyelevel.ErrorCode(err) == eyelevel.EUNAVAILABLE {
		s.refund(ctx, acct, acct+":day", ip) // not a guess
	}
	return c, err
}

func (s *Service) redeem(ctx context.Context, client eyelevel.UserID, hash string) (eyelevel.Credit, error) {
	var c eyelevel.Credit
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		code, err := s.db.CodeByHash(ctx, hash)
		if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			return eyelevel.Errorf(eyelevel.ENOTFOUND, "code.err.unknown", "This code is not known. Please check it and try again.")
		} else if err != nil {
			return err
		}
		k, err := s.db.Contract(ctx, code.ContractID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if k.Ended(now) || !k.ClosedAt.IsZero() {
			return eyelevel.Errorf(eyelevel.EEXPIRED, "code.err.expired", "This organization's offer has ended.")
		}
		var won bool
		if code.Shared {
			won, err = s.db.RedeemShared(ctx, hash, sharedLimit(k))
		} else {
			won, err = s.db.RedeemSingle(ctx, hash)
		}
		if err != nil {
			return err
		}
		if !won && code.Shared {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "code.err.pool_used", "All sessions this organization pays for have been used.")
		} else if !won {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "code.err.used", "This code has already been used.")
		}
		if c, err = s.grantContract(ctx, client, k, now); err != nil {
			return err
		}
		// When, for the buyer report; never who.
		return s.db.RecordCodeRedemption(ctx, k.ID, code.Shared, now)
	})
	return c, err
}

// sharedLimit is how many people a contract's shared code admits: as many
// full allowances as the pool pays for (-1: no pool, no limit). Counting
// on the code's own row keeps racing redemptions from passing it.
func sharedLimit(k eyelevel.Contract) int {
	if k.Pool == 0 {
		return -1
	}
	return k.Pool / k.SessionsPerPerson
}
