// Package i18n translates every user-facing string. Catalogs are JSON files,
// one per language, embedded in the binary: a key maps to a text (or plural
// forms) with named placeholders like {hours}. English is the source
// language and carries a context note per key for translators.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed catalog/*.json
var files embed.FS

// Source is the language every key must exist in; others fall back to it.
const Source = "en"

// Default is the language used when nothing else tells us (operators are in Germany).
const Default = "de"

// Entry is one translatable message.
type Entry struct {
	Text    string            `json:"text,omitempty"`
	Plural  map[string]string `json:"plural,omitempty"` // CLDR forms: zero one two few many other
	Context string            `json:"context,omitempty"`
}

// Catalog holds all languages.
type Catalog struct {
	langs   map[string]map[string]Entry
	codes   []string
	matcher language.Matcher
}

// Load reads the embedded catalogs.
func Load() (*Catalog, error) {
	return LoadFS(files)
}

// LoadFS reads catalog/*.json from fsys (for tests with other catalogs).
func LoadFS(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "catalog/*.json")
	if err != nil {
		return nil, err
	}
	c := &Catalog{langs: map[string]map[string]Entry{}}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		m := map[string]Entry{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		code := strings.TrimSuffix(strings.TrimPrefix(name, "catalog/"), ".json")
		c.langs[code] = m
	}
	if _, ok := c.langs[Source]; !ok {
		return nil, fmt.Errorf("catalog: source language %q missing", Source)
	}
	// Offer languages in a fixed order: the order of All, then any others.
	for _, l := range All {
		if _, ok := c.langs[l.Code]; ok {
			c.codes = append(c.codes, l.Code)
		}
	}
	tags := []language.Tag{language.Make(Default)}
	for _, code := range c.codes {
		if code != Default {
			tags = append(tags, language.Make(code))
		}
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// Language describes a UI language.
type Language struct {
	Code string // BCP 47
	Name string // in its own language, for the language switcher
	RTL  bool
}

// All lists the UI languages eyelevel is meant to offer, by their own names.
var All = []Language{
	{"de", "Deutsch", false},
	{"en", "English", false},
	{"ar", "العربية", true},
	{"fa", "فارسی", true},
	{"fa-AF", "دری", true},
	{"ps", "پښتو", true},
	{"tr", "Türkçe", false},
	{"ru", "Русский", false},
	{"uk", "Українська", false},
	{"kmr", "Kurmancî", false},
}

// Languages returns the languages that have a catalog, in display order.
func (c *Catalog) Languages() []Language {
	out := make([]Language, 0, len(c.codes))
	for _, l := range All {
		if c.Has(l.Code) {
			out = append(out, l)
		}
	}
	return out
}

// Has reports whether code has a catalog.
func (c *Catalog) Has(code string) bool {
	_, ok := c.langs[code]
	return ok
}

// Keys returns the keys of language code, sorted.
func (c *Catalog) Keys(code string) []string {
	keys := make([]string, 0, len(c.langs[code]))
	for k := range c.langs[code] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Entry returns the entry of key in language code.
func (c *Catalog) Entry(code, key string) (Entry, bool) {
	e, ok := c.langs[code][key]
	return e, ok
}

// Dir returns "rtl" or "ltr" for a language.
func Dir(code string) string {
	for _, l := range All {
		if l.Code == code && l.RTL {
			return "rtl"
		}
	}
	return "ltr"
}

// aliases maps base languages that language matching does not connect on
// its own: Dari's own code, and generic Kurdish (in Germany mostly Kurmanji).
var aliases = map[string]string{"prs": "fa-AF", "ku": "kmr"}

// Negotiate picks the UI language: an explicit choice, else the account's
// setting, else the browser's Accept-Language, else Default. Only languages
// with a catalog are returned.
func (c *Catalog) Negotiate(explicit, account, acceptLanguage string) string {
	for _, code := range []string{explicit, account} {
		if c.Has(code) {
			return code
		}
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Default
	}
	for i, t := range tags {
		if base, _ := t.Base(); aliases[base.String()] != "" {
			tags[i] = language.Make(aliases[base.String()])
		}
	}
	_, idx, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return Default
	}
	if idx == 0 {
		return Default
	}
	// The matcher's tags are Default followed by c.codes without Default.
	i := 0
	for _, code := range c.codes {
		if code == Default {
			continue
		}
		i++
		if i == idx {
			return code
		}
	}
	return Default
}

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// Placeholders returns the sorted placeholders of a text, e.g. [{hours}].
func Placeholders(text string) []string {
	ps := placeholder.FindAllString(text, -1)
	sort.Strings(ps)
	return ps
}

// T translates key into language code, filling placeholders from args given
// as name/value pairs. A plural entry picks its form by the argument "n".
// Missing keys fall back to the source language, then to the key itself —
// visible, so a missing translation is noticed, and never a crash.
func (c *Catalog) T(code, key string, args ...any) string {
	e, ok := c.langs[code][key]
	if !ok {
		code = Source
		if e, ok = c.langs[Source][key]; !ok {
			return key
		}
	}
	text := e.Text
	if len(e.Plural) > 0 {
		text = e.Plural["other"]
		if n, ok := argInt(args, "n"); ok {
			if form, ok := e.Plural[pluralForm(code, n)]; ok {
				text = form
			}
		}
	}
	if len(args) == 0 || !strings.Contains(text, "{") {
		return text
	}
	return placeholder.ReplaceAllStringFunc(text, func(p string) string {
		name := p[1 : len(p)-1]
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == name {
				return fmt.Sprint(args[i+1])
			}
		}
		return p
	})
}

func argInt(args []any, name string) (int, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == name {
			switch v := args[i+1].(type) {
			case int:
				return v, true
			case int64:
				return int(v), true
			case string:
				n, err := strconv.Atoi(v)
				return n, err == nil
			}
		}
	}
	return 0, false
}

var formNames = map[plural.Form]string{
	plural.Other: "other", plural.Zero: "zero", plural.One: "one",
	plural.Two: "two", plural.Few: "few", plural.Many: "many",
}

// pluralForm returns the CLDR cardinal form of the integer n in language code.
func pluralForm(code string, n int) string {
	if n < 0 {
		n = -n
	}
	digits := []byte(strconv.Itoa(n))
	for i := range digits {
		digits[i] -= '0'
	}
	if code == "kmr" {
		code = "ku" // x/text has Kurdish plural rules under ku only
	}
	return formNames[plural.Cardinal.MatchDigits(language.Make(code), digits, len(digits), 0)]
}
