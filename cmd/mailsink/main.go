// Command mailsink is a tiny SMTP server for developers: it accepts every
// mail on 127.0.0.1:2525 and prints its headers and its decoded text part
// to stdout, so that mail from a local eyelevel can be watched:
//
//	go run ./cmd/mailsink &
//	go run ./cmd/eyelevel serve --demo --smtp smtp://127.0.0.1:2525 \
//	    --mail-from "eyelevel <noreply@example.org>" --duty-email duty@example.org
//
// It keeps nothing, offers no TLS and no AUTH, and refuses to listen on
// anything but loopback unless told to with --any.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"eyelevel/mail/mailtest"

	"github.com/emersion/go-smtp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mailsink:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mailsink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:2525", "address to listen on")
	anyAddr := fs.Bool("any", false, "allow a non-loopback --addr (anyone who reaches it can send you mail)")
	html := fs.Bool("html", false, "print the HTML part too")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", *addr, err)
	}
	if ip := net.ParseIP(host); !*anyAddr && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--addr %q is not loopback; add --any to listen there anyway", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	p := &printer{out: stdout, html: *html}
	srv := smtp.NewServer(p)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 10 << 20
	fmt.Fprintf(stdout, "mailsink: listening on smtp://%s (Ctrl-C stops)\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		srv.Close()
		if err := <-errc; err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// printer prints every mail it receives.
type printer struct {
	mu   sync.Mutex
	out  io.Writer
	html bool
	n    int
}

func (p *printer) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{p: p}, nil }

type session struct {
	p    *printer
	from string
	to   []string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = append(s.to, to); return nil }
func (s *session) Reset()                                      { s.from, s.to = "", nil }
func (s *session) Logout() error                               { return nil }

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.p.print(mailtest.Received{From: s.from, To: s.to, Raw: raw, At: time.Now()})
	return nil
}

// shownHeaders are the headers printed, in this order.
var shownHeaders = []string{"Date", "From", "To", "Subject", "Message-Id", "Content-Language"}

func (p *printer) print(r mailtest.Received) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	var b strings.Builder
	fmt.Fprintf(&b, "\n===== mail %d, %s, envelope %s -> %s\n", p.n, r.At.Format(time.TimeOnly), r.From, strings.Join(r.To, ", "))
	m, err := r.Parse()
	if err != nil {
		fmt.Fprintf(&b, "(cannot parse: %v)\n%s\n", err, r.Raw)
		io.WriteString(p.out, b.String())
		return
	}
	for _, h := range shownHeaders {
		v := m.Header.Get(h)
		if h == "Subject" {
			v = m.Subject
		}
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	fmt.Fprintf(&b, "Parts: %s\n\n%s\n", strings.Join(m.Parts, ", "), strings.TrimSpace(m.Text))
	if p.html && m.HTML != "" {
		fmt.Fprintf(&b, "\n----- HTML\n%s\n", strings.TrimSpace(m.HTML))
	}
	if m.ICS != "" {
		fmt.Fprintf(&b, "\n----- calendar\n%s\n", strings.TrimSpace(strings.ReplaceAll(m.ICS, "\r\n", "\n")))
	}
	io.WriteString(p.out, b.String())
}
