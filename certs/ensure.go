package certs

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CAKeyFile is the CA's private key, written by Ensure next to ca.crt so
// that a renewal can reuse the CA (and the caBundle the API server trusts).
// It never goes into a Secret.
const CAKeyFile = "ca.key"

// DefaultCAValidity is how long a CA made by Ensure is valid: it outlives
// several serving certificates, so renewing those keeps the caBundle.
const DefaultCAValidity = 5 * 365 * 24 * time.Hour

// Default names of the webhook's Service (deploy/base).
const (
	DefaultService   = "guardrails-webhook"
	DefaultNamespace = "guardrails-system"
)

// ServiceDNSNames are the names the API server uses to reach a webhook
// Service (it dials <service>.<namespace>.svc), plus the fully qualified
// form.
func ServiceDNSNames(service, namespace string) []string {
	return []string{
		service + "." + namespace + ".svc",
		service + "." + namespace + ".svc.cluster.local",
	}
}

// LocalNames are the subject alternative names of a certificate for a
// webhook served on this machine.
func LocalNames() ([]string, []net.IP) {
	return []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
}

// EnsureOptions describe the serving certificate Ensure keeps in a
// directory.
type EnsureOptions struct {
	// DNSNames and IPs the serving certificate must cover.
	DNSNames []string
	IPs      []net.IP
	// Validity of a new serving certificate (DefaultValidity when zero).
	Validity time.Duration
	// Force replaces a serving certificate that is still valid (the CA is
	// still reused while it is valid).
	Force bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// EnsureResult says what Ensure did.
type EnsureResult struct {
	// Wrote is true when a new serving certificate was written.
	Wrote bool
	// NewCA is true when a new CA was made (the caBundle changed).
	NewCA bool
	// Reason explains the decision in a few words.
	Reason string
	// NotAfter is the serving certificate's expiry.
	NotAfter time.Time
	// CANotAfter is the CA's expiry.
	CANotAfter time.Time
}

// renewBefore is how close to expiry a certificate is replaced anyway: a
// third of its lifetime, at most 30 days.
func renewBefore(c *x509.Certificate) time.Duration {
	d := c.NotAfter.Sub(c.NotBefore) / 3
	if d > 30*24*time.Hour {
		d = 30 * 24 * time.Hour
	}
	return d
}

// Ensure keeps a CA (ca.crt, ca.key) and a serving certificate (tls.crt,
// tls.key) for o's names in dir. A serving certificate that is valid —
// signed by ca.crt, covering every name, its key matching, not within its
// renewal window — is never replaced unless o.Force is set. A CA that is
// valid and whose key is at hand is reused, so a renewal does not change
// the CA bundle; otherwise a new CA is made (NewCA). Files are written
// atomically, the keys with mode 0600.
func Ensure(dir string, o EnsureOptions) (EnsureResult, error) {
	if len(o.DNSNames) == 0 && len(o.IPs) == 0 {
		return EnsureResult{}, errors.New("certs: a serving certificate needs at least one DNS name or IP")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if o.Validity <= 0 {
		o.Validity = DefaultValidity
	}
	t := now()

	ca, caErr := LoadCA(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile))
	if caErr == nil && t.Add(renewBefore(ca.Cert)).After(ca.Cert.NotAfter) {
		caErr = fmt.Errorf("CA expires %s", ca.Cert.NotAfter.Format(time.RFC3339))
	}
	if caErr == nil && ca.Cert.NotAfter.Before(t.Add(o.Validity)) {
		// Do not issue beyond the CA's own lifetime.
		o.Validity = ca.Cert.NotAfter.Sub(t)
	}

	res := EnsureResult{Wrote: true, Reason: "new certificate"}
	if o.Force {
		res.Reason = "certificate replaced (--force)"
	} else {
		leaf, err := checkServing(dir, o, t)
		if err == nil {
			return EnsureResult{Reason: "valid certificate kept (--force replaces it)", NotAfter: leaf.NotAfter, CANotAfter: caNotAfter(dir)}, nil
		}
		var other *otherNamesError
		switch {
		case errors.As(err, &other):
			// Valid, but for something else: not ours to replace.
			return EnsureResult{}, fmt.Errorf("certs: %s/%s is valid but %v; use --force to replace it, or another directory", dir, CertFile, err)
		case !errors.Is(err, fs.ErrNotExist):
			res.Reason = "certificate replaced: " + err.Error()
		}
	}
	if caErr != nil {
		var err error
		ca, err = NewCA("guardrails-webhook-ca", maxDuration(DefaultCAValidity, o.Validity))
		if err != nil {
			return EnsureResult{}, err
		}
		res.NewCA = true
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return EnsureResult{}, err
		}
		keyPEM, err := ca.KeyPEM()
		if err != nil {
			return EnsureResult{}, err
		}
		// The key first: a CA certificate without its key cannot be reused.
		if err := WriteFileAtomic(filepath.Join(dir, CAKeyFile), keyPEM, 0o600); err != nil {
			return EnsureResult{}, err
		}
	}
	certPEM, keyPEM, err := ca.Issue(Options{DNSNames: o.DNSNames, IPs: o.IPs, Validity: o.Validity})
	if err != nil {
		return EnsureResult{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return EnsureResult{}, err
	}
	if err := WriteFileAtomic(filepath.Join(dir, CAFile), ca.CertPEM, 0o644); err != nil {
		return EnsureResult{}, err
	}
	if err := WriteFileAtomic(filepath.Join(dir, KeyFile), keyPEM, 0o600); err != nil {
		return EnsureResult{}, err
	}
	if err := WriteFileAtomic(filepath.Join(dir, CertFile), certPEM, 0o644); err != nil {
		return EnsureResult{}, err
	}
	leaf, err := parseCertPEM(certPEM)
	if err != nil {
		return EnsureResult{}, err
	}
	res.NotAfter = leaf.NotAfter
	res.CANotAfter = ca.Cert.NotAfter
	return res, nil
}

// checkServing returns the serving certificate in dir when it is valid
// for o at time t, an error wrapping fs.ErrNotExist when there is none,
// or an error saying what is wrong with it.
func checkServing(dir string, o EnsureOptions, t time.Time) (*x509.Certificate, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s and %s do not match: %w", CertFile, KeyFile, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s holds no certificate", CAFile)
	}
	// Verify at the renewal deadline: a certificate that is valid now but
	// expires within its renewal window is replaced.
	at := t.Add(renewBefore(leaf))
	if at.After(leaf.NotAfter) {
		return nil, fmt.Errorf("certificate expires %s", leaf.NotAfter.Format(time.RFC3339))
	}
	opts := x509.VerifyOptions{Roots: pool, CurrentTime: t, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	names := append([]string(nil), o.DNSNames...)
	for _, ip := range o.IPs {
		names = append(names, ip.String())
	}
	for _, name := range names {
		opts.DNSName = name
		if _, err := leaf.Verify(opts); err != nil {
			var host x509.HostnameError
			if errors.As(err, &host) {
				return nil, &otherNamesError{name: name, err: err}
			}
			return nil, fmt.Errorf("certificate not valid for %s: %w", name, err)
		}
	}
	return leaf, nil
}

// otherNamesError: the certificate is valid, but not for a requested name.
type otherNamesError struct {
	name string
	err  error
}

func (e *otherNamesError) Error() string { return "it does not cover " + e.name + ": " + e.err.Error() }
func (e *otherNamesError) Unwrap() error { return e.err }

func caNotAfter(dir string) time.Time {
	b, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		return time.Time{}
	}
	c, err := parseCertPEM(b)
	if err != nil {
		return time.Time{}
	}
	return c.NotAfter
}

// LoadCA reads a CA certificate and its private key (PEM, EC or PKCS#8).
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("%s is not a CA certificate", certFile)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", keyFile)
	}
	var key *ecdsa.PrivateKey
	switch block.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		var k any
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		if err == nil {
			var ok bool
			if key, ok = k.(*ecdsa.PrivateKey); !ok {
				err = errors.New("not an ECDSA key")
			}
		}
	default:
		err = fmt.Errorf("unexpected PEM block %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%s does not match %s", keyFile, certFile)
	}
	return &CA{Cert: cert, Key: key, CertPEM: pemBlock("CERTIFICATE", cert.Raw)}, nil
}

// KeyPEM returns the CA's private key as a PEM "EC PRIVATE KEY" block.
func (ca *CA) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(ca.Key)
	if err != nil {
		return nil, err
	}
	return pemBlock("EC PRIVATE KEY", der), nil
}

func parseCertPEM(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// Client certificate files written by EnsureClient.
const (
	ClientCertFile = "client.crt"
	ClientKeyFile  = "client.key"
)

// EnsureClient keeps a client certificate (client.crt, client.key) for
// commonName in dir, issued by the CA that Ensure keeps there (ca.crt,
// ca.key): the certificate the API server presents to a webhook started
// with --client-ca (see README, mutual TLS). A valid one is kept unless
// force is set. It reports whether it wrote a new one.
func EnsureClient(dir, commonName string, validity time.Duration, force bool) (bool, error) {
	if commonName == "" {
		return false, errors.New("certs: a client certificate needs a common name")
	}
	ca, err := LoadCA(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		return false, fmt.Errorf("certs: client certificate: %w", err)
	}
	if !force {
		if pair, err := tls.LoadX509KeyPair(filepath.Join(dir, ClientCertFile), filepath.Join(dir, ClientKeyFile)); err == nil {
			if leaf, err := x509.ParseCertificate(pair.Certificate[0]); err == nil {
				pool := x509.NewCertPool()
				pool.AddCert(ca.Cert)
				at := time.Now().Add(renewBefore(leaf))
				if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
					if leaf.Subject.CommonName != commonName {
						return false, fmt.Errorf("certs: %s/%s is valid but for %q; use --force to replace it", dir, ClientCertFile, leaf.Subject.CommonName)
					}
					return false, nil
				}
			}
		}
	}
	if validity <= 0 || time.Now().Add(validity).After(ca.Cert.NotAfter) {
		validity = min(DefaultValidity, time.Until(ca.Cert.NotAfter))
	}
	certPEM, keyPEM, err := ca.Issue(Options{CommonName: commonName, Client: true, Validity: validity})
	if err != nil {
		return false, err
	}
	if err := WriteFileAtomic(filepath.Join(dir, ClientKeyFile), keyPEM, 0o600); err != nil {
		return false, err
	}
	return true, WriteFileAtomic(filepath.Join(dir, ClientCertFile), certPEM, 0o644)
}
