//go:build !windows

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/guardrails-dev/guardrails/internal/sandbox"
)

type devOptions struct {
	dir        string
	configPath string
}

// The demo namespaces of the sandbox, one per mode, and kube-system opted
// in the way an infrastructure namespace would be (warn, and never blocked
// by an unreachable webhook) so that critical add-ons show the mutation.
var devNamespaces = map[string]map[string]string{
	"demo-enforce": {"guardrails.dev/mode": "enforce"},
	"demo-warn":    {"guardrails.dev/mode": "warn"},
	"demo-audit":   {"guardrails.dev/mode": "audit"},
	"kube-system":  {"guardrails.dev/mode": "warn", "guardrails.dev/failure-policy": "ignore"},
}

func newDevCmd() *cobra.Command {
	o := devOptions{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a local sandbox: a real kube-apiserver and etcd with the webhook registered",
		Long: `Run a local sandbox: a real kube-apiserver and etcd on loopback (the binaries
in bin/k8s, or $KUBEBUILDER_ASSETS; build them with make control-plane), this
binary as the webhook with generated certificates, and the webhook
configurations of deploy/. It creates the namespaces demo-enforce, demo-warn
and demo-audit labelled with their mode, writes an admin kubeconfig to
DIR/kubeconfig and, once everything serves, prints

  export KUBECONFIG=<DIR>/kubeconfig

on stdout. It serves until interrupted (Ctrl-C), then stops everything it
started. Every start is a fresh cluster; logs are in DIR.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", ".guardrails-dev", "working directory: kubeconfig, certificates, etcd data, logs")
	f.StringVar(&o.configPath, "config", "", "Guardrails configuration file for the webhook (default: the embedded configuration)")
	return cmd
}

func runDev(ctx context.Context, o devOptions, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	opts := sandbox.Options{
		Dir:           dir,
		WebhookBinary: self,
		ConfigPath:    o.configPath,
		Namespaces:    devNamespaces,
	}
	if opts.AssetsDir, opts.RepoRoot, err = devPaths(); err != nil {
		return &exitError{code: 2, err: err}
	}
	if err := sandbox.CheckAssets(opts.AssetsDir); err != nil {
		return &exitError{code: 2, err: err}
	}

	fmt.Fprintf(stderr, "starting etcd, kube-apiserver and the webhook (logs in %s)…\n", dir)
	began := time.Now()
	sb, err := sandbox.Start(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return &exitError{code: 130, err: fmt.Errorf("interrupted while starting: %w", err)}
		}
		return err
	}
	defer func() {
		fmt.Fprintln(stderr, "stopping the webhook, kube-apiserver and etcd…")
		if err := sb.Stop(); err != nil {
			fmt.Fprintln(stderr, "webhook: stop:", err)
		}
		fmt.Fprintln(stderr, "stopped.")
	}()

	fmt.Fprintf(stderr, "ready in %s: webhook %s, metrics %s\n", time.Since(began).Round(100*time.Millisecond), sb.WebhookURL, sb.MetricsURL)
	fmt.Fprintf(stdout, "export KUBECONFIG=%s\n", sb.Kubeconfig)
	fmt.Fprint(stderr, `
Then, with that KUBECONFIG, from the repository root:
  kubectl create deployment web --image=nginx -n demo-enforce    # denied: no requests (resources-requests)
  kubectl create deployment web --image=nginx -n demo-warn       # admitted with a warning
  kubectl create deployment web --image=nginx -n demo-audit      # admitted silently (audit log, metrics)
  kubectl apply -f examples/bad/clusterrolebinding-cluster-admin.yaml   # denied (cluster-scoped: enforce)
  kubectl apply -f examples/bad/coredns-without-priority.yaml    # admitted, priority filled, with a warning
  kubectl get deployment coredns -n kube-system -o jsonpath='{.spec.template.spec.priorityClassName}'
Press Ctrl-C to stop.
`)
	<-ctx.Done()
	return nil
}

// devPaths returns the control-plane binaries' directory ($KUBEBUILDER_ASSETS,
// else bin/k8s of the repository) and the repository root (deploy/ is
// rendered from there): the working directory's repository, else the one
// this binary sits in (bin/webhook).
func devPaths() (assets, root string, err error) {
	root, err = sandbox.FindRepoRoot()
	if err != nil {
		if self, serr := os.Executable(); serr == nil {
			cand := filepath.Dir(filepath.Dir(self))
			if _, serr := os.Stat(filepath.Join(cand, "deploy")); serr == nil {
				root, err = cand, nil
			}
		}
		if err != nil {
			return "", "", fmt.Errorf("run webhook dev from the Guardrails repository (it renders the webhook configurations of deploy/): %w", err)
		}
	}
	assets = os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s")
	}
	return assets, root, nil
}
