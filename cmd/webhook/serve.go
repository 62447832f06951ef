package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/guardrails-dev/guardrails/certs"
	"github.com/guardrails-dev/guardrails/internal/admission"
	"github.com/guardrails-dev/guardrails/internal/audit"
	"github.com/guardrails-dev/guardrails/internal/clustercache"
	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/configreload"
	"github.com/guardrails-dev/guardrails/internal/events"
	"github.com/guardrails-dev/guardrails/internal/policyreport"
)

type serveOptions struct {
	port            int
	bindAddress     string
	certDir         string
	clientCA        string
	enableHTTP2     bool
	metricsAddr     string
	probeAddr       string
	kubeconfig      string
	configPath      string
	logLevel        string
	readTimeout     time.Duration
	writeTimeout    time.Duration
	shutdownTimeout time.Duration
	events          bool
	headerTimeout   time.Duration
	idleTimeout     time.Duration
	maxConnections  int
	// The configuration's reload, the preview, the background audit.
	configCheckInterval time.Duration
	namespacePreview    bool
	auditInterval       time.Duration
	auditReports        bool
	auditReportMax      int
	leaseNamespace      string
	leaseName           string
}

func newServeCmd() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the admission webhook server (/validate, /mutate over HTTPS)",
		Long: `Run the HTTPS admission webhook server that the API server calls.

/validate judges objects by the rules in the mode of their namespace's
guardrails.dev/mode label (clusterMode for cluster-scoped objects); /mutate
fills a missing priorityClassName on critical add-ons and, when configured,
missing requests. Cluster lookups come from informer caches; /readyz turns
ready once they are synced.

The configuration file is read every --config-check-interval; a changed
file (a mounted ConfigMap's update included) is validated and put in force
without a restart. An invalid one keeps the previous configuration, is
logged and counted in guardrails_config_reload_errors_total, and
guardrails_config_last_reload_successful is 0 until a valid one is in force.

Raising a Namespace's guardrails.dev/mode to enforce answers with warnings
naming the existing objects enforce would deny (--namespace-preview; needs
list on the judged kinds: deploy/components/preview or audit).

--audit-interval turns on the background audit: the replica holding the
Lease --leader-election-id in --leader-election-namespace judges the whole
cluster every interval and publishes guardrails_audit_violations and, with
--audit-policy-reports, PolicyReports (deploy/components/audit and
policy-reports).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.port, "port", 9443, "HTTPS port of the webhook server")
	f.StringVar(&o.bindAddress, "bind-address", "", "address the webhook server listens on (empty: all)")
	f.StringVar(&o.certDir, "cert-dir", filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs"),
		"directory with the serving certificate tls.crt and key tls.key (reloaded when they change)")
	f.StringVar(&o.clientCA, "client-ca", "", "PEM file of CAs: require and verify client certificates (the API server's) signed by them")
	f.BoolVar(&o.enableHTTP2, "enable-http2", false, "offer HTTP/2 (off by default: HTTP/2 rapid reset, CVE-2023-44487)")
	f.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", `address of the Prometheus /metrics endpoint ("0" disables it)`)
	f.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then the in-cluster config, then ~/.kube/config)")
	f.StringVar(&o.configPath, "config", "", "Guardrails configuration file (default: the embedded configuration)")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, error, or a verbosity number (2 logs V(2) and below)")
	f.DurationVar(&o.readTimeout, "read-timeout", 10*time.Second, "time allowed to read one request body")
	f.DurationVar(&o.writeTimeout, "write-timeout", 30*time.Second, "time allowed to answer one request")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "time allowed to drain in-flight requests on SIGTERM")
	f.BoolVar(&o.events, "events", false, "record a Kubernetes Event on the judged object for every audit and warn finding of an admitted request "+
		"(rate-limited per namespace, de-duplicated; never on dry runs). Needs create and patch on events")
	f.DurationVar(&o.headerTimeout, "header-timeout", admission.DefaultHeaderTimeout, "time allowed for the TLS handshake and a request's headers")
	f.DurationVar(&o.idleTimeout, "idle-timeout", admission.DefaultIdleTimeout, "time a keep-alive connection may wait for its next request")
	f.IntVar(&o.maxConnections, "max-connections", admission.DefaultMaxConnections, "open connections per replica (about 35 KiB each when idle); more wait to be accepted")
	f.DurationVar(&o.configCheckInterval, "config-check-interval", 5*time.Second, "how often the configuration file is checked for changes")
	f.BoolVar(&o.namespacePreview, "namespace-preview", true, "answer a Namespace's change to mode enforce with warnings listing the existing objects enforce would deny (needs list on the judged kinds)")
	f.DurationVar(&o.auditInterval, "audit-interval", 0, "run the background audit this often (0: off); needs list on the judged kinds and a Lease")
	f.BoolVar(&o.auditReports, "audit-policy-reports", false, "publish the background audit as PolicyReports (wgpolicyk8s.io/v1alpha2; the CRDs must be installed)")
	f.IntVar(&o.auditReportMax, "audit-report-max-results", policyreport.DefaultMaxResults, "results per PolicyReport (the summary counts all findings)")
	f.StringVar(&o.leaseNamespace, "leader-election-namespace", "", "namespace of the background audit's Lease (default: $POD_NAMESPACE, else the pod's own namespace)")
	f.StringVar(&o.leaseName, "leader-election-id", "guardrails-audit", "name of the background audit's Lease")
	return cmd
}

func runServe(ctx context.Context, o serveOptions) error {
	log, err := newLogger(o.logLevel)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	logf.SetLogger(log)
	klog.SetLogger(log.WithName("client-go"))

	reloader, err := configreload.Load(o.configPath, configreload.Options{
		Interval: o.configCheckInterval,
		Log:      log.WithName("config"),
		OnChange: func(old, cur *config.Config) {
			if old.Ingress.TLSSecretLookups != cur.Ingress.TLSSecretLookups {
				log.WithName("config").Info("ingress.tlsSecretLookups changed: the Secret informer starts or stops only at the next restart")
			}
		},
	})
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if o.headerTimeout < 0 || o.idleTimeout < 0 || o.maxConnections < 0 {
		return &exitError{code: 2, err: fmt.Errorf("--header-timeout, --idle-timeout and --max-connections cannot be negative (got %v, %v, %d; 0 is the default)",
			o.headerTimeout, o.idleTimeout, o.maxConnections)}
	}
	cfg := reloader.Current().Load().Config()
	if o.auditInterval > 0 && o.leaseNamespace == "" {
		if o.leaseNamespace = audit.OwnNamespace(); o.leaseNamespace == "" {
			return &exitError{code: 2, err: errors.New("--audit-interval: not running in a pod; name the Lease's namespace with --leader-election-namespace")}
		}
	}
	if o.auditReports && o.auditInterval <= 0 {
		return &exitError{code: 2, err: errors.New("--audit-policy-reports needs --audit-interval")}
	}
	if err := checkCertDir(o.certDir); err != nil {
		return &exitError{code: 2, err: err}
	}
	restConfig, err := loadRESTConfig(o.kubeconfig)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("kubeconfig: %w", err)}
	}
	restConfig.UserAgent = "guardrails-webhook/" + version

	cache, err := clustercache.New(restConfig, clustercache.Options{SecretLookups: cfg.Ingress.TLSSecretLookups})
	if err != nil {
		return err
	}
	// The preview and the background audit list with clients of their
	// own: a long audit must not use up the rate limit of a preview that
	// answers within an admission request.
	ao := admission.Options{}
	if o.namespacePreview {
		previewClient, err := listClientFor(restConfig)
		if err != nil {
			return err
		}
		ao.Preview = audit.New(previewClient, cache)
	}
	var recorder *events.Recorder
	if o.events {
		cs, err := kubernetes.NewForConfig(restConfig)
		if err != nil {
			return err
		}
		host, _ := os.Hostname() // the pod's name
		recorder = events.New(cs, host)
		ao.Events = recorder
	}
	validator := admission.NewValidatorFor(reloader.Current(), cache, ao)
	mutator := admission.NewMutatorFor(reloader.Current(), cache, admission.Options{})
	srv, err := admission.NewServer(admission.ServerOptions{
		Host:           o.bindAddress,
		Port:           o.port,
		CertDir:        o.certDir,
		ClientCA:       o.clientCA,
		EnableHTTP2:    o.enableHTTP2,
		ReadTimeout:    o.readTimeout,
		WriteTimeout:   o.writeTimeout,
		HeaderTimeout:  o.headerTimeout,
		IdleTimeout:    o.idleTimeout,
		MaxConnections: o.maxConnections,
		Logger:         log.WithName("webhook"),
	}, validator, mutator)
	if err != nil {
		return &exitError{code: 2, err: err}
	}

	shutdown := o.shutdownTimeout
	mgr, err := manager.New(restConfig, manager.Options{
		Logger:                 log,
		Metrics:                metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress: o.probeAddr,
		// Every replica serves. The background audit elects its one
		// auditor itself (internal/audit): the manager's election would
		// end the process, admission included, when the Lease is lost.
		LeaderElection:          false,
		GracefulShutdownTimeout: &shutdown,
	})
	if err != nil {
		return fmt.Errorf("manager: %w", err)
	}
	// The webhook server joins the manager's webhook group (started
	// first, stopped last, after in-flight requests drained).
	if err := mgr.Add(srv); err != nil {
		return err
	}
	if err := mgr.Add(cache); err != nil {
		return err
	}
	if recorder != nil {
		if err := mgr.Add(recorder); err != nil {
			return err
		}
	}
	if err := mgr.Add(reloader); err != nil {
		return err
	}
	if o.auditInterval > 0 {
		auditClient, err := listClientFor(restConfig)
		if err != nil {
			return err
		}
		bo := audit.BackgroundOptions{
			Interval:    o.auditInterval,
			MaxResults:  o.auditReportMax,
			WaitForSync: cache.WaitForSync,
			Log:         log.WithName("audit"),
			Lease:       &audit.LeaseOptions{Config: restConfig, Namespace: o.leaseNamespace, Name: o.leaseName},
		}
		if o.auditReports {
			dyn, err := dynamic.NewForConfig(restConfig)
			if err != nil {
				return err
			}
			bo.Publisher = policyreport.NewWriter(dyn, o.auditReportMax, log.WithName("policyreport"))
		}
		if err := mgr.Add(audit.NewBackground(audit.New(auditClient, cache), reloader.Current(), bo)); err != nil {
			return err
		}
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("cluster-cache", cache.ReadyCheck); err != nil {
		return err
	}
	if o.clientCA == "" {
		// The check dials the server over TLS; with --client-ca it would
		// be refused for lack of a client certificate (and log it every
		// probe), so there readiness rests on the cache alone.
		if err := mgr.AddReadyzCheck("webhook", srv.StartedChecker()); err != nil {
			return err
		}
	}

	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("starting", "version", version, "port", o.port, "certDir", o.certDir, "clientCA", o.clientCA != "",
		"http2", o.enableHTTP2, "config", configSource(o.configPath), "clusterMode", cfg.ClusterMode,
		"namespacePreview", o.namespacePreview, "auditInterval", o.auditInterval.String(), "policyReports", o.auditReports, "events", o.events)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// newLogger returns controller-runtime's zap logger with JSON output at
// the given level.
func newLogger(level string) (logr.Logger, error) {
	var lvl zapcore.Level
	switch strings.ToLower(level) {
	case "debug":
		lvl = zapcore.DebugLevel
	case "info", "":
		lvl = zapcore.InfoLevel
	case "warn", "warning":
		lvl = zapcore.WarnLevel
	case "error":
		lvl = zapcore.ErrorLevel
	default:
		n, err := strconv.Atoi(level)
		if err != nil || n < 0 || n > 10 {
			return logr.Logger{}, fmt.Errorf("--log-level %q: want debug, info, warn, error or a verbosity 0-10", level)
		}
		lvl = zapcore.Level(-n)
	}
	return zap.New(zap.JSONEncoder(), zap.Level(lvl), zap.WriteTo(os.Stderr)), nil
}

// checkCertDir fails early, and clearly, when the serving certificate is
// missing (controller-runtime would fail too, but only once started).
func checkCertDir(dir string) error {
	for _, name := range []string{certs.CertFile, certs.KeyFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("--cert-dir %s: no %s: mount the serving certificate there (cert-manager Secret, or certificates generated with the certs package)", dir, name)
			}
			return fmt.Errorf("--cert-dir: %w", err)
		}
	}
	return nil
}

// listClientFor is the client of the audit's and the preview's LIST calls:
// built-in kinds only, so protobuf (smaller, faster to decode than JSON).
func listClientFor(cfg *rest.Config) (kubernetes.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.ContentType = "application/vnd.kubernetes.protobuf"
	c.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	return kubernetes.NewForConfig(c)
}

func loadRESTConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	return ctrlconfig.GetConfig()
}

func configSource(path string) string {
	if path == "" {
		return "embedded default"
	}
	return path
}
