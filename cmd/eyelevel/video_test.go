package main

import (
	"flag"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

func TestTurnQuotaFlags(t *testing.T) {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	env := map[string]string{"EYELEVEL_TURN_QUOTA_USER": "1"}
	c.flags(fs, true)
	if err := fromEnv(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--turn-listen", "127.0.0.1:0", "--turn-quota-ip", "0"}); err != nil {
		t.Fatal(err)
	}
	if c.turn.quotaUser != 1 || c.turn.quotaIP != 0 {
		t.Fatalf("quotas = %d, %d; want 1 (from the environment), 0", c.turn.quotaUser, c.turn.quotaIP)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	v, err := startVideo(c, log)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	// The second allocation of one user is refused: the flag reached the server.
	ice := v.ICE("u1", time.Now().Add(time.Hour))[0]
	addr := v.server.UDPAddr().String()
	for i, want := range []string{"", "486"} {
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		client, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: addr, STUNServerAddr: addr, Conn: conn, Username: ice.Username, Password: ice.Credential})
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		if err := client.Listen(); err != nil {
			t.Fatal(err)
		}
		relay, err := client.Allocate()
		switch {
		case want == "" && err != nil:
			t.Fatalf("allocation %d: %v", i+1, err)
		case want == "":
			defer relay.Close()
		case err == nil || !strings.Contains(err.Error(), want):
			t.Fatalf("allocation %d: %v, want %s", i+1, err, want)
		}
	}

	c.turn.quotaIP = -1
	if v, err := startVideo(c, log); err == nil {
		v.Close()
		t.Error("startVideo accepted a negative --turn-quota-ip")
	}
}
