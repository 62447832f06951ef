package deployrender

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ChartDir is the Helm chart, relative to the repository root. It renders
// the objects of deploy/ (the tests compare them); files/ holds copies of
// deploy/'s files that it rewrites for the release (ChartFiles).
const ChartDir = "deploy/helm/guardrails"

// ChartFiles maps each file under the chart's files/ to the file of
// deploy/ (or the embedded configuration) it is a copy of, relative to
// the repository root. `make chart` copies them; a test fails when a copy
// differs.
var ChartFiles = map[string]string{
	"files/config.yaml":              "internal/config/default.yaml",
	"files/webhooks.yaml":            "deploy/base/webhooks.yaml",
	"files/api-server-fallback.yaml": "deploy/components/api-server-fallback/policies.yaml",
	"files/prometheusrule.yaml":      "deploy/components/monitoring/prometheusrule.yaml",
	"files/dashboard.json":           "deploy/components/monitoring/dashboard.json",
	"files/policyreport-crds.yaml":   "deploy/components/policy-reports/crds.yaml",
}

// ErrNoHelm means no helm binary was found.
var ErrNoHelm = errors.New("no helm binary: run `make helm` (builds bin/helm from the Go module proxy), or set $HELM")

// Helm returns the helm binary: $HELM, else <repoRoot>/bin/helm (what
// `make helm` builds), else helm on PATH.
func Helm(repoRoot string) (string, error) {
	if h := os.Getenv("HELM"); h != "" {
		if _, err := os.Stat(h); err != nil {
			return "", fmt.Errorf("$HELM: %w", err)
		}
		return h, nil
	}
	if p := filepath.Join(repoRoot, "bin", "helm"); fileExists(p) {
		return p, nil
	}
	if p, err := exec.LookPath("helm"); err == nil {
		return p, nil
	}
	return "", ErrNoHelm
}

// HelmTemplate runs `helm template <release> <chart> --namespace <ns>`
// with extra arguments (--set, --values, --set-file, …) and returns the
// rendered documents. Helm renders without a cluster: lookup finds
// nothing, so the generated certificates are new on every call.
func HelmTemplate(helm, chart, release, namespace string, args ...string) ([]byte, error) {
	full := append([]string{"template", release, chart, "--namespace", namespace}, args...)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helm, full...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("helm %s: %w: %s", strings.Join(full, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}
