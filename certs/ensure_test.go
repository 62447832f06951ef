package certs

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func verifyServing(t *testing.T, dir string, names ...string) *x509.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(read(t, dir, CAFile)) {
		t.Fatal("ca.crt does not parse")
	}
	for _, n := range names {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: n, Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("verify %s: %v", n, err)
		}
	}
	return leaf
}

func TestEnsure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	svc := EnsureOptions{DNSNames: ServiceDNSNames(DefaultService, DefaultNamespace)}

	res, err := Ensure(dir, svc)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Wrote || !res.NewCA {
		t.Fatalf("first run: %+v", res)
	}
	leaf := verifyServing(t, dir, "guardrails-webhook.guardrails-system.svc", "guardrails-webhook.guardrails-system.svc.cluster.local")
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v, want ECDSA", leaf.PublicKeyAlgorithm)
	}
	for _, f := range []string{KeyFile, CAKeyFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode: %v %v", f, fi.Mode(), err)
		}
	}
	ca1, crt1 := read(t, dir, CAFile), read(t, dir, CertFile)

	// A valid certificate is kept.
	res, err = Ensure(dir, svc)
	if err != nil {
		t.Fatal(err)
	}
	if res.Wrote || res.NewCA || !bytes.Equal(crt1, read(t, dir, CertFile)) {
		t.Fatalf("second run replaced a valid certificate: %+v", res)
	}

	// --force replaces it, from the same CA.
	res, err = Ensure(dir, EnsureOptions{DNSNames: svc.DNSNames, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Wrote || res.NewCA || bytes.Equal(crt1, read(t, dir, CertFile)) || !bytes.Equal(ca1, read(t, dir, CAFile)) {
		t.Fatalf("force: %+v", res)
	}
	verifyServing(t, dir, svc.DNSNames...)

	// Near expiry: replaced without --force, still the same CA.
	crt2 := read(t, dir, CertFile)
	later := func() time.Time { return time.Now().Add(DefaultValidity - 10*24*time.Hour) }
	res, err = Ensure(dir, EnsureOptions{DNSNames: svc.DNSNames, Now: later})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Wrote || res.NewCA || bytes.Equal(crt2, read(t, dir, CertFile)) || !bytes.Equal(ca1, read(t, dir, CAFile)) {
		t.Fatalf("renewal: %+v", res)
	}
	if !strings.Contains(res.Reason, "expires") {
		t.Errorf("renewal reason %q", res.Reason)
	}

	// Valid, but for other names: refused without --force.
	local := EnsureOptions{}
	local.DNSNames, local.IPs = LocalNames()
	if _, err := Ensure(dir, local); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("other names: %v", err)
	}
	local.Force = true
	if _, err := Ensure(dir, local); err != nil {
		t.Fatal(err)
	}
	verifyServing(t, dir, "localhost", "127.0.0.1", "::1")

	// A key that does not match the certificate is replaced.
	other := t.TempDir()
	if _, err := Ensure(other, local); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, KeyFile), read(t, other, KeyFile), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err = Ensure(dir, EnsureOptions{DNSNames: local.DNSNames, IPs: local.IPs})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Wrote || res.NewCA {
		t.Fatalf("mismatched key: %+v", res)
	}
	verifyServing(t, dir, "localhost")

	// Without the CA key, a renewal makes a new CA.
	if err := os.Remove(filepath.Join(dir, CAKeyFile)); err != nil {
		t.Fatal(err)
	}
	res, err = Ensure(dir, EnsureOptions{DNSNames: local.DNSNames, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.NewCA || bytes.Equal(ca1, read(t, dir, CAFile)) {
		t.Fatalf("no CA key: %+v", res)
	}
	verifyServing(t, dir, "localhost")

	if _, err := Ensure(t.TempDir(), EnsureOptions{}); err == nil {
		t.Error("no names must fail")
	}
}

func TestLoadCA(t *testing.T) {
	dir := t.TempDir()
	if _, err := Ensure(dir, EnsureOptions{IPs: []net.IP{net.ParseIP("127.0.0.1")}}); err != nil {
		t.Fatal(err)
	}
	ca, err := LoadCA(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Cert.IsCA || !bytes.Equal(ca.CertPEM, read(t, dir, CAFile)) {
		t.Error("loaded CA differs")
	}
	// The serving certificate is not a CA; its key is not the CA's.
	if _, err := LoadCA(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)); err == nil {
		t.Error("a serving certificate loaded as a CA")
	}
	if _, err := LoadCA(filepath.Join(dir, CAFile), filepath.Join(dir, KeyFile)); err == nil {
		t.Error("a CA with the wrong key loaded")
	}
}

func TestEnsureClient(t *testing.T) {
	dir := t.TempDir()
	if _, err := EnsureClient(dir, "kube-apiserver", 0, false); err == nil {
		t.Fatal("a client certificate without a CA")
	}
	if _, err := Ensure(dir, EnsureOptions{DNSNames: []string{"localhost"}}); err != nil {
		t.Fatal(err)
	}
	wrote, err := EnsureClient(dir, "kube-apiserver", 0, false)
	if err != nil || !wrote {
		t.Fatalf("EnsureClient: %v %v", wrote, err)
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, ClientCertFile), filepath.Join(dir, ClientKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(read(t, dir, CAFile))
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil || leaf.Subject.CommonName != "kube-apiserver" {
		t.Errorf("client certificate: %v %q", err, leaf.Subject.CommonName)
	}
	if wrote, err := EnsureClient(dir, "kube-apiserver", 0, false); err != nil || wrote {
		t.Errorf("valid client certificate replaced: %v %v", wrote, err)
	}
	if _, err := EnsureClient(dir, "other", 0, false); err == nil {
		t.Error("a valid client certificate for another name replaced without force")
	}
	if wrote, err := EnsureClient(dir, "other", 0, true); err != nil || !wrote {
		t.Errorf("force: %v %v", wrote, err)
	}
}
