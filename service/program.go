package service

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/program"
	"eyelevel/store"
	"eyelevel/vault"
)

// MaxReflection is the longest reflection a client may write, in characters.
const MaxReflection = 20000

// ReflectionView is a program step with the client's decrypted reflection.
type ReflectionView struct {
	Step   program.Step
	Text   string
	Done   bool
	Shared bool
	eyelevel.Reflection
}

// Program returns the seven steps in the actor's language with the acting
// client's progress (done, shared) — without decrypting any text.
// Errors: EUNAUTHORIZED, EFORBIDDEN (not a client).
func (s *Service) Program(ctx context.Context, a eyelevel.Actor) ([]ReflectionView, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return nil, err
	}
	rs, err := s.db.Reflections(ctx, a.UserID, false)
	if err != nil {
		return nil, err
	}
	out := make([]ReflectionView, 0, program.Steps)
	for _, st := range s.cfg.Program.Steps(a.Language) {
		v := ReflectionView{Step: st}
		for _, r := range rs {
			if r.Step == st.Number {
				v.Reflection, v.Done, v.Shared = r, r.Done, !r.SharedAt.IsZero()
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// ProgramStep returns one step with the acting client's own reflection.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (no such step), EUNAVAILABLE
// (the reflection cannot be decrypted: the master key is missing).
func (s *Service) ProgramStep(ctx context.Context, a eyelevel.Actor, n int) (ReflectionView, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return ReflectionView{}, err
	}
	if _, ok := s.cfg.Program.Step(a.Language, n); !ok {
		return ReflectionView{}, eyelevel.ErrNotFound()
	}
	all, err := s.reflections(ctx, a.UserID, a.Language, false)
	if err != nil {
		return ReflectionView{}, err
	}
	for _, v := range all {
		if v.Step.Number == n {
			return v, nil
		}
	}
	st, _ := s.cfg.Program.Step(a.Language, n)
	return ReflectionView{Step: st}, nil
}

// ReflectionInput is what a client writes on a step.
type ReflectionInput struct {
	Text   string `json:"text"`
	Done   bool   `json:"done"`
	Shared bool   `json:"shared"`
}

// SaveReflection encrypts and stores the acting client's reflection on step
// n, replacing the previous one. Shared lets the client's counselors read it.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID (too long, not
// UTF-8), EUNAVAILABLE (no master key, or not the one that wrapped the
// client's key).
func (s *Service) SaveReflection(ctx context.Context, a eyelevel.Actor, n int, in ReflectionInput) (ReflectionView, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return ReflectionView{}, err
	}
	st, ok := s.cfg.Program.Step(a.Language, n)
	if !ok {
		return ReflectionView{}, eyelevel.ErrNotFound()
	}
	p := problems{}
	p.check(utf8.ValidString(in.Text) && !strings.ContainsRune(in.Text, 0), "text", "program.err.text")
	p.check(utf8.RuneCountInString(in.Text) <= MaxReflection, "text", "program.err.too_long")
	if err := p.err(); err != nil {
		return ReflectionView{}, err
	}
	now := s.now().UTC()
	r := eyelevel.Reflection{ClientID: a.UserID, Step: n, Done: in.Done, UpdatedAt: now}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		key, err := s.dataKey(ctx, a.UserID, true)
		if err != nil {
			return err
		}
		if r.Sealed, err = vault.Seal(key, []byte(in.Text), sealContext(a.UserID, n)); err != nil {
			return err
		}
		if in.Shared {
			r.SharedAt = now
			old, err := s.db.Reflections(ctx, a.UserID, true)
			if err != nil {
				return err
			}
			for _, o := range old {
				if o.Step == n {
					r.SharedAt = o.SharedAt // shared since then
				}
			}
		}
		return s.db.PutReflection(ctx, r)
	})
	if err != nil {
		return ReflectionView{}, err
	}
	return ReflectionView{Step: st, Text: in.Text, Done: in.Done, Shared: in.Shared, Reflection: r}, nil
}

// reflections decrypts a client's reflections (only the shared ones when
// sharedOnly), with their steps in lang.
func (s *Service) reflections(ctx context.Context, client eyelevel.UserID, lang string, sharedOnly bool) ([]ReflectionView, error) {
	rs, err := s.db.Reflections(ctx, client, sharedOnly)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	key, err := s.dataKey(ctx, client, false)
	if err != nil {
		return nil, err
	}
	out := make([]ReflectionView, 0, len(rs))
	for _, r := range rs {
		st, ok := s.cfg.Program.Step(lang, r.Step)
		if !ok {
			continue
		}
		text, err := vault.Open(key, r.Sealed, sealContext(client, r.Step))
		if err != nil {
			return nil, s.keyUnavailable(err)
		}
		out = append(out, ReflectionView{Step: st, Text: string(text), Done: r.Done, Shared: !r.SharedAt.IsZero(), Reflection: r})
	}
	return out, nil
}

// dataKey returns the client's data key, creating it when create is set
// and the client has none yet.
func (s *Service) dataKey(ctx context.Context, client eyelevel.UserID, create bool) ([]byte, error) {
	if s.cfg.Keys == nil {
		return nil, s.keyUnavailable(errors.New("no master key configured"))
	}
	k, err := s.db.ClientKey(ctx, client)
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND && create {
		key, keyID, wrapped, err := s.cfg.Keys.NewDataKeyID(string(client))
		if err != nil {
			return nil, err
		}
		err = s.db.CreateClientKey(ctx, store.ClientKey{ClientID: client, KeyID: keyID, Wrapped: wrapped}, s.now().UTC())
		return key, err
	} else if err != nil {
		return nil, err
	}
	key, err := s.cfg.Keys.Unwrap(k.KeyID, k.Wrapped, string(client))
	if err != nil {
		return nil, s.keyUnavailable(err)
	}
	return key, nil
}

// keyUnavailable logs why encrypted data cannot be read (never what) and
// returns the error users see.
func (s *Service) keyUnavailable(err error) error {
	s.log.Error("encrypted data unavailable: the master key is missing or not the one it was sealed with", "err", err)
	return eyelevel.Errorf(eyelevel.EUNAVAILABLE, "error.key_unavailable",
		"Your notes cannot be opened right now because the server's encryption key is missing. Nothing was lost or changed; please tell the service's operator.")
}

func sealContext(client eyelevel.UserID, step int) string {
	return "reflection|" + string(client) + "|" + string(rune('0'+step))
}
