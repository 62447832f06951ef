package admission

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/metrics"
	onepass "github.com/guardrails-dev/guardrails/internal/review"
)

// Paths of the two handlers.
const (
	ValidatePath = "/validate"
	MutatePath   = "/mutate"
)

// ServerOptions configure the HTTPS server.
type ServerOptions struct {
	// Host and Port to listen on (default port 9443).
	Host string
	Port int
	// CertDir holds tls.crt and tls.key; controller-runtime's certwatcher
	// reloads them when they change.
	CertDir string
	// ClientCA is a PEM file of CAs: when set, clients (the API server)
	// must present a certificate signed by one of them.
	ClientCA string
	// EnableHTTP2 offers h2 in ALPN. Off by default: HTTP/2 rapid reset
	// and stream cancellation attacks (CVE-2023-44487, CVE-2023-39325).
	EnableHTTP2 bool
	// ReadTimeout bounds reading one request body, WriteTimeout writing
	// one answer (both from the end of the request headers, which the
	// server reads within 32s). Defaults 10s and 30s: the API server
	// waits at most 30s for a webhook.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// HeaderTimeout bounds the TLS handshake and the reading of request
	// headers, IdleTimeout a keep-alive connection's wait for its next
	// request, MaxConnections the open connections (defaults
	// DefaultHeaderTimeout, DefaultIdleTimeout, DefaultMaxConnections).
	HeaderTimeout  time.Duration
	IdleTimeout    time.Duration
	MaxConnections int
	// Logger for the webhooks.
	Logger logr.Logger
}

// NewServer returns controller-runtime's webhook server with /validate and
// /mutate: TLS 1.2 or later, certificates reloaded from disk, optional
// client certificate verification, HTTP/1.1 unless EnableHTTP2, and
// bounded connections (header and idle timeouts, a cap) and requests with
// large bodies served a few at a time (see connServer).
func NewServer(o ServerOptions, v *Validator, m *Mutator) (webhook.Server, error) {
	tlsOpts := []func(*tls.Config){
		func(c *tls.Config) {
			c.MinVersion = tls.VersionTLS12
			if !o.EnableHTTP2 {
				c.NextProtos = []string{"http/1.1"}
			}
		},
	}
	if o.ClientCA != "" {
		pem, err := os.ReadFile(o.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("--client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--client-ca %s: no PEM certificate found", o.ClientCA)
		}
		tlsOpts = append(tlsOpts, func(c *tls.Config) {
			c.ClientCAs = pool
			c.ClientAuth = tls.RequireAndVerifyClientCert
		})
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 10 * time.Second
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.HeaderTimeout == 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	srv := newConnServer(o, tlsOpts)
	for path, h := range map[string]admission.Handler{ValidatePath: v, MutatePath: m} {
		hook, err := NewWebhook(h, o.Logger.WithValues("webhook", path))
		if err != nil {
			return nil, err
		}
		srv.Register(path, WithDeadlines(hook, o.ReadTimeout, o.WriteTimeout))
	}
	return srv, nil
}

// NewWebhook serves h as controller-runtime's StandaloneWebhook does (same
// checks, answers, panic recovery and logs), reading each AdmissionReview
// once with internal/review instead of the runtime deserializer's two
// passes, and building each request's logger only when it logs
// (lazyLogConstructor).
func NewWebhook(h admission.Handler, log logr.Logger) (http.Handler, error) {
	hook := &admission.Webhook{Handler: h, LogConstructor: lazyLogConstructor}
	// StandaloneWebhook gives hook its logger (no MetricsPath: the
	// server's Register instruments the path).
	if _, err := admission.StandaloneWebhook(hook, admission.StandaloneOptions{Logger: log}); err != nil {
		return nil, err
	}
	return &onepass.Handler{Webhook: hook, Log: log}, nil
}

// WithDeadlines sets the read and write deadlines of the connection for
// one request. controller-runtime's server sets no read or write timeout
// of its own (only a header timeout), so a client that trickles its body
// or never reads the answer would hold a goroutine forever.
func WithDeadlines(h http.Handler, read, write time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		_ = rc.SetReadDeadline(now.Add(read))
		_ = rc.SetWriteDeadline(now.Add(write))
		h.ServeHTTP(w, r)
	})
}

// recordExpiry exports the notAfter of the certificate the watcher loaded
// (and the server now presents).
func recordExpiry(c tls.Certificate) {
	leaf := c.Leaf
	if leaf == nil && len(c.Certificate) > 0 {
		leaf, _ = x509.ParseCertificate(c.Certificate[0])
	}
	if leaf != nil {
		metrics.ServingCertificateExpiry.Set(float64(leaf.NotAfter.Unix()))
	}
}
