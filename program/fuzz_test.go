package program

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// fuzzUnsafeHTML matches what a step's page must never carry: scripts,
// frames, event handlers and script URLs.
var fuzzUnsafeHTML = regexp.MustCompile(`(?i)<\s*(script|iframe|object|embed|style|form|input|link|meta)|\son[a-z]+\s*=|(href|src)\s*=\s*"\s*(javascript|vbscript|data):`)

// FuzzParse fuzzes an operator's program step file, read as a replacement
// of the German step 3 (the file name is part of the input): parse never
// panics; an accepted step has a number 1–7 matching its file name, a
// title and prompts, and its HTML has no raw HTML, scripts or script
// links; Load with it either refuses or serves it.
func FuzzParse(f *testing.F) {
	shipped := Embedded()
	names, err := fs.Glob(shipped, "en/*.md")
	if err != nil || len(names) == 0 {
		f.Fatal(names, err)
	}
	for _, name := range names[:3] {
		b, err := fs.ReadFile(shipped, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, strings.TrimPrefix(name, "en/"))
	}
	step3 := "---\nstep: 3\nslug: my-values\ntitle: Werte\nprompts: [a]\n---\n"
	for _, body := range []string{
		"<script>alert(1)</script>", "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "![x](data:text/html;base64,PHNjcmlwdD4=)",
		"<img src=x onerror=alert(1)>", "<iframe src=https://example.org></iframe>", "<a href=\"javascript:x\">y</a>",
		"[x]: javascript:alert(1)\n\n[y][x]", "`<script>`", "    <script>", "<!-- x --><style>*{}</style>", "*a* **b** [c](/program/1)",
	} {
		f.Add([]byte(step3+body), "3-my-values.md")
	}
	for _, s := range []string{"step: 3\n", "---\nstep: 3\n", "---\n---\n", "---\nstep: 8\nslug: x\ntitle: t\nprompts: [a]\n---\n",
		"---\nstep: 3\nslug: my-values\ntitle: \" \"\nprompts: [a]\n---\n", "---\nstep: 3\nslug: my-values\ntitle: t\nprompts: [a]\nextra: 1\n---\n",
		"---\r\nstep: 3\r\nslug: my-values\r\ntitle: t\r\nprompts: [a]\r\n---\r\nbody", "---\nstep: &a [*a]\n---\n", "---\n{step: 3\n---\n"} {
		f.Add([]byte(s), "3-my-values.md")
	}
	f.Fuzz(func(t *testing.T, content []byte, file string) {
		if strings.ContainsAny(file, "/\\") || file == "" || !fs.ValidPath("de/"+file) {
			return
		}
		fsys := fstest.MapFS{"de/" + file: {Data: content}}
		st, err := parse(fsys, "de/"+file)
		if err != nil {
			return
		}
		if st.Number < 1 || st.Number > Steps || strings.TrimSpace(st.Title) == "" || len(st.Prompts) == 0 || st.Language != "de" ||
			!strings.HasPrefix(file, strings.TrimSpace(string(rune('0'+st.Number)))+"-"+st.Slug) {
			t.Fatalf("%q as %s: accepted %+v", content, file, st)
		}
		if m := fuzzUnsafeHTML.FindString(string(st.Body)); m != "" {
			t.Fatalf("%q: body carries %q:\n%s", content, m, st.Body)
		}
		if !strings.HasSuffix(file, ".md") {
			return
		}
		p, err := Load(shipped, fsys)
		if err != nil {
			return
		}
		if got, ok := p.Step("de", st.Number); !ok || got.Body != st.Body {
			t.Fatalf("%q: loaded, but step %d is not it", content, st.Number)
		}
	})
}
