package admission

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/certs"
	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/metrics"
)

// reviewBody returns the AdmissionReview JSON of req.
func reviewBody(t testing.TB, req admission.Request) []byte {
	t.Helper()
	ar := admissionv1.AdmissionReview{Request: &req.AdmissionRequest}
	ar.APIVersion, ar.Kind = "admission.k8s.io/v1", "AdmissionReview"
	b, err := json.Marshal(ar)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serve posts body to h the way the API server does and decodes the
// answer.
func serve(t testing.TB, h http.Handler, body []byte, contentType string) (int, *admissionv1.AdmissionResponse) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/validate", nil)
	if body != nil {
		r = httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
	}
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(w.Body.Bytes(), &ar); err != nil {
		t.Fatalf("answer is not an AdmissionReview: %v: %s", err, w.Body.String())
	}
	if ar.Response == nil {
		t.Fatalf("no response: %s", w.Body.String())
	}
	return w.Code, ar.Response
}

// TestWebhookBadInput runs bad bodies through the server's webhook
// (NewWebhook, reading reviews with internal/review) and through
// controller-runtime's, which must answer alike.
func TestWebhookBadInput(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	ours, err := NewWebhook(v, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]http.Handler{"server": ours, "controller-runtime": &admission.Webhook{Handler: v}} {
		t.Run(name, func(t *testing.T) { testWebhookBadInput(t, h) })
	}
}

func testWebhookBadInput(t *testing.T, h http.Handler) {
	deploy := loadReview(t, "deployment-create.json")

	for name, tc := range map[string]struct {
		body        []byte
		contentType string
		wantCode    int32
		wantMsg     string
	}{
		"not json":          {[]byte("{not json"), "application/json", http.StatusBadRequest, ""},
		"empty body":        {nil, "application/json", http.StatusBadRequest, "request body is empty"},
		"no request":        {[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), "application/json", http.StatusBadRequest, "no request"},
		"wrong type":        {reviewBody(t, deploy), "text/plain", http.StatusBadRequest, "expected application/json"},
		"object not json":   {[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"apps","version":"v1","kind":"Deployment"},"namespace":"team-enforce","operation":"CREATE","object":"x"}}`), "application/json", http.StatusInternalServerError, "decode Deployment"},
		"too large (8 MiB)": {append(reviewBody(t, deploy), bytes.Repeat([]byte(" "), 8<<20)...), "application/json", http.StatusRequestEntityTooLarge, "request entity is too large"},
	} {
		t.Run(name, func(t *testing.T) {
			code, resp := serve(t, h, tc.body, tc.contentType)
			if code != http.StatusOK {
				t.Errorf("HTTP %d", code)
			}
			if resp.Allowed || resp.Result == nil || resp.Result.Code != tc.wantCode || !strings.Contains(resp.Result.Message, tc.wantMsg) {
				t.Errorf("response %+v", resp)
			}
		})
	}

	t.Run("3 MiB object", func(t *testing.T) {
		big := editObjects(t, deploy, func(obj map[string]any) {
			obj["metadata"].(map[string]any)["annotations"] = map[string]any{"example.com/blob": strings.Repeat("x", 3<<20)}
		})
		_, resp := serve(t, h, reviewBody(t, big), "application/json")
		if resp.Allowed || resp.Result.Code != http.StatusForbidden || !strings.HasPrefix(resp.Result.Message, memoryLine) {
			t.Errorf("response %+v", resp.Result)
		}
		if resp.UID != deploy.UID {
			t.Errorf("uid %q", resp.UID)
		}
	})
	t.Run("v1beta1 review", func(t *testing.T) {
		body := bytes.Replace(reviewBody(t, deploy), []byte(`"admission.k8s.io/v1"`), []byte(`"admission.k8s.io/v1beta1"`), 1)
		_, resp := serve(t, h, body, "application/json")
		if resp.Allowed || resp.Result.Code != http.StatusForbidden {
			t.Errorf("response %+v", resp.Result)
		}
	})
}

// TestServerTLSRotation starts the real server on loopback with generated
// certificates and a client CA, sends AdmissionReviews over HTTPS from
// several clients, replaces the serving certificate on disk while they
// run, and requires zero failed requests and the new certificate in use.
func TestServerTLSRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dir := t.TempDir()
	ca, err := certs.WriteServing(dir, []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	clientCA, err := certs.NewCA("apiserver-client-ca", 0)
	if err != nil {
		t.Fatal(err)
	}
	clientCAFile := filepath.Join(t.TempDir(), "client-ca.crt")
	if err := os.WriteFile(clientCAFile, clientCA.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	clientCertPEM, clientKeyPEM, err := clientCA.Issue(certs.Options{CommonName: "kube-apiserver", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	clientCert, err := tls.X509KeyPair(clientCertPEM, clientKeyPEM)
	if err != nil {
		t.Fatal(err)
	}

	port := freePort(t)
	state := testCluster(t)
	srv, err := NewServer(ServerOptions{Host: "127.0.0.1", Port: port, CertDir: dir, ClientCA: clientCAFile},
		NewValidator(config.Default(), state, Options{}), NewMutator(config.Default(), state, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Start(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("server stopped with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not shut down")
		}
	}()

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	newClient := func(keepAlive bool, cert *tls.Certificate, maxTLS uint16) *http.Client {
		tc := &tls.Config{RootCAs: roots, MaxVersion: maxTLS}
		if cert != nil {
			tc.Certificates = []tls.Certificate{*cert}
		}
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: tc, DisableKeepAlives: !keepAlive, ForceAttemptHTTP2: true,
		}}
	}
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	body := reviewBody(t, loadReview(t, "deployment-create.json"))
	mutBody := reviewBody(t, loadReview(t, "deployment-coredns-create.json"))

	// post sends one review and checks the answer; it returns the serial
	// of the serving certificate.
	post := func(c *http.Client, path string, body []byte, wantAllowed bool) (string, error) {
		resp, err := c.Post(url+path, "application/json", bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return "", err
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
		}
		if resp.ProtoMajor != 1 {
			return "", fmt.Errorf("protocol %s, want HTTP/1.1 (HTTP/2 is off by default)", resp.Proto)
		}
		var ar admissionv1.AdmissionReview
		if err := json.Unmarshal(data, &ar); err != nil || ar.Response == nil {
			return "", fmt.Errorf("bad answer %s: %v", data, err)
		}
		if ar.Response.Allowed != wantAllowed {
			return "", fmt.Errorf("allowed=%v: %+v", ar.Response.Allowed, ar.Response.Result)
		}
		return resp.TLS.PeerCertificates[0].SerialNumber.String(), nil
	}

	// Wait for the server.
	probe := newClient(false, &clientCert, 0)
	var first string
	for deadline := time.Now().Add(10 * time.Second); ; {
		if first, err = post(probe, ValidatePath, body, false); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not answering: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	t.Run("client certificate required", func(t *testing.T) {
		if _, err := post(newClient(false, nil, 0), ValidatePath, body, false); err == nil {
			t.Error("a client without certificate was served")
		}
		other, _ := certs.NewCA("other", 0)
		cp, kp, _ := other.Issue(certs.Options{CommonName: "intruder", Client: true})
		bad, _ := tls.X509KeyPair(cp, kp)
		if _, err := post(newClient(false, &bad, 0), ValidatePath, body, false); err == nil {
			t.Error("a client with a certificate of another CA was served")
		}
	})
	t.Run("TLS 1.1 refused", func(t *testing.T) {
		if _, err := post(newClient(false, &clientCert, tls.VersionTLS11), ValidatePath, body, false); err == nil {
			t.Error("TLS 1.1 handshake succeeded")
		}
	})

	// Traffic with rotation.
	var (
		ok, failed atomic.Int64
		mu         sync.Mutex
		serials    = map[string]int{}
		firstErr   error
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(w%2 == 0, &clientCert, 0) // half reuse connections, half handshake every time
			for i := 0; i < 5000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				path, b, allowed := ValidatePath, body, false
				if i%2 == 1 {
					path, b, allowed = MutatePath, mutBody, true
				}
				serial, err := post(c, path, b, allowed)
				mu.Lock()
				if err != nil {
					failed.Add(1)
					if firstErr == nil {
						firstErr = err
					}
				} else {
					ok.Add(1)
					serials[serial]++
				}
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if err := ca.WriteServing(dir, []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}); err != nil {
		t.Fatal(err)
	}
	// Run until the new certificate has served a good number of requests
	// (counted, not timed: the machine may be slow).
	const onNew = 50
	rotated := false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n, newServed := len(serials), 0
		for serial, c := range serials {
			if serial != first {
				newServed += c
			}
		}
		mu.Unlock()
		if n >= 2 && newServed >= onNew {
			rotated = true
			break
		}
	}
	close(stop)
	wg.Wait()

	t.Logf("%d requests ok, %d failed, serials %v (first %s)", ok.Load(), failed.Load(), serials, first)
	if failed.Load() != 0 {
		t.Errorf("%d failed requests, first: %v", failed.Load(), firstErr)
	}
	if !rotated {
		t.Errorf("the new certificate did not serve %d requests", onNew)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestServingCertificateExpiryMetric: the expiry gauge is the notAfter of
// the certificate the server presents, at start and after a renewed
// certificate replaces it on disk (what cert-manager and the kubelet do).
func TestServingCertificateExpiryMetric(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dir := t.TempDir()
	ca, err := certs.NewCA("expiry-test-ca", 0)
	if err != nil {
		t.Fatal(err)
	}
	write := func(validity time.Duration) *x509.Certificate {
		t.Helper()
		certPEM, keyPEM, err := ca.Issue(certs.Options{DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Validity: validity})
		if err != nil {
			t.Fatal(err)
		}
		// The key first: the watcher reloads when either file changes.
		if err := certs.WriteFileAtomic(filepath.Join(dir, certs.KeyFile), keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := certs.WriteFileAtomic(filepath.Join(dir, certs.CertFile), certPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		c, _ := tls.X509KeyPair(certPEM, keyPEM)
		return c.Leaf
	}
	gauge := func() float64 { return testutil.ToFloat64(metrics.ServingCertificateExpiry) }

	first := write(24 * time.Hour)
	port := freePort(t)
	state := testCluster(t)
	srv, err := NewServer(ServerOptions{Host: "127.0.0.1", Port: port, CertDir: dir},
		NewValidator(config.Default(), state, Options{}), NewMutator(config.Default(), state, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Start(ctx) }()
	defer func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Error("server did not shut down")
		}
	}()

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	served := func() (*x509.Certificate, error) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", fmt.Sprintf("127.0.0.1:%d", port), &tls.Config{RootCAs: roots, ServerName: "localhost"})
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0], nil
	}
	waitFor := func(want *x509.Certificate) {
		t.Helper()
		var got *x509.Certificate
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			got, err = served()
			if err == nil && got.SerialNumber.Cmp(want.SerialNumber) == 0 && gauge() == float64(want.NotAfter.Unix()) {
				return
			}
		}
		t.Fatalf("serving %v (err %v), expiry gauge %v; want serial %v and expiry %v", got, err, gauge(), want.SerialNumber, want.NotAfter.Unix())
	}
	waitFor(first)
	renewed := write(72 * time.Hour)
	if renewed.NotAfter.Unix() == first.NotAfter.Unix() {
		t.Fatal("test setup: the renewed certificate has the same expiry")
	}
	waitFor(renewed)
}
