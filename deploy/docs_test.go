package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOperatorGuide checks docs/operations.md's deployment sections: they
// are written, their relative links lead to files that exist, the sizing
// quotes figures BENCHMARKS.md holds, and the README points to the guide
// and the kit.
func TestOperatorGuide(t *testing.T) {
	guide := readFile(t, "../docs/operations.md")
	sections := map[string]string{}
	var current string
	for _, l := range strings.Split(guide, "\n") {
		if strings.HasPrefix(l, "## ") {
			current = strings.TrimPrefix(l, "## ")
			continue
		}
		sections[current] += l + "\n"
	}
	for _, name := range []string{"Deploying", "Sizing", "TURN ports and the firewall", "Backups", "Upgrades"} {
		text := sections[name]
		if len(strings.TrimSpace(text)) < 500 || strings.Contains(text, "<!-- H-deploy") {
			t.Errorf("section %q is not written", name)
		}
	}
	for _, m := range regexp.MustCompile(`\]\((\.\./[^)#]+|[a-z]+\.md)(#[^)]*)?\)`).FindAllStringSubmatch(guide, -1) {
		if _, err := os.Stat(filepath.Join("../docs", m[1])); err != nil {
			t.Errorf("docs/operations.md links %s, which does not exist", m[1])
		}
	}
	for _, f := range []string{"deploy/compose.yaml", "deploy/eyelevel.service", "deploy/Dockerfile", "deploy/turnserver.conf", "deploy/env.example", "deploy/eyelevel.env.example"} {
		if !strings.Contains(guide, filepath.Base(f)) {
			t.Errorf("docs/operations.md does not mention %s", f)
		}
	}

	bench := readFile(t, "../BENCHMARKS.md")
	for _, figure := range []string{"9.8 ms", "10.7 ms", "0.72 ms", "1.7 ms", "1,748", "2,194", "2,364", "3,649", "1,252", "1,120", "12.8 ms", "32.8 ms", "214 ms", "17,116", "3.09 s", "2.27 s", "33.7", "35.0"} {
		if !strings.Contains(bench, figure) {
			t.Errorf("BENCHMARKS.md no longer holds %s, which the sizing section relies on", figure)
		}
	}
	sizing := sections["Sizing"]
	for _, figure := range []string{"9.8 ms", "1,748", "2,194", "17,116", "33.7–35.0 KiB"} {
		if !strings.Contains(sizing, figure) {
			t.Errorf("the sizing section does not quote %s", figure)
		}
	}

	readme := readFile(t, "../README.md")
	if !strings.HasPrefix(readme, "# eyelevel\n\n```sh\ngo run ./cmd/eyelevel serve --demo\ngo test ./...\n```\n") {
		t.Error("the README's two setup commands at the top changed")
	}
	i := strings.Index(readme, "\n## Running in production\n")
	if i < 0 {
		t.Fatal(`README.md has no section "Running in production"`)
	}
	section := readme[i:]
	section = section[:strings.Index(section[1:], "\n## ")+1]
	for _, link := range []string{"(docs/operations.md)", "(deploy/)"} {
		if !strings.Contains(section, link) {
			t.Errorf("README's Running in production does not link %s", link)
		}
	}
}
