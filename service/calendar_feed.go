package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/ical"
)

// A counselor's calendar feed: a secret URL {public-url}/calendar/{token}.ics
// that their phone's calendar subscribes to, with their upcoming sessions
// under the clients' pseudonyms and neutral titles. Only the token's hash
// is stored; a new URL revokes the old one.

// feedLimit bounds a feed: more sessions than a counselor holds in the
// booking horizon.
const feedLimit = 1000

func feedCounselor(a eyelevel.Actor) error {
	switch {
	case a.Anonymous():
		return unauthorized()
	case a.Role != eyelevel.RoleCounselor:
		return eyelevel.Errorf(eyelevel.EFORBIDDEN, "calendar_feed.err.counselors_only", "Only counselors have a calendar feed.")
	}
	return nil
}

// NewCalendarFeed gives the acting counselor a new feed URL and revokes
// the one before. Errors: EUNAUTHORIZED, EFORBIDDEN (not a counselor).
func (s *Service) NewCalendarFeed(ctx context.Context, a eyelevel.Actor) (string, error) {
	if err := feedCounselor(a); err != nil {
		return "", err
	}
	token := newToken()
	if err := s.db.SetCalendarFeed(ctx, a.UserID, hashToken(token), s.now().UTC()); err != nil {
		return "", err
	}
	s.log.Info("calendar feed renewed", "counselor", a.UserID)
	return s.FeedURL(token), nil
}

// FeedURL is the address of the feed with token.
func (s *Service) FeedURL(token string) string { return s.Link("/calendar/" + token + ".ics") }

// CalendarFeedSince reports when the acting counselor's feed URL was made
// (zero: they have none). Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) CalendarFeedSince(ctx context.Context, a eyelevel.Actor) (time.Time, error) {
	if err := feedCounselor(a); err != nil {
		return time.Time{}, err
	}
	_, at, err := s.db.HasCalendarFeed(ctx, a.UserID)
	return at, err
}

// CalendarFeed returns the calendar (METHOD:PUBLISH) of the feed token:
// its counselor's sessions that have not ended, titled in the counselor's
// language with the client's pseudonym, the room as URL. No login: the
// token is the authority. Errors: ENOTFOUND (no such feed, also a revoked
// one).
func (s *Service) CalendarFeed(ctx context.Context, token string) (string, error) {
	if token == "" || len(token) > 100 {
		return "", eyelevel.ErrNotFound()
	}
	id, err := s.db.CalendarFeedOwner(ctx, hashToken(token))
	if err != nil {
		return "", err
	}
	u, err := s.db.UserByID(ctx, id)
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	es, err := s.db.CalendarFeed(ctx, id, now, feedLimit)
	if err != nil {
		return "", err
	}
	cat := s.catalog()
	c := ical.Calendar{Method: ical.Publish, Name: cat.T(u.Language, "calendar_feed.name"), Stamp: now}
	for _, e := range es {
		c.Events = append(c.Events, ical.Event{UID: s.apptUID(e.ID), Sequence: e.Sequence, Start: e.Start, End: e.End,
			Summary: cat.T(u.Language, "calendar_feed.summary", "client", e.ClientUsername), URL: s.Link(roomPath(e.ID))})
	}
	return c.String(), nil
}
