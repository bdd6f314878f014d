package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// WaitlistWindow is how soon a free time must be for a language to count as
// available: beyond it, clients may join the waitlist.
const WaitlistWindow = 14 * 24 * time.Hour

// Waitlisted is one of a client's waitlist entries.
type Waitlisted struct {
	Language  string
	Gender    eyelevel.Gender
	Since     time.Time
	Available bool // capacity appeared: the client was notified
}

// hasCapacity reports whether some counselor speaking the language (of the
// gender, if given) has a free time within the waitlist window.
func (s *Service) hasCapacity(ctx context.Context, language string, gender eyelevel.Gender) (bool, error) {
	ms, err := s.Search(ctx, eyelevel.Actor{}, SearchInput{Language: language, Gender: gender})
	if err != nil {
		return false, err
	}
	limit := s.now().Add(WaitlistWindow)
	for _, m := range ms {
		// Only counselors who speak the language itself count: a Dari
		// speaker waiting for Dari is not served by a Farsi fallback.
		if m.Fallback == "" && m.NextSlot != nil && m.NextSlot.Start.Before(limit) {
			return true, nil
		}
	}
	return false, nil
}

// JoinWaitlist puts the acting client on the waitlist for a language. It is
// only possible while no counselor in that language has a free time within
// 14 days. Errors: EUNAUTHORIZED, EFORBIDDEN (not a client), EINVALID,
// ECONFLICT (there is capacity: book instead).
func (s *Service) JoinWaitlist(ctx context.Context, a eyelevel.Actor, in SearchInput) error {
	if a.Anonymous() {
		return unauthorized()
	} else if a.Role.OfOrganization() {
		return eyelevel.ErrNotFound()
	} else if a.Role != eyelevel.RoleClient {
		return eyelevel.Errorf(eyelevel.EFORBIDDEN, "waitlist.err.clients_only", "Only clients can join a waitlist.")
	}
	code, ok := CanonicalLanguage(in.Language)
	p := problems{}
	p.check(ok, "language", "search.err.language")
	p.check(in.Gender == "" || in.Gender.Valid(), "gender", "search.err.gender")
	if err := p.err(); err != nil {
		return err
	}
	if free, err := s.hasCapacity(ctx, code, in.Gender); err != nil {
		return err
	} else if free {
		return eyelevel.Errorf(eyelevel.ECONFLICT, "waitlist.err.capacity", "There are free times in this language: please book one.")
	}
	return s.db.AddToWaitlist(ctx, store.WaitlistEntry{ClientID: a.UserID, Language: code, Gender: in.Gender, CreatedAt: s.now().UTC()})
}

// LeaveWaitlist removes the acting client's entry for a language.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Service) LeaveWaitlist(ctx context.Context, a eyelevel.Actor, language string) error {
	if a.Anonymous() {
		return unauthorized()
	} else if a.Role.OfOrganization() {
		return eyelevel.ErrNotFound()
	} else if a.Role != eyelevel.RoleClient {
		return eyelevel.Errorf(eyelevel.EFORBIDDEN, "waitlist.err.clients_only", "Only clients can join a waitlist.")
	}
	code, ok := CanonicalLanguage(language)
	if !ok {
		return invalid(map[string]string{"language": "search.err.language"})
	}
	return s.db.RemoveFromWaitlist(ctx, a.UserID, code)
}

// Waitlist returns the acting client's own entries (others see none).
// Errors: EUNAUTHORIZED.
func (s *Service) Waitlist(ctx context.Context, a eyelevel.Actor) ([]Waitlisted, error) {
	if a.Anonymous() {
		return nil, unauthorized()
	}
	out := []Waitlisted{}
	if a.Role != eyelevel.RoleClient {
		return out, nil
	}
	es, err := s.db.Waitlist(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		out = append(out, Waitlisted{Language: e.Language, Gender: e.Gender, Since: e.CreatedAt, Available: !e.NotifiedAt.IsZero()})
	}
	return out, nil
}

// NotifyWaitlist looks for capacity for every waiting client and marks
// those who can now book as notified; they see it in the app, and by mail
// when they want waitlist mail (see notifyWaiting). It returns
// how many were notified. serve runs it periodically.
func (s *Service) NotifyWaitlist(ctx context.Context) (int, error) {
	es, err := s.db.Waitlist(ctx, "")
	if err != nil {
		return 0, err
	}
	type key struct {
		lang   string
		gender eyelevel.Gender
	}
	capacity := map[key]bool{}
	n := 0
	for _, e := range es {
		k := key{e.Language, e.Gender}
		free, seen := capacity[k]
		if !seen {
			if free, err = s.hasCapacity(ctx, e.Language, e.Gender); err != nil {
				return n, err
			}
			capacity[k] = free
		}
		if !free {
			continue
		}
		if err := s.notifyWaiting(ctx, e); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		s.log.Info("waitlist: clients notified of capacity", "count", n)
	}
	return n, nil
}
