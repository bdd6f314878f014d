package signaling

import "encoding/json"

// Message types. See docs/signaling.md.
const (
	// From the server.
	TypeWelcome       = "welcome"        // you are in; your role, whether you are polite, whether the peer is here
	TypeWaiting       = "waiting"        // client: please wait to be admitted
	TypeClientWaiting = "client-waiting" // counselor: the client is waiting
	TypeReady         = "ready"          // both are in and admitted: (re)start the peer connection
	TypePeerLeft      = "peer-left"      // the other side left; keep waiting
	TypeEnded         = "ended"          // the counselor ended the session
	TypeReplaced      = "replaced"       // this connection was replaced by a newer one of the same person
	TypeError         = "error"

	// From the counselor.
	TypeAdmit = "admit"
	TypeEnd   = "end"

	// Relayed between the two browsers.
	TypeDescription = "description"
	TypeCandidate   = "candidate"
)

// Message is every message of the protocol; unused fields are omitted.
type Message struct {
	Type        string          `json:"type"`
	Role        string          `json:"role,omitempty"`
	Polite      bool            `json:"polite,omitempty"`
	PeerPresent bool            `json:"peer_present,omitempty"`
	Admitted    bool            `json:"admitted,omitempty"`
	Description *Description    `json:"description,omitempty"`
	Candidate   json.RawMessage `json:"candidate,omitempty"`
	Code        string          `json:"code,omitempty"`
	Message     string          `json:"message,omitempty"` // a catalog key; the browser translates it
}

// Description is an SDP offer or answer (or a rollback).
type Description struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// relayable returns the message to forward, rebuilt from known fields
// only, so nothing but descriptions and candidates reaches the other side.
func (m Message) relayable() (Message, bool) {
	switch m.Type {
	case TypeDescription:
		d := m.Description
		if d == nil || (d.Type != "offer" && d.Type != "answer" && d.Type != "rollback") || len(d.SDP) > 48<<10 {
			return Message{}, false
		}
		return Message{Type: TypeDescription, Description: &Description{Type: d.Type, SDP: d.SDP}}, true
	case TypeCandidate:
		var c struct {
			Candidate        string  `json:"candidate"`
			SDPMid           *string `json:"sdpMid"`
			SDPMLineIndex    *uint16 `json:"sdpMLineIndex"`
			UsernameFragment *string `json:"usernameFragment"`
		}
		if len(m.Candidate) == 0 || len(m.Candidate) > 4096 || json.Unmarshal(m.Candidate, &c) != nil {
			return Message{}, false
		}
		b, _ := json.Marshal(c)
		return Message{Type: TypeCandidate, Candidate: b}, true
	}
	return Message{}, false
}

func errorMessage(code, key string) *Message {
	return &Message{Type: TypeError, Code: code, Message: key}
}
