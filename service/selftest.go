package service

import (
	"context"

	"eyelevel"
	"eyelevel/questionnaire"
)

// Advice is the self-test's recommendation.
type Advice string

// The recommendations, from the least to the most urgent.
const (
	// AdviceCounseling: counseling fits.
	AdviceCounseling Advice = "counseling"
	// AdviceDoctorToo: counseling can help, and a doctor or psychotherapist
	// should be seen as well.
	AdviceDoctorToo Advice = "doctor"
	// AdviceImmediate: get help now; counseling can follow.
	AdviceImmediate Advice = "immediate"
)

// SelfTestInput is the onboarding self-test: PHQ-4 and WHO-5 answers.
type SelfTestInput struct {
	PHQ4 []*int `json:"phq4"`
	WHO5 []*int `json:"who5"`
}

// SelfTest is a scored self-test with its recommendation.
type SelfTest struct {
	PHQ4, WHO5 Scored
	Advice     Advice
}

// AdviseSelfTest turns self-test results into a recommendation. The
// thresholds are the instruments' published cut-offs: a PHQ-4 total of 6 or
// more (moderate) or a WHO-5 of 28 % or less ("very low", the screen for a
// possible depression) means seeing a doctor or psychotherapist as well;
// both at their most severe at once means getting help now.
func AdviseSelfTest(phq4, who5 questionnaire.Result) Advice {
	switch {
	case phq4.Band == "severe" && who5.Band == "very_low":
		return AdviceImmediate
	case phq4.Band == "moderate" || phq4.Band == "severe" || who5.Band == "very_low":
		return AdviceDoctorToo
	}
	return AdviceCounseling
}

// SubmitSelfTest scores and stores both parts of the self-test in one
// transaction. Errors: EUNAUTHORIZED, EFORBIDDEN (not a client), EINVALID
// (fields "phq4.answers.N" / "who5.answers.N" name the offending item,
// "phq4.answers" a wrong count).
func (s *Service) SubmitSelfTest(ctx context.Context, a eyelevel.Actor, in SelfTestInput) (SelfTest, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return SelfTest{}, err
	}
	phq4, err1 := s.score(a, "phq4", in.PHQ4)
	who5, err2 := s.score(a, "who5", in.WHO5)
	if err := mergeInvalid([]string{"phq4", "who5"}, err1, err2); err != nil {
		return SelfTest{}, err
	}
	phq4.Occasion, who5.Occasion = OccasionSelfTest, OccasionSelfTest
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.storeResponse(ctx, phq4.Response); err != nil {
			return err
		}
		return s.storeResponse(ctx, who5.Response)
	})
	if err != nil {
		return SelfTest{}, err
	}
	return SelfTest{PHQ4: phq4, WHO5: who5, Advice: AdviseSelfTest(phq4.Result, who5.Result)}, nil
}

// LastSelfTest returns the acting client's latest self-test, or ENOTFOUND.
func (s *Service) LastSelfTest(ctx context.Context, a eyelevel.Actor) (SelfTest, error) {
	rs, err := s.Responses(ctx, a, "")
	if err != nil {
		return SelfTest{}, err
	}
	var t SelfTest
	for _, r := range rs {
		if r.Occasion != OccasionSelfTest {
			continue
		}
		switch r.Instrument {
		case "phq4":
			t.PHQ4 = r
		case "who5":
			t.WHO5 = r
		}
	}
	if t.PHQ4.ID == "" || t.WHO5.ID == "" {
		return SelfTest{}, eyelevel.ErrNotFound()
	}
	t.Advice = AdviseSelfTest(t.PHQ4.Result, t.WHO5.Result)
	return t, nil
}

// mergeInvalid joins the field errors of several parts of one form under
// prefixes ("phq4.answers.3"); a non-EINVALID error wins as it is.
func mergeInvalid(prefixes []string, errs ...error) error {
	fields := map[string]string{}
	var first *eyelevel.Error
	for i, err := range errs {
		prefix := prefixes[i]
		if err == nil {
			continue
		}
		e, ok := err.(*eyelevel.Error)
		if !ok || e.Code != eyelevel.EINVALID {
			return err
		}
		if first == nil {
			first = e
		}
		for f, k := range e.Fields {
			fields[prefix+"."+f] = k
		}
	}
	if first == nil {
		return nil
	}
	return &eyelevel.Error{Code: eyelevel.EINVALID, Key: first.Key, Args: first.Args, Message: first.Message, Fields: fields}
}
