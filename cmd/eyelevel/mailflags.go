package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	emailer "eyelevel/mail"
	"eyelevel/service"
)

// mailConfig is how eyelevel sends mail. Without --smtp nothing is sent.
type mailConfig struct {
	smtp, from, publicURL string
	reminders             string
	safetyEscalate        time.Duration
	dutyEmail             string
}

func (c *mailConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.smtp, "smtp", "", "SMTP server for mail: smtp://[user:pass@]host:port (STARTTLS when offered; ?starttls=required insists) or smtps://host:465; empty: no mail is sent")
	fs.StringVar(&c.from, "mail-from", "", "sender address of mails, e.g. \"eyelevel <noreply@counseling.example.org>\"; needed with --smtp")
	fs.StringVar(&c.publicURL, "public-url", "", "the address users reach this service at, for links in mails (default: http:// and the address serve listens on)")
	fs.StringVar(&c.reminders, "reminders", "24h,1h", "when reminders go out before a session, comma-separated (empty: none)")
	fs.DurationVar(&c.safetyEscalate, "safety-escalate", 30*time.Minute, "a safety alert no counselor acknowledged within this long goes to --duty-email")
	fs.StringVar(&c.dutyEmail, "duty-email", "", "the operator's duty contact for safety alerts; needed with --smtp")
}

// check validates the settings and returns the sender (nil without --smtp).
// An empty --public-url stays empty: serve fills in the address it
// listens on (publicURL).
func (c *mailConfig) check() (*emailer.SMTP, error) {
	if _, err := c.reminderList(); err != nil {
		return nil, err
	}
	if c.safetyEscalate <= 0 {
		return nil, errors.New("--safety-escalate (EYELEVEL_SAFETY_ESCALATE) must be positive")
	}
	if c.publicURL != "" {
		u, err := url.Parse(c.publicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("--public-url (EYELEVEL_PUBLIC_URL) %q: want an http(s) URL such as https://counseling.example.org", c.publicURL)
		}
	}
	if c.smtp == "" {
		if c.from != "" || c.dutyEmail != "" {
			return nil, errors.New("--mail-from and --duty-email need --smtp (EYELEVEL_SMTP): the SMTP server mail goes through")
		}
		return nil, nil
	}
	if c.dutyEmail == "" {
		return nil, errors.New("--smtp needs --duty-email (EYELEVEL_DUTY_EMAIL): safety alerts nobody acknowledges go there")
	}
	if _, err := mail.ParseAddress(c.dutyEmail); err != nil {
		return nil, fmt.Errorf("--duty-email %q: not an email address", c.dutyEmail)
	}
	s, err := emailer.NewSMTP(c.smtp, c.from)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (c mailConfig) reminderList() ([]time.Duration, error) {
	out := []time.Duration{}
	for f := range strings.SplitSeq(c.reminders, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--reminders (EYELEVEL_REMINDERS) %q: want positive durations such as 24h,1h", c.reminders)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (c mailConfig) service(on bool) service.MailConfig {
	r, _ := c.reminderList() // checked
	return service.MailConfig{On: on, PublicURL: c.publicURL, Reminders: r, SafetyEscalate: c.safetyEscalate, DutyEmail: c.dutyEmail}
}

// publicURL is the default --public-url: the address serve listens on,
// with localhost for a wildcard address (--addr :8080).
func publicURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// startMailer runs the outbox worker when mail is configured and says at
// start-up where mail goes, or that none is sent.
func startMailer(ctx context.Context, c mailConfig, svc *service.Service, bg *background, log *slog.Logger, stdout io.Writer) {
	sender, _ := c.check() // checked by serveConfig
	if sender == nil {
		log.Warn("no mail is sent: --smtp is not set")
		fmt.Fprintf(stdout, "Mail is off: no mail is sent (--smtp is not set).\n")
		return
	}
	where := sender.Addr()
	log.Info("mail goes out", "smtp", where, "public_url", c.publicURL)
	fmt.Fprintf(stdout, "Mail goes to the SMTP server %s, from %s; links in mails start with %s; safety alerts nobody acknowledges go to the duty contact.\n", where, c.from, c.publicURL)
	// Only the leading node sends (several would race for the same mails).
	bg.led(ctx, time.Second, func(ctx context.Context) { svc.RunMailer(ctx, sender, time.Second) })
}
