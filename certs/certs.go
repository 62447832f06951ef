// Package certs generates the certificates Guardrails needs where
// cert-manager is not installed: a private CA and a serving certificate
// for the webhook (ECDSA P-256), and client certificates for the API
// server when the webhook verifies its callers (--client-ca). `webhook
// dev`, the tests and the self-signed install use it.
package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// File names written by WriteServing, the ones controller-runtime's webhook
// server reads from its cert dir (and cert-manager writes into a Secret).
const (
	CAFile   = "ca.crt"
	CertFile = "tls.crt"
	KeyFile  = "tls.key"
)

// DefaultValidity is how long generated certificates are valid.
const DefaultValidity = 365 * 24 * time.Hour

// CA is a certificate authority that issues serving and client
// certificates.
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
}

// NewCA returns a new self-signed CA valid for validity (DefaultValidity
// when zero).
func NewCA(commonName string, validity time.Duration) (*CA, error) {
	if validity <= 0 {
		validity = DefaultValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour), // tolerate clock skew
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: pemBlock("CERTIFICATE", der)}, nil
}

// Options describe a certificate to issue.
type Options struct {
	// CommonName of the subject; defaults to the first DNS name.
	CommonName string
	// DNSNames and IPs are the subject alternative names (serving certs).
	DNSNames []string
	IPs      []net.IP
	// Organization of the subject (client certs: the groups).
	Organization []string
	// Client makes a client certificate instead of a serving one.
	Client bool
	// Validity defaults to DefaultValidity.
	Validity time.Duration
}

// Issue returns a PEM certificate and PEM private key signed by the CA.
func (ca *CA) Issue(o Options) (certPEM, keyPEM []byte, err error) {
	if !o.Client && len(o.DNSNames) == 0 && len(o.IPs) == 0 {
		return nil, nil, errors.New("certs: a serving certificate needs at least one DNS name or IP")
	}
	if o.Validity <= 0 {
		o.Validity = DefaultValidity
	}
	if o.CommonName == "" && len(o.DNSNames) > 0 {
		o.CommonName = o.DNSNames[0]
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	usage := x509.ExtKeyUsageServerAuth
	if o.Client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: o.CommonName, Organization: o.Organization},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(o.Validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     o.DNSNames,
		IPAddresses:  o.IPs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), pemBlock("EC PRIVATE KEY", keyDER), nil
}

// WriteServing creates a new CA and a serving certificate for dnsNames and
// ips, and writes ca.crt, tls.crt and tls.key into dir (created if needed).
// It returns the CA so that callers can issue more certificates (a
// rotation, client certificates) from it.
func WriteServing(dir string, dnsNames []string, ips []net.IP) (*CA, error) {
	ca, err := NewCA("guardrails-webhook-ca", 0)
	if err != nil {
		return nil, err
	}
	if err := ca.WriteServing(dir, dnsNames, ips); err != nil {
		return nil, err
	}
	return ca, nil
}

// WriteServing issues a serving certificate for dnsNames and ips and
// writes ca.crt, tls.crt and tls.key into dir. Each file is replaced
// atomically (written to a temporary file and renamed), so a reader such as
// controller-runtime's certwatcher never sees half a file.
func (ca *CA) WriteServing(dir string, dnsNames []string, ips []net.IP) error {
	certPEM, keyPEM, err := ca.Issue(Options{DNSNames: dnsNames, IPs: ips})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, CAFile), ca.CertPEM, 0o644); err != nil {
		return err
	}
	// The key first: a watcher that reacts to the certificate then finds
	// the matching key (and retries on the next event otherwise).
	if err := WriteFileAtomic(filepath.Join(dir, KeyFile), keyPEM, 0o600); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, CertFile), certPEM, 0o644)
}

// WriteFileAtomic writes data to a temporary file in path's directory and
// renames it over path.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, perm)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("certs: write %s: %w", path, werr)
	}
	return nil
}

func newSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func pemBlock(typ string, der []byte) []byte {
	var b bytes.Buffer
	_ = pem.Encode(&b, &pem.Block{Type: typ, Bytes: der})
	return b.Bytes()
}
