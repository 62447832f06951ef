// Package sandbox runs a real Kubernetes control plane (etcd and
// kube-apiserver, started as controller-runtime's envtest starts them, see
// controlPlane) on loopback with the
// Guardrails webhook registered in front of it: the webhook binary runs as a
// real `webhook serve` process with certificates from the certs package, and
// the webhook configurations are the ones of deploy/, rendered for the local
// URL. `webhook dev` (make run) and the e2e suite use it.
//
// Every process it starts is stopped by Stop, and killed by the kernel
// when the process that started it dies (Linux), so an interrupted test run
// leaves nothing behind.
package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"

	"github.com/guardrails-dev/guardrails/certs"
)

// RenderFunc renders the webhook configurations of deploy/ for a webhook
// served at baseURL with the given CA bundle (deployrender.Local).
type RenderFunc func(repoRoot, baseURL string, caBundle []byte) (*admissionregistrationv1.ValidatingWebhookConfiguration, *admissionregistrationv1.MutatingWebhookConfiguration, error)

// Options configure Start.
type Options struct {
	// Dir is the working directory for certificates, kubeconfigs, etcd data
	// and logs; created if missing. Empty: a temporary directory, removed by
	// Stop. Start replaces what an earlier sandbox left in it.
	Dir string
	// AssetsDir holds kube-apiserver and etcd; default $KUBEBUILDER_ASSETS,
	// else <RepoRoot>/bin/k8s.
	AssetsDir string
	// WebhookBinary is the webhook binary to run as `serve`; required.
	WebhookBinary string
	// ConfigPath is the Guardrails configuration for the webhook; "" = the
	// embedded default.
	ConfigPath string
	// RepoRoot is where deploy/ is; default: found by walking up from the
	// working directory to go.mod.
	RepoRoot string
	// Namespaces to create, with their labels (labels are added to
	// namespaces that exist already, such as kube-system).
	Namespaces map[string]map[string]string
	// Stdout and Stderr receive the output of the webhook and the control
	// plane; default: webhook.log, kube-apiserver.log and etcd.log in Dir.
	Stdout, Stderr io.Writer
	// WebhookArgs are extra flags for `webhook serve` (e.g. --log-level=debug).
	WebhookArgs []string
	// APIServerFlags are extra kube-apiserver flags (name without "--").
	APIServerFlags map[string][]string
	// Render renders the webhook configurations; default deployrender.Local.
	Render RenderFunc
	// StartTimeout bounds each process start; default 2 minutes.
	StartTimeout time.Duration
}

// Sandbox is a running control plane with the webhook registered.
type Sandbox struct {
	Dir        string
	Kubeconfig string // admin (group system:masters)
	RESTConfig *rest.Config
	WebhookURL string // https://127.0.0.1:<port>
	MetricsURL string // http://127.0.0.1:<port>/metrics
	HealthURL  string // http://127.0.0.1:<port> (/healthz, /readyz)
	// AuditLog is the API server's audit log (JSON lines, level Metadata:
	// the webhook's audit annotations are there).
	AuditLog string
	// CertDir holds the webhook's ca.crt, tls.crt and tls.key.
	CertDir string
	// ValidatingWebhookConfiguration and MutatingWebhookConfiguration are
	// the names of the registered configurations.
	ValidatingWebhookConfiguration, MutatingWebhookConfiguration string

	o          Options
	ownDir     bool
	cp         *controlPlane
	client     kubernetes.Interface
	webhookKC  string
	webhookPt  int
	metricsPt  int
	healthPt   int
	logFiles   []*os.File
	out, errW  io.Writer
	mu         sync.Mutex
	webhook    *exec.Cmd
	webhookEnd chan struct{}
	stopped    bool
}

// Start starts etcd and kube-apiserver, the webhook, registers it, creates
// the namespaces, and returns once a request through the webhook is judged.
// On error everything started is stopped.
func Start(ctx context.Context, o Options) (_ *Sandbox, err error) {
	if o.WebhookBinary == "" {
		return nil, errors.New("sandbox: Options.WebhookBinary is required")
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 2 * time.Minute
	}
	if o.RepoRoot == "" {
		root, err := FindRepoRoot()
		if err != nil {
			return nil, err
		}
		o.RepoRoot = root
	}
	if o.AssetsDir == "" {
		o.AssetsDir = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if o.AssetsDir == "" {
		o.AssetsDir = filepath.Join(o.RepoRoot, "bin", "k8s")
	}
	if err := CheckAssets(o.AssetsDir); err != nil {
		return nil, err
	}
	if o.Render == nil {
		o.Render = defaultRender
	}
	if o.Render == nil {
		return nil, errors.New("sandbox: no renderer for the webhook configurations (internal/deployrender missing)")
	}
	wb, err := filepath.Abs(o.WebhookBinary)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(wb); err != nil {
		return nil, fmt.Errorf("sandbox: webhook binary: %w (run `make build`)", err)
	}
	o.WebhookBinary = wb

	s := &Sandbox{o: o}
	if o.Dir == "" {
		d, err := os.MkdirTemp("", "guardrails-sandbox-")
		if err != nil {
			return nil, err
		}
		o.Dir, s.ownDir = d, true
	}
	if s.Dir, err = filepath.Abs(o.Dir); err != nil {
		return nil, err
	}
	s.o.Dir = s.Dir
	defer func() {
		if err != nil {
			_ = s.Stop()
		}
	}()
	if err := s.prepareDir(); err != nil {
		return nil, err
	}
	if err := s.startControlPlane(); err != nil {
		return nil, err
	}
	if err := s.writeKubeconfigs(); err != nil {
		return nil, err
	}
	if err := s.waitAPIServerReady(ctx); err != nil {
		return nil, err
	}
	if err := s.createNamespaces(ctx); err != nil {
		return nil, err
	}
	if err := s.StartWebhook(ctx); err != nil {
		return nil, err
	}
	if err := s.register(ctx); err != nil {
		return nil, err
	}
	if err := s.probe(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// CheckAssets reports, with what to run, when kube-apiserver or etcd is
// missing from dir.
func CheckAssets(dir string) error {
	for _, name := range []string{"kube-apiserver", "etcd"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("no %s in %s: build the control plane with `make control-plane` (or start the sandbox with `make run`); it builds kube-apiserver and etcd from the Go module proxy, about 5 minutes the first time", name, dir)
		}
	}
	return nil
}

// FindRepoRoot walks up from the working directory to the directory that
// holds go.mod.
func FindRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("sandbox: no go.mod above the working directory: set Options.RepoRoot")
		}
		dir = parent
	}
}

func (s *Sandbox) path(name ...string) string {
	return filepath.Join(append([]string{s.Dir}, name...)...)
}

func (s *Sandbox) prepareDir() error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	// A fresh cluster each time: state of an earlier run goes.
	for _, d := range []string{"etcd", "apiserver", "certs", "bin"} {
		if err := os.RemoveAll(s.path(d)); err != nil {
			return err
		}
	}
	// etcd/ and apiserver/ are the control plane's (controlPlane.configure).
	if err := os.MkdirAll(s.path("certs"), 0o700); err != nil {
		return err
	}
	s.CertDir = s.path("certs")
	s.out, s.errW = s.o.Stdout, s.o.Stderr
	return nil
}

// logWriter returns the writer for a process's output: the caller's, or a
// file <name>.log in Dir.
func (s *Sandbox) logWriter(name string, w io.Writer) (io.Writer, error) {
	if w != nil {
		return w, nil
	}
	for _, f := range s.logFiles {
		if f.Name() == s.path(name+".log") {
			return f, nil
		}
	}
	f, err := os.OpenFile(s.path(name+".log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	s.logFiles = append(s.logFiles, f)
	return f, nil
}

// binary returns the absolute path of the control plane binary name.
func (s *Sandbox) binary(name string) string {
	p := filepath.Join(s.o.AssetsDir, name)
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func (s *Sandbox) startControlPlane() error {
	etcdOut, err := s.logWriter("etcd", s.out)
	if err != nil {
		return err
	}
	etcdErr, err := s.logWriter("etcd", s.errW)
	if err != nil {
		return err
	}
	apiOut, err := s.logWriter("kube-apiserver", s.out)
	if err != nil {
		return err
	}
	apiErr, err := s.logWriter("kube-apiserver", s.errW)
	if err != nil {
		return err
	}
	s.AuditLog = s.path("audit.log")
	policy := s.path("apiserver-audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
		return err
	}

	s.cp = &controlPlane{
		etcdPath: s.binary("etcd"), apiPath: s.binary("kube-apiserver"), dir: s.Dir,
		etcdOut: etcdOut, etcdErr: etcdErr, apiOut: apiOut, apiErr: apiErr,
		startTimeout: s.o.StartTimeout, stopTimeout: 30 * time.Second,
	}
	if err := s.cp.configure(); err != nil {
		return fmt.Errorf("sandbox: control plane: %w", err)
	}
	args := s.cp.args
	// Besides envtest's defaults (configure: RBAC authorization, the
	// default admission plugins but ServiceAccount), an audit log, where
	// audit-mode findings land.
	args["audit-policy-file"] = []string{policy}
	args["audit-log-path"] = []string{s.AuditLog}
	args["audit-log-maxbackup"] = []string{"1"}
	args["audit-log-maxsize"] = []string{"50"}
	// Close open watches (the webhook's informers) on SIGTERM instead of
	// waiting the whole --request-timeout for them: restarts take seconds.
	args["shutdown-watch-termination-grace-period"] = []string{"2s"}
	for k, v := range s.o.APIServerFlags {
		args[k] = v
	}
	if err := s.cp.start(); err != nil {
		return fmt.Errorf("sandbox: control plane: %w (logs in %s)", err, s.Dir)
	}
	return nil
}

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  verbs: [get, list, watch]
- level: Metadata
`

func (s *Sandbox) writeKubeconfigs() error {
	var err error
	if s.RESTConfig, s.Kubeconfig, err = s.writeUser("kubeconfig", "guardrails-dev-admin", "system:masters"); err != nil {
		return err
	}
	s.RESTConfig.Timeout = 30 * time.Second
	// The webhook reads the cluster as an admin of its own: it only
	// lists and watches.
	if _, s.webhookKC, err = s.writeUser("webhook.kubeconfig", "guardrails-webhook", "system:masters"); err != nil {
		return err
	}
	s.client, err = kubernetes.NewForConfig(s.RESTConfig)
	return err
}

// writeUser issues a client certificate for user in groups and writes a
// kubeconfig with it to the file name in Dir.
func (s *Sandbox) writeUser(name, user string, groups ...string) (*rest.Config, string, error) {
	cfg, data, err := s.cp.user(user, groups)
	if err != nil {
		return nil, "", err
	}
	p := s.path(name)
	return cfg, p, certs.WriteFileAtomic(p, data, 0o600)
}

// UserKubeconfig writes a kubeconfig for a non-admin user (client
// certificate with the given groups) and returns its path; the caller
// binds RBAC.
func (s *Sandbox) UserKubeconfig(user string, groups ...string) (string, error) {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '_'
	}, user)
	_, p, err := s.writeUser("kubeconfig-"+safe, user, groups...)
	return p, err
}

// waitAPIServerReady waits for /readyz (bootstrap RBAC and priority
// classes in place) and the default namespace.
func (s *Sandbox) waitAPIServerReady(ctx context.Context) error {
	return poll(ctx, s.o.StartTimeout, "the API server to become ready", func(ctx context.Context) error {
		body, err := s.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("%v: %s", err, body)
		}
		_, err = s.client.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
		return err
	})
}

// RestartAPIServer stops kube-apiserver and starts it again on the same
// etcd, port and certificates, and waits until it is ready.
func (s *Sandbox) RestartAPIServer(ctx context.Context) error {
	if s.cp == nil || s.cp.api == nil {
		return errors.New("sandbox: not started")
	}
	if err := s.cp.stopAPIServer(); err != nil {
		return fmt.Errorf("sandbox: stop kube-apiserver: %w", err)
	}
	if err := s.cp.startAPIServer(); err != nil {
		return fmt.Errorf("sandbox: start kube-apiserver: %w (log in %s)", err, s.Dir)
	}
	return s.waitAPIServerReady(ctx)
}

func (s *Sandbox) createNamespaces(ctx context.Context) error {
	for name, labels := range s.o.Namespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
		_, err := s.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) { // kube-system, default: add the labels
			err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
				cur, err := s.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				if cur.Labels == nil {
					cur.Labels = map[string]string{}
				}
				for k, v := range labels {
					cur.Labels[k] = v
				}
				_, err = s.client.CoreV1().Namespaces().Update(ctx, cur, metav1.UpdateOptions{})
				return err
			})
		}
		if err != nil {
			return fmt.Errorf("sandbox: namespace %s: %w", name, err)
		}
	}
	return nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartWebhook starts `webhook serve` (after StopWebhook: again, on the
// same ports and certificates) and waits for its /readyz.
func (s *Sandbox) StartWebhook(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook != nil {
		return errors.New("sandbox: the webhook is already running")
	}
	if s.webhookPt == 0 {
		var err error
		for _, p := range []*int{&s.webhookPt, &s.metricsPt, &s.healthPt} {
			if *p, err = freePort(); err != nil {
				return err
			}
		}
		if _, err := certs.WriteServing(s.CertDir, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}); err != nil {
			return err
		}
		s.WebhookURL = "https://127.0.0.1:" + strconv.Itoa(s.webhookPt)
		s.MetricsURL = "http://127.0.0.1:" + strconv.Itoa(s.metricsPt) + "/metrics"
		s.HealthURL = "http://127.0.0.1:" + strconv.Itoa(s.healthPt)
	}
	out, err := s.logWriter("webhook", s.out)
	if err != nil {
		return err
	}
	errW, err := s.logWriter("webhook", s.errW)
	if err != nil {
		return err
	}
	args := []string{"serve",
		"--bind-address=127.0.0.1",
		"--port=" + strconv.Itoa(s.webhookPt),
		"--cert-dir=" + s.CertDir,
		"--metrics-bind-address=127.0.0.1:" + strconv.Itoa(s.metricsPt),
		"--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(s.healthPt),
		"--kubeconfig=" + s.webhookKC,
		"--shutdown-timeout=5s",
	}
	if s.o.ConfigPath != "" {
		cfg, err := filepath.Abs(s.o.ConfigPath)
		if err != nil {
			return err
		}
		args = append(args, "--config="+cfg)
	}
	args = append(args, s.o.WebhookArgs...)
	cmd := exec.Command(s.o.WebhookBinary, args...)
	cmd.Stdout, cmd.Stderr = out, errW
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("sandbox: start webhook: %w", err)
	}
	end := make(chan struct{})
	go func() { _ = cmd.Wait(); close(end) }()
	s.webhook, s.webhookEnd = cmd, end

	hc := &http.Client{Timeout: 2 * time.Second}
	err = poll(ctx, s.o.StartTimeout, "the webhook to become ready", func(ctx context.Context) error {
		select {
		case <-end:
			return permanent{fmt.Errorf("webhook serve exited: %v (log: %s)", cmd.ProcessState, s.logHint("webhook"))}
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.HealthURL+"/readyz", nil)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz %d: %s", resp.StatusCode, body)
		}
		return nil
	})
	if err != nil {
		s.stopWebhookLocked()
		return err
	}
	return nil
}

func (s *Sandbox) logHint(name string) string {
	if s.o.Stderr != nil {
		return "the sandbox's stderr"
	}
	return s.path(name + ".log")
}

// StopWebhook stops the webhook process (SIGTERM, SIGKILL after 10s); the
// configurations stay registered.
func (s *Sandbox) StopWebhook() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopWebhookLocked()
	return nil
}

func (s *Sandbox) stopWebhookLocked() {
	if s.webhook == nil {
		return
	}
	cmd, end := s.webhook, s.webhookEnd
	s.webhook, s.webhookEnd = nil, nil
	terminate(cmd.Process)
	select {
	case <-end:
	case <-time.After(10 * time.Second):
		kill(cmd.Process)
		<-end
	}
}

// register creates or replaces the webhook configurations of deploy/,
// rendered for the local URL.
func (s *Sandbox) register(ctx context.Context) error {
	ca, err := os.ReadFile(filepath.Join(s.CertDir, certs.CAFile))
	if err != nil {
		return err
	}
	vwc, mwc, err := s.o.Render(s.o.RepoRoot, s.WebhookURL, ca)
	if err != nil {
		return fmt.Errorf("sandbox: render the webhook configurations of deploy/: %w", err)
	}
	ar := s.client.AdmissionregistrationV1()
	if mwc != nil {
		s.MutatingWebhookConfiguration = mwc.Name
		if _, err := ar.MutatingWebhookConfigurations().Create(ctx, mwc, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("sandbox: register %s: %w", mwc.Name, err)
		}
	}
	if vwc != nil {
		s.ValidatingWebhookConfiguration = vwc.Name
		if _, err := ar.ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("sandbox: register %s: %w", vwc.Name, err)
		}
	}
	return nil
}

// probe waits until the API server calls the webhook: a server-side
// dry-run create of a ClusterRole (cluster-scoped, so no namespace
// selector applies) until the webhook's request counter moves.
func (s *Sandbox) probe(ctx context.Context) error {
	before, _ := s.validateRequests(ctx)
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "guardrails-sandbox-probe"}}
	return poll(ctx, s.o.StartTimeout, "the API server to call the webhook", func(ctx context.Context) error {
		_, err := s.client.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil && !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) {
			return err
		}
		n, merr := s.validateRequests(ctx)
		if merr != nil {
			return merr
		}
		if n <= before {
			return fmt.Errorf("the webhook saw no request yet (dry-run create: %v)", err)
		}
		return nil
	})
}

// validateRequests sums guardrails_admission_requests_total of the
// validate handler.
func (s *Sandbox) validateRequests(ctx context.Context) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.MetricsURL, nil)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "guardrails_admission_requests_total{") || !strings.Contains(line, `handler="validate"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}

// Stop stops the webhook, kube-apiserver and etcd. It removes Dir only
// when Start created it (Options.Dir empty). Calling it again does nothing.
func (s *Sandbox) Stop() error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	s.stopWebhookLocked()
	s.mu.Unlock()
	var errs []error
	if s.cp != nil {
		if err := s.cp.stop(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range s.logFiles {
		_ = f.Close()
	}
	if s.ownDir {
		if err := os.RemoveAll(s.Dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// permanent marks an error that ends a poll.
type permanent struct{ error }

func poll(ctx context.Context, timeout time.Duration, what string, f func(context.Context) error) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		last = f(ctx)
		var p permanent
		if errors.As(last, &p) {
			return false, p.error
		}
		return last == nil, nil
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return fmt.Errorf("sandbox: waiting for %s: %w (last: %v)", what, err, last)
	}
	return fmt.Errorf("sandbox: waiting for %s: %w", what, err)
}
