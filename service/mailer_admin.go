package service

import (
	"context"
	"strings"
	"time"

	"eyelevel"
)

// MailStatus is the outbox as the admin sees it: never a body, and
// recipients only partly.
type MailStatus struct {
	On bool // false: --smtp is not set and nothing is sent
	// Waiting mails (due or retrying), sent in the last 24 hours, given up.
	Waiting, Sent24h, Failed int
	// Troubled lists the newest unsent mails that failed at least once.
	Troubled []MailProblem
}

// MailProblem is one mail that failed at least once.
type MailProblem struct {
	ID        string
	Kind      string
	To        string // masked: "le***@example.org"
	CreatedAt time.Time
	Attempts  int
	LastError string
	NextAt    time.Time // the next try; zero when given up
	GivenUp   bool
}

const mailProblemsShown = 100

// requireMailAdmin lets admins through; others get ENOTFOUND, as if the
// resource did not exist, and nobody logged in EUNAUTHORIZED.
func requireMailAdmin(a eyelevel.Actor) error {
	if a.Anonymous() {
		return unauthorized()
	} else if a.Role != eyelevel.RoleAdmin {
		return eyelevel.ErrNotFound()
	}
	return nil
}

// MailStatus reports the outbox to an admin. Errors: EUNAUTHORIZED,
// ENOTFOUND (not an admin).
func (s *Service) MailStatus(ctx context.Context, a eyelevel.Actor) (MailStatus, error) {
	if err := requireMailAdmin(a); err != nil {
		return MailStatus{}, err
	}
	st, err := s.db.OutboxStats(ctx, s.now().UTC().Add(-24*time.Hour))
	if err != nil {
		return MailStatus{}, err
	}
	rows, err := s.db.TroubledMail(ctx, mailProblemsShown)
	if err != nil {
		return MailStatus{}, err
	}
	out := MailStatus{On: s.MailOn(), Waiting: st.Waiting, Sent24h: st.Sent, Failed: st.Failed, Troubled: []MailProblem{}}
	for _, m := range rows {
		p := MailProblem{ID: m.ID, Kind: m.Kind, To: MaskAddress(m.To), CreatedAt: m.CreatedAt, Attempts: m.Attempts,
			LastError: m.LastError, GivenUp: !m.FailedAt.IsZero()}
		if !p.GivenUp {
			p.NextAt = m.NextAt
		}
		out.Troubled = append(out.Troubled, p)
	}
	return out, nil
}

// RetryMail makes a mail the worker gave up on due again, with another
// day of retries. Errors: EUNAUTHORIZED, ENOTFOUND (not an admin, or no
// given-up mail with that id).
func (s *Service) RetryMail(ctx context.Context, a eyelevel.Actor, id string) error {
	if err := requireMailAdmin(a); err != nil {
		return err
	}
	var ok bool
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		ok, err = s.db.RetryMail(ctx, id, s.now().UTC())
		if ok {
			s.nudgeMailer(ctx)
		}
		return err
	})
	if err != nil {
		return err
	}
	if !ok {
		return eyelevel.ErrNotFound()
	}
	s.log.Info("mail retry requested", "mail", id, "admin", a.UserID)
	return nil
}

// MaskAddress shows enough of an address to recognise it, not to read it:
// the first two characters of the local part and the domain.
func MaskAddress(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "***"
	}
	local, domain := []rune(addr[:at]), addr[at+1:]
	keep := min(2, len(local)/2)
	return string(local[:keep]) + "***@" + domain
}
