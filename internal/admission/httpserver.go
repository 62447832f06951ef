package admission

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/netutil"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// Connection limits of the webhook server (ServerOptions defaults).
const (
	// DefaultHeaderTimeout bounds the TLS handshake and the reading of a
	// request's headers (the API server sends them at once): a connection
	// that says nothing is closed after it.
	DefaultHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout closes a keep-alive connection that has been
	// idle that long between requests. The API server keeps up to 25 idle
	// connections per webhook and opens new ones as needed.
	DefaultIdleTimeout = 30 * time.Second
	// DefaultMaxConnections caps the connections one replica holds: about
	// 35 KiB each when idle (measured; see README), 140 MiB at the cap.
	// A connection past the cap waits in the kernel's accept queue until
	// one closes.
	DefaultMaxConnections = 4096
)

// connServer is controller-runtime's webhook server (DefaultServer: its
// Register, mux and request metrics) started with limits that
// DefaultServer does not let one set: a header timeout, an idle timeout,
// a cap on open connections, and large requests served a few at a time
// (largeRequestLimit, over every path). The TLS setup is DefaultServer's:
// TLSOpts over a config offering h2, the serving certificate from
// controller-runtime's certwatcher (reloaded from disk), whose expiry it
// exports.
type connServer struct {
	*webhook.DefaultServer
	mux *http.ServeMux
	o   ServerOptions

	mu      sync.Mutex
	started bool
}

var _ webhook.Server = (*connServer)(nil)

func newConnServer(o ServerOptions, tlsOpts []func(*tls.Config)) *connServer {
	mux := http.NewServeMux()
	if o.Port == 0 {
		o.Port = webhook.DefaultPort
	}
	return &connServer{
		DefaultServer: webhook.NewServer(webhook.Options{Host: o.Host, Port: o.Port, CertDir: o.CertDir, TLSOpts: tlsOpts, WebhookMux: mux}).(*webhook.DefaultServer),
		mux:           mux,
		o:             o,
	}
}

func (s *connServer) addr() string { return net.JoinHostPort(s.o.Host, strconv.Itoa(s.o.Port)) }

// Start serves until ctx is done, then drains in-flight requests (for up
// to a minute, as DefaultServer does).
func (s *connServer) Start(ctx context.Context) error {
	log := logf.Log.WithName("webhook")
	cfg := &tls.Config{NextProtos: []string{"h2"}}
	for _, op := range s.Options.TLSOpts {
		op(cfg)
	}
	if cfg.GetCertificate == nil {
		w, err := certwatcher.New(filepath.Join(s.o.CertDir, "tls.crt"), filepath.Join(s.o.CertDir, "tls.key"))
		if err != nil {
			return err
		}
		// The expiry of the certificate being served, at start and after
		// every rotation (guardrails_serving_certificate_expiry_timestamp_seconds).
		w.RegisterCallback(recordExpiry)
		cfg.GetCertificate = w.GetCertificate
		go func() {
			if err := w.Start(ctx); err != nil {
				log.Error(err, "certificate watcher error")
			}
		}()
	}
	ln, err := net.Listen("tcp", s.addr())
	if err != nil {
		return err
	}
	ln = tls.NewListener(netutil.LimitListener(ln, s.o.MaxConnections), cfg)
	large := newLargeRequestLimit(LargeRequestBytes, LargeRequestSlots(), s.o.ReadTimeout).withCooldown(LargeRequestCooldown, maxLargeRequestCooldown).withByteRate(LargeRequestBytesPerSecond)
	srv := &http.Server{
		Handler:           large.wrap(s.mux),
		BaseContext:       func(net.Listener) context.Context { return ctx },
		MaxHeaderBytes:    1 << 20,
		ReadHeaderTimeout: s.o.HeaderTimeout, // also the TLS handshake's
		IdleTimeout:       s.o.IdleTimeout,
	}
	log.Info("Serving webhook server", "host", s.o.Host, "port", s.o.Port,
		"headerTimeout", s.o.HeaderTimeout, "idleTimeout", s.o.IdleTimeout, "maxConnections", s.o.MaxConnections)

	drained := make(chan struct{})
	go func() {
		defer close(drained)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			log.Error(err, "shutting down the webhook server")
		}
	}()
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-drained
	return nil
}

// StartedChecker is healthy once the server accepts TLS connections.
func (s *connServer) StartedChecker() healthz.Checker {
	return func(*http.Request) error {
		s.mu.Lock()
		started := s.started
		s.mu.Unlock()
		if !started {
			return errors.New("webhook server has not been started yet")
		}
		d := &net.Dialer{Timeout: 10 * time.Second}
		conn, err := tls.DialWithDialer(d, "tcp", s.addr(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a liveness dial, no data
		if err != nil {
			return fmt.Errorf("webhook server is not reachable: %w", err)
		}
		return conn.Close()
	}
}
