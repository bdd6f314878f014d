package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"

	"github.com/pquerna/otp/totp"
)

// tfaClock is a clock the second-factor tests move by hand.
type tfaClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tfaClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *tfaClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type tfaEnv struct {
	ctx   context.Context
	db    *store.DB
	svc   *service.Service
	clock *tfaClock
	org   string
	n     int
	// secrets are the TOTP secrets of enrolled accounts, by username.
	secrets map[string]string
}

const tfaPassword = "correct horse battery staple"

// newTFAEnv builds a service that requires the second factor (it is not
// built with servicetest.NewServiceConfig, which makes it optional).
func newTFAEnv(t *testing.T) *tfaEnv {
	t.Helper()
	db := storetest.Open(t, storetest.Suite())
	clk := &tfaClock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	svc := service.New(db, service.Config{Password: servicetest.CheapPasswords, Keys: servicetest.Keys(3), SessionsPerDay: -1},
		slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})), clk.Now)
	e := &tfaEnv{ctx: context.Background(), db: db, svc: svc, clock: clk, secrets: map[string]string{}}
	o, err := svc.CreateOrganization(e.ctx, service.Operator, service.OrganizationInput{Name: "Org", Slug: "tfa-org"})
	if err != nil {
		t.Fatal(err)
	}
	e.org = o.ID
	return e
}

// user creates an account of role and returns its username and ID.
func (e *tfaEnv) user(t *testing.T, role eyelevel.Role) (string, eyelevel.UserID) {
	t.Helper()
	e.n++
	name := fmt.Sprintf("tfa-%s-%d", role, e.n)
	var id eyelevel.UserID
	switch role {
	case eyelevel.RoleClient, eyelevel.RoleAdmin:
		u, err := e.svc.AddUser(e.ctx, role, name, tfaPassword, "Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		id = u.ID
	case eyelevel.RoleCounselor:
		c, err := e.svc.CreateCounselor(e.ctx, service.Operator, service.CounselorInput{Username: name, Password: tfaPassword, DisplayName: "C " + name,
			Gender: eyelevel.GenderFemale, Languages: []eyelevel.LanguageSkill{{Code: "de", Native: true}}, TimeZone: "Europe/Berlin"})
		if err != nil {
			t.Fatal(err)
		}
		id = c.ID
	default:
		u, err := e.svc.AddStaff(e.ctx, service.Operator, e.org, service.StaffInput{Username: name, Password: tfaPassword, DisplayName: "S " + name, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		id = u.ID
	}
	return name, id
}

func (e *tfaEnv) signIn(name, otp string) (service.SignedIn, error) {
	return e.svc.SignIn(e.ctx, service.Credentials{Username: name, Password: tfaPassword, IP: "10.0.0.1", API: true, OTP: otp})
}

func (e *tfaEnv) actor(t *testing.T, token string) eyelevel.Actor {
	t.Helper()
	a, err := e.svc.Authenticate(e.ctx, token, service.SessionAPI)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return a
}

// enrol logs name in, enrols TOTP and returns the secret and recovery codes.
func (e *tfaEnv) enrol(t *testing.T, name string) (string, []string) {
	t.Helper()
	in, err := e.signIn(name, "")
	if err != nil {
		t.Fatalf("first login of %s: %v", name, err)
	}
	a := e.actor(t, in.Token)
	setup, err := e.svc.BeginTOTP(e.ctx, a)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	if !strings.HasPrefix(setup.URL, "otpauth://totp/") || !strings.Contains(setup.URL, setup.Secret) {
		t.Errorf("otpauth URL %q", setup.URL)
	}
	codes, err := e.svc.ConfirmTOTP(e.ctx, a, e.code(t, setup.Secret))
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	// Enrolling ends every limited session, the enrolling one included;
	// a client's session was never limited and stays.
	if after, err := e.svc.Authenticate(e.ctx, in.Token, service.SessionAPI); a.Limited != (eyelevel.ErrorCode(err) == eyelevel.EUNAUTHORIZED) ||
		!a.Limited && (err != nil || after.Limited) {
		t.Errorf("after confirming, the enrolling session of %s (limited=%v): %+v, %v", a.Role, a.Limited, after, err)
	}
	e.clock.Add(30 * time.Second) // the confirming code is used up
	e.secrets[name] = setup.Secret
	return setup.Secret, codes
}

func (e *tfaEnv) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var tfaRoles = []eyelevel.Role{eyelevel.RoleClient, eyelevel.RoleCounselor, eyelevel.RoleAdmin, eyelevel.RoleCarePoint, eyelevel.RoleOrgAdmin}

// TestSecondFactorLoginTable: enrolment and login, for every role, with no
// factor, a TOTP code, a recovery code, a replayed code and a wrong code.
func TestSecondFactorLoginTable(t *testing.T) {
	e := newTFAEnv(t)
	for _, role := range tfaRoles {
		staff := role != eyelevel.RoleClient
		t.Run(string(role), func(t *testing.T) {
			t.Run("no factor", func(t *testing.T) {
				name, _ := e.user(t, role)
				in, err := e.signIn(name, "")
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				if in.Limited != staff || e.actor(t, in.Token).Limited != staff {
					t.Errorf("limited = %v/%v, want %v", in.Limited, e.actor(t, in.Token).Limited, staff)
				}
				if !staff {
					return
				}
				// A limited session reads its own account, nothing of anyone else's.
				a := e.actor(t, in.Token)
				if _, err := e.svc.Me(e.ctx, a); err != nil {
					t.Errorf("me: %v", err)
				}
			})
			t.Run("totp", func(t *testing.T) {
				name, _ := e.user(t, role)
				secret, _ := e.enrol(t, name)
				if _, err := e.signIn(name, ""); eyelevel.ErrorCode(err) != eyelevel.ESECONDFACTOR {
					t.Errorf("login without a code: %v, want %s", err, eyelevel.ESECONDFACTOR)
				}
				in, err := e.signIn(name, e.code(t, secret))
				if err != nil {
					t.Fatalf("login with code: %v", err)
				}
				if in.Limited || e.actor(t, in.Token).Limited {
					t.Error("a login with the code is limited")
				}
			})
			t.Run("recovery code", func(t *testing.T) {
				name, _ := e.user(t, role)
				_, codes := e.enrol(t, name)
				in, err := e.signIn(name, strings.ToUpper(codes[3]))
				if err != nil || e.actor(t, in.Token).Limited {
					t.Fatalf("login with a recovery code: %v", err)
				}
				if _, err := e.signIn(name, codes[3]); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
					t.Errorf("a recovery code used twice: %v", err)
				}
			})
			t.Run("replayed code", func(t *testing.T) {
				name, _ := e.user(t, role)
				secret, _ := e.enrol(t, name)
				c := e.code(t, secret)
				if _, err := e.signIn(name, c); err != nil {
					t.Fatalf("first use: %v", err)
				}
				e.clock.Add(20 * time.Second) // same or next step, within the skew
				if _, err := e.signIn(name, c); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
					t.Errorf("replayed code: %v", err)
				}
			})
			t.Run("wrong code", func(t *testing.T) {
				name, _ := e.user(t, role)
				secret, _ := e.enrol(t, name)
				right := e.code(t, secret)
				wrong := fmt.Sprintf("%06d", (atoi(right)+1)%1000000)
				for i := 0; i < 5; i++ {
					if _, err := e.signIn(name, wrong); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
						t.Fatalf("wrong code %d: %v", i, err)
					}
				}
				if _, err := e.signIn(name, right); eyelevel.ErrorCode(err) != eyelevel.ETOOMANY {
					t.Errorf("sixth code in 15 minutes: %v, want too many", err)
				}
				// The limit does not lock the owner out of a recovery code.
			})
		})
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// TestSecondFactorRecoveryAfterLimit: after 5 wrong codes the owner still
// logs in with a recovery code, and the code limit lifts after 15 minutes.
func TestSecondFactorRecoveryAfterLimit(t *testing.T) {
	e := newTFAEnv(t)
	name, _ := e.user(t, eyelevel.RoleCounselor)
	secret, codes := e.enrol(t, name)
	for i := 0; i < 5; i++ {
		e.signIn(name, "000000")
	}
	if _, err := e.signIn(name, codes[0]); err != nil {
		t.Errorf("recovery code after the limit: %v", err)
	}
	e.clock.Add(16 * time.Minute)
	if _, err := e.signIn(name, e.code(t, secret)); err != nil {
		t.Errorf("code after 16 minutes: %v", err)
	}
}

// TestSecondFactorReplayRace: two logins sending the same code at once;
// exactly one gets a session.
func TestSecondFactorReplayRace(t *testing.T) {
	e := newTFAEnv(t)
	name, _ := e.user(t, eyelevel.RoleCounselor)
	secret, _ := e.enrol(t, name)
	for round := 0; round < 5; round++ {
		c := e.code(t, secret)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { _, errs[i] = e.signIn(name, c) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED && eyelevel.ErrorCode(err) != eyelevel.ETOOMANY {
				t.Errorf("round %d: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d logins with one code, want 1", round, ok)
		}
		e.clock.Add(16 * time.Minute) // a new step, and the wrong-code budget back
	}
}

// TestSecondFactorPendingLogin: the page login's second step, with a TOTP
// code, a recovery code, a tampered or expired pending login.
func TestSecondFactorPendingLogin(t *testing.T) {
	e := newTFAEnv(t)
	name, _ := e.user(t, eyelevel.RoleCarePoint)
	secret, codes := e.enrol(t, name)
	first := func() string {
		in, err := e.svc.SignIn(e.ctx, service.Credentials{Username: name, Password: tfaPassword, IP: "10.0.0.2", Shared: true})
		if eyelevel.ErrorCode(err) != eyelevel.ESECONDFACTOR || in.Pending == "" || in.Token != "" {
			t.Fatalf("first step: %+v %v", in, err)
		}
		return in.Pending
	}
	p := first()
	if u, err := e.svc.PendingUser(e.ctx, p); err != nil || u.Username != name {
		t.Errorf("pending user: %v %v", u.Username, err)
	}
	if _, err := e.svc.CompleteLogin(e.ctx, service.SecondStep{Pending: p + "x", Code: e.code(t, secret)}); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
		t.Errorf("tampered pending login: %v", err)
	}
	in, err := e.svc.CompleteLogin(e.ctx, service.SecondStep{Pending: p, Code: e.code(t, secret)})
	if err != nil || !in.Shared || in.Device != "" {
		t.Fatalf("second step: %+v %v", in, err)
	}
	if a, err := e.svc.Authenticate(e.ctx, in.Token, service.SessionWeb); err != nil || a.Limited {
		t.Errorf("web session: %+v %v", a, err)
	}
	if _, err := e.svc.CompleteLogin(e.ctx, service.SecondStep{Pending: first(), Code: codes[9]}); err != nil {
		t.Errorf("second step with a recovery code: %v", err)
	}
	p = first()
	e.clock.Add(6 * time.Minute)
	if _, err := e.svc.CompleteLogin(e.ctx, service.SecondStep{Pending: p, Code: e.code(t, secret)}); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
		t.Errorf("expired pending login: %v", err)
	}
}

// TestSecondFactorResetAuthz: who may reset whose second factor.
func TestSecondFactorResetAuthz(t *testing.T) {
	e := newTFAEnv(t)
	_, target := e.user(t, eyelevel.RoleCounselor)
	for _, role := range tfaRoles {
		t.Run(string(role), func(t *testing.T) {
			name, _ := e.user(t, role)
			if role != eyelevel.RoleClient {
				e.enrol(t, name)
			}
			a := e.fullActor(t, name)
			err := e.svc.ResetSecondFactor(e.ctx, a, target)
			want := eyelevel.EFORBIDDEN
			if role == eyelevel.RoleAdmin {
				want = ""
			}
			if eyelevel.ErrorCode(err) != want {
				t.Errorf("%s resets a counselor's factor: %v, want %q", role, err, want)
			}
			if role == eyelevel.RoleAdmin {
				if err := e.svc.ResetSecondFactor(e.ctx, a, "no-such-user"); eyelevel.ErrorCode(err) != eyelevel.ENOTFOUND {
					t.Errorf("unknown id: %v", err)
				}
			}
		})
	}
	// A limited admin (not enrolled) may not either.
	name, _ := e.user(t, eyelevel.RoleAdmin)
	in, _ := e.signIn(name, "")
	if err := e.svc.ResetSecondFactor(e.ctx, e.actor(t, in.Token), target); eyelevel.ErrorCode(err) != eyelevel.EFORBIDDEN {
		t.Errorf("limited admin: %v", err)
	}
}

// fullActor logs name in with its factor (if any) and returns the actor.
func (e *tfaEnv) fullActor(t *testing.T, name string) eyelevel.Actor {
	t.Helper()
	otp := ""
	if s, ok := e.secrets[name]; ok {
		otp = e.code(t, s)
		e.clock.Add(30 * time.Second)
	}
	in, err := e.signIn(name, otp)
	if err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	return e.actor(t, in.Token)
}

// TestSecondFactorReset: the reset ends the target's sessions and
// factor, is logged, and the target enrols again.
func TestSecondFactorReset(t *testing.T) {
	e := newTFAEnv(t)
	admin, _ := e.user(t, eyelevel.RoleAdmin)
	e.enrol(t, admin)
	a := e.fullActor(t, admin)
	name, id := e.user(t, eyelevel.RoleCounselor)
	secret, _ := e.enrol(t, name)
	in, err := e.signIn(name, e.code(t, secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ResetSecondFactor(e.ctx, a, id); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if _, err := e.svc.Authenticate(e.ctx, in.Token, service.SessionAPI); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
		t.Errorf("the target's session survived the reset: %v", err)
	}
	again, err := e.signIn(name, "")
	if err != nil || !again.Limited {
		t.Errorf("after the reset: limited=%v %v", again.Limited, err)
	}
	entries, err := e.db.AuditAfter(e.ctx, 0, 1000)
	if err != nil {
		t.Fatalf("reading the access log: %v", err)
	}
	found := false
	for _, en := range entries {
		found = found || en.What == eyelevel.ActionSecondFactorReset && en.ActorID == a.UserID && en.SubjectID == id
	}
	if !found {
		t.Errorf("no access-log entry for the reset: %+v", entries)
	}
}

// TestSecondFactorClientDisable: a client may switch the factor off with a
// current code; staff may not.
func TestSecondFactorClientDisable(t *testing.T) {
	e := newTFAEnv(t)
	name, _ := e.user(t, eyelevel.RoleClient)
	secret, _ := e.enrol(t, name)
	in, err := e.signIn(name, e.code(t, secret))
	if err != nil {
		t.Fatal(err)
	}
	a := e.actor(t, in.Token)
	e.clock.Add(30 * time.Second)
	if err := e.svc.DisableSecondFactor(e.ctx, a, "123456"); eyelevel.ErrorCode(err) != eyelevel.EUNAUTHORIZED {
		t.Errorf("disable with a wrong code: %v", err)
	}
	if err := e.svc.DisableSecondFactor(e.ctx, a, e.code(t, secret)); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if _, err := e.signIn(name, ""); err != nil {
		t.Errorf("login after disabling: %v", err)
	}
	staff, _ := e.user(t, eyelevel.RoleCounselor)
	ssecret, _ := e.enrol(t, staff)
	sin, _ := e.signIn(staff, e.code(t, ssecret))
	e.clock.Add(30 * time.Second)
	if err := e.svc.DisableSecondFactor(e.ctx, e.actor(t, sin.Token), e.code(t, ssecret)); eyelevel.ErrorCode(err) != eyelevel.EFORBIDDEN {
		t.Errorf("staff disables: %v", err)
	}
}

// TestSecondFactorOptionalKnob: the knob for other features' tests lets
// unenrolled staff in fully, but an enrolled account still needs its code.
func TestSecondFactorOptionalKnob(t *testing.T) {
	e := newTFAEnv(t)
	name, _ := e.user(t, eyelevel.RoleCounselor)
	enrolled, _ := e.user(t, eyelevel.RoleCounselor)
	e.enrol(t, enrolled)
	knob := servicetest.NewServiceConfig(t, e.db, service.Config{Keys: servicetest.Keys(3)}, e.clock.Now)
	in, err := knob.SignIn(e.ctx, service.Credentials{Username: name, Password: tfaPassword, IP: "10.0.0.9", API: true})
	if err != nil || in.Limited {
		t.Errorf("unenrolled with the knob: limited=%v %v", in.Limited, err)
	}
	if _, err := knob.SignIn(e.ctx, service.Credentials{Username: enrolled, Password: tfaPassword, IP: "10.0.0.9", API: true}); eyelevel.ErrorCode(err) != eyelevel.ESECONDFACTOR {
		t.Errorf("enrolled with the knob and no code: %v", err)
	}
}
