package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"eyelevel/mail"
	"eyelevel/store"
)

// The outbox worker: it sends due mails, and on failure tries again after
// mailBackoff[attempts] (the first retry within 30 s), until the mail is
// a day old; then it gives up and the admin sees the failure.
var mailBackoff = []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}

const (
	mailGiveUp = 24 * time.Hour
	mailBatch  = 50
	// mailLease is how long a worker holds a mail it is sending; a worker
	// that dies meanwhile leaves it to be tried again after that. It is
	// longer than one send may take (a minute).
	mailLease = 3 * time.Minute
)

func retryAfter(attempts int) time.Duration {
	return mailBackoff[min(attempts, len(mailBackoff)-1)]
}

// nudgeMailer wakes the worker without waiting for it, once the
// transaction in ctx (if any) has committed: woken earlier, the worker
// would not see the mail yet and sleep until its next poll.
func (s *Service) nudgeMailer(ctx context.Context) {
	store.AfterCommit(ctx, func() {
		select {
		case s.mailWake <- struct{}{}:
		default:
		}
	})
}

// DeliverMail sends up to one batch of due mails through sender and
// reports how many went out. Each mail is claimed first (ClaimMail), so
// that of several workers on one database only one sends it. A mail is
// marked sent only after the server accepted it, so a crash in between
// sends it again after the restart (at least once; a mail is never lost;
// the Message-ID stays the same).
func (s *Service) DeliverMail(ctx context.Context, sender mail.Sender) (int, error) {
	due, err := s.db.DueMail(ctx, s.now().UTC(), mailBatch)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, m := range due {
		if ctx.Err() != nil {
			break
		}
		claimed, err := s.db.ClaimMail(ctx, m, s.now().UTC().Add(mailLease))
		if err != nil {
			return sent, err
		}
		if !claimed {
			continue // another worker has it
		}
		sendCtx, cancel := context.WithTimeout(ctx, time.Minute)
		err = sender.Send(sendCtx, mail.Message{ID: m.ID, To: m.To, Lang: m.Language, Subject: m.Subject, Text: m.Text, HTML: m.HTML, ICS: m.ICS})
		cancel()
		now := s.now().UTC()
		// The outcome is recorded even when ctx ends meanwhile: a sent
		// mail must not be sent again.
		rec := context.WithoutCancel(ctx)
		if err != nil {
			giveUp := now.Sub(later(m.CreatedAt, m.RetriedAt)) >= mailGiveUp
			why := mailError(err, m.To)
			s.log.Warn("mail not sent", "mail", m.ID, "kind", m.Kind, "attempt", m.Attempts+1, "give_up", giveUp, "err", why)
			if err := s.db.MarkMailRetry(rec, m.ID, now.Add(retryAfter(m.Attempts)), why, giveUp, now); err != nil {
				return sent, err
			}
			continue
		}
		if _, err := s.db.MarkMailSent(rec, m.ID, now); err != nil {
			return sent, err
		}
		sent++
		s.log.Info("mail sent", "mail", m.ID, "kind", m.Kind)
	}
	return sent, nil
}

// mailError is what the outbox and the log keep of a failed send: for an
// SMTP refusal its step and codes only (go-mail's text and the server's
// name the recipient), otherwise the error with the recipient's address
// masked.
func mailError(err error, to string) string {
	var se *gomail.SendError
	if errors.As(err, &se) {
		why := se.Reason.String()
		if code := se.ErrorCode(); code != 0 {
			why += fmt.Sprintf(": %d", code)
		}
		if ec := se.EnhancedStatusCode(); ec != "" {
			why += " " + ec
		}
		if se.IsTemp() {
			why += " (temporary)"
		}
		return why
	}
	text := err.Error()
	if to != "" {
		text = strings.ReplaceAll(text, to, MaskAddress(to))
		text = strings.ReplaceAll(text, strings.ToLower(to), MaskAddress(to))
	}
	return text
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// RunMailer sends mail until ctx ends: at once when a mail is queued on
// this node, and every poll otherwise (mails queued elsewhere, retries).
func (s *Service) RunMailer(ctx context.Context, sender mail.Sender, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		n, err := s.DeliverMail(ctx, sender)
		if err != nil && ctx.Err() == nil {
			s.log.Error("mail outbox", "err", err)
		}
		if n == mailBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.mailWake:
		case <-t.C:
		}
	}
}
