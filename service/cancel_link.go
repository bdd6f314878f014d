package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"eyelevel"
)

// The one-click cancel link in every confirmation and reminder to a
// client: {public-url}/cancel/{token}, token = appointment id, calendar
// SEQUENCE, expiry (the start) and an HMAC over them. It is single-use
// without any state of its own: cancelling (or moving) the appointment
// raises its SEQUENCE, and a token is good only for the SEQUENCE it was
// made for. Opening it changes nothing (mail scanners follow links);
// only confirming with a POST cancels.

const cancelLinkPurpose = "eyelevel cancel link v1"

func (s *Service) cancelKey() []byte {
	if s.cfg.Keys != nil {
		return s.cfg.Keys.Derive(cancelLinkPurpose)
	}
	m := hmac.New(sha256.New, s.deviceKey)
	m.Write([]byte(cancelLinkPurpose))
	return m.Sum(nil)
}

func (s *Service) cancelMAC(body string) string {
	m := hmac.New(sha256.New, s.cancelKey())
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// cancelToken is the cancel link's token for appt at SEQUENCE seq.
func (s *Service) cancelToken(appt eyelevel.Appointment, seq int) string {
	body := string(appt.ID) + "." + strconv.Itoa(seq) + "." + strconv.FormatInt(appt.Start.Unix(), 10)
	return body + "." + s.cancelMAC(body)
}

// CancelLink is what a cancel link's page shows.
type CancelLink struct {
	Appointment eyelevel.Appointment
	Client      eyelevel.Actor // who the link cancels as
	// Late: cancelling now is a late cancellation; LateCosts: it uses
	// the session.
	Late, LateCosts bool
	By              time.Time // the last moment to cancel without it being late
	NoticeHours     int
}

func linkInvalid() error {
	return eyelevel.Errorf(eyelevel.ENOTFOUND, "cancel_link.err.invalid", "This cancel link is not valid.")
}

func linkUsed() error {
	return eyelevel.Errorf(eyelevel.ECONFLICT, "cancel_link.err.used", "This session was already cancelled or moved; the link no longer works.")
}

func linkExpired() error {
	return eyelevel.Errorf(eyelevel.ECONFLICT, "cancel_link.err.expired", "This session has already started; the link no longer works.")
}

// openCancelLink checks token and returns its appointment, the SEQUENCE
// it was made for and the client as the actor it cancels as.
// Errors: ENOTFOUND (forged, malformed, no such appointment), ECONFLICT
// (used, moved, expired).
func (s *Service) openCancelLink(ctx context.Context, token string) (eyelevel.Appointment, int, eyelevel.Actor, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 4 || len(token) > 200 {
		return eyelevel.Appointment{}, 0, eyelevel.Actor{}, linkInvalid()
	}
	body := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(parts[3]), []byte(s.cancelMAC(body))) {
		return eyelevel.Appointment{}, 0, eyelevel.Actor{}, linkInvalid()
	}
	seq, err1 := strconv.Atoi(parts[1])
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return eyelevel.Appointment{}, 0, eyelevel.Actor{}, linkInvalid()
	}
	if s.now().Unix() >= exp {
		return eyelevel.Appointment{}, 0, eyelevel.Actor{}, linkExpired()
	}
	appt, err := s.db.Appointment(ctx, eyelevel.AppointmentID(parts[0]))
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return appt, 0, eyelevel.Actor{}, linkInvalid()
	} else if err != nil {
		return appt, 0, eyelevel.Actor{}, err
	}
	cur, err := s.db.ICSSequence(ctx, appt.ID)
	if err != nil {
		return appt, 0, eyelevel.Actor{}, err
	}
	if cur != seq || appt.Status != eyelevel.StatusBooked {
		return appt, 0, eyelevel.Actor{}, linkUsed()
	}
	u, err := s.db.UserByID(ctx, appt.ClientID)
	if err != nil {
		return appt, 0, eyelevel.Actor{}, err
	}
	return appt, seq, actorOfUser(u), nil
}

func actorOfUser(u eyelevel.User) eyelevel.Actor {
	return eyelevel.Actor{UserID: u.ID, Role: u.Role, Language: u.Language, TimeZone: u.TimeZone}
}

// CancelLinkInfo returns what a cancel link's confirmation page shows; it
// changes nothing. No login is needed: the token is the authority.
// Errors: ENOTFOUND (not a valid link), ECONFLICT (used or expired).
func (s *Service) CancelLinkInfo(ctx context.Context, token string) (CancelLink, error) {
	appt, _, client, err := s.openCancelLink(ctx, token)
	if err != nil {
		return CancelLink{}, err
	}
	out := CancelLink{Appointment: appt, Client: client, NoticeHours: int(s.cfg.CancelNotice.Hours())}
	out.By, _ = s.CancelDeadline(client, appt.Start)
	if out.Late, out.LateCosts, err = s.LateCancel(ctx, client, appt); err != nil {
		return CancelLink{}, err
	}
	return out, nil
}

// CancelByLink cancels the appointment of token as its client would,
// under the usual notice rules, and frees the slot; it returns the
// cancelled appointment and its client. The link works once.
// Errors: as CancelLinkInfo, and ECONFLICT when it was used meanwhile.
func (s *Service) CancelByLink(ctx context.Context, token string) (CancelLink, error) {
	appt, seq, client, err := s.openCancelLink(ctx, token)
	if err != nil {
		return CancelLink{}, err
	}
	appt, err = s.cancel(ctx, client, appt.ID, seq)
	if eyelevel.ErrorCode(err) == eyelevel.ECONFLICT {
		return CancelLink{}, linkUsed()
	} else if err != nil {
		return CancelLink{}, err
	}
	return CancelLink{Appointment: appt, Client: client, Late: appt.LateCancel, NoticeHours: int(s.cfg.CancelNotice.Hours())}, nil
}
