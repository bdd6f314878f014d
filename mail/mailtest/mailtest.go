// Package mailtest runs an in-process SMTP server (emersion/go-smtp) on
// loopback for tests, keeps what it receives and takes messages apart.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is a running test SMTP server.
type Server struct {
	Addr string // host:port
	URL  string // smtp://host:port (smtps:// with Options.TLS "implicit"; with user:pass@ when Options.User is set), for --smtp
	// RootCAs trusts the server's self-signed certificate (nil without TLS);
	// give it to the sender, e.g. mail.SMTP.TLSConfig.
	RootCAs *x509.CertPool

	opts Options

	srv  *smtp.Server
	mu   sync.Mutex
	got  []Received
	down bool
	wake chan struct{}
}

// Received is one message as the server got it.
type Received struct {
	From string
	To   []string
	Raw  []byte
	At   time.Time
	TLS  bool   // the message came over TLS (STARTTLS or implicit)
	User string // who authenticated, "" without AUTH
}

// Options choose what the test server offers.
type Options struct {
	// TLS: "" offers no TLS; "starttls" offers STARTTLS; "implicit" speaks
	// TLS from the first byte (smtps://). The certificate is self-signed
	// for 127.0.0.1 and trusted through Server.RootCAs.
	TLS string
	// User and Password, when set, make the server offer AUTH PLAIN and
	// refuse mail from anyone who did not authenticate with them.
	User, Password string
	// RejectRecipients makes the server refuse every recipient for good
	// (550 5.1.1, naming the address as real servers do).
	RejectRecipients bool
}

// Start runs a plain server (no TLS, no AUTH) on a free loopback port
// until the test ends.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith runs a server with opts on a free loopback port until the
// test ends.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), wake: make(chan struct{}), opts: opts}
	scheme := "smtp://"
	var tlsConfig *tls.Config
	if opts.TLS != "" {
		tlsConfig, s.RootCAs, err = selfSigned()
		if err != nil {
			t.Fatal(err)
		}
	}
	switch opts.TLS {
	case "":
	case "starttls":
	case "implicit":
		ln, scheme = tls.NewListener(ln, tlsConfig), "smtps://"
		tlsConfig = nil // no STARTTLS on a TLS connection
	default:
		t.Fatalf("mailtest: Options.TLS %q", opts.TLS)
	}
	userinfo := ""
	if opts.User != "" {
		userinfo = url.UserPassword(opts.User, opts.Password).String() + "@"
	}
	s.URL = scheme + userinfo + s.Addr
	s.srv = smtp.NewServer(backend{s})
	s.srv.TLSConfig = tlsConfig
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 4 << 20
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// SetDown makes the server refuse every message with a temporary error
// (451) while down is true.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// Wait returns the messages once at least n arrived, or fails the test
// after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, wake := len(s.got), s.wake
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("mailtest: %d of %d messages after %v", got, n, timeout)
		}
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	x := &session{s: b.s, conn: c}
	if b.s.opts.User != "" {
		return &authSession{x}, nil
	}
	return x, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

// authSession is a session of a server that wants AUTH PLAIN.
type authSession struct{ *session }

var errAuth = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}

func (x *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != x.s.opts.User || pass != x.s.opts.Password {
			return errAuth
		}
		x.user = user
		return nil
	}), nil
}

func (x *authSession) Mail(from string, o *smtp.MailOptions) error {
	if x.user == "" {
		return smtp.ErrAuthRequired
	}
	return x.session.Mail(from, o)
}

var errDown = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "test server is down"}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	down := x.s.down
	x.s.mu.Unlock()
	if down {
		return errDown
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if x.s.opts.RejectRecipients {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: no such user"}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.down {
		return errDown
	}
	_, isTLS := x.conn.TLSConnectionState()
	x.s.got = append(x.s.got, Received{From: x.from, To: x.to, Raw: raw, At: time.Now(), TLS: isTLS, User: x.user})
	close(x.s.wake)
	x.s.wake = make(chan struct{})
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// Parsed is a message taken apart.
type Parsed struct {
	Header  mail.Header
	Subject string // decoded
	Text    string // the text/plain part
	HTML    string // the text/html part
	ICS     string // the text/calendar part
	// Parts lists every leaf part's content type, in order.
	Parts []string
}

// Parse takes r apart: headers, and the decoded text, HTML and calendar
// parts, however deeply nested.
func (r Received) Parse() (Parsed, error) {
	m, err := mail.ReadMessage(bytes.NewReader(r.Raw))
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Header: m.Header}
	dec := new(mime.WordDecoder)
	if p.Subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		return p, err
	}
	err = p.walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
	return p, err
}

func (p *Parsed) walk(contentType, encoding string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := p.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
				return err
			}
		}
	}
	b, err := decode(encoding, body)
	if err != nil {
		return err
	}
	p.Parts = append(p.Parts, mt)
	switch mt {
	case "text/plain":
		p.Text += string(b)
	case "text/html":
		p.HTML += string(b)
	case "text/calendar":
		p.ICS += string(b)
	}
	return nil
}
