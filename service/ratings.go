package service

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"eyelevel"
	"eyelevel/store"
)

// MinGroup is the smallest group whose aggregate eyelevel shows (k-anonymity):
// anything computed from fewer people is suppressed.
const MinGroup = 5

// ratingWindow is how long after a session ends the client is asked to rate it.
const ratingWindow = 14 * 24 * time.Hour

// UnratedSessions returns the acting client's sessions that ended in the
// last 14 days and were neither rated nor declined: each is asked once.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) UnratedSessions(ctx context.Context, a eyelevel.Actor) ([]eyelevel.Appointment, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	return s.db.UnratedSessions(ctx, a.UserID, now.Add(-ratingWindow), now)
}

// RatingInput rates a session 1–5 with an optional comment, or declines.
type RatingInput struct {
	Stars   int    `json:"stars"`
	Comment string `json:"comment"`
	Decline bool   `json:"decline"`
}

// MaxComment is the longest rating comment, in characters.
const MaxComment = 1000

// Rate records the acting client's rating of one of their sessions, once,
// after it has started. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND (not
// their session, or cancelled), EINVALID, ECONFLICT (rated already, or the
// session has not started).
func (s *Service) Rate(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID, in RatingInput) (eyelevel.Rating, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return eyelevel.Rating{}, err
	}
	p := problems{}
	if in.Decline {
		in.Stars, in.Comment = 0, ""
	} else {
		p.check(in.Stars >= 1 && in.Stars <= 5, "stars", "rating.err.stars")
	}
	in.Comment = strings.TrimSpace(in.Comment)
	p.check(utf8.ValidString(in.Comment) && utf8.RuneCountInString(in.Comment) <= MaxComment, "comment", "rating.err.comment")
	if err := p.err(); err != nil {
		return eyelevel.Rating{}, err
	}
	now := s.now().UTC()
	var r eyelevel.Rating
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		ap, err := s.db.Appointment(ctx, id)
		if err != nil {
			return err
		} else if ap.ClientID != a.UserID || ap.Status != eyelevel.StatusBooked {
			return eyelevel.ErrNotFound()
		} else if now.Before(ap.Start) {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "rating.err.not_yet", "You can rate this session once it has taken place.")
		}
		r = eyelevel.Rating{AppointmentID: id, CounselorID: ap.CounselorID, ClientID: a.UserID, Stars: in.Stars, Comment: in.Comment, CreatedAt: now}
		sealed := r
		if err := s.keys().sealComment(ctx, &sealed); err != nil {
			return err
		}
		if err := s.db.CreateRating(ctx, sealed); eyelevel.ErrorCode(err) == eyelevel.ECONFLICT {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "rating.err.done", "You have rated this session already.")
		} else if err != nil {
			return err
		}
		return nil
	})
	return r, err
}

// RatingSummary is a counselor's aggregated ratings. Ratings count by
// calendar quarter, and only once the quarter is over and at least MinGroup
// different clients rated in it, so that a counselor cannot read one
// client's rating off the change after a session. Suppressed means no
// quarter qualifies yet; then nothing else is filled in.
type RatingSummary struct {
	CounselorID  eyelevel.UserID
	DisplayName  string
	Suppressed   bool
	Count        int // ratings in the quarters counted
	Raters       int // different clients among them (per quarter, summed)
	Mean         float64
	Distribution [6]int // index = stars, 1–5
	Comments     []string
}

// CounselorRatings returns one counselor's aggregated ratings, with the
// comments, to that counselor. Admins get the figures without comments:
// those are the clients' words, meant for their counselor.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) CounselorRatings(ctx context.Context, a eyelevel.Actor, counselor eyelevel.UserID) (RatingSummary, error) {
	if a.Anonymous() {
		return RatingSummary{}, unauthorized()
	} else if a.Role.OfOrganization() {
		return RatingSummary{}, eyelevel.ErrNotFound()
	} else if a.Role != eyelevel.RoleAdmin && !(a.Role == eyelevel.RoleCounselor && a.UserID == counselor) {
		return RatingSummary{}, forbidden()
	}
	c, err := s.db.Counselor(ctx, counselor)
	if err != nil {
		return RatingSummary{}, err
	}
	rows, err := s.db.RatingRows(ctx, counselor, quarterStart(s.now().UTC()))
	if err != nil {
		return RatingSummary{}, err
	}
	if a.Role == eyelevel.RoleCounselor { // only they read the comments
		ks := s.keys()
		for i, r := range rows {
			if rows[i].Comment, err = ks.openComment(ctx, eyelevel.Rating{AppointmentID: r.AppointmentID, ClientID: r.ClientID, Comment: r.Comment, CommentSealed: r.CommentSealed}); err != nil {
				return RatingSummary{}, err
			}
		}
	}
	out := summarize(counselor, c.DisplayName, rows)
	if a.Role != eyelevel.RoleCounselor {
		out.Comments = nil
	}
	return out, nil
}

// AllRatings returns every counselor's aggregated ratings, without
// comments, by display name, for admins; counselors without any counted
// ratings are listed as suppressed. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) AllRatings(ctx context.Context, a eyelevel.Actor) ([]RatingSummary, error) {
	if err := requireRole(a, eyelevel.RoleAdmin); err != nil {
		return nil, err
	}
	cs, err := s.db.Counselors(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.RatingRows(ctx, "", quarterStart(s.now().UTC()))
	if err != nil {
		return nil, err
	}
	byCounselor := map[eyelevel.UserID][]store.RatingRow{}
	for _, r := range rows {
		byCounselor[r.CounselorID] = append(byCounselor[r.CounselorID], r)
	}
	out := make([]RatingSummary, 0, len(cs))
	for _, c := range cs {
		sum := summarize(c.ID, c.DisplayName, byCounselor[c.ID])
		sum.Comments = nil
		out = append(out, sum)
	}
	return out, nil
}

// summarize aggregates one counselor's ratings (from closed quarters) over
// the quarters in which at least MinGroup different clients rated.
func summarize(id eyelevel.UserID, name string, rows []store.RatingRow) RatingSummary {
	out := RatingSummary{CounselorID: id, DisplayName: name}
	type quarter struct {
		clients map[eyelevel.UserID]bool
		ratings []store.RatingRow
	}
	quarters := map[time.Time]*quarter{}
	for _, r := range rows {
		k := quarterStart(r.CreatedAt)
		q := quarters[k]
		if q == nil {
			q = &quarter{clients: map[eyelevel.UserID]bool{}}
			quarters[k] = q
		}
		q.clients[r.ClientID] = true
		q.ratings = append(q.ratings, r)
	}
	sum := 0
	for _, q := range quarters {
		if len(q.clients) < MinGroup {
			continue
		}
		out.Raters += len(q.clients)
		for _, r := range q.ratings {
			out.Count++
			sum += r.Stars
			out.Distribution[r.Stars]++
			if r.Comment != "" {
				out.Comments = append(out.Comments, r.Comment)
			}
		}
	}
	if out.Count == 0 {
		return RatingSummary{CounselorID: id, DisplayName: name, Suppressed: true}
	}
	out.Mean = round1(float64(sum) / float64(out.Count))
	slices.Sort(out.Comments) // their order tells nothing about when or by whom
	return out
}
