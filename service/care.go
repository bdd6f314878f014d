package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/program"
	"eyelevel/questionnaire"
)

// Hotline is a crisis number shown on the help page. Label names the
// service per language (BCP 47 → text); LabelKey names a catalog entry
// instead, for the shipped defaults.
type Hotline struct {
	Number   string            `json:"number"` // as displayed
	Dial     string            `json:"dial"`   // for tel: links, digits and +
	Label    map[string]string `json:"label,omitempty"`
	LabelKey string            `json:"-"`
}

// GermanHotlines are the default crisis numbers (see DOMAIN.md).
var GermanHotlines = []Hotline{
	{Number: "112", Dial: "112", LabelKey: "help.emergency"},
	{Number: "0800 111 0 111", Dial: "+498001110111", LabelKey: "help.telefonseelsorge"},
	{Number: "0800 111 0 222", Dial: "+498001110222", LabelKey: "help.telefonseelsorge"},
	{Number: "116 123", Dial: "116123", LabelKey: "help.116123"},
}

// The outcome instruments asked at intake, after the course and at follow-up,
// and the self-test's.
var (
	OutcomeInstruments  = []string{"phq9", "gad7", "who5"}
	SelfTestInstruments = []string{"phq4", "who5"}
)

// Occasions of a questionnaire response.
const (
	OccasionSelfTest = "selftest"
	OccasionIntake   = "intake"
	OccasionPost     = "post"
	OccasionFollowUp = "followup"
	OccasionCheckIn  = "checkin"
)

func (c Config) careDefaults() Config {
	if c.Instruments == nil {
		set, err := questionnaire.Load(questionnaire.Embedded())
		if err != nil {
			panic(err) // the embedded files are checked by tests
		}
		c.Instruments = set
	}
	if c.Program == nil {
		p, err := program.Load(program.Embedded())
		if err != nil {
			panic(err)
		}
		c.Program = p
	}
	if c.Hotlines == nil {
		c.Hotlines = GermanHotlines
	}
	if c.FollowUpAfter == 0 {
		c.FollowUpAfter = 90 * 24 * time.Hour
	}
	if c.CareAccess == 0 {
		c.CareAccess = 180 * 24 * time.Hour
	}
	return c
}

// Hotlines returns the crisis numbers. Anyone may see them.
func (s *Service) Hotlines() []Hotline { return s.cfg.Hotlines }

// Form returns a questionnaire in the actor's language (English if it has
// no translation). Anyone may read one. Errors: ENOTFOUND.
func (s *Service) Form(instrument, lang string) (*questionnaire.Form, error) {
	f, ok := s.cfg.Instruments.Form(instrument, lang)
	if !ok {
		return nil, eyelevel.ErrNotFound()
	}
	return f, nil
}

// Forms returns every instrument in every language, for the admin's view of
// which translations are validated.
func (s *Service) Forms(a eyelevel.Actor) ([]*questionnaire.Form, error) {
	if err := requireRole(a, eyelevel.RoleAdmin); err != nil {
		return nil, err
	}
	var out []*questionnaire.Form
	for _, id := range s.cfg.Instruments.Instruments() {
		for _, lang := range s.cfg.Instruments.Languages(id) {
			f, _ := s.cfg.Instruments.Form(id, lang)
			out = append(out, f)
		}
	}
	return out, nil
}

// ResponseInput is a client's answers, in item order; nil for an item left out.
type ResponseInput struct {
	Answers []*int `json:"answers"`
	// SelfTest marks a response given in the onboarding self-test.
	SelfTest bool `json:"self_test,omitempty"`
}

// Scored is a stored response with its score.
type Scored struct {
	eyelevel.Response
	Result questionnaire.Result
	Form   *questionnaire.Form
}

// SubmitResponse scores and stores a client's response. Its occasion is
// set here: the self-test when asked, else the outcome questionnaire due
// (intake, post, follow-up), else a check-in. A safety item answered above 0
// raises a safety alert for the client's counselors in the same transaction.
// Errors: EUNAUTHORIZED, EFORBIDDEN (not a client), ENOTFOUND (unknown
// instrument), EINVALID (naming the offending item).
func (s *Service) SubmitResponse(ctx context.Context, a eyelevel.Actor, instrument string, in ResponseInput) (Scored, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return Scored{}, err
	}
	sc, err := s.score(a, instrument, in.Answers)
	if err != nil {
		return Scored{}, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		sc.Occasion = OccasionSelfTest
		if !in.SelfTest {
			if sc.Occasion, err = s.occasionFor(ctx, a.UserID, instrument, sc.CreatedAt); err != nil {
				return err
			}
		}
		return s.storeResponse(ctx, sc.Response)
	})
	if err != nil {
		return Scored{}, err
	}
	return sc, nil
}

// score checks and scores answers without storing them.
func (s *Service) score(a eyelevel.Actor, instrument string, answers []*int) (Scored, error) {
	form, err := s.Form(instrument, a.Language)
	if err != nil {
		return Scored{}, err
	}
	res, err := form.Score(answers)
	if err != nil {
		return Scored{}, err
	}
	r := eyelevel.Response{
		ID: eyelevel.NewID(), ClientID: a.UserID, Instrument: instrument, Language: form.Language,
		Score: res.Score, Band: res.Band, Safety: res.SafetyAlert(), CreatedAt: s.now().UTC(),
	}
	for _, v := range answers {
		r.Answers = append(r.Answers, *v)
	}
	return Scored{Response: r, Result: res, Form: form}, nil
}

// storeResponse stores a response and, for a safety signal, an alert for
// the client's counselors (who are mailed), in the caller's transaction.
func (s *Service) storeResponse(ctx context.Context, r eyelevel.Response) error {
	if err := s.createResponse(ctx, r); err != nil {
		return err
	}
	if !r.Safety {
		return nil
	}
	// Logged without content or score: only that an alert exists.
	s.log.Warn("safety alert raised", "source", "questionnaire")
	al := eyelevel.SafetyAlert{ID: eyelevel.NewID(), ClientID: r.ClientID, Source: "questionnaire", ResponseID: r.ID, CreatedAt: r.CreatedAt}
	if err := s.createSafetyAlert(ctx, al); err != nil {
		return err
	}
	return s.alertRaised(ctx, al)
}

// Responses returns the actor's own responses to an instrument ("" for all),
// oldest first. Only clients have responses; nobody reads another's answers.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) Responses(ctx context.Context, a eyelevel.Actor, instrument string) ([]Scored, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return nil, err
	}
	rs, err := s.responses(ctx, a.UserID, instrument)
	if err != nil {
		return nil, err
	}
	return s.rescore(rs, a.Language), nil
}

// Response returns one of the actor's own responses. Errors: EUNAUTHORIZED,
// EFORBIDDEN, ENOTFOUND (also for other clients' responses).
func (s *Service) Response(ctx context.Context, a eyelevel.Actor, id string) (Scored, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return Scored{}, err
	}
	r, err := s.db.Response(ctx, id)
	if err != nil {
		return Scored{}, err
	} else if r.ClientID != a.UserID {
		return Scored{}, eyelevel.ErrNotFound()
	}
	if err := s.keys().openResponse(ctx, &r); err != nil {
		return Scored{}, err
	}
	return s.rescore([]eyelevel.Response{r}, a.Language)[0], nil
}

// rescore recomputes results of stored responses (subscales and percent are
// not stored), in the viewer's language.
func (s *Service) rescore(rs []eyelevel.Response, lang string) []Scored {
	out := make([]Scored, 0, len(rs))
	for _, r := range rs {
		sc := Scored{Response: r}
		if form, ok := s.cfg.Instruments.Form(r.Instrument, lang); ok {
			sc.Form = form
			if res, err := form.Score(questionnaire.Ints(r.Answers...)); err == nil {
				sc.Result = res
			}
		}
		out = append(out, sc)
	}
	return out
}

// requireRole checks that someone with the role is logged in. An
// organization's staff (care points, managers) get ENOTFOUND rather than
// EFORBIDDEN: care data is not theirs to learn about, not even that it
// exists.
func requireRole(a eyelevel.Actor, role eyelevel.Role) error {
	if a.Anonymous() {
		return unauthorized()
	} else if a.Role != role && a.Role.OfOrganization() {
		return eyelevel.ErrNotFound()
	} else if a.Role != role {
		return forbidden()
	}
	return nil
}
