//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/deployrender"
)

// testDeploy: what a platform team applies is accepted by the real API
// server (server-side dry-run of both overlays) and obeys Guardrails' own
// rules (`webhook check` on the rendered manifests).
//
// The dry-run needs the namespace guardrails-system to exist (a dry-run
// creates nothing, its Namespace included, so every namespaced object
// would be refused with NotFound): the test creates it for real; the
// webhook configurations never intercept it. cert-manager's CRDs are the
// test stubs of deploy/testdata (the suite installs them): they prove
// kinds, groups, versions and scopes, not cert-manager's own schemas.
func testDeploy(t *testing.T) {
	t.Parallel()
	createNamespace(t, "guardrails-system", nil)

	// A scratch copy of deploy/: the self-signed overlay needs generated
	// certificates in self-signed/certs, which must not land in the repo.
	stage := filepath.Join(t.TempDir(), "deploy")
	if err := deployrender.CopyTree(filepath.Join(suite.root, "deploy"), stage); err != nil {
		t.Fatal(err)
	}
	// As deploy/self-signed's README says.
	gen := exec.Command("go", "run", "./certs/cmd/gencerts", "--out", filepath.Join(stage, "self-signed", "certs"))
	gen.Dir = suite.root
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("go run ./certs/cmd/gencerts: %v\n%s", err, out)
	}

	for _, overlay := range []string{"self-signed", "cert-manager"} {
		t.Run(overlay, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(stage, overlay)
			r := mustOK(t, admin(t, "apply", "--dry-run=server", "-k", dryRunOverlay(t, stage, overlay)))
			for _, want := range []string{
				"namespace/guardrails-system",
				"serviceaccount/guardrails-webhook",
				"deployment.apps/guardrails-webhook",
				"service/guardrails-webhook",
				"poddisruptionbudget.policy/",
				"networkpolicy.networking.k8s.io/",
				"validatingwebhookconfiguration.admissionregistration.k8s.io/guardrails-e2e-dry-run created",
				"mutatingwebhookconfiguration.admissionregistration.k8s.io/guardrails-e2e-dry-run created",
			} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("the dry-run output lacks %s:\n%s", want, r)
				}
			}
			if overlay == "cert-manager" {
				for _, want := range []string{"issuer.cert-manager.io/", "certificate.cert-manager.io/guardrails-webhook"} {
					if !strings.Contains(r.stdout, want) {
						t.Errorf("the dry-run output lacks %s:\n%s", want, r)
					}
				}
			}
			if n := strings.Count(r.stdout, "(server dry run)"); n == 0 {
				t.Errorf("no object was dry-run:\n%s", r)
			}
			// Nothing stayed behind.
			mustNotExist(t, "", "validatingwebhookconfiguration", "guardrails-e2e-dry-run")
			mustNotExist(t, "guardrails-system", "deployment", "guardrails-webhook")
			mustNotExist(t, "guardrails-system", "service", "guardrails-webhook")

			// We obey our own rules.
			built := mustOK(t, admin(t, "kustomize", dir))
			check := exec.Command(suite.webhookBin, "check", "-f", "-")
			check.Stdin = strings.NewReader(built.stdout)
			var out bytes.Buffer
			check.Stdout, check.Stderr = &out, &out
			if err := check.Run(); err != nil {
				t.Errorf("webhook check -f <kubectl kustomize %s>: %v\n%s", overlay, err, out.String())
			} else {
				t.Logf("webhook check: %s", strings.TrimSpace(out.String()))
			}
		})
	}
}

// dryRunOverlay returns a kustomization over deploy/<overlay> that only
// renames the two webhook configurations: the sandbox has registered
// configurations named "guardrails" (with a URL, for the local webhook),
// and a dry-run apply of deploy/'s onto them would be a merge of the two
// (url and service both set: invalid), not the fresh install it stands
// for. Everything else is deploy/<overlay> as users apply it.
func dryRunOverlay(t *testing.T, stage, overlay string) string {
	t.Helper()
	dir := filepath.Join(stage, "e2e-dry-run-"+overlay)
	k := `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../` + overlay + `
patches:
- target:
    group: admissionregistration.k8s.io
    kind: ValidatingWebhookConfiguration
    name: guardrails
  patch: |-
    - op: replace
      path: /metadata/name
      value: guardrails-e2e-dry-run
- target:
    group: admissionregistration.k8s.io
    kind: MutatingWebhookConfiguration
    name: guardrails
  patch: |-
    - op: replace
      path: /metadata/name
      value: guardrails-e2e-dry-run
`
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
