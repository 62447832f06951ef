//go:build e2e

package sandbox_test

import (
	"bufio"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/guardrails-dev/guardrails/internal/sandbox"
)

// TestWebhookDev runs `webhook dev` as a user would: waits for the export
// line, uses kubectl (when installed) against it, interrupts it and checks
// that nothing it started is left.
func TestWebhookDev(t *testing.T) {
	root, err := sandbox.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := webhookBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "dev", "--dir", dir)
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	began := time.Now()
	var export string
	select {
	case export = <-lines:
	case <-time.After(3 * time.Minute):
		t.Fatalf("no export line in 3 minutes; stderr:\n%s", stderr.String())
	}
	t.Logf("webhook dev ready in %s", time.Since(began).Round(100*time.Millisecond))
	kubeconfig, ok := strings.CutPrefix(export, "export KUBECONFIG=")
	if !ok || kubeconfig != dir+"/kubeconfig" {
		t.Fatalf("first stdout line %q, want export KUBECONFIG=%s/kubeconfig; stderr:\n%s", export, dir, stderr.String())
	}

	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		run := func(args ...string) (string, error) {
			c := exec.Command(kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
			c.Dir = root
			b, err := c.CombinedOutput()
			return string(b), err
		}
		if out, err := run("create", "deployment", "web", "--image=nginx", "-n", "demo-enforce"); err == nil || !strings.Contains(out, "resources-requests") {
			t.Errorf("demo-enforce: want a resources-requests denial, got %v: %s", err, out)
		}
		if out, err := run("create", "deployment", "web", "--image=nginx", "-n", "demo-warn"); err != nil || !strings.Contains(out, "Warning: [resources-requests]") {
			t.Errorf("demo-warn: want admitted with a warning, got %v: %s", err, out)
		}
		if out, err := run("apply", "-f", "examples/bad/coredns-without-priority.yaml"); err != nil || !strings.Contains(out, "system-cluster-critical") {
			t.Errorf("coredns: want admitted with a warning naming the priority, got %v: %s", err, out)
		}
		if out, err := run("get", "deployment", "coredns", "-n", "kube-system", "-o", "jsonpath={.spec.template.spec.priorityClassName}"); err != nil || out != "system-cluster-critical" {
			t.Errorf("coredns priority: got %v: %q", err, out)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("webhook dev after SIGINT: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("webhook dev did not stop within a minute of SIGINT")
	}
	if left := processesUnder(t, dir); len(left) > 0 {
		t.Fatalf("processes left after SIGINT:\n%s", strings.Join(left, "\n"))
	}
	if !strings.Contains(stderr.String(), "stopped.") {
		t.Errorf("stderr does not end with stopped.:\n%s", stderr.String())
	}
}
