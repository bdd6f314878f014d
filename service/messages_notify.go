package service

import (
	"context"
	"time"

	"eyelevel"
)

// Message mail: the recipient of a message hears of it by mail only when
// they have been away from the app for AwayAfter, at most once per
// conversation per MessageMailEvery, and only when they want such mail.
const (
	AwayAfter        = 15 * time.Minute
	MessageMailEvery = time.Hour
	touchEvery       = time.Minute // last_active_at is written at most this often
)

// noteActive records that u made a request now, at most once a minute.
// A failure only delays message mail, so it is logged, not returned.
func (s *Service) noteActive(ctx context.Context, u eyelevel.User) {
	now := s.now().UTC()
	if now.Sub(u.LastActive) < touchEvery {
		return
	}
	if err := s.db.TouchUser(ctx, u.ID, now); err != nil {
		s.log.Error("recording activity", "user", u.ID, "err", err)
	}
}

// notifyMessage mails recipient that the conversation of client and staff
// has news, in the caller's transaction, if they are away and no such
// mail went in the last hour.
// Otherwise the messages wait for the job (MailMessages). The job lists
// conversations before this transaction, so it checks again here that
// unread, unmailed messages to recipient remain (they may have read the
// thread meanwhile) and that the two may still converse (else the
// messages count as dealt with).
func (s *Service) notifyMessage(ctx context.Context, client, staff, recipient eyelevel.UserID) error {
	if !s.cfg.Mail.On {
		return nil
	}
	if ok, err := s.db.HasUnmailedMessages(ctx, client, staff, recipient); err != nil || !ok {
		return err
	}
	if err := s.mayConverse(ctx, client, staff); eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return s.db.MarkMessagesMailed(ctx, client, staff, recipient)
	} else if err != nil {
		return err
	}
	u, err := s.db.UserByID(ctx, recipient)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	if now.Sub(u.LastActive) < AwayAfter {
		return nil
	}
	if !u.Wants(eyelevel.NotifyMessages) {
		return s.db.MarkMessagesMailed(ctx, client, staff, recipient)
	}
	if ok, err := s.db.ClaimMessageMail(ctx, client, staff, recipient, now, now.Add(-MessageMailEvery)); err != nil || !ok {
		return err
	}
	other := client
	if recipient == client {
		other = staff
	}
	err = s.mailUser(ctx, recipient, eyelevel.NotifyMessages, Mail{
		Kind:    "message",
		Subject: Line{Key: "message_mail.subject"},
		Lines:   []Line{{Key: "message_mail.body"}, {Key: "message_mail.private"}},
		Button:  &Button{Label: Line{Key: "message_mail.button"}, URL: s.Link("/messages/" + string(other))},
	})
	if err != nil {
		return err
	}
	return s.db.MarkMessagesMailed(ctx, client, staff, recipient)
}

// MailMessages mails the recipients of unread messages who have been
// away for AwayAfter and got no mail about the conversation within the
// hour: a message sent while its recipient was in the app still reaches
// them if they leave without reading it. serve runs it every minute; runs
// on several nodes at once send each mail once. It returns how many
// conversations it looked at.
func (s *Service) MailMessages(ctx context.Context) (int, error) {
	if !s.cfg.Mail.On {
		return 0, nil
	}
	now := s.now().UTC()
	ps, err := s.db.PendingMessageMails(ctx, now.Add(-AwayAfter), now.Add(-MessageMailEvery), 200)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		err := s.db.InTx(ctx, func(ctx context.Context) error {
			return s.notifyMessage(ctx, p.ClientID, p.StaffID, p.Recipient)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(ps), nil
}
