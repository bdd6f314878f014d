package service

import (
	"context"
	"strings"

	"eyelevel"
	"eyelevel/slots"
)

// CounselorInput creates a counselor: an account and a public profile.
type CounselorInput struct {
	Username       string                   `json:"username"`
	Password       string                   `json:"password"`
	DisplayName    string                   `json:"display_name"`
	Gender         eyelevel.Gender          `json:"gender"`
	Languages      []eyelevel.LanguageSkill `json:"languages"`
	TimeZone       string                   `json:"timezone"`
	Bio            string                   `json:"bio"`
	Qualifications string                   `json:"qualifications"`
	Email          string                   `json:"email,omitempty"`
}

// Valid returns problems per field and canonicalizes language codes and the
// display name in place.
func (in *CounselorInput) Valid() map[string]string {
	p := problems{}
	p.check(validUsername(in.Username), "username", "account.err.username")
	checkPassword(p, in.Password, in.Username, true)
	p.check(validEmail(in.Email), "email", "account.err.email")
	profile := ProfileInput{DisplayName: in.DisplayName, Gender: in.Gender, Languages: in.Languages, TimeZone: in.TimeZone, Bio: in.Bio, Qualifications: in.Qualifications}
	profile.check(p)
	in.DisplayName = profile.DisplayName
	return p
}

// ProfileInput is a counselor's public profile.
type ProfileInput struct {
	DisplayName    string                   `json:"display_name"`
	Gender         eyelevel.Gender          `json:"gender"`
	Languages      []eyelevel.LanguageSkill `json:"languages"`
	TimeZone       string                   `json:"timezone"`
	Bio            string                   `json:"bio"`
	Qualifications string                   `json:"qualifications"`
	// Email, when given, replaces the counselor's address: set by an admin
	// it counts as verified; set by the counselor it is verified by a
	// link first (see UpdateSettings). "" removes it.
	Email *string `json:"email,omitempty"`
	// ReplyDays: working days to answer a message (1–14); 0 keeps the
	// current value (2 for a new counselor).
	ReplyDays int `json:"reply_days,omitzero"`
}

// Valid returns problems per field and canonicalizes language codes in place.
func (in *ProfileInput) Valid() map[string]string {
	p := problems{}
	in.check(p)
	return p
}

// check is the one rule for profiles, from pages and the API alike. The
// display name is trimmed in place, so a blank one counts as missing.
func (in *ProfileInput) check(p problems) {
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	p.check(validText(in.DisplayName, 80) && in.DisplayName != "", "display_name", "counselor.err.display_name")
	p.check(!hiddenChars(in.DisplayName, false), "display_name", "counselor.err.hidden_chars")
	p.check(in.Gender.Valid(), "gender", "counselor.err.gender")
	_, ok := LoadZone(in.TimeZone)
	p.check(ok, "timezone", "account.err.timezone")
	p.check(validText(in.Bio, 2000), "bio", "counselor.err.bio")
	p.check(validText(in.Qualifications, 2000), "qualifications", "counselor.err.qualifications")
	p.check(!hiddenChars(in.Bio, true), "bio", "counselor.err.hidden_chars")
	p.check(!hiddenChars(in.Qualifications, true), "qualifications", "counselor.err.hidden_chars")
	if in.Email != nil {
		p.check(validEmail(*in.Email), "email", "account.err.email")
	}
	p.check(len(in.Languages) >= 1 && len(in.Languages) <= 20, "languages", "counselor.err.languages")
	p.check(in.ReplyDays >= 0 && in.ReplyDays <= MaxReplyDays, "reply_days", "reply_time.err.days")
	seen := map[string]bool{}
	for i := range in.Languages {
		code, ok := CanonicalLanguage(in.Languages[i].Code)
		p.check(ok && !seen[code], "languages", "counselor.err.language_code")
		in.Languages[i].Code = code
		seen[code] = true
	}
}

// CreateCounselor creates a counselor account with its profile. Only admins
// may. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ECONFLICT (username taken).
func (s *Service) CreateCounselor(ctx context.Context, a eyelevel.Actor, in CounselorInput) (eyelevel.Counselor, error) {
	if a.Anonymous() {
		return eyelevel.Counselor{}, unauthorized()
	} else if a.Role != eyelevel.RoleAdmin {
		return eyelevel.Counselor{}, forbidden()
	}
	p := problems(in.Valid())
	s.checkDemoPassword(p, in.Password)
	if err := p.err(); err != nil {
		return eyelevel.Counselor{}, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return eyelevel.Counselor{}, err
	}
	u := eyelevel.User{
		ID: eyelevel.UserID(eyelevel.NewID()), Username: in.Username, Role: eyelevel.RoleCounselor,
		PasswordHash: hash, Email: in.Email, EmailVerified: in.Email != "", // an admin's entry counts as verified
		Language: "de", TimeZone: in.TimeZone, CreatedAt: s.now().UTC(),
	}
	c := eyelevel.Counselor{
		ID: u.ID, Username: u.Username, DisplayName: in.DisplayName, Gender: in.Gender, Languages: in.Languages,
		TimeZone: in.TimeZone, Bio: in.Bio, Qualifications: in.Qualifications, ReplyDays: DefaultReplyDays,
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.createUser(ctx, u); err != nil {
			return err
		}
		if err := s.db.CreateCounselor(ctx, c); err != nil {
			return err
		}
		return s.logAction(ctx, a, u.ID, eyelevel.ActionCounselorCreate)
	})
	if err != nil {
		return eyelevel.Counselor{}, err
	}
	s.log.Info("counselor created", "user", u.ID, "by", a.UserID)
	return c, nil
}

// EditableCounselor returns a counselor's profile for editing, to the
// counselor themself or an admin. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) EditableCounselor(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID) (eyelevel.Counselor, error) {
	if a.Anonymous() {
		return eyelevel.Counselor{}, unauthorized()
	} else if !mayManage(a, id) {
		return eyelevel.Counselor{}, forbidden()
	}
	return s.db.Counselor(ctx, id)
}

// UpdateCounselor replaces a counselor's public profile; the counselor or
// an admin may. A new time zone also becomes the account's, and the weekly
// windows keep their clock times in it. Existing bookings stay.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EINVALID.
func (s *Service) UpdateCounselor(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID, in ProfileInput) (eyelevel.Counselor, error) {
	if a.Anonymous() {
		return eyelevel.Counselor{}, unauthorized()
	} else if !mayManage(a, id) {
		return eyelevel.Counselor{}, forbidden()
	}
	if err := problems(in.Valid()).err(); err != nil {
		return eyelevel.Counselor{}, err
	}
	var c eyelevel.Counselor
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if c, err = s.db.Counselor(ctx, id); err != nil {
			return err
		}
		c.DisplayName, c.Gender, c.Languages, c.TimeZone = in.DisplayName, in.Gender, in.Languages, in.TimeZone
		c.Bio, c.Qualifications = in.Bio, in.Qualifications
		if in.ReplyDays > 0 {
			c.ReplyDays = in.ReplyDays
		}
		if err := s.db.UpdateCounselor(ctx, c); err != nil {
			return err
		}
		if err := s.setCounselorEmail(ctx, a, id, in.Email); err != nil {
			return err
		}
		return s.logStaff(ctx, a, id, eyelevel.ActionCounselorUpdate)
	})
	if err != nil {
		return eyelevel.Counselor{}, err
	}
	s.log.Info("counselor profile changed", "user", id, "by", a.UserID)
	return c, nil
}

// Counselor returns a counselor's public profile. Profiles are public so
// that people can look before they register; a deleted counselor's is
// gone. Errors: ENOTFOUND.
func (s *Service) Counselor(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID) (eyelevel.Counselor, error) {
	if gone, err := s.db.Deleted(ctx, id); err != nil || gone {
		return eyelevel.Counselor{}, cmpErr(err, eyelevel.ErrNotFound())
	}
	return s.db.Counselor(ctx, id)
}

// Counselors lists every counselor; admins only. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) Counselors(ctx context.Context, a eyelevel.Actor) ([]eyelevel.Counselor, error) {
	if a.Anonymous() {
		return nil, unauthorized()
	} else if a.Role != eyelevel.RoleAdmin {
		return nil, forbidden()
	}
	return s.db.Counselors(ctx)
}

// mayManage reports whether a may change counselor id's schedule: the
// counselor themself or an admin.
func mayManage(a eyelevel.Actor, id eyelevel.UserID) bool {
	return a.Role == eyelevel.RoleAdmin || (a.Role == eyelevel.RoleCounselor && a.UserID == id)
}

// Availability returns a counselor's schedule to that counselor or an admin.
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) Availability(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID) (eyelevel.Availability, error) {
	if a.Anonymous() {
		return eyelevel.Availability{}, unauthorized()
	} else if !mayManage(a, id) {
		return eyelevel.Availability{}, forbidden()
	}
	if _, err := s.db.Counselor(ctx, id); err != nil {
		return eyelevel.Availability{}, err
	}
	return s.db.Availability(ctx, id)
}

// SetAvailability replaces a counselor's schedule; the counselor or an admin
// may. Existing bookings stay. Errors: EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN
// (a client or another counselor), EINVALID.
func (s *Service) SetAvailability(ctx context.Context, a eyelevel.Actor, id eyelevel.UserID, av eyelevel.Availability) error {
	if a.Anonymous() {
		return unauthorized()
	}
	if !mayManage(a, id) {
		return forbidden()
	}
	if p := slots.Validate(av, s.cfg.Rules); len(p) > 0 {
		return invalid(p)
	}
	if _, err := s.db.Counselor(ctx, id); err != nil {
		return err
	}
	if a.UserID == id {
		return s.db.SetAvailability(ctx, id, av)
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.SetAvailability(ctx, id, av); err != nil {
			return err
		}
		return s.logStaff(ctx, a, id, eyelevel.ActionAvailabilitySet)
	})
}
