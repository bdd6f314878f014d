package service

import (
	"context"
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
func (s *Service) Rate(ctx context.Context, a eyelevel.Actor, id eyelevel.AppointmentID, in RatingInput) (store.Rating, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return store.Rating{}, err
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
		return store.Rating{}, err
	}
	now := s.now().UTC()
	var r store.Rating
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		ap, err := s.db.Appointment(ctx, id)
		if err != nil {
			return err
		} else if ap.ClientID != a.UserID || ap.Status != eyelevel.StatusBooked {
			return eyelevel.ErrNotFound()
		} else if now.Before(ap.Start) {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "rating.err.not_yet", "You can rate this session once it has taken place.")
		}
		r = store.Rating{AppointmentID: id, CounselorID: ap.CounselorID, ClientID: a.UserID, Stars: in.Stars, Comment: in.Comment, CreatedAt: now}
		if err := s.db.CreateRating(ctx, r); eyelevel.ErrorCode(err) == eyelevel.ECONFLICT {
			return eyelevel.Errorf(eyelevel.ECONFLICT, "rating.err.done", "You have rated this session already.")
		} else if err != nil {
			return err
		}
		return nil
	})
	return r, err
}

// RatingSummary is a counselor's aggregated ratings. Mean and Comments are
// empty until MinGroup ratings exist, so no single rating can be read off.
type RatingSummary struct {
	store.RatingSummary
	Suppressed bool
	Mean       float64
	Comments   []string
}

// CounselorRatings returns one counselor's aggregated ratings to that
// counselor or an admin. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) CounselorRatings(ctx context.Context, a eyelevel.Actor, counselor eyelevel.UserID) (RatingSummary, error) {
	if a.Anonymous() {
		return RatingSummary{}, unauthorized()
	} else if a.Role != eyelevel.RoleAdmin && !(a.Role == eyelevel.RoleCounselor && a.UserID == counselor) {
		return RatingSummary{}, forbidden()
	}
	c, err := s.db.Counselor(ctx, counselor)
	if err != nil {
		return RatingSummary{}, err
	}
	all, err := s.db.RatingSummaries(ctx, counselor)
	if err != nil {
		return RatingSummary{}, err
	}
	out := RatingSummary{RatingSummary: store.RatingSummary{CounselorID: counselor, DisplayName: c.DisplayName}}
	if len(all) > 0 {
		out = summarize(all[0])
	} else {
		out.Suppressed = true
	}
	if !out.Suppressed {
		if out.Comments, err = s.db.RatingComments(ctx, counselor); err != nil {
			return RatingSummary{}, err
		}
	}
	return out, nil
}

// AllRatings returns every counselor's aggregated ratings, for admins.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) AllRatings(ctx context.Context, a eyelevel.Actor) ([]RatingSummary, error) {
	if err := requireRole(a, eyelevel.RoleAdmin); err != nil {
		return nil, err
	}
	all, err := s.db.RatingSummaries(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]RatingSummary, len(all))
	for i, r := range all {
		out[i] = summarize(r)
	}
	return out, nil
}

func summarize(r store.RatingSummary) RatingSummary {
	out := RatingSummary{RatingSummary: r, Suppressed: r.Count < MinGroup}
	if out.Suppressed {
		out.Distribution, out.Sum = [6]int{}, 0
	} else {
		out.Mean = round1(float64(r.Sum) / float64(r.Count))
	}
	return out
}
