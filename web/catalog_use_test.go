package web_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

func sourceKeys(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../i18n/catalog/en.json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for k := range m {
		keys[k] = true
	}
	return keys
}

var (
	templateKey = regexp.MustCompile(`\bt "([^"]+)"`)
	keyShaped   = regexp.MustCompile(`^[a-z_]+(\.[a-z0-9_]+)+$`)
	fileLike    = regexp.MustCompile(`\.(js|css|html|json|go|db|sql|md|png|svg|txt)$`)
)

// TestCatalogKeysExist: every key that templates and Go code ask the
// catalog for exists in the source catalog, so no user ever sees a raw key.
func TestCatalogKeysExist(t *testing.T) {
	keys := sourceKeys(t)
	prefixes := map[string]bool{}
	for k := range keys {
		prefixes[strings.SplitN(k, ".", 2)[0]] = true
	}
	tmpls, _ := filepath.Glob("templates/*.html")
	for _, f := range tmpls {
		b, _ := os.ReadFile(f)
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			if !keys[m[1]] {
				t.Errorf("%s: key %q is not in en.json", f, m[1])
			}
		}
	}
	var goFiles []string
	for _, dir := range []string{".", "../service", "../slots", "../signaling", "../store", "../questionnaire", "../program", "../vault", ".."} {
		fs, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		goFiles = append(goFiles, fs...)
	}
	fset := token.NewFileSet()
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !keyShaped.MatchString(s) || fileLike.MatchString(s) || !prefixes[strings.SplitN(s, ".", 2)[0]] {
				return true
			}
			if !keys[s] && !strings.HasSuffix(s, ".") {
				t.Errorf("%s: key %q is not in en.json", fset.Position(lit.Pos()), s)
			}
			return true
		})
	}
}

// TestHandlersWriteNoLiteralText fails when web code writes user-visible
// text that bypasses the catalog: a literal with words passed to
// http.Error, fmt.Fprint*, io.WriteString or w.Write.
func TestHandlersWriteNoLiteralText(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok {
					name = x.Name + "." + fn.Sel.Name
				} else {
					name = "." + fn.Sel.Name
				}
			}
			switch name {
			case "http.NotFound":
				t.Errorf("%s: http.NotFound writes English text; use the catalog", fset.Position(call.Pos()))
			case "http.Error", "fmt.Fprint", "fmt.Fprintf", "fmt.Fprintln", "io.WriteString", "w.Write":
			default:
				return true
			}
			for _, arg := range call.Args {
				ast.Inspect(arg, func(n ast.Node) bool {
					if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if s, _ := strconv.Unquote(lit.Value); hasWords(s) && !keyShaped.MatchString(s) {
							t.Errorf("%s: %s writes literal text %q; use the catalog", fset.Position(lit.Pos()), name, s)
						}
					}
					return true
				})
			}
			return true
		})
	}
}

// hasWords reports whether s has two letters in a row (markup and format
// verbs alone do not count).
func hasWords(s string) bool {
	s = regexp.MustCompile(`<[^>]*>|%[a-z]`).ReplaceAllString(s, "")
	run := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			run++
			if run >= 2 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}
