package service_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// passkeyAuthenticator is a software WebAuthn authenticator for tests: one
// P-256 credential, attestation "none", a signature counter the test can
// set (to play a cloned authenticator), and the origin the "browser" runs
// at.
type passkeyAuthenticator struct {
	t      *testing.T
	origin string
	key    *ecdsa.PrivateKey
	id     []byte
	count  uint32
}

func newPasskeyAuthenticator(t *testing.T, origin string) *passkeyAuthenticator {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	return &passkeyAuthenticator{t: t, origin: origin, key: key, id: id}
}

var pkB64 = base64.RawURLEncoding

type passkeyOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

func (a *passkeyAuthenticator) parse(options []byte) passkeyOptions {
	a.t.Helper()
	var o passkeyOptions
	if err := json.Unmarshal(options, &o); err != nil {
		a.t.Fatalf("options %s: %v", options, err)
	}
	return o
}

func (a *passkeyAuthenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return b
}

// authData is the authenticator data for rpid with flags; attested adds
// the credential (registration).
func (a *passkeyAuthenticator) authData(rpid string, attested bool) []byte {
	h := sha256.Sum256([]byte(rpid))
	out := append([]byte{}, h[:]...)
	flags := byte(0x01 | 0x04) // user present, user verified
	if attested {
		flags |= 0x40
	}
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, a.count)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID: zero, as "none" attestation
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.id)))
		out = append(out, a.id...)
		pub, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
			PublicKeyData: webauthncose.PublicKeyData{KeyType: 2, Algorithm: -7},
			Curve:         1,
			XCoord:        a.key.X.FillBytes(make([]byte, 32)),
			YCoord:        a.key.Y.FillBytes(make([]byte, 32)),
		})
		if err != nil {
			a.t.Fatal(err)
		}
		out = append(out, pub...)
	}
	return out
}

// create answers navigator.credentials.create(options).
func (a *passkeyAuthenticator) create(options []byte) []byte {
	a.t.Helper()
	o := a.parse(options)
	cd := a.clientData("webauthn.create", o.PublicKey.Challenge)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(o.PublicKey.RP.ID, true)})
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": pkB64.EncodeToString(a.id), "rawId": pkB64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": pkB64.EncodeToString(cd), "attestationObject": pkB64.EncodeToString(att)},
	})
	return out
}

// get answers navigator.credentials.get(options), counting up first.
func (a *passkeyAuthenticator) get(options []byte) []byte {
	a.t.Helper()
	o := a.parse(options)
	a.count++
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	ad := a.authData(o.PublicKey.RPID, false)
	cdh := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdh[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": pkB64.EncodeToString(a.id), "rawId": pkB64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": pkB64.EncodeToString(cd), "authenticatorData": pkB64.EncodeToString(ad),
			"signature": pkB64.EncodeToString(sig)},
	})
	return out
}
