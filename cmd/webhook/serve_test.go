package main

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
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/guardrails-dev/guardrails/certs"
)

func TestServeBadStart(t *testing.T) {
	empty := t.TempDir()
	bad := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: guardrails.dev/v1alpha1\nkind: Config\nclusterMode: strict\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--cert-dir", empty}, "no tls.crt"},
		{[]string{"serve", "--log-level", "loud"}, `--log-level "loud"`},
		{[]string{"serve", "--config", bad}, `clusterMode: "strict" is not one of [enforce, warn, audit]`},
		{[]string{"serve", "extra"}, "unknown command"},
		{[]string{"serve", "--idle-timeout", "-1s"}, "cannot be negative (got 10s, -1s, 4096; 0 is the default)"},
		{[]string{"serve", "--max-connections", "-5"}, "cannot be negative (got 10s, 30s, -5; 0 is the default)"},
	} {
		_, stderr, code := runCLI(t, "", tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestServeWiring runs `webhook serve` against an API server that is not
// there: probes, metrics and the webhook must still come up (readiness
// false until the caches sync), answer, and shut down on cancel.
func TestServeWiring(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dir := t.TempDir()
	ca, err := certs.WriteServing(filepath.Join(dir, "certs"), []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ports := freePorts(t, 3)
	o := serveOptions{
		port: ports[0], bindAddress: "127.0.0.1", certDir: filepath.Join(dir, "certs"),
		metricsAddr: fmt.Sprintf("127.0.0.1:%d", ports[1]), probeAddr: fmt.Sprintf("127.0.0.1:%d", ports[2]),
		kubeconfig: kubeconfig, logLevel: "error", readTimeout: 5 * time.Second, writeTimeout: 10 * time.Second,
		shutdownTimeout: 10 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, o) }()

	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	probe := fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if code, _ := get(probe + "/healthz"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/healthz never answered")
		}
	}
	if code, body := get(probe + "/readyz?verbose=1"); code == http.StatusOK || !strings.Contains(body, "cluster-cache") {
		t.Errorf("/readyz %d %q: must not be ready without synced caches", code, body)
	}

	// A ClusterRoleBinding to cluster-admin needs no lookup: judged at once.
	review, err := os.ReadFile("../../internal/admission/testdata/clusterrolebinding-create.json")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	var ar admissionv1.AdmissionReview
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := client.Post(fmt.Sprintf("https://127.0.0.1:%d/validate", ports[0]), "application/json", bytes.NewReader(review))
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&ar)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook never answered: %v", err)
		}
	}
	if ar.Response == nil || ar.Response.Allowed || ar.Response.Result.Code != http.StatusForbidden || !strings.HasPrefix(ar.Response.Result.Message, "[rbac-cluster-admin]") {
		t.Errorf("answer %+v", ar.Response)
	}
	if code, body := get(fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[1])); code != http.StatusOK ||
		!strings.Contains(body, `guardrails_admission_requests_total{handler="validate",operation="CREATE",result="denied"}`) ||
		!strings.Contains(body, "guardrails_cache_synced 0") {
		t.Errorf("/metrics %d lacks the guardrails metrics", code)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out
}
