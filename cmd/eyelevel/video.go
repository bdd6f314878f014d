package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/turnserver"
)

// turnConfig configures the embedded STUN/TURN server, or an external
// coturn cluster that shares the secret (coturn's use-auth-secret).
type turnConfig struct {
	listen, publicIP, host, secret string
	secretFile                     string
	tlsCert, tlsKey, tlsListen     string
	allowPeers, external           stringList
	quotaUser, quotaIP             int
	disabled                       bool
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func (t *turnConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.listen, "turn-listen", "", "TURN/STUN address for UDP and TCP (default :3478, or 127.0.0.1:3478 when --addr is loopback)")
	fs.StringVar(&t.publicIP, "turn-public-ip", "", "relay address to advertise (default: the --addr host when loopback, else the first global address)")
	fs.StringVar(&t.host, "turn-host", "", "host name in the STUN/TURN URLs given to browsers (default: the public IP; set it for turns: with a certificate)")
	fs.StringVar(&t.secret, "turn-secret", "", "shared TURN secret (default: generated once into the data directory); other users of the machine can read a command line or environment, so prefer --turn-secret-file")
	fs.StringVar(&t.secretFile, "turn-secret-file", "", "file holding the shared TURN secret (one line, mode 600 or 400; not with --turn-secret)")
	fs.StringVar(&t.tlsCert, "turn-tls-cert", "", "certificate file for TURN over TLS")
	fs.StringVar(&t.tlsKey, "turn-tls-key", "", "key file for TURN over TLS")
	fs.StringVar(&t.tlsListen, "turn-tls-listen", ":5349", "address for TURN over TLS (443 passes the strictest firewalls)")
	fs.Var(&t.allowPeers, "turn-allow-peer", "CIDR the relay may send to although private or loopback (repeatable)")
	fs.Var(&t.external, "turn-external", "use this external TURN/STUN URL (e.g. turn:turn.example:3478) instead of the embedded server (repeatable)")
	fs.IntVar(&t.quotaUser, "turn-quota-user", turnserver.DefaultUserQuota, "relay allocations one user may hold at once; a browser takes 2–3 (0: no limit)")
	fs.IntVar(&t.quotaIP, "turn-quota-ip", turnserver.DefaultAddrQuota, "relay allocations one client IP address may hold at once, for everyone behind it (0: no limit)")
	fs.BoolVar(&t.disabled, "turn-off", false, "offer no STUN/TURN server (browsers then only connect directly)")
}

// video is the running STUN/TURN part of eyelevel.
type video struct {
	server *turnserver.Server // nil when external or off
	urls   []string
	secret []byte
}

// ICE mints the servers and credentials for one room join.
func (v *video) ICE(user eyelevel.UserID, expires time.Time) []eyelevel.ICEServer {
	if len(v.urls) == 0 {
		return nil
	}
	name, pass := turnserver.Credentials(v.secret, string(user), expires)
	return []eyelevel.ICEServer{{URLs: v.urls, Username: name, Credential: pass}}
}

// Close stops the embedded server.
func (v *video) Close() error {
	if v.server != nil {
		return v.server.Close()
	}
	return nil
}

func startVideo(c config, log *slog.Logger) (*video, error) {
	t := c.turn
	if t.disabled {
		return &video{}, nil
	}
	secret, err := t.loadSecret(c.data)
	if err != nil {
		return nil, err
	}
	if len(t.external) > 0 {
		log.Info("using external TURN servers", "urls", strings.Join(t.external, " "))
		return &video{urls: t.external, secret: secret}, nil
	}
	addrHost, _, _ := net.SplitHostPort(c.addr)
	loopback := false
	if ip, err := netip.ParseAddr(addrHost); err == nil && ip.IsLoopback() || addrHost == "localhost" {
		loopback = true
	}
	listen := t.listen
	if listen == "" {
		listen = ":3478"
		if loopback {
			listen = "127.0.0.1:3478"
		}
	}
	var public netip.Addr
	switch {
	case t.publicIP != "":
		if public, err = netip.ParseAddr(t.publicIP); err != nil {
			return nil, fmt.Errorf("--turn-public-ip: %w", err)
		}
	case loopback:
		public = netip.MustParseAddr("127.0.0.1")
	default:
		if public, err = firstGlobalAddr(); err != nil {
			return nil, fmt.Errorf("%w; set --turn-public-ip", err)
		}
		log.Warn("TURN relay address guessed; set --turn-public-ip to the address clients can reach", "ip", public)
	}
	var allow []netip.Prefix
	for _, s := range t.allowPeers {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("--turn-allow-peer %q: %w", s, err)
		}
		allow = append(allow, p)
	}
	if lh, _, _ := net.SplitHostPort(listen); loopback && public.IsLoopback() && (lh == "127.0.0.1" || lh == "localhost") {
		// Only this machine can reach a loopback-bound relay, so relaying
		// between loopback peers exposes nothing (local development, demo).
		allow = append(allow, netip.MustParsePrefix("127.0.0.0/8"))
	}
	cfg := turnserver.Config{Listen: listen, PublicIP: public, Secret: secret, AllowPeers: allow, Log: log}
	for _, q := range []struct {
		flag string
		n    int
		to   *int
	}{{"--turn-quota-user", t.quotaUser, &cfg.UserQuota}, {"--turn-quota-ip", t.quotaIP, &cfg.AddrQuota}} {
		switch {
		case q.n < 0:
			return nil, fmt.Errorf("%s %d: must not be negative", q.flag, q.n)
		case q.n == 0:
			*q.to = -1 // no limit
		default:
			*q.to = q.n
		}
	}
	if t.tlsCert != "" || t.tlsKey != "" {
		if t.tlsCert == "" || t.tlsKey == "" {
			return nil, errors.New("--turn-tls-cert and --turn-tls-key go together")
		}
		cfg.TLSCert, cfg.TLSKey, cfg.TLSListen = t.tlsCert, t.tlsKey, t.tlsListen
	}
	srv, err := turnserver.Start(cfg)
	if err != nil {
		return nil, fmt.Errorf("TURN server: %w", err)
	}
	host := t.host
	if host == "" {
		host = public.String()
		if public.Is6() {
			host = "[" + host + "]"
		}
	}
	port := strconv.Itoa(srv.UDPAddr().Port)
	urls := []string{"stun:" + host + ":" + port, "turn:" + host + ":" + port + "?transport=udp", "turn:" + host + ":" + port + "?transport=tcp"}
	if a := srv.TLSAddr(); a != nil {
		urls = append(urls, "turns:"+host+":"+strconv.Itoa(a.Port)+"?transport=tcp")
	}
	return &video{server: srv, urls: urls, secret: secret}, nil
}

// turnSecret returns the configured secret, or one generated once and kept
// in the data directory (with PostgreSQL and several instances, configure
// it so they all share it).
func turnSecret(configured, dataDir string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	path := filepath.Join(dataDir, "turn-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("keep TURN secret: %w", err)
	}
	return []byte(secret), nil
}

// firstGlobalAddr returns the first global unicast address of this host.
func firstGlobalAddr() (netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().IsGlobalUnicast() && !p.Addr().IsPrivate() {
			return p.Addr(), nil
		}
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().IsGlobalUnicast() {
			return p.Addr(), nil
		}
	}
	return netip.Addr{}, errors.New("no global address found for the TURN relay")
}
