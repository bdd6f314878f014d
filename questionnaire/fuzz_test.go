package questionnaire

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"

	"eyelevel"
)

// FuzzLoad fuzzes an operator's questionnaire files: an instrument of its
// own (English source plus a translation) or a replacement translation of
// a shipped one. Load never panics, and every form it accepts scores every
// possible answer: all lowest, all highest and mixed answers land in a
// band, and a wrong number of answers is an EINVALID naming the field.
func FuzzLoad(f *testing.F) {
	shipped := Embedded()
	for _, id := range []string{"phq4", "who5", "phq9"} {
		en, err := fs.ReadFile(shipped, id+"/en.json")
		if err != nil {
			f.Fatal(err)
		}
		de, err := fs.ReadFile(shipped, id+"/de.json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(en, de, false)
		f.Add(de, de, true)
		f.Add(en, []byte(`{}`), false)
	}
	small := `{"instrument":"x","language":"en","short_name":"X","name":"X","instructions":"i",` +
		`"options":[{"value":0,"label":"no"},{"value":1,"label":"yes"}],"items":[{"id":"a","text":"A?","safety":true}],` +
		`"subscales":[{"id":"s","items":[0],"positive_at":1}],"bands":[{"id":"low","min":0,"max":0},{"id":"high","min":1,"max":1}]}`
	f.Add([]byte(small), []byte(`{"instrument":"x","language":"de"}`), false)
	f.Add([]byte(`{"instrument":"x","language":"en","options":[{"value":9223372036854775807},{"value":-9223372036854775808}],"items":[{"id":"a"}],"bands":[{"min":0,"max":1}]}`), []byte(``), false)
	// Accepted before answer values and percent_multiplier were bounded:
	// two "yes" answers scored a percentage of -9223372036854775808.
	huge := `{"instrument":"x","language":"%s","short_name":"X","name":"X","instructions":"i","percent_multiplier":4611686018427387904,` +
		`"options":[{"value":0,"label":"no"},{"value":1,"label":"yes"}],"items":[{"id":"a","text":"A"},{"id":"b","text":"B"}],` +
		`"bands":[{"id":"low","min":0,"max":1},{"id":"high","min":2,"max":2}]}`
	f.Add([]byte(fmt.Sprintf(huge, "en")), []byte(fmt.Sprintf(huge, "de")), false)
	f.Add([]byte(`{"instrument":"x","language":"en","unknown":1}`), []byte(`null`), false)
	f.Fuzz(func(t *testing.T, en, other []byte, replace bool) {
		var set *Set
		var err error
		if replace {
			set, err = Load(shipped, fstest.MapFS{"phq4/de.json": {Data: other}})
		} else {
			set, err = Load(fstest.MapFS{"x/en.json": {Data: en}, "x/de.json": {Data: other}})
		}
		if err != nil {
			return
		}
		for _, id := range set.Instruments() {
			for _, lang := range set.Languages(id) {
				form, _ := set.Form(id, lang)
				checkScores(t, form)
			}
		}
	})
}

func checkScores(t *testing.T, form *Form) {
	t.Helper()
	n := len(form.Items)
	// Totals, percentages and subscales stay far from overflowing an int.
	if n > maxItems || form.min < -maxValue || form.max > maxValue || form.PercentMultiplier > maxValue || form.PercentMultiplier < 0 {
		t.Fatalf("%s/%s: accepted %d items with answers %d..%d, percent multiplier %d", form.Instrument, form.Language, n, form.min, form.max, form.PercentMultiplier)
	}
	for _, answer := range []func(i int) int{
		func(int) int { return form.min },
		func(int) int { return form.max },
		func(i int) int { return []int{form.min, form.max}[i%2] },
	} {
		answers := make([]int, n)
		for i := range answers {
			answers[i] = answer(i)
		}
		r, err := form.Score(Ints(answers...))
		if err != nil {
			t.Fatalf("%s/%s: answers %v: %v", form.Instrument, form.Language, answers, err)
		}
		in := 0
		for _, b := range form.Bands {
			if r.Score >= b.Min && r.Score <= b.Max {
				in++
			}
		}
		if in != 1 {
			t.Fatalf("%s/%s: answers %v score %d, in %d bands of %+v", form.Instrument, form.Language, answers, r.Score, in, form.Bands)
		}
		if r.HasPercent && form.min >= 0 && r.Percent < 0 {
			t.Fatalf("%s/%s: answers %v: percentage %d", form.Instrument, form.Language, answers, r.Percent)
		}
		if len(r.Subscales) != len(form.Subscales) {
			t.Fatalf("%s/%s: %d subscales scored of %d", form.Instrument, form.Language, len(r.Subscales), len(form.Subscales))
		}
	}
	_, err := form.Score(Ints(make([]int, n+1)...))
	var e *eyelevel.Error
	if !errors.As(err, &e) || e.Code != eyelevel.EINVALID || e.Fields["answers"] == "" {
		t.Fatalf("%s/%s: %d answers to %d items: %v", form.Instrument, form.Language, n+1, n, err)
	}
}
