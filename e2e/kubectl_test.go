//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kubectlTimeout bounds one kubectl invocation.
const kubectlTimeout = 90 * time.Second

// result is what one kubectl invocation did.
type result struct {
	args   []string
	stdout string
	stderr string
	code   int   // exit code; -1 when it could not run
	err    error // exec error (nil when it exited 0)
}

func (r result) ok() bool { return r.err == nil && r.code == 0 }

func (r result) String() string {
	return fmt.Sprintf("kubectl %s\n  exit: %d\n  stdout: %s\n  stderr: %s",
		strings.Join(r.args, " "), r.code, indent(r.stdout), indent(r.stderr))
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "(empty)"
	}
	return strings.ReplaceAll(s, "\n", "\n    ")
}

// warnings returns the lines of stderr that kubectl prints for the
// warnings of the API server ("Warning: ..."), without the prefix.
func (r result) warnings() []string {
	var out []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if s, ok := strings.CutPrefix(l, "Warning: "); ok {
			out = append(out, s)
		}
	}
	return out
}

// kube runs kubectl as the given kubeconfig's user with stdin (may be
// empty) and returns what happened; it never fails the test itself.
func kube(t testing.TB, kubeconfig, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	full := append([]string{"--kubeconfig", kubeconfig}, args...)
	cmd := exec.CommandContext(ctx, kubectlPath, full...)
	// A clean environment for kubectl: no KUBECONFIG of the developer, no
	// cache in their home directory.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "KUBECACHEDIR="+filepath.Join(suite.tmp, "kubecache"))
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String(), err: err}
	var ee *exec.ExitError
	switch {
	case err == nil:
		r.code = 0
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code = -1
	}
	if ctx.Err() != nil {
		r.stderr += "\n(e2e: kubectl timed out after " + kubectlTimeout.String() + ")"
	}
	return r
}

// admin runs kubectl as the sandbox's admin (system:masters).
func admin(t testing.TB, args ...string) result {
	t.Helper()
	return kube(t, suite.sb.Kubeconfig, "", args...)
}

// adminIn runs kubectl as admin with stdin.
func adminIn(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	return kube(t, suite.sb.Kubeconfig, stdin, args...)
}

// mustOK fails the test unless r succeeded.
func mustOK(t testing.TB, r result) result {
	t.Helper()
	if !r.ok() {
		t.Fatalf("expected success:\n%s", r)
	}
	return r
}

// mustFail fails the test unless r failed.
func mustFail(t testing.TB, r result) result {
	t.Helper()
	if r.ok() {
		t.Fatalf("expected failure:\n%s", r)
	}
	return r
}

// denialLines are the messages a webhook denial prints.
func isWebhookDenial(r result) bool {
	return strings.Contains(r.stderr, "admission webhook") && strings.Contains(r.stderr, "denied the request")
}

// mustDeny fails the test unless r was denied by a Guardrails admission
// webhook and stderr names every finding "[rule] field:".
func mustDeny(t testing.TB, r result, fs ...finding) {
	t.Helper()
	if r.ok() || !isWebhookDenial(r) {
		t.Fatalf("expected a denial by the admission webhook:\n%s", r)
	}
	for _, f := range fs {
		if !strings.Contains(r.stderr, f.line()) {
			t.Errorf("denial does not name %q:\n%s", f.line(), r)
		}
	}
}

// mustWarn fails the test unless every wanted substring is in one of the
// warnings of r.
func mustWarn(t testing.TB, r result, wants ...string) {
	t.Helper()
	ws := r.warnings()
	for _, want := range wants {
		found := false
		for _, w := range ws {
			if strings.Contains(w, want) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no warning containing %q:\n%s", want, r)
		}
	}
}

// mustNoWarnings fails the test when kubectl printed any warning.
func mustNoWarnings(t testing.TB, r result) {
	t.Helper()
	if ws := r.warnings(); len(ws) > 0 {
		t.Errorf("expected no warnings, got %d:\n%s", len(ws), r)
	}
}

// finding is a rule id and field path as a denial or warning prints
// them.
type finding struct{ rule, field string }

// line is the start of the finding's line: "[rule] field:".
func (f finding) line() string {
	if f.field == "" {
		return "[" + f.rule + "]"
	}
	return "[" + f.rule + "] " + f.field + ":"
}

// eventually calls f every interval until it returns true or timeout
// passes; it returns whether f succeeded. The webhook reads the cluster
// through informer caches, which follow the API server by a few
// milliseconds: checks that depend on an object created a moment before
// (an Ingress for conflicts, a ClusterRole for a binding, a LimitRange
// for requests) poll a server-side dry-run until the cache has it.
// untilDenied runs run until a Guardrails webhook denies it (the webhook's
// cache catching up with what the test just wrote), at most timeout, and
// returns the denial; otherwise it fails the test with what was expected
// and the last answer.
func untilDenied(t testing.TB, timeout time.Duration, what string, run func() result) result {
	t.Helper()
	var last result
	if !eventually(timeout, func() bool {
		last = run()
		return isWebhookDenial(last)
	}) {
		t.Fatalf("%s:\n%s", what, last)
	}
	return last
}

func eventually(timeout time.Duration, f func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// notFound fails the test unless `kubectl get` of the object says
// NotFound.
func mustNotExist(t testing.TB, namespace, resource, name string) {
	t.Helper()
	args := []string{"get", resource, name, "-o", "name"}
	if namespace != "" {
		args = append(args, "-n", namespace)
	}
	r := admin(t, args...)
	if r.ok() || !strings.Contains(r.stderr, "NotFound") {
		t.Errorf("expected %s %s/%s not to exist:\n%s", resource, namespace, name, r)
	}
}

// jsonpath returns `kubectl get -o jsonpath=expr` of an object.
func jsonpath(t testing.TB, namespace, resource, name, expr string) string {
	t.Helper()
	args := []string{"get", resource, name, "-o", "jsonpath=" + expr}
	if namespace != "" {
		args = append(args, "-n", namespace)
	}
	return mustOK(t, admin(t, args...)).stdout
}

// writeTemp writes data to a new file in the test's temp dir.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// createNamespace creates a namespace with labels as admin (an existing
// one is fine). Namespaces stay: deleting one needs the namespace
// controller, which the sandbox does not run, and the sandbox is thrown
// away at the end of the suite.
func createNamespace(t testing.TB, name string, labels map[string]string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", name)
	if len(labels) > 0 {
		b.WriteString("  labels:\n")
		for k, v := range labels {
			fmt.Fprintf(&b, "    %s: %q\n", k, v)
		}
	}
	r := adminIn(t, b.String(), "create", "-f", "-")
	if !r.ok() && !strings.Contains(r.stderr, "AlreadyExists") {
		t.Fatalf("create namespace %s:\n%s", name, r)
	}
}
