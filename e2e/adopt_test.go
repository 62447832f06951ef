//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guardrails-dev/guardrails/internal/deployrender"
	"github.com/guardrails-dev/guardrails/internal/sandbox"
)

// TestAdopt: adopting Guardrails on a cluster that already runs (issue
// 12). `webhook audit` and the preview before enforce run against the
// suite's sandbox; the background audit and the configuration reload need
// a webhook with flags and a configuration file of their own, so they get
// a sandbox of their own.
func TestAdopt(t *testing.T) {
	need(t)
	t.Run("audit-cli", testAuditCLI)
	t.Run("audit-mirror-pods", testAuditMirrorPods)
	t.Run("preview-before-enforce", testPreviewBeforeEnforce)
	t.Run("background-audit-and-reload", testBackgroundAuditAndReload)
}

// auditRun is one `webhook audit` invocation.
type auditRun struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r auditRun) String() string {
	return fmt.Sprintf("webhook audit %s\n  exit: %d\n  stdout: %s\n  stderr: %s", strings.Join(r.args, " "), r.code, indent(r.stdout), indent(r.stderr))
}

// webhookAudit runs the suite's webhook binary: audit --kubeconfig kc args.
func webhookAudit(t *testing.T, kc string, args ...string) auditRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	full := append([]string{"audit", "--kubeconfig", kc}, args...)
	cmd := exec.CommandContext(ctx, suite.webhookBin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := auditRun{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("webhook audit: %v", err)
	}
	return r
}

// auditJSON is the JSON report (the shape of `webhook check`).
type auditJSON struct {
	Findings []struct {
		Rule, Severity, File string
		Document             int
		APIVersion, Kind     string
		Namespace, Name      string
		Field, Message       string
	} `json:"findings"`
	Summary struct{ Objects, Deny, Warn, Audit int } `json:"summary"`
}

func (a auditJSON) lines() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range a.Findings {
		l := fmt.Sprintf("%s %s/%s %s %s", f.Kind, f.Namespace, f.Name, f.Rule, f.Severity)
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

func mustAuditJSON(t *testing.T, r auditRun, code int) auditJSON {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d:\n%s", r.code, code, r)
	}
	var a auditJSON
	if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r)
	}
	return a
}

func wantLines(t *testing.T, r auditRun, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n  %s\nwant\n  %s\n%s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), r)
	}
}

const snippetIngress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: snippet
  namespace: %s
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: "more_set_headers 'X-Team: a';"
spec:
  ingressClassName: nginx
  rules:
  - host: adopt-%s.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
`

const adminBinding = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ops-admin
  namespace: %s
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: ops}
`

// replicaSetOf is a ReplicaSet that the Deployment owner (uid) controls,
// as the Deployment controller would create it: reported at its owner.
func replicaSetOf(ns, owner, uid string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: %[2]s-5d8f
  namespace: %[1]s
  labels: {app: %[2]s}
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: %[2]s, uid: %[3]s, controller: true}
spec:
  replicas: 0
  selector: {matchLabels: {app: %[2]s}}
  template:
    metadata: {labels: {app: %[2]s}}
    spec:
      containers:
      - {name: app, image: registry.example/app:1.0}
`, ns, owner, uid)
}

// testAuditCLI: objects created while their namespaces were unlabelled
// are reported by `webhook audit` with the right rules once a namespace
// is labelled audit, and --assume-mode enforce reports more (the
// unlabelled namespace too, as deny); JSON, text and the exit codes are
// those of `webhook check`.
func testAuditCLI(t *testing.T) {
	t.Parallel()
	const (
		nsAudit = "e2e-adopt-audit"
		nsPlain = "e2e-adopt-plain"
	)
	for _, ns := range []string{nsAudit, nsPlain} {
		createNamespace(t, ns, nil)
		objs := deployment(ns, "no-requests", map[string]string{"app": "no-requests"}, "", "") + "---\n" +
			deployment(ns, "sized", map[string]string{"app": "sized"}, "", someRequests) + "---\n" +
			fmt.Sprintf(snippetIngress, ns, ns) + "---\n" + fmt.Sprintf(adminBinding, ns)
		mustNoWarnings(t, mustOK(t, adminIn(t, objs, "apply", "-f", "-")))
		uid := strings.TrimSpace(jsonpath(t, ns, "deployment", "no-requests", "{.metadata.uid}"))
		mustOK(t, adminIn(t, replicaSetOf(ns, "no-requests", uid), "apply", "-f", "-"))
	}
	// Labelled after the fact: the webhook never judged these objects.
	mustOK(t, admin(t, "label", "namespace", nsAudit, modeLabel+"=audit"))
	kc := suite.sb.Kubeconfig

	// The RoleBinding is judged in the stricter of the namespace's mode
	// and clusterMode (enforce), as the webhook judges its writes.
	r := webhookAudit(t, kc, "-n", nsAudit, "-o", "json")
	a := mustAuditJSON(t, r, 1)
	wantLines(t, r, a.lines(),
		"RoleBinding e2e-adopt-audit/ops-admin rbac-cluster-admin deny",
		"Ingress e2e-adopt-audit/snippet ingress-snippet audit",
		"Deployment e2e-adopt-audit/no-requests resources-requests audit",
	)
	if a.Summary.Deny != 1 || a.Summary.Audit != 3 || a.Summary.Objects != 4 {
		t.Errorf("summary %+v, want 4 objects (the ReplicaSet is its Deployment's), 1 deny finding (binding), 3 audit findings (cpu, memory, snippet)", a.Summary)
	}
	if f := a.Findings[0]; f.File != "" || f.Document != 0 || f.APIVersion == "" {
		t.Errorf("a finding from the cluster: file %q document %d apiVersion %q", f.File, f.Document, f.APIVersion)
	}
	if !strings.Contains(r.stderr, "1 object made by built-in controllers") {
		t.Errorf("stderr does not say the ReplicaSet was reported at its owner:\n%s", r)
	}

	r = webhookAudit(t, kc, "-n", nsAudit, "--assume-mode", "enforce", "-o", "json")
	a = mustAuditJSON(t, r, 1)
	wantLines(t, r, a.lines(),
		"RoleBinding e2e-adopt-audit/ops-admin rbac-cluster-admin deny",
		"Ingress e2e-adopt-audit/snippet ingress-snippet deny",
		"Deployment e2e-adopt-audit/no-requests resources-requests deny",
	)

	// The unlabelled namespace: not judged, unless a mode is assumed.
	r = webhookAudit(t, kc, "-n", nsPlain, "-o", "json")
	if a = mustAuditJSON(t, r, 0); len(a.Findings) != 0 || !strings.Contains(r.stderr, "without guardrails.dev/mode not judged") {
		t.Errorf("an unlabelled namespace was judged, or the note is missing:\n%s", r)
	}
	r = webhookAudit(t, kc, "-n", nsPlain, "--assume-mode", "enforce", "-o", "json", "--kind", "Deployment,Ingress")
	a = mustAuditJSON(t, r, 1)
	wantLines(t, r, a.lines(),
		"Ingress e2e-adopt-plain/snippet ingress-snippet deny",
		"Deployment e2e-adopt-plain/no-requests resources-requests deny",
	)

	// Paginated: a page of one object gives the same report.
	one := webhookAudit(t, kc, "-n", nsAudit, "--assume-mode", "enforce", "-o", "json", "--chunk-size", "1")
	if one.code != 1 || one.stdout != webhookAudit(t, kc, "-n", nsAudit, "--assume-mode", "enforce", "-o", "json").stdout {
		t.Errorf("--chunk-size 1 changes the report:\n%s", one)
	}

	// Text: grouped by namespace, with the per-namespace table.
	r = webhookAudit(t, kc, "-n", nsAudit)
	if r.code != 1 {
		t.Fatalf("text: %s", r)
	}
	for _, want := range []string{
		"namespace e2e-adopt-audit (mode audit)",
		"AUDIT [resources-requests] spec.template.spec.containers[0].resources.requests.cpu",
		"NAMESPACE", "e2e-adopt-audit  audit ",
		"4 objects, 1 deny, 0 warn, 3 audit",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r.stdout, "\r") || strings.Contains(r.stderr, "\r") {
		t.Errorf("progress written although stderr is not a terminal:\n%s", r)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--assume-mode", "strict"}, `--assume-mode "strict": want enforce, warn or audit`},
		{[]string{"--kind", "ConfigMap"}, `--kind "ConfigMap": not a kind the rules judge`},
		{[]string{"-o", "yaml"}, `--output "yaml"`},
	} {
		if r := webhookAudit(t, kc, tc.args...); r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("want exit 2 saying %q:\n%s", tc.want, r)
		}
	}
	// A user who may read nothing gets a clear error, not a hang.
	nobody, err := suite.sb.UserKubeconfig("e2e-adopt-nobody")
	if err != nil {
		t.Fatal(err)
	}
	if r := webhookAudit(t, nobody, "--sync-timeout", "3s"); r.code != 2 || !strings.Contains(r.stderr, "may you get/list/watch") {
		t.Errorf("an unauthorized audit: want exit 2 naming the permissions:\n%s", r)
	}
}

// testAuditMirrorPods: `webhook audit` leaves a live mirror pod alone
// only when it proves it is one (policy.StoredOrigin): its controller
// ownerReference names its Node with that Node's UID. A pod that copies
// the annotation, the node's name and a guessed UID is judged like any
// pod. (No kubelet runs here: the admin writes both pods, as a node
// would write the first.)
func testAuditMirrorPods(t *testing.T) {
	t.Parallel()
	const (
		ns   = "e2e-adopt-mirror"
		node = "e2e-adopt-cp-1"
	)
	createNamespace(t, ns, nil)
	mustOK(t, adminIn(t, "apiVersion: v1\nkind: Node\nmetadata: {name: "+node+"}\n", "apply", "-f", "-"))
	t.Cleanup(func() { admin(t, "delete", "node", node, "--wait=false") })
	uid := strings.TrimSpace(jsonpath(t, "", "node", node, "{.metadata.uid}"))
	pod := func(name, uid string) string {
		return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: %s
  annotations: {kubernetes.io/config.mirror: 5c1f}
  ownerReferences:
  - {apiVersion: v1, kind: Node, name: %s, uid: %s, controller: true}
spec:
  nodeName: %s
  containers:
  - {name: etcd, image: registry.example/etcd:3.6}
`, name, ns, node, uid, node)
	}
	mustOK(t, adminIn(t, pod("etcd-"+node, uid)+"---\n"+pod("forged", "00000000-0000-0000-0000-000000000000"), "apply", "-f", "-"))
	mustOK(t, admin(t, "label", "namespace", ns, modeLabel+"=audit"))

	r := webhookAudit(t, suite.sb.Kubeconfig, "-n", ns, "--kind", "Pod", "--assume-mode", "enforce", "-o", "json")
	a := mustAuditJSON(t, r, 1)
	wantLines(t, r, a.lines(), "Pod "+ns+"/forged resources-requests deny")
	if a.Summary.Objects != 2 {
		t.Errorf("summary %+v, want 2 objects judged", a.Summary)
	}
}

// testPreviewBeforeEnforce: raising a namespace from warn to enforce
// (server-side dry run included) answers with warnings naming the existing
// objects enforce would deny, capped, with the total, and never blocks the
// change for it; a cut listing says so.
func testPreviewBeforeEnforce(t *testing.T) {
	t.Parallel()
	const ns = "e2e-adopt-preview"
	createNamespace(t, ns, map[string]string{modeLabel: "warn"})
	cron := `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ` + ns + `}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - {name: job, image: registry.example/job:1.0}
`
	objs := deployment(ns, "no-requests", map[string]string{"app": "no-requests"}, "", "") + "---\n" +
		deployment(ns, "sized", map[string]string{"app": "sized"}, "", someRequests) + "---\n" + cron
	mustOK(t, adminIn(t, objs, "apply", "-f", "-")) // warn mode: admitted with warnings

	mode := func() string { return jsonpath(t, "", "namespace", ns, `{.metadata.labels.guardrails\.dev/mode}`) }
	r := mustOK(t, admin(t, "label", "namespace", ns, modeLabel+"=enforce", "--overwrite", "--dry-run=server"))
	mustWarn(t, r,
		"mode enforce: 2 existing objects would be denied if created now",
		"Deployment "+ns+"/no-requests [resources-requests]",
		"CronJob "+ns+"/nightly [resources-requests]",
	)
	if strings.Contains(r.stderr, "sized") {
		t.Errorf("the preview names an object enforce admits:\n%s", r)
	}
	if got := mode(); got != "warn" {
		t.Fatalf("a dry run changed the mode to %q", got)
	}
	// The change itself goes through, with the same warnings.
	r = mustOK(t, admin(t, "label", "namespace", ns, modeLabel+"=enforce", "--overwrite"))
	mustWarn(t, r, "2 existing objects would be denied")
	if got := mode(); got != "enforce" {
		t.Fatalf("mode %q after the label change, want enforce", got)
	}

	// More objects than the preview lists of a kind: it says there may be
	// more, and still counts what it judged.
	const many = "e2e-adopt-preview-many"
	createNamespace(t, many, map[string]string{modeLabel: "audit"})
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	for i := range 105 {
		fmt.Fprintf(&b, "- apiVersion: v1\n  kind: PodTemplate\n  metadata: {name: t%03d, namespace: %s}\n  template:\n    spec:\n      containers:\n      - {name: app, image: registry.example/app:1.0}\n", i, many)
	}
	mustOK(t, adminIn(t, b.String(), "apply", "-f", "-"))
	r = mustOK(t, admin(t, "label", "namespace", many, modeLabel+"=enforce", "--overwrite", "--dry-run=server"))
	mustWarn(t, r, "at least 100 existing objects would be denied", "PodTemplate "+many+"/t000 [resources-requests]", "... and ", "there may be more", "webhook audit -n "+many+" --assume-mode enforce")
}

// configMapFile is a configuration file laid out as the kubelet mounts a
// ConfigMap: dir/config.yaml -> ..data/config.yaml, ..data -> a
// timestamped directory, replaced by an atomic rename of ..data.
type configMapFile struct {
	t   *testing.T
	dir string
	n   int
}

func newConfigMapFile(t *testing.T, content string) *configMapFile {
	c := &configMapFile{t: t, dir: filepath.Join(t.TempDir(), "config")}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c.swap(content)
	if err := os.Symlink(filepath.Join("..data", "config.yaml"), c.path()); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *configMapFile) path() string { return filepath.Join(c.dir, "config.yaml") }

func (c *configMapFile) swap(content string) {
	c.t.Helper()
	c.n++
	ts := fmt.Sprintf("..2026_11_30_00_00_%02d.%d", c.n, c.n)
	if err := os.Mkdir(filepath.Join(c.dir, ts), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, ts, "config.yaml"), []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
	tmp := filepath.Join(c.dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, "..data")); err != nil {
		c.t.Fatal(err)
	}
}

// configWith is the embedded default with extra global exemptions.
func configWith(t *testing.T, extra string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(suite.root, "internal", "config", "default.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	const anchor = "  reason: the API server's own requests (bootstrap RBAC, reconcilers) must never be blocked\n"
	if !strings.Contains(s, anchor) {
		t.Fatalf("default.yaml has no line %q to add exemptions after", anchor)
	}
	return strings.Replace(s, anchor, anchor+extra, 1)
}

func scrapeURL(t *testing.T, url string) metricsSnapshot {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	s, err := parseMetrics(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	return s
}

// testBackgroundAuditAndReload runs a webhook of its own with a
// configuration file laid out like a mounted ConfigMap, --audit-interval
// and --audit-policy-reports: an exempted request carries the audit
// annotation and counts in the metric; after an atomic swap to the same
// exemption with expires in the past it no longer exempts; an invalid file
// keeps the configuration in force and counts; the background audit
// publishes gauges and PolicyReports that `kubectl get policyreports -A`
// shows.
func testBackgroundAuditAndReload(t *testing.T) {
	t.Parallel()
	const (
		nsReload = "e2e-reload"
		nsAudit  = "e2e-bg-audit"
		reason   = "legacy team, migrating to requests"
	)
	exemption := "- namespaces: [" + nsReload + "]\n  kinds: [Deployment]\n  reason: " + reason + "\n  expires: %s\n"
	cm := newConfigMapFile(t, configWith(t, fmt.Sprintf(exemption, "2999-01-01")))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sb, err := sandbox.Start(ctx, sandbox.Options{
		Dir:           filepath.Join(suite.tmp, "sandbox-adopt"),
		AssetsDir:     os.Getenv("KUBEBUILDER_ASSETS"),
		WebhookBinary: suite.webhookBin,
		RepoRoot:      suite.root,
		Render:        deployrender.Local,
		ConfigPath:    cm.path(),
		WebhookArgs: []string{"--config-check-interval=500ms", "--audit-interval=2s", "--audit-policy-reports",
			"--leader-election-namespace=default", "--log-level=info"},
		Namespaces: map[string]map[string]string{
			nsReload: {modeLabel: "enforce"},
			nsAudit:  {modeLabel: "audit"},
		},
	})
	if err != nil {
		t.Fatalf("a sandbox of its own: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Stop(); err != nil {
			t.Errorf("stop the sandbox: %v", err)
		}
	})
	kc := sb.Kubeconfig
	logOf := func() string {
		b, _ := os.ReadFile(filepath.Join(sb.Dir, "webhook.log"))
		return string(b)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("webhook log of the adopt sandbox:\n%s", logOf())
		}
	})
	k := func(stdin string, args ...string) result { return kube(t, kc, stdin, args...) }

	// The exemption lets a Deployment without requests through, with a trail.
	legacy := deployment(nsReload, "legacy", map[string]string{"app": "legacy"}, "", "")
	mustNoWarnings(t, mustOK(t, k(legacy, "apply", "-f", "-")))
	exempted := `"namespaced.validate.guardrails.dev/exempted":"resources-requests: ` + reason + ` (exemptions[1])"`
	if !eventually(10*time.Second, func() bool {
		b, _ := os.ReadFile(sb.AuditLog)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, `"name":"legacy"`) && strings.Contains(l, exempted) {
				return true
			}
		}
		return false
	}) {
		t.Errorf("the API server's audit log (%s) has no %s for the exempted Deployment", sb.AuditLog, exempted)
	}
	m := scrapeURL(t, sb.MetricsURL)
	if got := m.sum("guardrails_exemptions_applied_total", map[string]string{"rule": "resources-requests", "exemption": "exemptions[1]"}); got < 1 {
		t.Errorf("guardrails_exemptions_applied_total{resources-requests, exemptions[1]} = %v, want ≥ 1", got)
	}

	// The same exemption, expired, swapped in like a ConfigMap update: it
	// no longer exempts, without a restart.
	cm.swap(configWith(t, fmt.Sprintf(exemption, "2020-01-01")))
	another := deployment(nsReload, "another", map[string]string{"app": "another"}, "", "")
	last := untilDenied(t, 20*time.Second, "after the reload with an expired exemption, a Deployment without requests is still admitted", func() result { return k(another, "apply", "--dry-run=server", "-f", "-") })
	mustDeny(t, last, finding{"resources-requests", "spec.template.spec.containers[0].resources.requests.cpu"})
	if log := logOf(); !strings.Contains(log, "configuration reloaded") || !strings.Contains(log, "expired on 2020-01-01") {
		t.Errorf("the webhook's log does not record the reload and the expired exemption")
	}
	reloads := scrapeURL(t, sb.MetricsURL).sum("guardrails_config_reloads_total", nil)
	if reloads < 1 {
		t.Errorf("guardrails_config_reloads_total = %v, want ≥ 1", reloads)
	}

	// An invalid file (an exemption without a reason, which would exempt
	// again) keeps the configuration in force.
	cm.swap(configWith(t, "- namespaces: ["+nsReload+"]\n"))
	if !eventually(20*time.Second, func() bool {
		return scrapeURL(t, sb.MetricsURL).sum("guardrails_config_reload_errors_total", nil) >= 1
	}) {
		t.Fatalf("guardrails_config_reload_errors_total did not move after an invalid file")
	}
	mustDeny(t, k(another, "apply", "--dry-run=server", "-f", "-"), finding{"resources-requests", ""})
	if !strings.Contains(logOf(), "exemptions[1].reason: required") {
		t.Errorf("the webhook's log does not carry the exact error of the invalid file")
	}
	if got := scrapeURL(t, sb.MetricsURL).sum("guardrails_config_reloads_total", nil); got != reloads {
		t.Errorf("an invalid file counted as a reload (%v -> %v)", reloads, got)
	}
	// What the alert GuardrailsConfigReloadFailing reads: 0 while the bad
	// file stays (the counter moved once).
	if got := scrapeURL(t, sb.MetricsURL).sum("guardrails_config_last_reload_successful", nil); got != 0 {
		t.Errorf("guardrails_config_last_reload_successful = %v with an invalid file in place, want 0", got)
	}
	if got := scrapeURL(t, sb.MetricsURL).sum("guardrails_audit_interval_seconds", nil); got != 2 {
		t.Errorf("guardrails_audit_interval_seconds = %v, want 2 (--audit-interval=2s)", got)
	}

	// The background audit: gauges and PolicyReports.
	mustOK(t, k("", "apply", "-f", filepath.Join(suite.root, "deploy", "components", "policy-reports", "crds.yaml")))
	mustOK(t, k("", "wait", "--for=condition=Established", "--timeout=60s",
		"crd/policyreports.wgpolicyk8s.io", "crd/clusterpolicyreports.wgpolicyk8s.io"))
	// (A cluster-admin RoleBinding cannot be created here: RBAC is judged
	// in the stricter of audit and clusterMode; testAuditCLI audits one.)
	mustOK(t, k(deployment(nsAudit, "unsized", map[string]string{"app": "unsized"}, "", ""), "apply", "-f", "-"))
	gauge := map[string]string{"rule": "resources-requests", "namespace": nsAudit, "severity": "audit"}
	if !eventually(60*time.Second, func() bool {
		return scrapeURL(t, sb.MetricsURL).sum("guardrails_audit_violations", gauge) == 2
	}) {
		t.Fatalf("guardrails_audit_violations%v never reached 2 (cpu and memory)", gauge)
	}
	m = scrapeURL(t, sb.MetricsURL)
	if got := m.sum("guardrails_audit_last_completed_timestamp_seconds", nil); got < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("guardrails_audit_last_completed_timestamp_seconds = %v", got)
	}

	var reports result
	if !eventually(60*time.Second, func() bool {
		reports = k("", "get", "policyreports", "-A")
		return reports.ok() && strings.Contains(reports.stdout, nsAudit)
	}) {
		t.Fatalf("`kubectl get policyreports -A` never showed %s:\n%s", nsAudit, reports)
	}
	t.Logf("kubectl get policyreports -A:\n%s", reports.stdout)
	rows := map[string]bool{}
	for _, l := range strings.Split(reports.stdout, "\n") {
		if f := strings.Fields(l); len(f) >= 2 {
			rows[f[0]+" "+f[1]] = true
		}
	}
	for _, want := range []string{"NAMESPACE NAME", nsAudit + " guardrails", nsReload + " guardrails"} {
		if !rows[want] {
			t.Errorf("`kubectl get policyreports -A` has no row %q:\n%s", want, reports)
		}
	}
	if !strings.Contains(reports.stdout, "FAIL") {
		t.Errorf("`kubectl get policyreports -A` shows no FAIL column:\n%s", reports)
	}
	var rep struct {
		Summary struct{ Pass, Fail, Warn int }
		Results []struct {
			Policy, Result, Message string
			Resources               []struct{ Kind, Name string }
			Properties              map[string]string
		}
	}
	out := mustOK(t, k("", "get", "policyreport", "guardrails", "-n", nsAudit, "-o", "json")).stdout
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Fail != 2 {
		t.Errorf("summary %+v, want fail 2 (cpu, memory: a deny rule, even in audit mode)", rep.Summary)
	}
	found := false
	for _, r := range rep.Results {
		found = found || r.Policy == "resources-requests" && r.Result == "fail" && len(r.Resources) == 1 &&
			r.Resources[0].Kind == "Deployment" && r.Resources[0].Name == "unsized" && r.Properties["mode"] == "audit"
	}
	if !found {
		t.Errorf("no fail result of resources-requests for Deployment unsized:\n%s", out)
	}
	mustOK(t, k("", "get", "clusterpolicyreport", "guardrails"))
	// One replica holds the Lease.
	holder := mustOK(t, k("", "get", "lease", "guardrails-audit", "-n", "default", "-o", "jsonpath={.spec.holderIdentity}")).stdout
	if strings.TrimSpace(holder) == "" {
		t.Error("the audit Lease has no holder")
	}
}
