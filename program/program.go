// Package program holds the seven-step guided self-help program that clients
// work through between sessions. Each step is a Markdown file with YAML front
// matter, one per step and language, so an operator can replace the shipped
// sample program with their own (see Load).
package program

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"go.yaml.in/yaml/v3"
)

//go:embed steps
var embedded embed.FS

// Embedded returns the sample program shipped with eyelevel.
func Embedded() fs.FS {
	sub, err := fs.Sub(embedded, "steps")
	if err != nil {
		panic(err)
	}
	return sub
}

// Steps is the number of steps in the program.
const Steps = 7

// Source is the language every other must match step for step.
const Source = "en"

// Step is one step in one language.
type Step struct {
	Number   int      `yaml:"step"`
	Slug     string   `yaml:"slug"`
	Title    string   `yaml:"title"`
	Summary  string   `yaml:"summary"`
	Minutes  int      `yaml:"minutes"`
	Prompts  []string `yaml:"prompts"`
	Language string   `yaml:"-"`
	// Body is the Markdown rendered to HTML. Raw HTML in the file is not
	// passed through, so content cannot add scripts or outside requests.
	Body template.HTML `yaml:"-"`
}

// Program is the loaded steps in every language.
type Program struct {
	steps map[string][]Step // language → steps 1..7
}

// Load reads <language>/<n>-<slug>.md from each file system in turn; a later
// one overrides an earlier one's step of the same language and number. Every
// language must have all seven steps with the English slugs.
func Load(fsyses ...fs.FS) (*Program, error) {
	byLang := map[string]map[int]Step{}
	for _, fsys := range fsyses {
		files, err := fs.Glob(fsys, "*/*.md")
		if err != nil {
			return nil, err
		}
		for _, name := range files {
			st, err := parse(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("program %s: %w", name, err)
			}
			if byLang[st.Language] == nil {
				byLang[st.Language] = map[int]Step{}
			}
			byLang[st.Language][st.Number] = st
		}
	}
	src := byLang[Source]
	if len(src) != Steps {
		return nil, fmt.Errorf("program: %s needs %d steps, has %d", Source, Steps, len(src))
	}
	p := &Program{steps: map[string][]Step{}}
	for lang, steps := range byLang {
		if len(steps) != Steps {
			return nil, fmt.Errorf("program: %s needs %d steps, has %d", lang, Steps, len(steps))
		}
		list := make([]Step, Steps)
		for n := 1; n <= Steps; n++ {
			st, ok := steps[n]
			if !ok || st.Slug != src[n].Slug {
				return nil, fmt.Errorf("program: %s step %d missing or its slug differs from %s", lang, n, Source)
			}
			list[n-1] = st
		}
		p.steps[lang] = list
	}
	return p, nil
}

func parse(fsys fs.FS, name string) (Step, error) {
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Step{}, err
	}
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return Step{}, errors.New("no front matter")
	}
	front, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		return Step{}, errors.New("front matter not closed")
	}
	var st Step
	dec := yaml.NewDecoder(strings.NewReader(front))
	dec.KnownFields(true)
	if err := dec.Decode(&st); err != nil {
		return Step{}, fmt.Errorf("front matter: %w", err)
	}
	dir, file := path.Split(name)
	st.Language = strings.TrimSuffix(dir, "/")
	if want := fmt.Sprintf("%d-%s.md", st.Number, st.Slug); file != want {
		return Step{}, fmt.Errorf("file should be named %s", want)
	}
	if st.Number < 1 || st.Number > Steps || strings.TrimSpace(st.Title) == "" || len(st.Prompts) == 0 {
		return Step{}, errors.New("needs step 1–7, a title and prompts")
	}
	var buf bytes.Buffer
	if err := goldmark.Convert([]byte(body), &buf); err != nil {
		return Step{}, err
	}
	st.Body = template.HTML(buf.String()) // goldmark escapes text and drops raw HTML
	return st, nil
}

// Steps returns the seven steps in a language, or in English when the
// program has no translation for it.
func (p *Program) Steps(lang string) []Step {
	if s, ok := p.steps[lang]; ok {
		return s
	}
	return p.steps[Source]
}

// Step returns step n (1-based) in a language.
func (p *Program) Step(lang string, n int) (Step, bool) {
	if n < 1 || n > Steps {
		return Step{}, false
	}
	return p.Steps(lang)[n-1], true
}

// Languages returns the languages the program is available in, sorted.
func (p *Program) Languages() []string {
	out := make([]string, 0, len(p.steps))
	for l := range p.steps {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}
