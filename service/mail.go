package service

import (
	"bytes"
	"context"
	"html/template"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/store"
)

// MailConfig turns on mail (see mailer.go). The zero value is off: nothing
// is queued and the admin pages say so.
type MailConfig struct {
	On bool // serve --smtp was given
	// PublicURL is the address of this service as users reach it, for the
	// links in mails (https://counseling.example.org, no trailing slash).
	PublicURL string
	// Reminders go this long before each session (24 h and 1 h).
	Reminders []time.Duration
	// SafetyEscalate: a safety alert nobody acknowledged within this long
	// goes to DutyEmail (30 min).
	SafetyEscalate time.Duration
	DutyEmail      string
	// DutyLanguage is the language of mails to the duty contact (the
	// catalog's default).
	DutyLanguage string
}

func (c MailConfig) withDefaults() MailConfig {
	if c.Reminders == nil {
		c.Reminders = []time.Duration{24 * time.Hour, time.Hour}
	}
	if c.SafetyEscalate == 0 {
		c.SafetyEscalate = 30 * time.Minute
	}
	if c.DutyLanguage == "" {
		c.DutyLanguage = i18n.Default
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// MailOn reports whether this service sends mail.
func (s *Service) MailOn() bool { return s.cfg.Mail.On }

// Link returns the public address of path ("/cancel/…").
func (s *Service) Link(path string) string { return s.cfg.Mail.PublicURL + path }

// Mail is a notification to one person, in words from the catalog. It
// must carry no health data and no message content: no questionnaire
// results, reflections, notes or diagnosis words, a neutral subject.
type Mail struct {
	Kind    string // outbox kind: booking, cancel, reminder, waitlist, safety, message, verify, reset …
	To      string // address
	Lang    string // the recipient's language
	Subject Line
	Lines   []Line // paragraphs
	Button  *Button
	ICS     string // a calendar object with its METHOD (see ical), or ""
}

// Line is a catalog key with its arguments ("name", value, …).
type Line struct {
	Key  string
	Args []any
}

// Button is the mail's one link.
type Button struct {
	Label Line
	URL   string
}

// queueMail renders m in its recipient's language and adds it to the
// outbox, in the transaction ctx carries, so the mail exists exactly when
// the change it reports does. Without mail configured it does nothing.
func (s *Service) queueMail(ctx context.Context, m Mail) error {
	if !s.cfg.Mail.On || m.To == "" {
		return nil
	}
	out, err := s.renderMail(m)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	out.ID, out.CreatedAt, out.NextAt = eyelevel.NewID(), now, now
	if err := s.db.QueueMail(ctx, out); err != nil {
		return err
	}
	s.nudgeMailer(ctx)
	return nil
}

// mailUser queues m to user when they want mail of kind (see
// eyelevel.User.Wants); kind "" is a mail that always goes to a verified
// address (account mails, safety alerts).
func (s *Service) mailUser(ctx context.Context, user eyelevel.UserID, kind string, m Mail) error {
	if !s.cfg.Mail.On {
		return nil
	}
	u, err := s.db.UserByID(ctx, user)
	if err != nil {
		return err
	}
	if kind == "" && (!u.HasEmail() || !u.EmailVerified) || kind != "" && !u.Wants(kind) {
		return nil
	}
	if err := s.openEmail(ctx, &u); err != nil {
		return err
	}
	m.To, m.Lang = u.Email, u.Language
	return s.queueMail(ctx, m)
}

func (s *Service) catalog() *i18n.Catalog { return s.cfg.Catalog }

func (s *Service) renderMail(m Mail) (store.OutboxMail, error) {
	cat := s.catalog()
	lang := m.Lang
	if !cat.Has(lang) {
		lang = i18n.Default
	}
	t := func(l Line) string { return cat.T(lang, l.Key, l.Args...) }
	v := mailView{Lang: lang, Dir: i18n.Dir(lang), Subject: t(m.Subject), Footer: cat.T(lang, "mail.footer")}
	var text strings.Builder
	for _, l := range m.Lines {
		p := t(l)
		v.Paragraphs = append(v.Paragraphs, p)
		text.WriteString(p + "\n\n")
	}
	if m.Button != nil {
		v.ButtonLabel, v.ButtonURL = t(m.Button.Label), m.Button.URL
		text.WriteString(v.ButtonLabel + ":\n" + m.Button.URL + "\n\n")
	}
	text.WriteString("-- \n" + v.Footer + "\n")
	var html bytes.Buffer
	if err := mailHTML.Execute(&html, v); err != nil {
		return store.OutboxMail{}, err
	}
	return store.OutboxMail{Kind: m.Kind, To: m.To, Language: lang, Subject: v.Subject, Text: text.String(), HTML: html.String(), ICS: m.ICS}, nil
}

type mailView struct {
	Lang, Dir, Subject     string
	Paragraphs             []string
	ButtonLabel, ButtonURL string
	Footer                 string
}

// mailHTML is every mail's HTML part: no images, no remote resources, the
// text direction of the recipient's language.
var mailHTML = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{.Dir}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:sans-serif;line-height:1.5;max-width:36em;margin:1em auto;padding:0 1em" dir="{{.Dir}}">
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{if .ButtonURL}}<p><a href="{{.ButtonURL}}" style="display:inline-block;padding:.6em 1.2em;background:#1d5c63;color:#fff;text-decoration:none;border-radius:4px">{{.ButtonLabel}}</a></p>
<p style="font-size:.9em;color:#555">{{.ButtonURL}}</p>
{{end}}<hr><p style="font-size:.85em;color:#555">{{.Footer}}</p>
</body></html>
`))
