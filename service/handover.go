package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/vault"
)

// MaxHandoverNote is the longest note with a hand-over proposal, in characters.
const MaxHandoverNote = 1000

// HandoverInput is a counselor's proposal of a colleague to a client.
type HandoverInput struct {
	ClientID      eyelevel.UserID
	ToCounselorID eyelevel.UserID
	Note          string // to the client; optional
}

// Handover is a hand-over proposal with its note decrypted.
type Handover struct {
	store.Handover
	Note string
}

func handoverContext(id string, client eyelevel.UserID) string {
	return "handover|" + string(client) + "|" + id
}

// ProposeHandover proposes a colleague (another counselor) to one of the
// acting counselor's clients. The colleague sees the client only once the
// client accepts (AcceptHandover). Anyone but the client's counselor gets
// ENOTFOUND. Errors: EUNAUTHORIZED, ENOTFOUND, EINVALID (no such
// colleague, oneself, note too long), ECONFLICT (already the client's
// counselor, or a proposal of them is open), EUNAVAILABLE (a note and no key).
func (s *Service) ProposeHandover(ctx context.Context, a eyelevel.Actor, in HandoverInput) (Handover, error) {
	in.Note = strings.TrimSpace(in.Note)
	if err := s.requireClientOf(ctx, a, in.ClientID); err != nil {
		return Handover{}, err
	}
	p := problems{}
	p.check(in.ToCounselorID != "" && in.ToCounselorID != a.UserID, "to_counselor_id", "handover.err.colleague")
	p.check(utf8.RuneCountInString(in.Note) <= MaxHandoverNote, "note", "handover.err.note_long")
	if err := p.err(); err != nil {
		return Handover{}, err
	}
	h := store.Handover{ID: eyelevel.NewID(), ClientID: in.ClientID, FromCounselorID: a.UserID, ToCounselorID: in.ToCounselorID,
		Status: store.HandoverProposed, CreatedAt: s.now().UTC()}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Counselor(ctx, in.ToCounselorID); eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			return eyelevel.Invalid(map[string]string{"to_counselor_id": "handover.err.colleague"})
		} else if err != nil {
			return err
		}
		if ok, err := s.db.IsClientOf(ctx, in.ToCounselorID, in.ClientID, s.careSince()); err != nil {
			return err
		} else if ok {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "handover.err.already", "This colleague already counsels this client.")
		}
		if open, err := s.db.OpenHandoverExists(ctx, in.ClientID, in.ToCounselorID); err != nil {
			return err
		} else if open {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "handover.err.open", "This colleague has already been proposed to this client.")
		}
		if in.Note != "" {
			key, err := s.dataKey(ctx, in.ClientID, true)
			if err != nil {
				return err
			}
			if h.SealedNote, err = vault.Seal(key, []byte(in.Note), handoverContext(h.ID, in.ClientID)); err != nil {
				return err
			}
		}
		if err := s.db.CreateHandover(ctx, h); err != nil {
			return err
		}
		if err := s.logAction(ctx, a, in.ClientID, eyelevel.ActionHandoverPropose); err != nil {
			return err
		}
		var err error
		h, err = s.db.HandoverByID(ctx, h.ID)
		return err
	})
	if err != nil {
		return Handover{}, err
	}
	s.log.Info("handover proposed", "handover", h.ID)
	return Handover{Handover: h, Note: in.Note}, nil
}

// Handovers lists a client's proposals (newest first) or, for a
// counselor, those they made and those to them that were accepted;
// client narrows a counselor's list to one client. Errors: EUNAUTHORIZED,
// EFORBIDDEN (neither client nor counselor), ENOTFOUND (organization
// staff), EUNAVAILABLE.
func (s *Service) Handovers(ctx context.Context, a eyelevel.Actor, client eyelevel.UserID) ([]Handover, error) {
	var hs []store.Handover
	var err error
	switch {
	case a.Role == eyelevel.RoleClient:
		hs, err = s.db.ClientHandovers(ctx, a.UserID)
	case a.Role == eyelevel.RoleCounselor:
		hs, err = s.db.CounselorHandovers(ctx, a.UserID, client)
	default:
		return nil, requireRole(a, eyelevel.RoleClient)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Handover, len(hs))
	for i, h := range hs {
		if a.Role == eyelevel.RoleCounselor && h.FromCounselorID != a.UserID {
			out[i] = Handover{Handover: h} // the note was the proposer's words to the client
			continue
		}
		if out[i], err = s.openHandover(ctx, h); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) openHandover(ctx context.Context, h store.Handover) (Handover, error) {
	out := Handover{Handover: h}
	if len(h.SealedNote) == 0 {
		return out, nil
	}
	key, err := s.dataKey(ctx, h.ClientID, false)
	if err != nil {
		return out, err
	}
	text, err := vault.Open(key, h.SealedNote, handoverContext(h.ID, h.ClientID))
	if err != nil {
		return out, s.keyUnavailable(err)
	}
	out.Note = string(text)
	return out, nil
}

// DecideHandover is the client's answer to a proposal: accept makes the
// colleague their counselor (store.IsClientOf) from now on, for the care
// window; they may then book the colleague as anyone may. Only the client
// decides; everyone else gets ENOTFOUND. Errors: EUNAUTHORIZED, ENOTFOUND,
// ECONFLICT (already decided).
func (s *Service) DecideHandover(ctx context.Context, a eyelevel.Actor, id string, accept bool) (Handover, error) {
	if a.Anonymous() {
		return Handover{}, unauthorized()
	} else if a.Role != eyelevel.RoleClient {
		return Handover{}, eyelevel.ErrNotFound()
	}
	status := store.HandoverDeclined
	if accept {
		status = store.HandoverAccepted
	}
	var h store.Handover
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if h, err = s.db.HandoverByID(ctx, id); err != nil {
			return err
		} else if h.ClientID != a.UserID {
			return eyelevel.ErrNotFound()
		}
		now := s.now().UTC()
		if ok, err := s.db.DecideHandover(ctx, id, status, now); err != nil {
			return err
		} else if !ok {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "handover.err.decided", "This proposal has already been answered.")
		}
		h.Status, h.DecidedAt = status, now
		return nil
	})
	if err != nil {
		return Handover{}, err
	}
	s.log.Info("handover decided", "handover", id, "status", status)
	return s.openHandover(ctx, h)
}

// Colleagues lists the counselors other than a, for the hand-over form.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) Colleagues(ctx context.Context, a eyelevel.Actor) ([]eyelevel.Counselor, error) {
	if err := requireCounselor(a); err != nil {
		return nil, err
	}
	cs, err := s.db.Counselors(ctx)
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if c.ID != a.UserID {
			out = append(out, c)
		}
	}
	return out, nil
}
