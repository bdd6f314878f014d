package main

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// callWorld is a running server with one booked appointment whose room is
// open, and bearer tokens for its client and counselor.
type callWorld struct {
	base, appt              string
	clientTok, counselorTok string
}

func newCallWorld(t testing.TB) *callWorld {
	base, _ := startServer(t, "--demo", "--room-open-before", "240h", "--min-lead", "0s")
	return bookRoom(t, base)
}

// bookRoom books a session with the demo counselor anna on a server
// started with --demo --room-open-before 240h --min-lead 0s.
func bookRoom(t testing.TB, base string) *callWorld {
	w := &callWorld{base: base}
	reg := map[string]string{"username": "anrufende", "password": "a long passphrase", "language": "de", "timezone": "Europe/Berlin"}
	if st := call(t, "POST", base+"/api/v1/accounts", "", withConsent(reg), nil); st != 201 {
		t.Fatalf("register: %d", st)
	}
	w.clientTok = token(t, base, reg["username"], reg["password"])
	w.counselorTok = tokenOTP(t, base, "anna", demoPassword, demoOTP(t))
	var anna struct{ ID string }
	call(t, "GET", base+"/api/v1/me", w.counselorTok, nil, &anna)
	var slots struct{ Slots []struct{ Start string } }
	now := time.Now().UTC()
	q := "?from=" + now.Format(time.RFC3339) + "&to=" + now.Add(14*24*time.Hour).Format(time.RFC3339)
	if st := call(t, "GET", base+"/api/v1/counselors/"+anna.ID+"/slots"+q, w.clientTok, nil, &slots); st != 200 || len(slots.Slots) == 0 {
		t.Fatalf("slots: %d, %d", st, len(slots.Slots))
	}
	var appt struct{ ID string }
	if st := call(t, "POST", base+"/api/v1/appointments", w.clientTok, map[string]string{"counselor_id": anna.ID, "start": slots.Slots[0].Start}, &appt); st != 201 {
		t.Fatalf("book: %d", st)
	}
	w.appt = appt.ID
	return w
}

func token(t testing.TB, base, user, pass string) string {
	return tokenOTP(t, base, user, pass, "")
}

// tokenOTP is token for an account with a second factor (otp: its code).
func tokenOTP(t testing.TB, base, user, pass, otp string) string {
	var tok struct{ Token string }
	if st := call(t, "POST", base+"/api/v1/tokens", "", map[string]string{"username": user, "password": pass, "otp": otp}, &tok); st != 201 {
		t.Fatalf("token for %s: %d", user, st)
	}
	return tok.Token
}

// pionPeer is a participant in a Go WebRTC stack that speaks our signaling.
type pionPeer struct {
	t         testing.TB
	role      string
	ws        *websocket.Conn
	pc        *webrtc.PeerConnection
	connected chan struct{}
	got       map[string]*atomic.Int64 // packets received per kind
	sent      atomic.Int64             // signaling messages sent (to size the rate limit)
	descs     atomic.Int64             // session descriptions received
	wmu       sync.Mutex
}

type roomInfo struct {
	ICEServers []webrtc.ICEServer `json:"ice_servers"`
	SignalURL  string             `json:"signal_url"`
}

func joinRoom(ctx context.Context, t testing.TB, w *callWorld, tok, role string, relayOnly bool) *pionPeer {
	var room roomInfo
	if st := call(t, "GET", w.base+"/api/v1/appointments/"+w.appt+"/room", tok, nil, &room); st != 200 {
		t.Fatalf("%s room: %d", role, st)
	}
	if relayOnly && len(room.ICEServers) == 0 {
		t.Fatal("room offers no TURN server")
	}
	ws, _, err := websocket.Dial(ctx, room.SignalURL, &websocket.DialOptions{HTTPHeader: map[string][]string{"Authorization": {"Bearer " + tok}}})
	if err != nil {
		t.Fatalf("%s dial signaling: %v", role, err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	if relayOnly {
		// pion holds relay pairs back 2 s by default, hoping for a direct
		// path; with a relay-only policy there is none to wait for.
		se.SetRelayAcceptanceMinWait(time.Millisecond)
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	cfg := webrtc.Configuration{ICEServers: room.ICEServers}
	if relayOnly {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &pionPeer{t: t, role: role, ws: ws, pc: pc, connected: make(chan struct{}), got: map[string]*atomic.Int64{"audio": {}, "video": {}}}
	var once sync.Once
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		if s == webrtc.ICEConnectionStateConnected {
			once.Do(func() { close(p.connected) })
		}
	})
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			b, _ := json.Marshal(c.ToJSON())
			p.send(ctx, map[string]any{"type": "candidate", "candidate": json.RawMessage(b)})
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		n := p.got[tr.Kind().String()]
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			n.Add(1)
		}
	})
	t.Cleanup(func() { pc.Close(); ws.Close(websocket.StatusNormalClosure, "") })
	return p
}

func (p *pionPeer) send(ctx context.Context, m any) {
	b, _ := json.Marshal(m)
	p.sent.Add(1)
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.ws.Write(ctx, websocket.MessageText, b)
}

// addTracks adds an Opus and a VP8 track and sends RTP on them until ctx ends.
func (p *pionPeer) addTracks(ctx context.Context) {
	for _, c := range []struct{ mime, kind string }{{webrtc.MimeTypeOpus, "audio"}, {webrtc.MimeTypeVP8, "video"}} {
		codec := webrtc.RTPCodecCapability{MimeType: c.mime, ClockRate: 90000}
		if c.kind == "audio" {
			codec = webrtc.RTPCodecCapability{MimeType: c.mime, ClockRate: 48000, Channels: 2}
		}
		track, err := webrtc.NewTrackLocalStaticRTP(codec, c.kind, "eyelevel-"+p.role)
		if err != nil {
			p.t.Fatal(err)
		}
		if _, err := p.pc.AddTrack(track); err != nil {
			p.t.Fatal(err)
		}
		go func() {
			<-p.connected
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for seq := uint16(0); ; seq++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				payload := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, byte(seq)} // a tiny VP8-ish / Opus-ish payload; content is opaque to SRTP
				track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 960}, Payload: payload})
			}
		}()
	}
}

// run follows the signaling protocol until ctx ends: the counselor admits
// and offers, the client answers.
func (p *pionPeer) run(ctx context.Context) {
	// Candidates can overtake the description they belong to (they are
	// sent as soon as gathered); keep them until it is set.
	var pending []webrtc.ICECandidateInit
	for {
		_, b, err := p.ws.Read(ctx)
		if err != nil {
			return
		}
		var m struct {
			Type        string                     `json:"type"`
			Description *webrtc.SessionDescription `json:"description"`
			Candidate   *webrtc.ICECandidateInit   `json:"candidate"`
		}
		json.Unmarshal(b, &m)
		switch m.Type {
		case "client-waiting":
			p.send(ctx, map[string]string{"type": "admit"})
		case "ready":
			if p.role == "counselor" {
				offer, err := p.pc.CreateOffer(nil)
				if err != nil {
					p.t.Error(err)
					return
				}
				p.pc.SetLocalDescription(offer)
				p.send(ctx, map[string]any{"type": "description", "description": offer})
			}
		case "description":
			p.descs.Add(1)
			if err := p.pc.SetRemoteDescription(*m.Description); err != nil {
				p.t.Errorf("%s: set remote: %v", p.role, err)
				return
			}
			for _, c := range pending {
				p.pc.AddICECandidate(c)
			}
			pending = nil
			if m.Description.Type == webrtc.SDPTypeOffer {
				answer, err := p.pc.CreateAnswer(nil)
				if err != nil {
					p.t.Error(err)
					return
				}
				p.pc.SetLocalDescription(answer)
				p.send(ctx, map[string]any{"type": "description", "description": answer})
			}
		case "candidate":
			if m.Candidate == nil {
				break
			}
			if p.pc.RemoteDescription() == nil {
				pending = append(pending, *m.Candidate)
			} else {
				p.pc.AddICECandidate(*m.Candidate)
			}
		}
	}
}

// connect connects a client and a counselor and returns them once ICE is
// connected, with the time from both joining to connected.
func connect(ctx context.Context, t testing.TB, w *callWorld, relayOnly bool) (client, counselor *pionPeer, setup time.Duration) {
	client = joinRoom(ctx, t, w, w.clientTok, "client", relayOnly)
	counselor = joinRoom(ctx, t, w, w.counselorTok, "counselor", relayOnly)
	client.addTracks(ctx)
	counselor.addTracks(ctx)
	start := time.Now()
	go client.run(ctx)
	go counselor.run(ctx)
	for _, p := range []*pionPeer{client, counselor} {
		select {
		case <-p.connected:
		case <-ctx.Done():
			t.Fatalf("%s: ICE did not connect", p.role)
		}
	}
	return client, counselor, time.Since(start)
}

func testCall(t *testing.T, relayOnly bool) {
	w := newCallWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, counselor, _ := connect(ctx, t, w, relayOnly)
	// RTP must arrive both ways on both tracks.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if client.got["audio"].Load() >= 20 && client.got["video"].Load() >= 20 && counselor.got["audio"].Load() >= 20 && counselor.got["video"].Load() >= 20 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range []*pionPeer{client, counselor} {
		t.Logf("%s sent %d signaling messages", p.role, p.sent.Load())
		if p.got["audio"].Load() < 20 || p.got["video"].Load() < 20 {
			t.Errorf("%s received audio %d, video %d RTP packets; want ≥ 20 each", p.role, p.got["audio"].Load(), p.got["video"].Load())
		}
		pair, err := p.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
		if err != nil || pair == nil {
			t.Fatalf("%s: no selected pair: %v", p.role, err)
		}
		if relayOnly && pair.Local.Typ != webrtc.ICECandidateTypeRelay {
			t.Errorf("%s: local candidate %s, want relay", p.role, pair.Local.Typ)
		}
		// Direct: neither end relayed. On loopback the server-reflexive
		// candidate is the host socket's own address (the embedded STUN
		// answers with it), so ICE may nominate either: both are direct.
		if !relayOnly && (pair.Local.Typ == webrtc.ICECandidateTypeRelay || pair.Remote.Typ == webrtc.ICECandidateTypeRelay) {
			t.Errorf("%s: pair %s → %s went through the relay, want direct", p.role, pair.Local.Typ, pair.Remote.Typ)
		}
	}
}

// TestCallRelayOnly: two pion peers connect through the real signaling
// server and the embedded TURN server with a relay-only policy.
func TestCallRelayOnly(t *testing.T) { testCall(t, true) }

// TestCallDirect: the same with direct host candidates.
func TestCallDirect(t *testing.T) { testCall(t, false) }

// BenchmarkCallSetup measures, for sequential pion-to-pion calls on
// loopback, the time from both peers joining the room to ICE connected.
// Run: go test ./cmd/eyelevel -run '^$' -bench CallSetup -benchtime 100x
func BenchmarkCallSetup(b *testing.B) {
	for _, mode := range []struct {
		name  string
		relay bool
	}{{"direct", false}, {"relay", true}} {
		b.Run(mode.name, func(b *testing.B) {
			w := newCallWorld(b)
			var setups []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				client, counselor, d := connect(ctx, b, w, mode.relay)
				setups = append(setups, d)
				cancel()
				client.pc.Close()
				counselor.pc.Close()
				client.ws.Close(websocket.StatusNormalClosure, "")
				counselor.ws.Close(websocket.StatusNormalClosure, "")
			}
			b.StopTimer()
			slices.Sort(setups)
			b.ReportMetric(float64(setups[len(setups)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(setups[(len(setups)*99)/100].Microseconds())/1000, "p99-ms")
		})
	}
}
