// Package mail sends eyelevel's rendered mails over SMTP with go-mail. It
// knows nothing of the outbox or of what a mail says: service renders the
// message and decides when to send it (service/mailer.go).
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one rendered mail to one recipient.
type Message struct {
	ID      string // the outbox id; becomes the Message-ID, so a resend is recognisable
	To      string
	Lang    string // BCP 47, the Content-Language
	Subject string
	Text    string // text/plain body
	HTML    string // text/html body, the alternative to Text
	// ICS is an RFC 5545 calendar object (with its METHOD) added as a
	// text/calendar alternative and as an invite.ics attachment; empty: none.
	ICS string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Config is a parsed --smtp URL.
type Config struct {
	Host     string
	Port     int
	TLS      string // "implicit" (smtps), "required" (STARTTLS or fail) or "opportunistic"
	Username string
	Password string
}

// ParseURL reads smtp://[user:pass@]host[:port][?starttls=required] or
// smtps://[user:pass@]host[:port]. smtp:// uses STARTTLS when the server
// offers it and plain SMTP otherwise (port 25 by default; 587 with
// starttls=required); smtps:// is TLS from the first byte (port 465).
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("--smtp: %w", err)
	}
	var c Config
	switch u.Scheme {
	case "smtp":
		c.TLS, c.Port = "opportunistic", 25
		switch v := u.Query().Get("starttls"); v {
		case "", "opportunistic":
		case "required":
			c.TLS, c.Port = "required", 587
		default:
			return Config{}, fmt.Errorf("--smtp: starttls=%q: want required or opportunistic", v)
		}
	case "smtps":
		if u.Query().Has("starttls") {
			return Config{}, errors.New("--smtp: smtps:// is TLS from the start; starttls does not apply")
		}
		c.TLS, c.Port = "implicit", 465
	default:
		return Config{}, fmt.Errorf("--smtp %q: want smtp://host:port or smtps://host:port", raw)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, errors.New("--smtp: no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("--smtp: port %q", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	return c, nil
}

// SMTP sends through one SMTP server, one connection per message.
type SMTP struct {
	// TLSConfig, when set, is used for STARTTLS and smtps:// instead of
	// the system's roots (tests trust their self-signed server with it);
	// its ServerName defaults to the --smtp host.
	TLSConfig *tls.Config

	cfg     Config
	from    string
	timeout time.Duration
}

// NewSMTP returns a sender for the --smtp URL with the --mail-from address.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	c, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if from == "" {
		return nil, errors.New("--mail-from is required with --smtp")
	}
	if err := gomail.NewMsg().From(from); err != nil {
		return nil, fmt.Errorf("--mail-from %q: %w", from, err)
	}
	return &SMTP{cfg: c, from: from, timeout: 30 * time.Second}, nil
}

// Addr describes the server without credentials, for logs:
// smtp://host:port (starttls=required) or smtps://host:port.
func (s *SMTP) Addr() string {
	scheme, extra := "smtp://", ""
	switch s.cfg.TLS {
	case "implicit":
		scheme = "smtps://"
	case "required":
		extra = "?starttls=required"
	}
	if s.cfg.Username != "" {
		extra += " (as " + s.cfg.Username + ")"
	}
	return scheme + net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)) + extra
}

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := Build(s.from, m)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.timeout)}
	switch s.cfg.TLS {
	case "implicit":
		opts = append(opts, gomail.WithSSL())
	case "required":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.TLSConfig != nil {
		tc := s.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = s.cfg.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}

// Build turns m into a MIME message from from: multipart/alternative of
// text and HTML (and the calendar object, when there is one).
func Build(from string, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID + "@" + domainOf(from))
	} else {
		msg.SetMessageID()
	}
	if m.Lang != "" {
		msg.SetGenHeader(gomail.HeaderContentLang, m.Lang)
	}
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	if m.ICS != "" {
		method := icsMethod(m.ICS)
		msg.AddAlternativeString(gomail.ContentType("text/calendar; method="+method), m.ICS)
		if err := msg.AttachReader("invite.ics", strings.NewReader(m.ICS),
			gomail.WithFileContentType(gomail.ContentType("application/ics"))); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

func icsMethod(ics string) string {
	for line := range strings.SplitSeq(ics, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "METHOD:"); ok {
			return v
		}
	}
	return "PUBLISH"
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.Trim(addr[i+1:], "> ")
	}
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return "eyelevel.invalid"
}
