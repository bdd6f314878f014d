package service

import (
	"context"
	"encoding/json"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/vault"
)

// Encryption at rest of health data (README, "Encryption at rest"): a
// response's answers, score, band and safety flag, a safety alert's source
// and response, a rating's comment are sealed with the client's data key
// (dataKey, as reflections are), each bound by its seal context to its
// row, so a sealed value copied into another row does not open. What stays
// in plain text is what queries need and is not health data: ids, times,
// the instrument and occasion of a response, the stars of a rating, and
// that an alert exists and is open.

// responseSealed is what a response holds sealed.
type responseSealed struct {
	Answers []int  `json:"a"`
	Score   int    `json:"s"`
	Band    string `json:"b"`
	Safety  bool   `json:"f,omitempty"`
}

// alertSealed is what a safety alert holds sealed.
type alertSealed struct {
	Source     string `json:"s"`
	ResponseID string `json:"r,omitempty"`
}

func responseContext(r eyelevel.Response) string {
	return "response|" + string(r.ClientID) + "|" + r.ID
}

func alertContext(a eyelevel.SafetyAlert) string {
	return "alert|" + string(a.ClientID) + "|" + a.ID
}

func ratingContext(r eyelevel.Rating) string {
	return "rating|" + string(r.ClientID) + "|" + string(r.AppointmentID)
}

// keys caches data keys by user for one request or job, so that a list of
// many rows of few clients unwraps each client's key once.
type keys struct {
	s *Service
	m map[eyelevel.UserID][]byte
}

func (s *Service) keys() *keys { return &keys{s: s, m: map[eyelevel.UserID][]byte{}} }

// of returns user's data key; create makes one when they have none.
func (k *keys) of(ctx context.Context, user eyelevel.UserID, create bool) ([]byte, error) {
	if key, ok := k.m[user]; ok {
		return key, nil
	}
	key, err := k.s.dataKey(ctx, user, create)
	if err != nil {
		return nil, err
	}
	k.m[user] = key
	return key, nil
}

// seal seals v (JSON) or text under user's data key.
func (k *keys) seal(ctx context.Context, user eyelevel.UserID, plain []byte, context string) ([]byte, error) {
	key, err := k.of(ctx, user, true)
	if err != nil {
		return nil, err
	}
	return vault.Seal(key, plain, context)
}

// open opens what seal sealed; a wrong key or context is EUNAVAILABLE.
func (k *keys) open(ctx context.Context, user eyelevel.UserID, sealed []byte, context string) ([]byte, error) {
	key, err := k.of(ctx, user, false)
	if err != nil {
		return nil, err
	}
	plain, err := vault.Open(key, sealed, context)
	if err != nil {
		return nil, k.s.keyUnavailable(err)
	}
	return plain, nil
}

// sealResponse fills r.Sealed from r's answers, score, band and flag.
func (k *keys) sealResponse(ctx context.Context, r *eyelevel.Response) error {
	b, err := json.Marshal(responseSealed{Answers: r.Answers, Score: r.Score, Band: r.Band, Safety: r.Safety})
	if err != nil {
		return err
	}
	r.Sealed, err = k.seal(ctx, r.ClientID, b, responseContext(*r))
	return err
}

// openResponses fills in the sealed fields of rs (plain legacy rows as
// they are).
func (k *keys) openResponses(ctx context.Context, rs []eyelevel.Response) error {
	for i := range rs {
		if err := k.openResponse(ctx, &rs[i]); err != nil {
			return err
		}
	}
	return nil
}

func (k *keys) openResponse(ctx context.Context, r *eyelevel.Response) error {
	if len(r.Sealed) == 0 {
		return nil
	}
	b, err := k.open(ctx, r.ClientID, r.Sealed, responseContext(*r))
	if err != nil {
		return err
	}
	var v responseSealed
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	r.Answers, r.Score, r.Band, r.Safety = v.Answers, v.Score, v.Band, v.Safety
	return nil
}

// score opens responses for a report job, which keeps only the scores'
// aggregates (store.OutcomePairs).
func (k *keys) score(ctx context.Context) store.ScoreOf {
	return func(r eyelevel.Response) (int, error) {
		err := k.openResponse(ctx, &r)
		return r.Score, err
	}
}

// sealAlert fills a.Sealed from its source and response.
func (k *keys) sealAlert(ctx context.Context, a *eyelevel.SafetyAlert) error {
	b, err := json.Marshal(alertSealed{Source: a.Source, ResponseID: a.ResponseID})
	if err != nil {
		return err
	}
	a.Sealed, err = k.seal(ctx, a.ClientID, b, alertContext(*a))
	return err
}

// openAlerts fills in the source and response of as.
func (k *keys) openAlerts(ctx context.Context, as []eyelevel.SafetyAlert) error {
	for i := range as {
		if err := k.openAlert(ctx, &as[i]); err != nil {
			return err
		}
	}
	return nil
}

func (k *keys) openAlert(ctx context.Context, a *eyelevel.SafetyAlert) error {
	if len(a.Sealed) == 0 {
		return nil
	}
	b, err := k.open(ctx, a.ClientID, a.Sealed, alertContext(*a))
	if err != nil {
		return err
	}
	var v alertSealed
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	a.Source, a.ResponseID = v.Source, v.ResponseID
	return nil
}

// sealComment seals a rating's comment (an empty one stays empty).
func (k *keys) sealComment(ctx context.Context, r *eyelevel.Rating) error {
	if r.Comment == "" {
		return nil
	}
	var err error
	r.CommentSealed, err = k.seal(ctx, r.ClientID, []byte(r.Comment), ratingContext(*r))
	return err
}

// openComment returns a rating's comment.
func (k *keys) openComment(ctx context.Context, r eyelevel.Rating) (string, error) {
	if len(r.CommentSealed) == 0 {
		return r.Comment, nil
	}
	b, err := k.open(ctx, r.ClientID, r.CommentSealed, ratingContext(r))
	return string(b), err
}

// createResponse seals r and stores it.
func (s *Service) createResponse(ctx context.Context, r eyelevel.Response) error {
	if err := s.keys().sealResponse(ctx, &r); err != nil {
		return err
	}
	return s.db.CreateResponse(ctx, r)
}

// createSafetyAlert seals a's details and stores it.
func (s *Service) createSafetyAlert(ctx context.Context, a eyelevel.SafetyAlert) error {
	if err := s.keys().sealAlert(ctx, &a); err != nil {
		return err
	}
	return s.db.CreateSafetyAlert(ctx, a)
}

// responses returns a client's responses to instrument ("" for all), opened.
func (s *Service) responses(ctx context.Context, client eyelevel.UserID, instrument string) ([]eyelevel.Response, error) {
	rs, err := s.db.Responses(ctx, client, instrument)
	if err != nil {
		return nil, err
	}
	return rs, s.keys().openResponses(ctx, rs)
}

// openAlerts wraps a store call listing alerts: it returns them with
// their details opened, as in s.openAlerts(ctx)(s.db.OpenSafetyAlerts(…)).
func (s *Service) openAlerts(ctx context.Context) func([]eyelevel.SafetyAlert, error) ([]eyelevel.SafetyAlert, error) {
	return func(as []eyelevel.SafetyAlert, err error) ([]eyelevel.SafetyAlert, error) {
		if err != nil {
			return nil, err
		}
		return as, s.keys().openAlerts(ctx, as)
	}
}
