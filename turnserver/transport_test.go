package turnserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// streamClient returns a client speaking TURN over conn (TCP or TLS).
func streamClient(tb testing.TB, s *Server, conn net.Conn, userID string) *turn.Client {
	tb.Helper()
	username, password := Credentials([]byte(testSecret), userID, time.Now().Add(time.Hour))
	return mustClient(tb, conn.RemoteAddr(), turn.NewSTUNConn(conn), username, password)
}

func TestAllocateOverTCP(t *testing.T) {
	s, _ := MustStart(t, Config{})
	conn, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	mustAllocate(t, streamClient(t, s, conn, "alice"))

	// RFC 6062 TCP relaying is not offered (see relayGenerator).
	conn, err = net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	if alloc, err := streamClient(t, s, conn, "bob").AllocateTCP(); err == nil {
		alloc.Close()
		t.Error("AllocateTCP succeeded, want an error")
	} else if !strings.Contains(err.Error(), "508") {
		// 508 Insufficient Capacity is pion's answer when the generator refuses.
		t.Errorf("AllocateTCP error = %v, want 508", err)
	}
}

func TestAllocateOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeCert(t, dir)
	s, _ := MustStart(t, Config{TLSListen: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile})
	if s.TLSAddr() == nil {
		t.Fatal("TLSAddr is nil")
	}
	conn, err := tls.Dial("tcp", s.TLSAddr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	relay := mustAllocate(t, streamClient(t, s, conn, "alice"))
	if got := relay.LocalAddr().(*net.UDPAddr); !got.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("relayed address = %v", got)
	}

	if s2, _ := MustStart(t, Config{}); s2.TLSAddr() != nil {
		t.Errorf("TLSAddr without TLS = %v, want nil", s2.TLSAddr())
	}
}

// writeCert writes a self-signed certificate for localhost into dir.
func writeCert(tb testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		tb.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
