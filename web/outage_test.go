package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"eyelevel/i18n"
	"eyelevel/service"
	"eyelevel/store"
	"eyelevel/store/storetest"
	"eyelevel/web"
)

// cutProxy forwards TCP connections to target until cut: then it closes
// every open connection and refuses new ones, as a database outage does,
// until restore.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close(); c.Close() }()
		go func() { io.Copy(c, up); up.Close(); c.Close() }()
	}
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// TestDatabaseOutageKeepsSessions: while PostgreSQL cannot be reached, an
// authenticated API call gets 503 unavailable (not 401), and a page keeps
// the session cookie instead of sending the user to log in; the very first
// request after the database returns succeeds.
func TestDatabaseOutageKeepsSessions(t *testing.T) {
	if storetest.Suite() != store.Postgres {
		t.Skip("an outage of the database server: PostgreSQL only (runs in the suite's PostgreSQL run)")
	}
	dsn, _ := storetest.Location(t, store.Postgres)
	host := dsn[strings.Index(dsn, "@")+1:]
	host = host[:strings.IndexAny(host, "/?")]
	proxy := newCutProxy(t, host)
	db := storetest.OpenAt(t, strings.Replace(dsn, "@"+host, "@"+proxy.ln.Addr().String(), 1), "")
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, service.Config{SecondFactorOptional: true, Password: service.PasswordParams{Memory: 64, Time: 1, Threads: 1}}, slog.New(slog.DiscardHandler), nil)
	h := web.NewServer(web.Deps{Service: svc, Catalog: cat})
	send := func(method, target, body, token, cookie string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.RemoteAddr = "192.0.2.7:4000"
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "__Host-eyelevel-session", Value: cookie})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(context.Background()))
		return rec
	}
	account := `{"username":"outage-test","password":"quiet river lantern 7","language":"en","timezone":"UTC","consent":true}`
	if rec := send("POST", "/api/v1/accounts", account, "", ""); rec.Code != http.StatusCreated {
		t.Fatalf("register: %d %s", rec.Code, rec.Body)
	}
	rec := send("POST", "/api/v1/tokens", `{"username":"outage-test","password":"quiet river lantern 7"}`, "", "")
	var tok struct {
		Token string `json:"token"`
	}
	(&response{Status: rec.Code, Body: rec.Body.Bytes()}).decode(t, &tok)
	if rec := send("GET", "/api/v1/me", "", tok.Token, ""); rec.Code != http.StatusOK {
		t.Fatalf("before the outage: %d %s", rec.Code, rec.Body)
	}
	cookie := tok.Token // a session's secret, as a browser carries it

	proxy.cut()
	for range 3 {
		r := send("GET", "/api/v1/me", "", tok.Token, "")
		(&response{Status: r.Code, Header: r.Header(), Body: r.Body.Bytes()}).wantError(t, http.StatusServiceUnavailable, "unavailable")
	}
	page := send("GET", "/appointments", "", "", cookie)
	if page.Code != http.StatusServiceUnavailable {
		t.Errorf("page during the outage: status %d, want 503; Location %q", page.Code, page.Header().Get("Location"))
	}
	if loc := page.Header().Get("Location"); strings.Contains(loc, "login") {
		t.Errorf("page during the outage sends the user to log in: %q", loc)
	}
	for _, c := range page.Result().Cookies() {
		if c.Name == "__Host-eyelevel-session" {
			t.Errorf("page during the outage touches the session cookie: %v", c)
		}
	}
	if !strings.Contains(page.Body.String(), cat.T("de", "error.unavailable")) {
		t.Errorf("outage page lacks the message:\n%s", page.Body)
	}

	proxy.restore()
	if rec := send("GET", "/api/v1/me", "", tok.Token, ""); rec.Code != http.StatusOK {
		t.Fatalf("first request after the outage: %d %s", rec.Code, rec.Body)
	}
}

// TestHealthzReportsFailingWrites: /healthz answers 503 {"status":
// "unavailable"} while the database refuses writes although it still
// answers reads, and 200 again once writes succeed.
func TestHealthzReportsFailingWrites(t *testing.T) {
	w := newWorld(t)
	health := func() (int, string) {
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		return rec.Code, strings.TrimSpace(rec.Body.String())
	}
	if code, body := health(); code != http.StatusOK {
		t.Fatalf("healthy: %d %s", code, body)
	}
	raw := storetest.Raw(t, w.dsn, w.dir)
	fail := `CREATE TRIGGER health_full BEFORE UPDATE ON health BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`
	heal := `DROP TRIGGER health_full`
	if w.db.Dialect() == store.Postgres {
		fail = `CREATE FUNCTION health_full() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$;
			CREATE TRIGGER health_full BEFORE INSERT OR UPDATE ON health FOR EACH ROW EXECUTE FUNCTION health_full()`
		heal = `DROP TRIGGER health_full ON health`
	}
	if _, err := raw.Exec(fail); err != nil {
		t.Fatal(err)
	}
	if code, body := health(); code != http.StatusServiceUnavailable || body != `{"status":"unavailable"}` {
		t.Errorf("while writes fail: %d %s, want 503 unavailable", code, body)
	}
	if _, err := raw.Exec(heal); err != nil {
		t.Fatal(err)
	}
	if code, body := health(); code != http.StatusOK {
		t.Errorf("after writes work again: %d %s", code, body)
	}
}
