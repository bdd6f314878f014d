package deploy

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// roScript runs eyelevel as the container does: a root file system that
// holds only the binary and is mounted read-only, a tmpfs on /data (the
// volume), /proc and /dev, and the user 65532 of distroless's nonroot — no
// /tmp to write to either. It refuses to start if the root is writable.
const roScript = `set -e
root=$1; shift
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount -t tmpfs -o mode=0700,uid=65532,gid=65532,size=64m tmpfs "$root/data"
mount --rbind /proc "$root/proc"
mount --rbind /dev "$root/dev"
if touch "$root/probe" 2>/dev/null || touch "$root/tmp/probe" 2>/dev/null; then
	echo "the root file system is writable" >&2
	exit 97
fi
exec chroot --userspec=65532:65532 "$root" "$@"
`

// TestReadOnlyRoot starts serve in a private mount namespace with a
// read-only root file system and only /data writable, as the Dockerfile
// and compose file promise, and checks that it serves /healthz and
// /readyz, wrote its files into /data, and stops cleanly on SIGTERM.
func TestReadOnlyRoot(t *testing.T) {
	for _, tool := range []string{"unshare", "mount", "chroot"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipped: %s is not installed", tool)
		}
	}
	if out, err := exec.Command("unshare", "--mount", "--propagation", "private", "mount", "-t", "tmpfs", "tmpfs", "/mnt").CombinedOutput(); err != nil {
		t.Skipf("skipped: this user may not make a mount namespace and mount in it (needs root or CAP_SYS_ADMIN): %v: %s", err, strings.TrimSpace(string(out)))
	}
	bin := mustBinary(t)

	root := t.TempDir()
	for _, d := range []string{"usr/local/bin", "data", "tmp", "proc", "dev"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(root, 0o755); err != nil { // t.TempDir is 0700; 65532 must enter
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "usr/local/bin/eyelevel"), b, 0o755); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", roScript, "sh", root,
		"/usr/local/bin/eyelevel", "serve", "--addr", "127.0.0.1:0", "--data", "/data", "--turn-listen", "127.0.0.1:0")
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"} // nothing of the test's EYELEVEL_* settings
	srv := startServe(t, cmd)
	base := srv.url

	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Status string }
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || err != nil {
			t.Errorf("GET %s: %d %+v %v", path, res.StatusCode, body, err)
		}
	}
	// The namespace's /data, seen through the process's root.
	entries, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "root", "data"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	for _, want := range []string{"eyelevel.db", "master.key", "turn-secret"} {
		if !slices.Contains(names, want) {
			t.Errorf("/data holds %v, not %s", names, want)
		}
	}

	srv.stop(t)
	if log := srv.Log(); !strings.Contains(log, "eyelevel stopped") || strings.Contains(log, "read-only file system") {
		t.Errorf("serve's log:\n%s", log)
	}
}
