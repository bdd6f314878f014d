package program

import (
	"strings"
	"testing"
	"testing/fstest"
)

var uiLanguages = []string{"de", "en", "ar", "fa", "fa-AF", "ps", "tr", "ru", "uk", "kmr"}

func TestEmbeddedProgramInEveryLanguage(t *testing.T) {
	p, err := Load(Embedded())
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range uiLanguages {
		steps := p.Steps(lang)
		if len(steps) != Steps {
			t.Fatalf("%s: %d steps", lang, len(steps))
		}
		for i, st := range steps {
			if st.Language != lang {
				t.Errorf("%s step %d: falls back to %s", lang, i+1, st.Language)
			}
			if st.Number != i+1 || st.Body == "" || st.Summary == "" || st.Minutes <= 0 {
				t.Errorf("%s step %d: incomplete %+v", lang, i+1, st)
			}
			if strings.Contains(string(st.Body), "<script") || strings.Contains(string(st.Body), "http") {
				t.Errorf("%s step %d: body has a script or a link", lang, i+1)
			}
		}
	}
}

const step1 = "---\nstep: 1\nslug: situation\ntitle: Mine\nsummary: s\nminutes: 5\nprompts:\n  - q?\n---\n## Hello\n\n<script>alert(1)</script>\n\nText & *more*.\n"

func TestOverrideAndRawHTMLDropped(t *testing.T) {
	over := fstest.MapFS{"en/1-situation.md": {Data: []byte(step1)}}
	p, err := Load(Embedded(), over)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := p.Step("en", 1)
	if st.Title != "Mine" {
		t.Fatalf("override not applied: %q", st.Title)
	}
	if strings.Contains(string(st.Body), "<script") || !strings.Contains(string(st.Body), "<em>more</em>") || !strings.Contains(string(st.Body), "&amp;") {
		t.Fatalf("body = %s", st.Body)
	}
	if _, ok := p.Step("en", 8); ok {
		t.Fatal("step 8 exists")
	}
	if st, _ := p.Step("xx", 2); st.Language != "en" {
		t.Fatalf("unknown language falls back to %s", st.Language)
	}
}

func TestBadFilesRefused(t *testing.T) {
	cases := map[string]fstest.MapFS{
		"no front matter": {"en/1-situation.md": {Data: []byte("# hi\n")}},
		"wrong name":      {"en/1-other.md": {Data: []byte(step1)}},
		"unknown key":     {"en/1-situation.md": {Data: []byte(strings.Replace(step1, "minutes: 5", "minutes: 5\ncolour: red", 1))}},
		"slug differs":    {"de/1-place.md": {Data: []byte(strings.Replace(step1, "slug: situation", "slug: place", 1))}},
	}
	for name, fsys := range cases {
		if _, err := Load(Embedded(), fsys); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := Load(fstest.MapFS{"en/1-situation.md": {Data: []byte(step1)}}); err == nil {
		t.Error("loaded a program with one step")
	}
}
