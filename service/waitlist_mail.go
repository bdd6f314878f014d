package service

import (
	"context"
	"net/url"

	"eyelevel"
	"eyelevel/store"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// notifyWaiting marks e notified and mails its client (when they want
// waitlist mail) in one transaction: the mail exists exactly when the
// notice does.
func (s *Service) notifyWaiting(ctx context.Context, e store.WaitlistEntry) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.db.MarkWaitlistNotified(ctx, e.ClientID, e.Language, s.now().UTC()); err != nil {
			return err
		}
		// The language in its own name ("العربية"): the one the client waits for.
		name := e.Language
		if tag, err := language.Parse(e.Language); err == nil {
			if n := display.Self.Name(tag); n != "" {
				name = n
			}
		}
		q := url.Values{"language": {e.Language}}
		if e.Gender != "" {
			q.Set("gender", string(e.Gender))
		}
		return s.mailUser(ctx, e.ClientID, eyelevel.NotifyWaitlist, Mail{Kind: "waitlist",
			Subject: Line{Key: "waitlist_mail.subject"},
			Lines:   []Line{{Key: "waitlist_mail.body", Args: []any{"language", name}}},
			Button:  &Button{Label: Line{Key: "waitlist_mail.button"}, URL: s.Link("/counselors?" + q.Encode())}})
	})
}
