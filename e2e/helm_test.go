//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guardrails-dev/guardrails/internal/deployrender"
)

// helmLabel is the namespace label the installed releases are narrowed to
// (namespaceSelectorTerms): their webhook configurations and fallback
// policies are live in the API server, but judge only the test's own
// namespaces, never the suite's others. No kubelet runs the chart's pods,
// so the webhooks they register have no endpoint.
const helmLabel = "e2e.guardrails.dev/helm"

// helmBin returns the helm binary (make builds bin/helm; $HELM names
// another), skipping the test without one, failing it when CI is set.
func helmBin(t *testing.T) string {
	t.Helper()
	h, err := deployrender.Helm(suite.root)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set: %v", err)
		}
		t.Skip(err)
	}
	return h
}

// helmRun runs helm against the sandbox as its admin, with Helm's own
// state in the test's temp dir.
func helmRun(t *testing.T, helm string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	home := filepath.Join(suite.tmp, "helm-home")
	cmd := exec.CommandContext(ctx, helm, append(args, "--kubeconfig", suite.sb.Kubeconfig)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+suite.sb.Kubeconfig,
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"), "HELM_CONFIG_HOME="+filepath.Join(home, "config"), "HELM_DATA_HOME="+filepath.Join(home, "data"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// clusterNames lists the names of a cluster-scoped resource.
func clusterNames(t *testing.T, resource string) []string {
	t.Helper()
	out := mustOK(t, admin(t, "get", resource, "-o", "jsonpath={.items[*].metadata.name}")).stdout
	names := strings.Fields(out)
	slices.Sort(names)
	return names
}

var admissionResources = []string{
	"validatingwebhookconfigurations", "mutatingwebhookconfigurations",
	"validatingadmissionpolicies", "validatingadmissionpolicybindings",
}

// TestHelm installs the chart into the sandbox's real API server with
// `helm install` (objects created for real), checks them, drives the
// webhook configurations and fallback policies it registered, upgrades
// (the generated certificate stays, and is renewed with the same CA), and
// requires `helm uninstall` to leave no webhook configuration, admission
// policy or binding behind. It runs alone, after TestE2E: the fallback
// policies of a release are the same cluster-wide objects (guardrails-*)
// that TestFallback installs.
func TestHelm(t *testing.T) {
	need(t)
	helm := helmBin(t)
	chart := filepath.Join(suite.root, deployrender.ChartDir)
	if out, err := helmRun(t, helm, "version", "--short"); err != nil || !strings.HasPrefix(out, "v3.") {
		t.Fatalf("helm version: %q %v", out, err)
	}
	// ServiceMonitor and PrometheusRule: prometheus-operator's kinds (test
	// stubs, like cert-manager's that the suite installs).
	mustOK(t, admin(t, "apply", "-f", filepath.Join(suite.root, deployrender.PrometheusOperatorCRDs)))
	mustOK(t, admin(t, "wait", "--for=condition=Established", "--timeout=60s",
		"crd/servicemonitors.monitoring.coreos.com", "crd/prometheusrules.monitoring.coreos.com"))

	before := map[string][]string{}
	for _, res := range admissionResources {
		before[res] = clusterNames(t, res)
	}
	uninstalled := func(t *testing.T, release, ns string) {
		t.Helper()
		if _, err := helmRun(t, helm, "uninstall", release, "-n", ns, "--wait", "--timeout", "2m"); err != nil {
			t.Fatal(err)
		}
		for _, res := range admissionResources {
			if got := clusterNames(t, res); !slices.Equal(got, before[res]) {
				t.Errorf("after helm uninstall, %s are %v, before the install %v", res, got, before[res])
			}
		}
		for _, res := range []string{"clusterroles", "clusterrolebindings"} {
			for _, name := range clusterNames(t, res) {
				if strings.HasPrefix(name, release+"-guardrails") {
					t.Errorf("after helm uninstall, %s %s is left", res, name)
				}
			}
		}
		left := mustOK(t, admin(t, "get", "deploy,svc,sa,cm,secret,pdb,networkpolicy,issuers.cert-manager.io,certificates.cert-manager.io,servicemonitors,prometheusrules",
			"-n", ns, "-l", "app.kubernetes.io/instance="+release, "-o", "name")).stdout
		if strings.TrimSpace(left) != "" {
			t.Errorf("after helm uninstall, objects of the release are left in %s:\n%s", ns, left)
		}
	}
	narrow := func(release string) string {
		return fmt.Sprintf(`namespaceSelectorTerms=[{"key":%q,"operator":"In","values":[%q]}]`, helmLabel, release)
	}

	// The default certificate mode (cert-manager, its CRDs are test stubs:
	// no issuer runs) with every optional component.
	t.Run("cert-manager", func(t *testing.T) {
		const release, ns = "e2e-cm", "e2e-helm-cm"
		policyCRDs := []string{"crd/policyreports.wgpolicyk8s.io", "crd/clusterpolicyreports.wgpolicyk8s.io"}
		if r := admin(t, "get", policyCRDs[0]); r.ok() {
			t.Fatalf("the PolicyReport CRDs exist before the install (another test left them): %s", r.stdout)
		}
		if out, err := helmRun(t, helm, "install", release, chart, "-n", ns, "--create-namespace",
			"--set-json", narrow(release), "--set", "events.enabled=true", "--set", "secretLookups.enabled=true",
			"--set", "preview.enabled=true", "--set", "audit.enabled=true", "--set", "audit.policyReports.enabled=true",
			"--set", "monitoring.serviceMonitor.enabled=true", "--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.dashboard.enabled=true"); err != nil {
			t.Fatal(err)
		} else {
			t.Logf("helm install:\n%s", out)
		}
		full := release + "-guardrails"
		for _, o := range []string{"deployment/" + full + "-webhook", "service/" + full + "-webhook", "serviceaccount/" + full + "-webhook",
			"configmap/" + full + "-config", "poddisruptionbudget/" + full + "-webhook", "networkpolicy/" + full + "-webhook",
			"issuer.cert-manager.io/" + full + "-ca", "certificate.cert-manager.io/" + full + "-webhook",
			"servicemonitor.monitoring.coreos.com/" + full + "-webhook", "prometheusrule.monitoring.coreos.com/" + full, "configmap/" + full + "-dashboard"} {
			mustOK(t, admin(t, "get", o, "-n", ns))
		}
		for _, o := range []string{"clusterrole/" + full + "-webhook", "clusterrole/" + full + "-webhook-events",
			"clusterrolebinding/" + full + "-webhook-events", "validatingwebhookconfiguration/" + full, "mutatingwebhookconfiguration/" + full,
			"clusterrole/" + full + "-audit", "clusterrolebinding/" + full + "-audit",
			"clusterrole/" + full + "-policy-reports", "clusterrolebinding/" + full + "-policy-reports"} {
			mustOK(t, admin(t, "get", o))
		}
		// The audit's Lease grant, in the release namespace, for the
		// Lease the webhook is told to use.
		mustOK(t, admin(t, "get", "role/"+full+"-audit-lease", "rolebinding/"+full+"-audit-lease", "-n", ns))
		if got := jsonpath(t, ns, "role", full+"-audit-lease", "{.rules[1].resourceNames[0]}"); got != full+"-audit" {
			t.Errorf("the lease Role names %q, want %s-audit", got, full)
		}
		args := jsonpath(t, ns, "deployment", full+"-webhook", "{.spec.template.spec.containers[0].args}")
		for _, want := range []string{"--audit-interval=1h", "--leader-election-id=" + full + "-audit", "--audit-policy-reports=true", "--events=true"} {
			if !strings.Contains(args, want) {
				t.Errorf("the webhook's args %s lack %s", args, want)
			}
		}
		// What the ServiceAccount may do, as the API server decides it.
		sa := "system:serviceaccount:" + ns + ":" + full + "-webhook"
		for _, can := range [][]string{{"list", "pods"}, {"list", "deployments.apps"}, {"patch", "policyreports.wgpolicyk8s.io"},
			{"get", "leases.coordination.k8s.io/" + full + "-audit", "-n", ns}} {
			if r := admin(t, append([]string{"auth", "can-i", "--as", sa}, can...)...); strings.TrimSpace(r.stdout) != "yes" {
				t.Errorf("%s cannot %v: %s", sa, can, r)
			}
		}
		for _, cannot := range [][]string{{"get", "pods"}, {"watch", "deployments.apps"}, {"get", "leases.coordination.k8s.io/other", "-n", ns}} {
			if r := admin(t, append([]string{"auth", "can-i", "--as", sa}, cannot...)...); strings.TrimSpace(r.stdout) != "no" {
				t.Errorf("%s can %v: %s", sa, cannot, r)
			}
		}
		mustOK(t, admin(t, append([]string{"wait", "--for=condition=Established", "--timeout=60s"}, policyCRDs...)...))
		if got := jsonpath(t, "", "validatingwebhookconfiguration", full, `{.metadata.annotations.cert-manager\.io/inject-ca-from}`); got != ns+"/"+full+"-webhook" {
			t.Errorf("inject-ca-from %q", got)
		}
		for _, res := range []string{"validatingwebhookconfiguration", "mutatingwebhookconfiguration"} {
			for _, se := range strings.Fields(jsonpath(t, "", res, full, "{.webhooks[*].sideEffects}")) {
				if se != "NoneOnDryRun" {
					t.Errorf("%s %s: sideEffects %s with events on, want NoneOnDryRun", res, full, se)
				}
			}
		}
		if n := len(strings.Fields(mustOK(t, admin(t, "get", "validatingadmissionpolicies", "-l", "app.kubernetes.io/instance="+release, "-o", "name")).stdout)); n < 6 {
			t.Errorf("%d fallback policies of the release", n)
		}
		uninstalled(t, release, ns)
		for _, res := range []string{"role", "rolebinding"} {
			if r := admin(t, "get", res, full+"-audit-lease", "-n", ns); r.ok() {
				t.Errorf("after helm uninstall, %s %s is left", res, full+"-audit-lease")
			}
		}
		// The PolicyReport CRDs stay (helm.sh/resource-policy: keep):
		// deleting them would delete every report, other tools' too.
		mustOK(t, admin(t, append([]string{"get"}, policyCRDs...)...))
		mustOK(t, admin(t, append([]string{"delete", "--wait"}, policyCRDs...)...))
	})

	// The chart's own certificates, driven: the API server calls the
	// registered webhooks (which have no endpoint: no kubelet) and
	// evaluates the policies, in the test's labelled namespaces only.
	t.Run("generated", func(t *testing.T) {
		const release, ns = "e2e-gen", "e2e-helm-gen"
		full := release + "-guardrails"
		args := []string{"-n", ns, "--set", "certificate.mode=generated", "--set-json", narrow(release)}
		if _, err := helmRun(t, helm, append([]string{"install", release, chart, "--create-namespace"}, args...)...); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			// Never leave a Fail webhook without endpoint behind.
			_, _ = helmRun(t, helm, "uninstall", release, "-n", ns)
		})
		secret := func() map[string]string {
			var s struct {
				Data map[string]string `json:"data"`
			}
			out := mustOK(t, admin(t, "get", "secret", full+"-webhook-tls", "-n", ns, "-o", "json")).stdout
			if err := json.Unmarshal([]byte(out), &s); err != nil {
				t.Fatal(err)
			}
			return s.Data
		}
		caBundles := func() []string {
			return strings.Fields(jsonpath(t, "", "validatingwebhookconfiguration", full, "{.webhooks[*].clientConfig.caBundle}") + " " +
				jsonpath(t, "", "mutatingwebhookconfiguration", full, "{.webhooks[*].clientConfig.caBundle}"))
		}
		first := secret()
		for _, b := range caBundles() {
			if b != first["ca.crt"] {
				t.Fatalf("a caBundle is not the Secret's ca.crt")
			}
		}

		enforce, warn := ns+"-enforce", ns+"-warn"
		createNamespace(t, enforce, map[string]string{modeLabel: "enforce", helmLabel: release})
		createNamespace(t, warn, map[string]string{modeLabel: "warn", helmLabel: release})
		good := func(ns, name string) string {
			return writeTemp(t, name+".yaml", []byte(deployment(ns, name, map[string]string{"app": name}, "", someRequests)))
		}
		// enforce: failurePolicy Fail, and no endpoint serves the release's
		// webhook, so the API server refuses even a good Deployment, naming
		// the release's Service.
		r := mustFail(t, admin(t, "apply", "--dry-run=server", "-f", good(enforce, "good")))
		if !strings.Contains(r.stderr, "failed calling webhook") || !strings.Contains(r.stderr, full+"-webhook."+ns+".svc") {
			t.Errorf("enforce namespace: want the release's webhook failing closed:\n%s", r)
		}
		// warn: failurePolicy Ignore, admitted.
		mustOK(t, admin(t, "apply", "--dry-run=server", "-f", good(warn, "good")))
		// The release's fallback policy denies a Pod without requests
		// before any webhook is called.
		pod := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: no-requests\n  namespace: %s\nspec:\n  containers:\n  - name: app\n    image: registry.example/app:1.0\n", enforce)
		r = mustFail(t, adminIn(t, pod, "create", "--dry-run=server", "-f", "-"))
		if !strings.Contains(r.stderr, "ValidatingAdmissionPolicy 'guardrails-resources-requests'") || !strings.Contains(r.stderr, "[resources-requests] spec.containers[0].resources.requests.cpu") {
			t.Errorf("want the release's fallback policy to deny:\n%s", r)
		}

		// Upgrades keep the certificate and the CA (lookup)…
		if _, err := helmRun(t, helm, append([]string{"upgrade", release, chart}, args...)...); err != nil {
			t.Fatal(err)
		}
		if again := secret(); again["tls.crt"] != first["tls.crt"] || again["ca.crt"] != first["ca.crt"] {
			t.Error("helm upgrade replaced a certificate that was not due for renewal")
		}
		// …and renew the serving certificate with the same CA once it is
		// within renewDaysBefore of its expiry (365 < 400 days).
		if _, err := helmRun(t, helm, append([]string{"upgrade", release, chart, "--set", "certificate.generated.validityDays=500", "--set", "certificate.generated.renewDaysBefore=400"}, args...)...); err != nil {
			t.Fatal(err)
		}
		renewed := secret()
		if renewed["tls.crt"] == first["tls.crt"] || renewed["ca.crt"] != first["ca.crt"] {
			t.Error("helm upgrade within renewDaysBefore did not renew the serving certificate with the same CA")
		}
		for _, b := range caBundles() {
			if b != first["ca.crt"] {
				t.Error("the renewal changed a caBundle")
			}
		}
		uninstalled(t, release, ns)
		// With the release gone, nothing calls its webhook.
		mustOK(t, admin(t, "apply", "--dry-run=server", "-f", good(enforce, "good")))
	})
}
