package signaling

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"eyelevel"
)

var fuzzSignalSeeds = []string{
	`{"type":"admit"}`, `{"type":"end"}`,
	`{"type":"description","description":{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}`,
	`{"type":"description","description":{"type":"answer","sdp":""}}`,
	`{"type":"description","description":{"type":"rollback"}}`,
	`{"type":"description","description":{"type":"pranswer","sdp":"x"}}`,
	`{"type":"description"}`,
	`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}}`,
	`{"type":"candidate","candidate":{"candidate":"","sdpMid":null,"sdpMLineIndex":null}}`,
	`{"type":"candidate","candidate":{"candidate":"x","evil":"<script>"}}`,
	`{"type":"candidate","candidate":{"sdpMLineIndex":70000}}`,
	`{"type":"candidate","candidate":"string"}`, `{"type":"candidate","candidate":null}`,
	`{"type":"candidate"}`, `{"type":"ready"}`, `{"type":"welcome","role":"counselor"}`,
	`{"type":"error","code":"x","message":"y"}`, `{}`, `[]`, `null`, `{"type":1}`, `{"type":"admit"`, ``,
}

// FuzzHandle sends one message from the client or the counselor, with the
// client admitted or not: the answer is nothing or an error message, the
// client can never admit or end, and only a description or candidate
// rebuilt from its known fields ever reaches the other side.
func FuzzHandle(f *testing.F) {
	for _, s := range fuzzSignalSeeds {
		for _, fromCounselor := range []bool{false, true} {
			f.Add([]byte(s), fromCounselor, true)
			f.Add([]byte(s), fromCounselor, false)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, fromCounselor, admit bool) {
		h := NewHub(nil)
		client := NewPeer("a1", "c", eyelevel.RoleClient)
		counselor := NewPeer("a1", "k", eyelevel.RoleCounselor)
		h.Join(counselor)
		h.Join(client)
		if admit {
			if e := h.Handle(counselor, []byte(`{"type":"admit"}`)); e != nil {
				t.Fatal(e)
			}
		}
		drain(t, client)
		drain(t, counselor)
		from, to := client, counselor
		if fromCounselor {
			from, to = counselor, client
		}
		reply := h.Handle(from, raw)
		if reply != nil && (reply.Type != TypeError || !slices.Contains([]string{"invalid", "forbidden", "conflict"}, reply.Code) || reply.Message == "") {
			t.Fatalf("%q: reply %+v", raw, reply)
		}
		for {
			q, ok := to.next()
			if !ok {
				break
			}
			var m Message
			if err := json.Unmarshal(q.b, &m); err != nil {
				t.Fatalf("%q: queued %q: %v", raw, q.b, err)
			}
			if !q.relayed {
				if !fromCounselor {
					t.Fatalf("%q: the client caused %q at the counselor", raw, m.Type)
				}
				continue
			}
			if reply != nil || !admit {
				t.Fatalf("%q: relayed %q with reply %+v, admitted %v", raw, q.b, reply, admit)
			}
			checkRelayed(t, raw, q.b, m)
		}
	})
}

func checkRelayed(t *testing.T, raw, b []byte, m Message) {
	t.Helper()
	switch m.Type {
	case TypeDescription:
		d := m.Description
		if d == nil || !slices.Contains([]string{"offer", "answer", "rollback"}, d.Type) || len(d.SDP) > 48<<10 || m.Candidate != nil {
			t.Fatalf("%q: relayed %q", raw, b)
		}
	case TypeCandidate:
		var c map[string]json.RawMessage
		if m.Description != nil || json.Unmarshal(m.Candidate, &c) != nil {
			t.Fatalf("%q: relayed %q", raw, b)
		}
		for k := range c {
			if !slices.Contains([]string{"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"}, k) {
				t.Fatalf("%q: relayed candidate field %q", raw, k)
			}
		}
	default:
		t.Fatalf("%q: relayed %q", raw, b)
	}
	rest := m
	rest.Type, rest.Description, rest.Candidate = "", nil, nil
	if !reflect.DeepEqual(rest, Message{}) {
		t.Fatalf("%q: relayed more than the description or candidate: %q", raw, b)
	}
}

// FuzzRelayable: a relayable message, relayed again, is the same message
// (the rebuilding is idempotent), and its encoding stays small.
func FuzzRelayable(f *testing.F) {
	for _, s := range fuzzSignalSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m Message
		if json.Unmarshal(raw, &m) != nil {
			return
		}
		out, ok := m.relayable()
		if !ok {
			return
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if len(b) > 64<<10 {
			t.Fatalf("%q: relays %d bytes", raw, len(b))
		}
		var back Message
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q: %q: %v", raw, b, err)
		}
		again, ok := back.relayable()
		b2, _ := json.Marshal(again)
		if !ok || !bytes.Equal(b, b2) {
			t.Fatalf("%q: relayed %q, relayed again %q (%v)", raw, b, b2, ok)
		}
	})
}
