//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"eyelevel/store"
	"eyelevel/store/storetest"
	"eyelevel/vault"
)

// leaderNode is a serve process of TestLeaderProcesses.
type leaderNode struct {
	cmd   *exec.Cmd
	stdin io.Closer
	log   *syncBuffer // its log (stderr)
	done  chan error
}

var leadsLine = regexp.MustCompile(`this node leads.* node=(\w+)`)

// id is the node's id once it has led (from its log), or "".
func (n *leaderNode) id() string {
	if m := leadsLine.FindStringSubmatch(n.log.String()); m != nil {
		return m[1]
	}
	return ""
}

func (n *leaderNode) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

func startLeaderNode(t *testing.T, key string, args ...string) *leaderNode {
	t.Helper()
	b, _ := json.Marshal(append([]string{"--addr", "127.0.0.1:0", "--turn-listen", "127.0.0.1:0", "--data", t.TempDir()}, args...))
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeProcess$")
	cmd.Env = append(os.Environ(), serveProcessEnv+"="+string(b), storetest.PostgresEnv+"=", "CI=", "EYELEVEL_MASTER_KEY="+key) // CI= : the child serves; RunSuite must not demand its PostgreSQL pass
	n := &leaderNode{cmd: cmd, log: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = n.log
	var err error
	if n.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGCONT)
			cmd.Process.Kill()
			<-n.done
		}
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if listening.MatchString(lines.Text()) {
			go io.Copy(io.Discard, stdout)
			go func() { n.done <- cmd.Wait() }()
			return n
		}
	}
	t.Fatalf("serve did not start:\n%s", n.log.String())
	return nil
}

// TestLeaderProcesses: two serve processes on one PostgreSQL database (and
// one master key): exactly one leads; frozen (SIGSTOP), it loses the lead
// to the other within the lease time and, thawed, knows it no longer
// leads; the new leader killed with kill -9, the first takes the lead back;
// stopped cleanly, it releases the lease.
func TestLeaderProcesses(t *testing.T) {
	onPostgres(t)
	dsn, _ := storetest.Location(t, store.Postgres)
	db := storetest.OpenAt(t, dsn, "")
	key := base64.StdEncoding.EncodeToString(vault.NewKey())
	nodes := []*leaderNode{startLeaderNode(t, key, "--db", dsn)}
	nodes = append(nodes, startLeaderNode(t, key, "--db", dsn))
	ctx := context.Background()
	holder := func() string {
		l, err := db.LeaseOf(ctx, leaseName)
		if err != nil {
			t.Fatal(err)
		}
		return l.Holder
	}
	// leader is the node that holds the lease and says it leads.
	leader := func() (x, y *leaderNode) {
		h := holder()
		for i, n := range nodes {
			if h != "" && n.id() == h {
				return n, nodes[1-i]
			}
		}
		return nil, nil
	}
	var x, y *leaderNode
	waitFor(t, "a node leads", func() bool { x, y = leader(); return x != nil })
	if y.id() != "" {
		t.Fatalf("both nodes took the lead:\n%s\n%s", x.log, y.log)
	}

	// Frozen, the leader loses the lead to the other node.
	xid := x.id()
	x.signal(t, syscall.SIGSTOP)
	began := time.Now()
	waitFor(t, "the other node takes over from a frozen one", func() bool { h := holder(); return h != "" && h != xid && h == y.id() })
	t.Logf("took over from a frozen leader after %v", time.Since(began).Round(100*time.Millisecond))
	yid := y.id()
	x.signal(t, syscall.SIGCONT)
	waitFor(t, "the thawed node knows it no longer leads", func() bool { return strings.Contains(x.log.String(), "this node no longer leads") })
	if h := holder(); h != yid {
		t.Fatalf("lease holder %q after the first leader thawed, want %q", h, yid)
	}

	// kill -9: the lease expires and the first node takes the lead back.
	if err := y.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-y.done
	began = time.Now()
	waitFor(t, "the first node takes over from a killed one", func() bool { return holder() == xid })
	t.Logf("took over from a killed leader after %v", time.Since(began).Round(100*time.Millisecond))

	// A clean stop releases the lease.
	x.stdin.Close()
	if err := <-x.done; err != nil {
		t.Fatalf("serve: %v\n%s", err, x.log)
	}
	if h := holder(); h != "" {
		t.Errorf("lease held by %q after its node stopped", h)
	}
}
