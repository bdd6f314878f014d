package service

import (
	"context"
	"time"
)

// How long the outbox keeps what it knows of a mail: a sent mail (address,
// kind, subject; its body is emptied when sent) and a given-up mail are
// deleted 30 days later; a given-up mail's body, whose links are secrets,
// is emptied after 7 days, and from then on an admin can no longer have it
// tried again (RetryMail answers ENOTFOUND).
const (
	outboxKeep     = 30 * 24 * time.Hour
	outboxKeepBody = 7 * 24 * time.Hour
)

// PruneOutbox applies the outbox retention above; the janitor runs it
// hourly. It returns how many mails it deleted.
func (s *Service) PruneOutbox(ctx context.Context) (int64, error) {
	now := s.now().UTC()
	deleted, _, err := s.db.PruneOutbox(ctx, now.Add(-outboxKeep), now.Add(-outboxKeep), now.Add(-outboxKeepBody))
	return deleted, err
}
