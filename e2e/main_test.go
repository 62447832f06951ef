//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/guardrails-dev/guardrails/internal/deployrender"
	"github.com/guardrails-dev/guardrails/internal/sandbox"
)

// The namespaces of the suite, created by the sandbox with these labels.
const (
	nsEnforce   = "e2e-enforce"
	nsWarn      = "e2e-warn"
	nsAudit     = "e2e-audit"
	nsUnlabeled = "e2e-unlabeled"
	nsIgnore    = "e2e-ignore"

	modeLabel          = "guardrails.dev/mode"
	failurePolicyLabel = "guardrails.dev/failure-policy"
)

// suite is the state shared by every test: one sandbox for the run.
var suite struct {
	// skip is why the suite cannot run here (binaries missing); tests
	// skip with it, or fail when CI is set.
	skip string
	// setupErr is a failure of the suite's setup: every test fails with it.
	setupErr error

	root       string // repository root
	tmp        string // the suite's temp dir, removed at the end
	webhookBin string // the webhook binary built for this run
	sb         *sandbox.Sandbox
}

var kubectlPath string

// TestMain builds the webhook binary, starts one sandbox for the whole
// suite, runs the tests and always stops the sandbox and removes the temp
// dir: on return, on SIGINT/SIGTERM, and shortly before -test.timeout
// would kill the binary.
func TestMain(m *testing.M) {
	flag.Parse()
	// The tests wait on the API server and the webhook far more than they
	// compute: run more of them at once than GOMAXPROCS (the default of
	// -parallel) unless asked otherwise.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "8")
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	suite.root = root
	if reason := prerequisites(); reason != "" {
		suite.skip = reason
		fmt.Fprintf(os.Stderr, "e2e: cannot run the end-to-end suite: %s\n", reason)
		return m.Run() // every test skips (or fails under CI) with the reason
	}

	tmp, err := os.MkdirTemp("", "guardrails-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	suite.tmp = tmp
	// Every temp file of the run (t.TempDir, kubectl's, go run's) under
	// tmp, so that the cleanup below, which also runs on a signal,
	// catches them all.
	os.Setenv("TMPDIR", tmp)

	var once sync.Once
	cleanup := func() {
		once.Do(func() {
			if suite.sb != nil {
				if err := suite.sb.Stop(); err != nil {
					fmt.Fprintln(os.Stderr, "e2e: stopping the sandbox:", err)
				}
			}
			if os.Getenv("E2E_KEEP") != "" {
				fmt.Fprintln(os.Stderr, "e2e: E2E_KEEP set; kept", tmp)
				return
			}
			if err := os.RemoveAll(tmp); err != nil {
				fmt.Fprintln(os.Stderr, "e2e: removing the temp dir:", err)
			}
		})
	}
	defer cleanup()

	// Ctrl-C, SIGTERM: stop everything, then exit.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		fmt.Fprintf(os.Stderr, "e2e: %v: stopping the sandbox\n", s)
		cleanup()
		os.Exit(130)
	}()
	// -test.timeout panics the binary without running deferred calls:
	// clean up a little before it fires.
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 30*time.Second {
			timer := time.AfterFunc(d-20*time.Second, func() {
				fmt.Fprintln(os.Stderr, "e2e: -test.timeout is near: stopping the sandbox")
				cleanup()
			})
			defer timer.Stop()
		}
	}

	start := time.Now()
	if err := setup(); err != nil {
		suite.setupErr = err
		fmt.Fprintf(os.Stderr, "e2e: setup failed after %s: %v\n", time.Since(start).Round(time.Millisecond), err)
		dumpLog()
		// Run the tests anyway so that each reports the failure.
		m.Run()
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: sandbox ready in %s (dir %s)\n", time.Since(start).Round(time.Millisecond), suite.sb.Dir)

	code := m.Run()
	if code != 0 {
		dumpLog()
	}
	return code
}

// prerequisites says what is missing to run the suite ("" when nothing).
func prerequisites() string {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(suite.root, "bin", "k8s")
		os.Setenv("KUBEBUILDER_ASSETS", assets)
	}
	var missing []string
	for _, name := range []string{"kube-apiserver", "etcd"} {
		fi, err := os.Stat(filepath.Join(assets, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, filepath.Join(assets, name))
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("no control-plane binaries (%s): run `make control-plane` to build them into bin/k8s, or point KUBEBUILDER_ASSETS at a directory holding kube-apiserver and etcd", strings.Join(missing, ", "))
	}
	p, err := exec.LookPath("kubectl")
	if err != nil {
		return "kubectl is not in PATH: the suite drives the API server with the real kubectl"
	}
	kubectlPath = p
	return ""
}

// setup builds the webhook, starts the sandbox and creates what every
// test shares.
func setup() error {
	bin, err := buildWebhook()
	if err != nil {
		return err
	}
	suite.webhookBin = bin
	cfg, err := writeSuiteConfig(suite.tmp)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sb, err := sandbox.Start(ctx, sandbox.Options{
		Dir:           filepath.Join(suite.tmp, "sandbox"),
		AssetsDir:     os.Getenv("KUBEBUILDER_ASSETS"),
		WebhookBinary: bin,
		ConfigPath:    cfg,
		RepoRoot:      suite.root,
		// The webhook configurations of deploy/, for the local URL.
		Render: deployrender.Local,
		Namespaces: map[string]map[string]string{
			nsEnforce:         {modeLabel: "enforce"},
			nsWarn:            {modeLabel: "warn"},
			nsAudit:           {modeLabel: "audit"},
			nsUnlabeled:       {},
			nsIgnore:          {modeLabel: "enforce", failurePolicyLabel: "ignore"},
			nsEnforce + "-b":  {modeLabel: "enforce"},
			"e2e-ingress-a":   {modeLabel: "enforce"},
			"e2e-ingress-b":   {modeLabel: "enforce"},
			"e2e-mutate":      {modeLabel: "enforce"},
			"e2e-tenant":      {modeLabel: "enforce"},
			"e2e-tenant-warn": {modeLabel: "warn"},
		},
		// Audit and warn findings become Events (e2e/events_test.go).
		WebhookArgs: []string{"--events"},
		// Output to webhook.log, kube-apiserver.log, etcd.log in Dir.
	})
	if err != nil {
		return fmt.Errorf("start the sandbox: %w", err)
	}
	suite.sb = sb
	return sharedObjects()
}

// buildWebhook builds cmd/webhook with the Makefile's build line (the one
// the Dockerfile runs) into the suite's temp dir.
func buildWebhook() (string, error) {
	bin := filepath.Join(suite.tmp, "webhook")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=e2e", "-o", bin, "./cmd/webhook")
	cmd.Dir = suite.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/webhook: %v\n%s", err, out.String())
	}
	return bin, nil
}

// sharedObjects creates what several tests use: the default IngressClass
// nginx (the examples' class) and cert-manager's CRDs (test stubs, for the
// examples' Certificate and the cert-manager overlay).
func sharedObjects() error {
	t := &setupTB{}
	r := adminIn(t, ingressClassNginx, "apply", "-f", "-")
	if !r.ok() {
		return fmt.Errorf("create IngressClass nginx:\n%s", r)
	}
	crds := certManagerCRDs()
	r = admin(t, "apply", "-f", crds)
	if !r.ok() {
		return fmt.Errorf("create the cert-manager CRD stubs:\n%s", r)
	}
	r = admin(t, "wait", "--for=condition=Established", "--timeout=60s",
		"crd/issuers.cert-manager.io", "crd/certificates.cert-manager.io")
	if !r.ok() {
		return fmt.Errorf("wait for the cert-manager CRD stubs:\n%s", r)
	}
	return nil
}

const ingressClassNginx = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: k8s.io/ingress-nginx
`

// certManagerCRDs is the cert-manager CRD manifest to install: the test
// stubs of deploy/testdata (Issuer and Certificate with open schemas).
func certManagerCRDs() string {
	return filepath.Join(suite.root, "deploy", "testdata", "cert-manager-crds.stub.yaml")
}

// need starts every test: it skips (or fails under CI) when the suite
// cannot run and fails when its setup failed.
func need(t *testing.T) {
	t.Helper()
	if suite.skip != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and the suite cannot run: %s", suite.skip)
		}
		t.Skip(suite.skip)
	}
	if suite.setupErr != nil {
		t.Fatalf("suite setup failed: %v", suite.setupErr)
	}
}

// webhookLog returns the webhook's output so far.
func webhookLog() string {
	if suite.tmp == "" {
		return ""
	}
	b, _ := os.ReadFile(filepath.Join(suite.tmp, "sandbox", "webhook.log"))
	return string(b)
}

// dumpLog prints the tail of the webhook's output.
func dumpLog() {
	if suite.tmp == "" {
		return
	}
	lines := strings.Split(strings.TrimRight(webhookLog(), "\n"), "\n")
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	fmt.Fprintf(os.Stderr, "e2e: last %d lines of the webhook's log (%s):\n%s\n", len(lines), filepath.Join(suite.tmp, "sandbox", "webhook.log"), strings.Join(lines, "\n"))
}

// setupTB lets the kubectl helpers run outside a test (setup).
type setupTB struct{ testing.TB }

func (setupTB) Helper()                      {}
func (setupTB) TempDir() string              { d, _ := os.MkdirTemp(suite.tmp, "setup-"); return d }
func (setupTB) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }
func (setupTB) Errorf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }
func (setupTB) Fatal(args ...any)            { panic(fmt.Sprint(args...)) }
