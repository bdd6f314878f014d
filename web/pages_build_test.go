package web

import (
	"strings"
	"testing"

	"eyelevel/buildinfo"
)

// TestAdminFooterShowsBuild: admins see which version and commit run, in
// the footer of their pages; nobody else does.
func TestAdminFooterShowsBuild(t *testing.T) {
	e := newPagesEnv(t)
	admin, counselor, _ := e.setup()
	bi := buildinfo.Get()
	p := admin.get("/admin/counselors")
	mustStatus(t, "admin counselors", p, 200)
	mustContain(t, "admin footer", p, `<p class="build">eyelevel `+"\u2068"+bi.Version+"\u2069", "\u2068"+bi.Commit+"\u2069</p>")
	p = counselor.get("/")
	mustStatus(t, "counselor home", p, 200)
	if strings.Contains(p.body, `class="build"`) {
		t.Error("a counselor's page shows the build")
	}
}
