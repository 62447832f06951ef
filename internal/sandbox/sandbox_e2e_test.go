//go:build e2e

package sandbox_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/guardrails-dev/guardrails/internal/sandbox"
)

// webhookBinary returns $GUARDRAILS_WEBHOOK_BINARY (make e2e sets it) or
// builds the webhook.
func webhookBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GUARDRAILS_WEBHOOK_BINARY"); p != "" {
		return p
	}
	root, err := sandbox.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "webhook")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/webhook")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/webhook: %v\n%s", err, b)
	}
	return out
}

func options(t *testing.T, dir string) sandbox.Options {
	root, err := sandbox.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s")
	}
	if err := sandbox.CheckAssets(assets); err != nil {
		t.Fatal(err)
	}
	return sandbox.Options{
		Dir:           dir,
		WebhookBinary: webhookBinary(t),
		Namespaces: map[string]map[string]string{
			"e2e-enforce": {"guardrails.dev/mode": "enforce"},
			"e2e-plain":   nil,
		},
	}
}

func deploymentWithoutRequests(ns string) *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
			},
		},
	}
}

func dryRun(ctx context.Context, c kubernetes.Interface, ns string) error {
	_, err := c.AppsV1().Deployments(ns).Create(ctx, deploymentWithoutRequests(ns), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return err
}

// processesUnder lists the processes whose command line mentions dir.
func processesUnder(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	var found []string
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		cmdline := strings.ReplaceAll(string(b), "\x00", " ")
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && strings.Contains(string(stat), ") Z ") {
			continue // zombie, already dead
		}
		if strings.Contains(cmdline, dir) {
			found = append(found, e.Name()+": "+cmdline)
		}
	}
	return found
}

func TestSandbox(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("SANDBOX_E2E_DIR"); d != "" { // keep the logs
		dir = d
	}
	ctx := context.Background()
	began := time.Now()
	sb, err := sandbox.Start(ctx, options(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Stop() })
	t.Cleanup(func() { dumpLogsOnFailure(t, dir) })
	t.Logf("sandbox ready in %s", time.Since(began).Round(100*time.Millisecond))

	admin, err := kubernetes.NewForConfig(sb.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	// The kubeconfig file works as the admin.
	cfg, err := clientcmd.BuildConfigFromFlags("", sb.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Namespaces().Get(ctx, "e2e-enforce", metav1.GetOptions{}); err != nil {
		t.Fatalf("admin kubeconfig: %v", err)
	}

	t.Run("enforce denies, unlabeled admits", func(t *testing.T) {
		err := dryRun(ctx, admin, "e2e-enforce")
		if err == nil || !strings.Contains(err.Error(), "resources-requests") {
			t.Fatalf("dry-run in an enforce namespace: want a resources-requests denial, got %v", err)
		}
		if err := dryRun(ctx, admin, "e2e-plain"); err != nil {
			t.Fatalf("dry-run in an unlabeled namespace: %v", err)
		}
	})

	t.Run("non-admin users are restricted by RBAC", func(t *testing.T) {
		kc, err := sb.UserKubeconfig("system:serviceaccount:tenant:alice", "tenants")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", kc)
		if err != nil {
			t.Fatal(err)
		}
		_, err = kubernetes.NewForConfigOrDie(cfg).CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err == nil || !strings.Contains(err.Error(), "forbidden") {
			t.Fatalf("a user without bindings listed namespaces: %v", err)
		}
	})

	t.Run("webhook stopped: failurePolicy Fail, then started again", func(t *testing.T) {
		if err := sb.StopWebhook(); err != nil {
			t.Fatal(err)
		}
		err := dryRun(ctx, admin, "e2e-enforce")
		if err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
			t.Fatalf("webhook down: want failed calling webhook, got %v", err)
		}
		if err := sb.StartWebhook(ctx); err != nil {
			t.Fatal(err)
		}
		if err := dryRun(ctx, admin, "e2e-enforce"); err == nil || !strings.Contains(err.Error(), "resources-requests") {
			t.Fatalf("webhook back: want a resources-requests denial, got %v", err)
		}
	})

	t.Run("API server restarts with the webhook registered", func(t *testing.T) {
		began := time.Now()
		if err := sb.RestartAPIServer(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("restarted in %s", time.Since(began).Round(100*time.Millisecond))
		if err := dryRun(ctx, admin, "e2e-enforce"); err == nil || !strings.Contains(err.Error(), "resources-requests") {
			t.Fatalf("after restart: want a resources-requests denial, got %v", err)
		}
	})

	if err := sb.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := sb.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if left := processesUnder(t, dir); len(left) > 0 {
		t.Fatalf("processes left after Stop:\n%s", strings.Join(left, "\n"))
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("Stop removed the caller's dir: %v", err)
	}
}

// TestKilledOwnerLeavesNothing starts a sandbox in a child process,
// SIGKILLs it, and checks that its control plane and webhook die with it.
func TestKilledOwnerLeavesNothing(t *testing.T) {
	if dir := os.Getenv("SANDBOX_E2E_CHILD_DIR"); dir != "" {
		sb, err := sandbox.Start(context.Background(), options(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		_ = sb
		os.Stdout.WriteString("SANDBOX-READY\n")
		time.Sleep(10 * time.Minute)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledOwnerLeavesNothing$", "-test.v")
	cmd.Env = append(os.Environ(), "SANDBOX_E2E_CHILD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if strings.Contains(sc.Text(), "SANDBOX-READY") && !ok {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			t.Fatal("the child sandbox did not start")
		}
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("the child sandbox did not start in 3 minutes")
	}
	if n := len(processesUnder(t, dir)); n < 3 {
		t.Fatalf("want etcd, kube-apiserver and the webhook running, found %d", n)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := processesUnder(t, dir)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range left {
				pid := strings.SplitN(p, ":", 2)[0]
				_ = exec.Command("kill", "-9", pid).Run()
			}
			t.Fatalf("processes left after the owner was killed:\n%s", strings.Join(left, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// dumpLogsOnFailure prints the tail of the sandbox's logs when t failed.
func dumpLogsOnFailure(t *testing.T, dir string) {
	if !t.Failed() {
		return
	}
	for _, name := range []string{"kube-apiserver.log", "webhook.log", "etcd.log"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		t.Logf("--- tail of %s:\n%s", name, b)
	}
}
