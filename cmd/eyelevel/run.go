package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/i18n"
	"eyelevel/metrics"
	"eyelevel/service"
	"eyelevel/signaling"
	"eyelevel/slots"
	"eyelevel/store"
	"eyelevel/web"
)

const usage = `usage:
  eyelevel serve [--addr 127.0.0.1:8080] [--data ./eyelevel-data] [--db postgres://…] [--demo]
                 [--turn-listen :3478] [--turn-public-ip IP] [--turn-secret-file F] [--turn-allow-peer CIDR]…
                 [--turn-tls-cert F --turn-tls-key F] [--turn-external URL]…
                 [--operator-name NAME] [--imprint-url URL] [--privacy-url URL]
                 [--stripe-key sk_… --stripe-webhook-secret whsec_…] [--stripe-api URL]
                 [--smtp smtp://host:port --mail-from ADDR --duty-email ADDR] [--public-url URL]
                 [--reminders 24h,1h] [--safety-escalate 30m] [--retention 24mo] [--audit-retention 24mo]
                 [--nats nats://…] [--metrics-addr 127.0.0.1:9090] [--drain-delay 5s] [--shutdown-timeout 30s]
  eyelevel user add --role admin|counselor|client --username NAME [--data DIR] [--db URL] < password
  eyelevel user add --role carepoint|orgadmin --org SLUG --username NAME [--display-name NAME] < password
  eyelevel audit verify [--data DIR] [--db URL]
  eyelevel keys rotate|status|remove-old [--data DIR] [--db URL] [--master-key-file F]
  eyelevel backup --to FILE [--data DIR]
  eyelevel restore --from FILE --data DIR
  eyelevel version

Every flag can also be set with an environment variable: --addr is EYELEVEL_ADDR,
--cancel-notice is EYELEVEL_CANCEL_NOTICE, and so on. eyelevel serve --help lists
every flag.
`

// run is the whole program; main only calls it, and tests call it too.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[1] {
	case "serve":
		return serve(ctx, args[2:], getenv, stdout, stderr)
	case "user":
		if len(args) < 3 || args[2] != "add" {
			fmt.Fprint(stderr, usage)
			return errors.New("unknown user command (want: user add)")
		}
		return userAdd(ctx, args[3:], getenv, stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	if cmd, ok := commands[args[1]]; ok {
		return cmd(ctx, args[2:], getenv, stdin, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[1])
}

// command is a subcommand: args are those after its name.
type command func(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error

// commands are the operator's subcommands beside serve and user add; each
// registers itself from its own file (audit.go, keys.go, backup.go …).
var commands = map[string]command{}

// config is every setting, read in one place and passed down.
type config struct {
	addr, data, db string
	demo           bool
	logLevel       string
	trustProxy     bool
	signupLimit    int
	sessionsPerDay int
	buffer         time.Duration
	cancelNotice   time.Duration
	minLead        time.Duration
	roomBefore     time.Duration
	roomAfter      time.Duration
	masterKeyFile  string
	hotlines       string
	operator       web.Operator
	turn           turnConfig
	stripe         stripeConfig
	mail           mailConfig
	trust          trustConfig
	node           nodeConfig
}

// flags binds the settings to fs. fromEnv then fills them from EYELEVEL_*
// variables, and the command line overrides both.
func (c *config) flags(fs *flag.FlagSet, server bool) {
	fs.StringVar(&c.data, "data", "./eyelevel-data", "directory for the SQLite database and other files")
	fs.StringVar(&c.db, "db", "", "PostgreSQL URL (postgres://…); empty uses SQLite in --data")
	if !server {
		return
	}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.BoolVar(&c.demo, "demo", false, "seed demo accounts into an empty database")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&c.trustProxy, "trust-proxy", false, "take client IPs from X-Forwarded-For (set it behind a reverse proxy, or all clients share the proxy's address for rate limits)")
	fs.IntVar(&c.signupLimit, "signup-limit", 20, "accounts one address may register per hour")
	fs.IntVar(&c.sessionsPerDay, "sessions-per-day", 1, "sessions a client may have on one calendar day (0: no limit)")
	fs.DurationVar(&c.buffer, "buffer", 10*time.Minute, "pause between two sessions")
	fs.DurationVar(&c.cancelNotice, "cancel-notice", 24*time.Hour, "how long before the start clients may cancel")
	fs.DurationVar(&c.minLead, "min-lead", time.Hour, "how soon after booking a session may start")
	fs.DurationVar(&c.roomBefore, "room-open-before", 10*time.Minute, "the video room opens this long before the start")
	fs.DurationVar(&c.roomAfter, "room-close-after", 15*time.Minute, "the video room closes this long after the end")
	fs.StringVar(&c.masterKeyFile, "master-key-file", "", "file holding the master key that encrypts reflections (default: master.key in --data, created on first start; or set EYELEVEL_MASTER_KEY)")
	fs.StringVar(&c.hotlines, "hotlines", "", "JSON file of crisis numbers for the operator's country (default: Germany's)")
	fs.StringVar(&c.operator.Name, "operator-name", "", "who runs this service, shown on every page (with --demo: \"eyelevel demo\")")
	fs.StringVar(&c.operator.ImprintURL, "imprint-url", "", "the operator's legal notice (Impressum), linked from every page")
	fs.StringVar(&c.operator.PrivacyURL, "privacy-url", "", "the operator's privacy policy, linked from every page")
	c.turn.flags(fs)
	c.stripe.flags(fs)
	c.mail.flags(fs)
	c.trust.flags(fs)
	c.node.flags(fs)
}

// envName is the environment variable of a flag: --cancel-notice is
// EYELEVEL_CANCEL_NOTICE.
func envName(flagName string) string {
	return "EYELEVEL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// fromEnv sets every flag defined in fs from its environment variable, if
// that is set. A value that does not parse is an error naming the variable:
// a typo must stop the start, not fall back to a default.
func fromEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %s", name, v, want(f, err)))
		}
	})
	return errors.Join(errs...)
}

// want explains what a flag's value must look like.
func want(f *flag.Flag, err error) string {
	g, _ := f.Value.(flag.Getter)
	if g == nil {
		return err.Error()
	}
	switch g.Get().(type) {
	case bool:
		return "want true or false (or 1 or 0)"
	case time.Duration:
		return "want a duration with a unit, such as 10m, 1h or 1h30m"
	}
	return err.Error()
}

// parseFlags reads args into fs. --help and -h print the usage to stdout
// and report help; errors are returned, not printed, so they appear once.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (help bool, err error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		fmt.Fprintf(stdout, "\nflags of %s:\n", fs.Name())
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w (see eyelevel %s --help)", err, fs.Name())
	}
	return false, nil
}

// serveConfig reads the configuration of serve from the environment and
// args; help is true when the caller asked for the usage only.
func serveConfig(args []string, getenv func(string) string, stdout io.Writer) (c config, help bool, err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.flags(fs, true)
	if err := fromEnv(fs, getenv); err != nil {
		return c, false, err
	}
	if help, err := parseFlags(fs, args, stdout); help || err != nil {
		return c, help, err
	}
	if c.sessionsPerDay < 0 {
		return c, false, errors.New("--sessions-per-day (EYELEVEL_SESSIONS_PER_DAY) must not be negative (0 is no limit)")
	}
	if c.buffer < 0 || c.cancelNotice < 0 || c.minLead < 0 || c.roomBefore < 0 || c.roomAfter < 0 {
		return c, false, errors.New("durations must not be negative")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return c, false, fmt.Errorf("--log-level (EYELEVEL_LOG_LEVEL) %q: want debug, info, warn or error", c.logLevel)
	}
	if err := c.stripe.check(); err != nil {
		return c, false, err
	}
	if err := c.trust.check(); err != nil {
		return c, false, err
	}
	if _, err := c.mail.check(); err != nil {
		return c, false, err
	}
	if err := c.node.check(c.db); err != nil {
		return c, false, err
	}
	return c, false, nil
}

func (c config) serviceConfig() service.Config {
	minLead := c.minLead
	if minLead == 0 {
		minLead = -1 // the service reads zero as "default"
	}
	perDay := c.sessionsPerDay
	if perDay == 0 {
		perDay = -1 // no limit; the service reads zero as "default"
	}
	return service.Config{
		Rules:          slots.Rules{Length: 50 * time.Minute, Buffer: c.buffer},
		SessionsPerDay: perDay,
		CancelNotice:   c.cancelNotice,
		MinLead:        minLead,
		RoomOpenBefore: c.roomBefore,
		RoomCloseAfter: c.roomAfter,
		SignupLimit:    c.signupLimit,
		Demo:           c.demo,

		SecondFactorOptional: secondFactorOptional, // tests of other features only (secondfactor.go)

		StripeKey:           c.stripe.key,
		StripeWebhookSecret: c.stripe.webhookSecret,
		StripeAPI:           c.stripe.api,

		Mail: c.mail.service(c.mail.smtp != ""),

		Retention:      c.trust.retention.duration(),
		AuditRetention: c.trust.auditRetention.duration(),
	}
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, help, err := serveConfig(args, getenv, stdout)
	if help || err != nil {
		return err
	}
	if c.signupLimit < 1 {
		return errors.New("--signup-limit must be at least 1")
	}
	if c.demo && c.operator.Name == "" {
		c.operator.Name = "eyelevel demo"
	}
	if err := c.operator.Check(); err != nil {
		return err
	}
	var level slog.Level
	level.UnmarshalText([]byte(c.logLevel)) // checked by serveConfig
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	warnLoosePermissions(c.data, c.masterKeyFile, log)
	warnShortRetention(c.trust, log)
	db, err := store.Open(ctx, c.db, c.data)
	if err != nil {
		return err
	}
	// Background work ends and is waited for before the database closes.
	// The jobs run on the node that leads the cluster (leader.go).
	// They go on while the node drains: the stop ends them (drain.go).
	jobCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	bg := newBackground()
	bg.log = log
	st := &stopper{node: c.node, log: log, bg: bg, stopJobs: stopJobs, db: db} // the stop's order: drain.go
	defer st.stop()
	cl, err := joinCluster(ctx, c.node, log)
	if err != nil {
		return err
	}
	st.closeLater("the cluster link", func(context.Context) error { cl.Close(); return nil })
	lead := newLeader(db, cl.id, log)
	bg.lead = lead
	bg.wg.Go(func() { lead.run(jobCtx) })
	mx := metrics.New()
	video, err := startVideo(c, log)
	if err != nil {
		return err
	}
	st.closeLater("the TURN relay", func(context.Context) error { return video.Close() })
	// Listen before the service is built: links in mails default to the
	// address actually listened on (with --addr :0 known only now).
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	defer func() {
		if st.srv == nil {
			ln.Close() // serving never started; else the stop closes it
		}
	}()
	url := "http://" + ln.Addr().String()
	if c.mail.publicURL == "" {
		c.mail.publicURL = publicURL(ln.Addr())
	}
	scfg := c.serviceConfig()
	scfg.ICE = video.ICE
	scfg.Observer = mx
	if err := setupLegal(&c, &scfg, log); err != nil {
		return err
	}
	if err := careConfig(ctx, c, getenv, db, log, &scfg); err != nil {
		return err
	}
	svc := service.New(db, scfg, log, nil)
	hub := signaling.New(signaling.Config{Log: log, Bus: cl.signalBus(), Node: cl.id, Events: func(room eyelevel.AppointmentID, user eyelevel.UserID, event string) {
		if err := svc.RecordRoomEvent(context.WithoutCancel(ctx), room, user, event); err != nil {
			log.Error("recording room event", "err", err)
		}
	}})
	st.hub = hub // closed first: the server's Shutdown leaves upgraded connections alone
	watchNode(mx, hub, video, bg, db)
	stopMetrics, err := serveMetrics(c.node.metricsAddr, mx, log)
	if err != nil {
		return err
	}
	st.closeLater("the metrics server", stopMetrics)
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	if c.demo {
		if err := seedDemo(ctx, db, svc, stdout, url); err != nil {
			ln.Close()
			return fmt.Errorf("demo data: %w", err)
		}
	}
	// Seal what was stored in plain text before encryption at rest (and
	// the demo's addresses): once, before serving; resumable if stopped.
	// Without the master key (a lost key file, logged above) it waits for
	// the key to be back.
	if scfg.Keys != nil {
		if _, err := svc.EncryptLegacy(ctx); err != nil {
			ln.Close()
			return fmt.Errorf("encrypting stored data: %w", err)
		}
	}
	srv := &http.Server{
		Handler: bg.track(web.NewServer(web.Deps{Service: svc, Catalog: cat, Log: log, Hub: hub, TrustProxy: c.trustProxy, Operator: c.operator,
			Metrics: mx, Ready: func(ctx context.Context) error { return ready(ctx, db, cl, bg) }})),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	startMailer(jobCtx, c.mail, svc, bg, log, stdout)
	bg.job(jobCtx, "janitor", time.Hour, func(ctx context.Context) error { return janitor(ctx, svc, log) })
	bg.job(jobCtx, "contracts", time.Hour, func(ctx context.Context) error { return closeContracts(ctx, svc, log) })
	bg.job(jobCtx, "waitlist", 5*time.Minute, func(ctx context.Context) error {
		_, err := svc.NotifyWaitlist(ctx)
		return err
	})
	bg.job(jobCtx, "reminders", time.Minute, func(ctx context.Context) error {
		_, err := svc.SendReminders(ctx)
		return err
	})
	bg.job(jobCtx, "attendance", time.Minute, func(ctx context.Context) error {
		_, err := svc.SettleAttendance(ctx)
		return err
	})
	// Message mail for those who left the app, and safety alerts nobody
	// acknowledged (service/messages_notify.go, safety_duty.go).
	bg.job(jobCtx, "message-mail", time.Minute, func(ctx context.Context) error {
		_, err := svc.MailMessages(ctx)
		return err
	})
	bg.job(jobCtx, "safety-escalation", time.Minute, func(ctx context.Context) error {
		_, err := svc.EscalateAlerts(ctx)
		return err
	})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	st.srv, st.serving = srv, true
	log.Info("eyelevel is listening", "url", url, "database", db.Dialect())
	fmt.Fprintf(stdout, "eyelevel is listening on %s\n", url)
	select {
	case err := <-errc:
		st.serving = false // nothing to drain
		return err
	case <-ctx.Done():
		log.Info("eyelevel is stopping")
		return nil
	}
}

// janitor deletes expired sessions, video-room metadata past its
// retention period and old mails of the outbox.
func janitor(ctx context.Context, svc *service.Service, log *slog.Logger) error {
	var errs []error
	if n, err := svc.SweepSessions(ctx); err != nil {
		errs = append(errs, fmt.Errorf("sweeping sessions: %w", err))
	} else if n > 0 {
		log.Info("expired sessions deleted", "count", n)
	}
	if n, err := svc.PurgeRoomMetadata(ctx); err != nil {
		errs = append(errs, fmt.Errorf("purging room metadata: %w", err))
	} else if n > 0 {
		log.Info("room metadata past retention deleted", "count", n)
	}
	if n, err := svc.PruneAuditLog(ctx); err != nil {
		errs = append(errs, fmt.Errorf("pruning the access log: %w", err))
	} else if n > 0 {
		log.Info("access-log entries past retention deleted", "count", n)
	}
	if n, err := svc.PruneOutbox(ctx); err != nil {
		errs = append(errs, fmt.Errorf("pruning the outbox: %w", err))
	} else if n > 0 {
		log.Info("old mails deleted from the outbox", "count", n)
	}
	// inactive accounts, closed-period report snapshots (erase.go)
	errs = append(errs, retentionJob(ctx, svc, log))
	return errors.Join(errs...)
}

// closeContracts carries out the exit terms of contracts whose grace
// period is over: their reports frozen, the link to their people deleted.
func closeContracts(ctx context.Context, svc *service.Service, log *slog.Logger) error {
	n, err := svc.CloseContracts(ctx)
	if n > 0 {
		log.Info("contracts closed", "count", n)
	}
	return err
}

func userAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c config
	var role, username, displayName, gender, languages, tz, org string
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	c.flags(fs, false)
	if err := fromEnv(fs, getenv); err != nil {
		return err
	}
	fs.StringVar(&role, "role", "", "admin, counselor, client, carepoint or orgadmin")
	fs.StringVar(&org, "org", "", "carepoint and orgadmin: the slug of their organization")
	fs.StringVar(&username, "username", "", "login name")
	fs.StringVar(&displayName, "display-name", "", "counselors: name shown to clients; staff: their name (default: the username)")
	fs.StringVar(&gender, "gender", "diverse", "counselors: female, male or diverse")
	fs.StringVar(&languages, "languages", "de:native", "counselors: languages as code[:native],… e.g. fa:native,de")
	fs.StringVar(&tz, "timezone", "Europe/Berlin", "IANA time zone")
	if help, err := parseFlags(fs, args, stdout); help || err != nil {
		return err
	}
	if role == "" || username == "" {
		return errors.New("--role and --username are required")
	}
	staff := eyelevel.Role(role).OfOrganization()
	if staff && org == "" {
		return fmt.Errorf("--org is required for --role %s: the slug of the organization the account belongs to", role)
	} else if !staff && org != "" {
		return fmt.Errorf("--org is only for --role carepoint or orgadmin, not %s", role)
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")

	db, err := store.Open(ctx, c.db, c.data)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := service.New(db, service.Config{}, nil, nil)
	var id eyelevel.UserID
	if staff {
		if displayName == "" {
			displayName = username
		}
		in := service.StaffInput{Username: username, Password: password, DisplayName: displayName, Role: eyelevel.Role(role), TimeZone: tz}
		u, err := svc.AddStaffBySlug(ctx, service.Operator, org, in)
		if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
			return fmt.Errorf("no organization with the slug %q", org)
		} else if err != nil {
			return describe(err)
		}
		id = u.ID
	} else if eyelevel.Role(role) == eyelevel.RoleCounselor {
		if displayName == "" {
			displayName = username
		}
		in := service.CounselorInput{Username: username, Password: password, DisplayName: displayName,
			Gender: eyelevel.Gender(gender), Languages: parseLanguages(languages), TimeZone: tz}
		co, err := svc.CreateCounselor(ctx, service.Operator, in)
		if err != nil {
			return describe(err)
		}
		id = co.ID
	} else {
		u, err := svc.AddUser(ctx, eyelevel.Role(role), username, password, tz)
		if err != nil {
			return describe(err)
		}
		id = u.ID
	}
	fmt.Fprintf(stdout, "created %s %q (id %s)\n", role, username, id)
	return nil
}

// parseLanguages reads "fa:native,de" into language skills.
func parseLanguages(s string) []eyelevel.LanguageSkill {
	var out []eyelevel.LanguageSkill
	for _, part := range strings.Split(s, ",") {
		code, native := strings.CutSuffix(strings.TrimSpace(part), ":native")
		if code != "" {
			out = append(out, eyelevel.LanguageSkill{Code: code, Native: native})
		}
	}
	return out
}

// describe turns a validation error into a readable command-line error.
func describe(err error) error {
	var e *eyelevel.Error
	if !errors.As(err, &e) {
		return err
	}
	cat, cerr := i18n.Load()
	if cerr != nil {
		return err
	}
	msg := cat.T("en", e.Key, e.Args...)
	for field, key := range e.Fields {
		msg += fmt.Sprintf("\n  --%s: %s", field, cat.T("en", key))
	}
	return errors.New(msg)
}
