// Package questionnaire holds the standardized questionnaires eyelevel asks
// clients to fill in (PHQ-9, GAD-7, WHO-5, PHQ-4) as data — one JSON file per
// instrument and language — and scores answers by the published rules.
//
// The shipped files are embedded; an operator may override any of them with
// a validated translation of their own (see Load). Scoring never depends on
// the language: every translation must have the same structure as the
// English original, which Load checks.
package questionnaire

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

//go:embed instruments
var embedded embed.FS

// Embedded returns the questionnaires shipped with eyelevel.
func Embedded() fs.FS {
	sub, err := fs.Sub(embedded, "instruments")
	if err != nil {
		panic(err)
	}
	return sub
}

// Source is the language whose file defines an instrument's structure.
const Source = "en"

// Option is one answer choice.
type Option struct {
	Value int    `json:"value"`
	Label string `json:"label"`
}

// Item is one question. Safety marks an item whose any answer above 0 is a
// safety signal (PHQ-9 item 9), never to be hidden in a total.
type Item struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Safety bool   `json:"safety,omitempty"`
}

// Band is a named range of the raw total, both ends included.
type Band struct {
	ID  string `json:"id"`
	Min int    `json:"min"`
	Max int    `json:"max"`
}

// Subscale is a sum over some items with a cut-off for a positive screen.
type Subscale struct {
	ID         string `json:"id"`
	Items      []int  `json:"items"` // 0-based item indexes
	PositiveAt int    `json:"positive_at"`
}

// Form is one instrument in one language.
type Form struct {
	Instrument        string     `json:"instrument"`
	Language          string     `json:"language"`
	ShortName         string     `json:"short_name"`
	Name              string     `json:"name"`
	Validated         bool       `json:"validated"`
	Source            string     `json:"source"`
	TranslationNote   string     `json:"translation_note"`
	Instructions      string     `json:"instructions"`
	Options           []Option   `json:"options"`
	Items             []Item     `json:"items"`
	PercentMultiplier int        `json:"percent_multiplier,omitempty"`
	Subscales         []Subscale `json:"subscales,omitempty"`
	Bands             []Band     `json:"bands"`

	min, max int // answer range
}

// Set is every loaded instrument in every language.
type Set struct {
	forms map[string]map[string]*Form // instrument → language → form
}

// Load reads <instrument>/<language>.json from each file system in turn; a
// later one overrides an earlier one's file of the same name, so an
// operator's directory of validated translations can follow the embedded
// files. Every instrument needs an English file, and every translation must
// match its structure.
func Load(fsyses ...fs.FS) (*Set, error) {
	s := &Set{forms: map[string]map[string]*Form{}}
	for _, fsys := range fsyses {
		files, err := fs.Glob(fsys, "*/*.json")
		if err != nil {
			return nil, err
		}
		for _, name := range files {
			if err := s.loadFile(fsys, name); err != nil {
				return nil, fmt.Errorf("questionnaire %s: %w", name, err)
			}
		}
	}
	for id, langs := range s.forms {
		src, ok := langs[Source]
		if !ok {
			return nil, fmt.Errorf("questionnaire %s: no %s.json", id, Source)
		}
		if err := src.checkSelf(); err != nil {
			return nil, fmt.Errorf("questionnaire %s/%s.json: %w", id, Source, err)
		}
		for lang, f := range langs {
			if err := f.checkLike(src); err != nil {
				return nil, fmt.Errorf("questionnaire %s/%s.json: %w", id, lang, err)
			}
		}
	}
	return s, nil
}

func (s *Set) loadFile(fsys fs.FS, name string) error {
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	var f Form
	if err := dec.Decode(&f); err != nil {
		return err
	}
	dir, file := path.Split(name)
	id, lang := strings.TrimSuffix(dir, "/"), strings.TrimSuffix(file, ".json")
	if f.Instrument != id || f.Language != lang {
		return fmt.Errorf("file says %s/%s, path says %s/%s", f.Instrument, f.Language, id, lang)
	}
	if s.forms[id] == nil {
		s.forms[id] = map[string]*Form{}
	}
	s.forms[id][lang] = &f
	return nil
}

// Limits of a questionnaire file.
const (
	maxItems = 1000
	maxValue = 1000
)

// checkSelf checks the source file's own consistency: distinct contiguous
// answer values, bands covering every possible total without gaps, subscale
// items in range.
func (f *Form) checkSelf() error {
	if len(f.Items) == 0 || len(f.Options) < 2 || len(f.Bands) == 0 {
		return errors.New("needs items, options and bands")
	}
	vals := make([]int, len(f.Options))
	for i, o := range f.Options {
		vals[i] = o.Value
	}
	slices.Sort(vals)
	for i := 1; i < len(vals); i++ {
		if vals[i] != vals[i-1]+1 {
			return errors.New("answer values must be distinct and contiguous")
		}
	}
	// Bounded so that totals, subscales and percentages cannot overflow
	// (a file with huge values scored wrapped-around totals).
	if len(f.Items) > maxItems || vals[0] < -maxValue || vals[len(vals)-1] > maxValue ||
		f.PercentMultiplier < 0 || f.PercentMultiplier > maxValue {
		return fmt.Errorf("at most %d items, answer values and percent_multiplier within ±%d", maxItems, maxValue)
	}
	lo, hi := vals[0]*len(f.Items), vals[len(vals)-1]*len(f.Items)
	bands := slices.Clone(f.Bands)
	sort.Slice(bands, func(i, j int) bool { return bands[i].Min < bands[j].Min })
	next := lo
	for _, b := range bands {
		if b.Min != next || b.Max < b.Min {
			return fmt.Errorf("bands must cover %d–%d without gaps or overlaps", lo, hi)
		}
		next = b.Max + 1
	}
	if next != hi+1 {
		return fmt.Errorf("bands must cover %d–%d without gaps or overlaps", lo, hi)
	}
	for _, sc := range f.Subscales {
		for _, i := range sc.Items {
			if i < 0 || i >= len(f.Items) {
				return fmt.Errorf("subscale %s names item %d of %d", sc.ID, i, len(f.Items))
			}
		}
	}
	return nil
}

// checkLike checks that a translation has the source's structure and
// texts for everything, and caches the answer range.
func (f *Form) checkLike(src *Form) error {
	if len(f.Items) != len(src.Items) || len(f.Options) != len(src.Options) {
		return fmt.Errorf("has %d items and %d options, %s has %d and %d", len(f.Items), len(f.Options), Source, len(src.Items), len(src.Options))
	}
	for i, it := range f.Items {
		if it.ID != src.Items[i].ID || it.Safety != src.Items[i].Safety || strings.TrimSpace(it.Text) == "" {
			return fmt.Errorf("item %d differs from %s or has no text", i+1, Source)
		}
	}
	for i, o := range f.Options {
		if o.Value != src.Options[i].Value || strings.TrimSpace(o.Label) == "" {
			return fmt.Errorf("option %d differs from %s or has no label", i+1, Source)
		}
	}
	if !slices.Equal(f.Bands, src.Bands) || f.PercentMultiplier != src.PercentMultiplier ||
		!slices.EqualFunc(f.Subscales, src.Subscales, func(a, b Subscale) bool {
			return a.ID == b.ID && a.PositiveAt == b.PositiveAt && slices.Equal(a.Items, b.Items)
		}) {
		return fmt.Errorf("scoring differs from %s", Source)
	}
	if strings.TrimSpace(f.Name) == "" || strings.TrimSpace(f.Instructions) == "" || f.ShortName == "" {
		return errors.New("needs name, short_name and instructions")
	}
	f.min, f.max = f.Options[0].Value, f.Options[0].Value
	for _, o := range f.Options {
		f.min, f.max = min(f.min, o.Value), max(f.max, o.Value)
	}
	return nil
}

// Instruments returns the ids of the loaded instruments, sorted.
func (s *Set) Instruments() []string {
	ids := make([]string, 0, len(s.forms))
	for id := range s.forms {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Has reports whether an instrument is loaded.
func (s *Set) Has(instrument string) bool { return s.forms[instrument] != nil }

// Form returns an instrument in a language, or in English when there is no
// translation; false for an unknown instrument.
func (s *Set) Form(instrument, lang string) (*Form, bool) {
	langs := s.forms[instrument]
	if langs == nil {
		return nil, false
	}
	if f, ok := langs[lang]; ok {
		return f, true
	}
	return langs[Source], true
}

// Languages returns the languages an instrument is available in, sorted.
func (s *Set) Languages(instrument string) []string {
	var out []string
	for lang := range s.forms[instrument] {
		out = append(out, lang)
	}
	sort.Strings(out)
	return out
}
