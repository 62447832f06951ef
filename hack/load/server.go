package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/go-logr/logr"
	ctrladmission "sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/certs"
	"github.com/guardrails-dev/guardrails/internal/admission"
	"github.com/guardrails-dev/guardrails/internal/clustercache"
	"github.com/guardrails-dev/guardrails/internal/config"
)

// BaselinePath serves the baseline: an admission handler that allows
// everything once controller-runtime has decoded the AdmissionReview, on
// the same TLS listener, HTTP server, instrumentation and JSON
// encode/decode as /validate and /mutate.
const BaselinePath = "/baseline"

// target is a running server.
type target struct {
	url    string
	client *http.Client
	stop   func() error
	roots  *x509.CertPool
	// checkInline: clients check each answer as they read it (see
	// Options.CheckInline).
	checkInline bool
}

// newClient returns a client of the server keeping up to conns
// connections alive.
func (t *target) newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: t.roots, MinVersion: tls.VersionTLS12},
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
	}}
}

// startServer starts the admission server as `webhook serve` wires it
// (admission.NewServer with NewValidator and NewMutator over the default
// configuration), over the static cluster c, on loopback with
// a fresh CA and serving certificate, plus the baseline handler. The
// client keeps up to conns connections alive.
func startServer(ctx context.Context, c cluster, conns int) (*target, error) {
	dir, err := os.MkdirTemp("", "guardrails-load-")
	if err != nil {
		return nil, err
	}
	ca, err := certs.WriteServing(dir, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	state, err := clustercache.NewStatic(clustercache.Options{}, clusterObjects(c)...)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfg := config.Default()
	log := logr.Discard()
	srv, err := admission.NewServer(admission.ServerOptions{Host: "127.0.0.1", Port: port, CertDir: dir, Logger: log},
		admission.NewValidator(cfg, state, admission.Options{}), admission.NewMutator(cfg, state, admission.Options{}))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	base, err := ctrladmission.StandaloneWebhook(&ctrladmission.Webhook{Handler: ctrladmission.HandlerFunc(
		func(context.Context, ctrladmission.Request) ctrladmission.Response { return ctrladmission.Allowed("") },
	)}, ctrladmission.StandaloneOptions{Logger: log.WithValues("webhook", BaselinePath)})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	srv.Register(BaselinePath, admission.WithDeadlines(base, 10*time.Second, 30*time.Second))

	ctx, cancel := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Start(ctx) }()

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	t := &target{url: fmt.Sprintf("https://127.0.0.1:%d", port), roots: roots}
	client := t.newClient(conns)
	t.client = client
	t.stop = func() error {
		cancel()
		client.CloseIdleConnections()
		defer os.RemoveAll(dir)
		select {
		case err := <-stopped:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("the server did not stop within 10s")
		}
	}
	// Wait until it serves (the listener opens once Start runs).
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := srv.StartedChecker()(nil); err == nil {
			return t, nil
		}
		select {
		case err := <-stopped:
			cancel()
			os.RemoveAll(dir)
			return nil, fmt.Errorf("server: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = t.stop()
			return nil, errors.New("the server did not start within 10s")
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
