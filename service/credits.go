package service

import (
	"context"

	"eyelevel"
)

// Balance is what a client can book with: Total sessions now (each
// credit capped by what is left in its pool), and the credits that have
// not expired, in the order booking draws them.
type Balance struct {
	Total   int
	Credits []eyelevel.Credit
}

// Credits returns the client's balance (GET /api/v1/me/credits). Each
// credit's worth is eyelevel.Credit.Usable. Errors: EUNAUTHORIZED,
// EFORBIDDEN (not a client).
func (s *Service) Credits(ctx context.Context, a eyelevel.Actor) (Balance, error) {
	if a.Anonymous() {
		return Balance{}, unauthorized()
	} else if a.Role != eyelevel.RoleClient {
		return Balance{}, forbidden()
	}
	now := s.now()
	cs, err := s.db.ClientCredits(ctx, a.UserID, now)
	if err != nil {
		return Balance{}, err
	}
	b := Balance{Credits: []eyelevel.Credit{}}
	for _, c := range cs {
		if !now.Before(c.Expires()) {
			continue
		}
		b.Total += c.Usable(now)
		b.Credits = append(b.Credits, c)
	}
	return b, nil
}
