package questionnaire

import (
	"fmt"

	"eyelevel"
)

// Result is a scored response.
type Result struct {
	Instrument string
	Score      int    // raw total
	Band       string // id of the band the total falls in
	Percent    int    // raw × PercentMultiplier (WHO-5); 0 when the instrument has none
	HasPercent bool
	Subscales  []SubscaleResult
	// SafetyItems lists the 1-based numbers of safety items answered above
	// 0. Any entry is a safety signal, whatever the total.
	SafetyItems []int
}

// SafetyAlert reports whether any safety item was answered above 0.
func (r Result) SafetyAlert() bool { return len(r.SafetyItems) > 0 }

// SubscaleResult is one subscale's sum and whether it screens positive.
type SubscaleResult struct {
	ID       string
	Score    int
	Positive bool
}

// Score scores answers given in item order; nil marks an item left out.
// Every item must be answered with one of the instrument's values. Errors:
// EINVALID, naming the first offending item in Fields ("answers.3") and in
// Args ("n", 3).
func (f *Form) Score(answers []*int) (Result, error) {
	if len(answers) != len(f.Items) {
		return Result{}, &eyelevel.Error{
			Code: eyelevel.EINVALID, Key: "questionnaire.err.count", Args: []any{"n", len(f.Items)},
			Message: fmt.Sprintf("Please answer all %d questions.", len(f.Items)),
			Fields:  map[string]string{"answers": "questionnaire.err.count"},
		}
	}
	r := Result{Instrument: f.Instrument}
	for i, a := range answers {
		if a == nil || *a < f.min || *a > f.max {
			key, msg := "questionnaire.err.range", fmt.Sprintf("Answer %d must be between %d and %d.", i+1, f.min, f.max)
			if a == nil {
				key, msg = "questionnaire.err.missing", fmt.Sprintf("Please answer question %d.", i+1)
			}
			return Result{}, &eyelevel.Error{
				Code: eyelevel.EINVALID, Key: key, Args: []any{"n", i + 1}, Message: msg,
				Fields: map[string]string{fmt.Sprintf("answers.%d", i+1): key},
			}
		}
		r.Score += *a
		if f.Items[i].Safety && *a > 0 {
			r.SafetyItems = append(r.SafetyItems, i+1)
		}
	}
	for _, b := range f.Bands {
		if r.Score >= b.Min && r.Score <= b.Max {
			r.Band = b.ID
		}
	}
	if f.PercentMultiplier > 0 {
		r.Percent, r.HasPercent = r.Score*f.PercentMultiplier, true
	}
	for _, sc := range f.Subscales {
		sr := SubscaleResult{ID: sc.ID}
		for _, i := range sc.Items {
			sr.Score += *answers[i]
		}
		sr.Positive = sr.Score >= sc.PositiveAt
		r.Subscales = append(r.Subscales, sr)
	}
	return r, nil
}

// Ints converts plain answers for Score.
func Ints(answers ...int) []*int {
	out := make([]*int, len(answers))
	for i := range answers {
		out[i] = &answers[i]
	}
	return out
}
