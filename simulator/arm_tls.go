package simulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"time"
)

// TestTLS is a throw-away certificate authority and a server certificate
// it signed for 127.0.0.1, ::1 and localhost: the Azure SDK sends bearer
// tokens over HTTPS only and MSAL wants an HTTPS authority, so the ARM mode
// is served over TLS.
type TestTLS struct {
	// CAPEM is the CA certificate (PEM), for SSL_CERT_FILE or a --ca-file.
	CAPEM []byte
	// CertPool holds the CA.
	CertPool *x509.CertPool
	// ServerConfig serves with the server certificate (set it as
	// httptest.Server.TLS before StartTLS, or http.Server.TLSConfig).
	ServerConfig *tls.Config
	// ClientConfig trusts the CA.
	ClientConfig *tls.Config
	// CertPEM and KeyPEM are the server certificate and its key.
	CertPEM, KeyPEM []byte
}

// NewTestTLS generates a CA (ECDSA P-256) and a server certificate, valid
// from an hour ago for ten years.
func NewTestTLS() (*TestTLS, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	serial := func() *big.Int {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
		return n
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "azure_ea_exporter simulator test CA", Organization: []string{"azure_ea_exporter simulator"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	t := &TestTLS{
		CAPEM:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
	t.CertPool = x509.NewCertPool()
	t.CertPool.AddCert(ca)
	cert, err := tls.X509KeyPair(t.CertPEM, t.KeyPEM)
	if err != nil {
		return nil, err
	}
	t.ServerConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	t.ClientConfig = &tls.Config{RootCAs: t.CertPool, MinVersion: tls.VersionTLS12}
	return t, nil
}

// Client returns an HTTP client that trusts the CA.
func (t *TestTLS) Client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = t.ClientConfig.Clone()
	return &http.Client{Transport: tr}
}

// ClientCertificate is a self-signed RSA certificate for the client
// certificate credential (MSAL signs assertions with PS256, so RSA).
type ClientCertificate struct {
	Certificate *x509.Certificate
	// PEM holds the certificate and its PKCS#8 private key, the form
	// azidentity.ParseCertificates and client_certificate_file read.
	PEM []byte
}

// NewClientCertificate generates a client certificate valid for the given
// duration from an hour ago (RSA 2048).
func NewClientCertificate(commonName string, validFor time.Duration) (*ClientCertificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber: n,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validFor),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshalling the key: %w", err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	p = append(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	return &ClientCertificate{Certificate: cert, PEM: p}, nil
}
