//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/deployrender"
	"github.com/guardrails-dev/guardrails/internal/inputview"
	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/rules"
	"github.com/guardrails-dev/guardrails/internal/vap"
)

// TestFallback: the API server as the fallback (`webhook vap`), and the
// failure policies that let an outage deny nothing it need not.
//
// It stops the webhook, so it runs alone: a top-level test of its own,
// which `go test` runs after TestE2E has finished (none of them calls
// t.Parallel at the top level).
//
//  1. The rule fixtures the fallback covers (internal/rules/testdata of
//     its rules; Pods only for resources-requests) go through the real
//     API server as a user without exemptions, each in namespaces of its
//     own labelled enforce (with failure-policy ignore, so that what the
//     policy admits is admitted): first with the webhook up and no policy
//     (the webhook's verdict), then with the webhook stopped and only that
//     rule's policy installed. Both must deny exactly the findings the
//     rule reports for the fixture, with the same `[rule-id] field:
//     message (hint)` lines, and admit the rest.
//  2. Drills with every policy installed: the webhook stopped, then back.
func TestFallback(t *testing.T) {
	need(t)
	fixtures := fallbackFixtures(t)
	if err := suite.sb.StopWebhook(); err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: the webhook comes back after the
	// policies and labels are gone.
	t.Cleanup(func() { restartWebhook(t); expectEnforcing(t) })
	fallbackWorld(t, fixtures)
	restartWebhook(t)
	expectEnforcing(t)

	var w, v tally
	t.Run("webhook", func(t *testing.T) {
		for _, fx := range fixtures {
			if fx.settings != "" {
				continue // the webhook runs with the embedded configuration
			}
			t.Run(fx.rule+"/"+fx.name, func(t *testing.T) {
				r := fx.run(t)
				w.add(fx, judgeWebhook(t, fx, r))
			})
		}
	})
	t.Logf("webhook, no policy: %s", w)

	if err := suite.sb.StopWebhook(); err != nil {
		t.Fatal(err)
	}
	t.Run("policies", func(t *testing.T) {
		for _, g := range fallbackGroups(t, fixtures) {
			t.Run(g.name, func(t *testing.T) {
				g.install(t)
				defer g.uninstall(t)
				for _, fx := range g.fixtures {
					t.Run(fx.name, func(t *testing.T) {
						v.add(fx, judgePolicy(t, fx, fx.run(t), g.policy))
					})
				}
			})
		}
	})
	t.Logf("webhook stopped, policies: %s", v)

	t.Run("drills", func(t *testing.T) { fallbackDrills(t) })
}

// fallbackRules are the rules with a fallback, checked against the
// catalogue by vap.Covers.
func fallbackRules(t *testing.T) []string {
	var out []string
	for _, r := range rules.Catalogue() {
		if vap.Covers(r.ID) != "" {
			out = append(out, r.ID)
		}
	}
	if len(out) < 6 {
		t.Fatalf("only %d rules have a fallback: %v", len(out), out)
	}
	return out
}

// beyondFallback are the failing fixtures whose finding needs a cluster
// lookup, which no policy can make: the webhook alone judges them.
var beyondFallback = map[string]string{
	"rbac-cluster-admin/crb-wildcard-clusterrole":     "the ClusterRole's rules",
	"rbac-cluster-admin/rb-wildcard-role":             "the Role's rules",
	"rbac-cluster-admin/aggregated-selects-bootstrap": "the ClusterRole's aggregationRule",
	"rbac-broad-subject/discovery-role-widened":       "the bootstrap ClusterRole's rules (trusted by name)",
	"rbac-broad-subject/kubeadm-cluster-info-widened": "kubeadm's Role's rules (trusted by name)",
	// What a binding really grants: the role's rules (rbac_powers.go).
	"rbac-cluster-admin/admin-widened-by-aggregation":        "the aggregated ClusterRole's rules",
	"rbac-cluster-admin/aggregated-not-filled-yet":           "the ClusterRoles the aggregationRule selects",
	"rbac-cluster-admin/bootstrap-controller-binding-forged": "the controller's ClusterRole's rules",
	"rbac-cluster-admin/eq-bind":                             "the ClusterRole's rules",
	"rbac-cluster-admin/eq-csr-approve-client":               "the ClusterRole's rules",
	"rbac-cluster-admin/eq-escalate":                         "the ClusterRole's rules",
	"rbac-cluster-admin/eq-every-group-by-name":              "the ClusterRole's rules",
	"rbac-cluster-admin/eq-impersonate-groups":               "the ClusterRole's rules",
	"rbac-cluster-admin/eq-impersonate-serviceaccounts":      "the ClusterRole's rules",
	"rbac-cluster-admin/eq-impersonate-system-masters":       "the ClusterRole's rules",
	"rbac-cluster-admin/eq-impersonate-uids":                 "the ClusterRole's rules",
	"rbac-cluster-admin/eq-impersonate-users":                "the ClusterRole's rules",
	"rbac-cluster-admin/eq-mutating-admission-policy":        "the ClusterRole's rules",
	"rbac-cluster-admin/eq-mutating-webhooks":                "the ClusterRole's rules",
	"rbac-cluster-admin/eq-nodes-proxy":                      "the ClusterRole's rules",
	"rbac-cluster-admin/eq-serviceaccount-token":             "the ClusterRole's rules",
	"rbac-cluster-admin/eq-validating-webhooks":              "the ClusterRole's rules",
	"rbac-cluster-admin/rb-kube-system-impersonate":          "the ClusterRole's rules",
}

// rejectedByAPIServer are fixtures the API server rejects before either
// the webhook or a policy sees them (its validation of the object, or the
// LimitRanger admission plugin, which runs earlier), with what its error
// says.
var rejectedByAPIServer = map[string]string{
	"ingress-wildcard-host/fail-bare-star":   `spec.rules[0].host: Invalid value: "*"`,
	"resources-requests/ephemeral-container": "spec.ephemeralContainers: Forbidden: cannot be set on create",
	"resources-requests/limitrange-pod-type": "maximum cpu usage per Pod is 4",
}

// fbFixture is one rule fixture as the test sends it.
type fbFixture struct {
	rule, name string
	// settings are the fixture's rule settings as written ("" for the
	// defaults): a policy generated from a configuration with them.
	settings string
	cfg      *config.Config
	subject  *unstructured.Unstructured
	old      *unstructured.Unstructured // the previous version, for an UPDATE
	context  []*unstructured.Unstructured
	// namespaces the fixture uses (created, labelled enforce).
	namespaces []string
	// want are the deny lines the rule reports, `[rule] field: message
	// (hint)`, without those the old version had; empty: admitted.
	want []string
	// rejected: what the API server says when it rejects the subject
	// before admission webhooks and policies.
	rejected string
}

// fallbackTester is the user the fixtures are sent as: no exemption (the
// admin is in system:masters, exempted from namespace-mode-label).
const fallbackTester = "fallback-tester"

// run sends the subject as the tester: a server-side dry-run create, or
// replace for an UPDATE.
func (fx *fbFixture) run(t *testing.T) result {
	t.Helper()
	verb := "create"
	if fx.old != nil {
		verb = "replace"
	}
	return kube(t, suite.sb.Kubeconfig, string(toYAML(fx.subject)), verb, "--dry-run=server", "--as="+fallbackTester, "-f", "-")
}

// fallbackFixtures loads the fixtures of the rules with a fallback and
// computes what the rule reports for each, after moving them into
// namespaces of their own (fb<n>-<name>; kube-system and kube-public
// stay, the rules treat them specially).
func fallbackFixtures(t *testing.T) []*fbFixture {
	t.Helper()
	var out []*fbFixture
	seen := map[string]bool{}
	for _, id := range fallbackRules(t) {
		r, _ := rules.Lookup(id)
		files, _ := filepath.Glob(filepath.Join(suite.root, "internal", "rules", "testdata", id, "*.yaml"))
		if len(files) == 0 {
			t.Fatalf("no fixtures for %s", id)
		}
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".yaml")
			key := id + "/" + name
			seen[key] = true
			if _, ok := beyondFallback[key]; ok {
				continue
			}
			fx := loadFallbackFixture(t, r, f, len(out)+1)
			if fx == nil {
				continue
			}
			fx.rejected = rejectedByAPIServer[key]
			out = append(out, fx)
		}
	}
	for key := range beyondFallback {
		if !seen[key] {
			t.Errorf("beyondFallback lists %s, which is no fixture", key)
		}
	}
	for key := range rejectedByAPIServer {
		if !seen[key] {
			t.Errorf("rejectedByAPIServer lists %s, which is no fixture", key)
		}
	}
	return out
}

func loadFallbackFixture(t *testing.T, r *rules.Rule, path string, n int) *fbFixture {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fx := &fbFixture{rule: r.ID, name: strings.TrimSuffix(filepath.Base(path), ".yaml"), cfg: config.Default()}
	settings := rules.DefaultSettings()
	complete := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "#") {
			break
		}
		body := strings.TrimSpace(strings.TrimPrefix(line, "#"))
		switch {
		case body == "cluster: complete":
			complete = true
		case strings.HasPrefix(body, "settings:"):
			fx.settings = strings.TrimSpace(strings.TrimPrefix(body, "settings:"))
			if err := yaml.UnmarshalStrict([]byte(fx.settings), settings); err != nil {
				t.Fatalf("%s: settings: %v", path, err)
			}
		}
	}
	objs, err := parseDocs(data)
	if err != nil || len(objs) == 0 {
		t.Fatalf("%s: %v (%d documents)", path, err, len(objs))
	}
	subject := objs[len(objs)-1]
	if r.ID == "resources-requests" && subject.GetKind() != "Pod" {
		return nil // the fallback judges Pods only
	}
	if strings.HasPrefix(r.ID, "rbac-") && !strings.HasSuffix(subject.GetKind(), "Binding") {
		return nil // the fallback judges bindings only; roles are judged against their bindings by the webhook
	}

	// Namespaces of their own; those named in settings are shared by the
	// fixtures with the same settings (they share a policy).
	prefix := fmt.Sprintf("fb%d-", n)
	rename := func(ns string) string {
		if ns == "" {
			ns = "default"
		}
		if strings.HasPrefix(ns, "kube-") {
			return ns
		}
		if slices.Contains(settings.Ingress.WildcardHostNamespaces, ns) {
			return "fbs-" + ns
		}
		return prefix + ns
	}
	nsSet := map[string]bool{}
	for _, o := range objs {
		switch {
		case o.GetKind() == "Namespace":
			o.SetName(prefix + "ns")
		case !clusterScoped[o.GetKind()]:
			o.SetNamespace(rename(o.GetNamespace()))
			nsSet[o.GetNamespace()] = true
		}
	}
	allowed := make([]string, len(settings.Ingress.WildcardHostNamespaces))
	for i, ns := range settings.Ingress.WildcardHostNamespaces {
		allowed[i] = rename(ns)
		nsSet[allowed[i]] = true
	}
	settings.Ingress.WildcardHostNamespaces = allowed
	fx.namespaces = slices.Sorted(func(yield func(string) bool) {
		for ns := range nsSet {
			if !yield(ns) {
				return
			}
		}
	})
	fx.cfg.Settings = *settings

	// What the rule reports: the fixture evaluated as the rules' tests do
	// (the documents before the last are the rest of the cluster), less
	// the findings the old version already had (the webhook's UPDATE
	// semantics).
	decode := func(u *unstructured.Unstructured) (runtime.Object, rules.ObjectRef) {
		obj, ref, err := manifest.Decode(toYAML(u))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return obj, ref
	}
	view := inputview.New()
	view.Complete = complete
	obj, ref := decode(subject)
	in := &rules.Input{Object: obj, Ref: ref, Cluster: view, Settings: settings}
	var oldIn *rules.Input
	for _, o := range objs[:len(objs)-1] {
		co, cref := decode(o)
		view.Add(co)
		if cref.Kind == ref.Kind && cref.Namespace == ref.Namespace && cref.Name == ref.Name {
			in.Old = co
			fx.old = o
			oldIn = &rules.Input{Object: co, Ref: cref, Cluster: view, Settings: settings}
		}
		if o.GetKind() == "LimitRange" {
			fx.context = append(fx.context, o)
		}
	}
	fx.subject = subject
	type line struct{ key, text string }
	deny := func(in *rules.Input) []line {
		fs, err := rules.Evaluate([]*rules.Rule{r}, in, rules.DefaultActions)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var out []line
		for _, f := range fs {
			if f.Severity == rules.ActionDeny {
				out = append(out, line{listIndexRE.ReplaceAllString(f.Field, "[*]") + "\x00" + f.Message,
					fmt.Sprintf("[%s] %s: %s (%s)", f.Rule, f.Field, f.Message, f.Hint)})
			}
		}
		return out
	}
	had := map[string]bool{}
	if oldIn != nil {
		for _, l := range deny(oldIn) {
			had[l.key] = true
		}
	}
	for _, l := range deny(in) {
		if !had[l.key] {
			fx.want = append(fx.want, l.text)
		}
	}
	return fx
}

var listIndexRE = regexp.MustCompile(`\[\d+\]`)

// fallbackWorld creates what the fixtures need, with the webhook stopped
// (old versions and context objects may break rules): their namespaces
// labelled enforce and failure-policy ignore, the tester's RBAC, the old
// versions of UPDATE fixtures and LimitRanges.
func fallbackWorld(t *testing.T, fixtures []*fbFixture) {
	t.Helper()
	nsLabels := map[string]string{modeLabel: "enforce", failurePolicyLabel: "ignore"}
	system := map[string]bool{}
	for _, fx := range fixtures {
		for _, ns := range fx.namespaces {
			if strings.HasPrefix(ns, "kube-") {
				system[ns] = true
				continue
			}
			createNamespace(t, ns, nsLabels)
		}
	}
	for ns := range system {
		mustOK(t, admin(t, "label", "--overwrite", "namespace", ns, modeLabel+"=enforce", failurePolicyLabel+"=ignore"))
		t.Cleanup(func() { admin(t, "label", "namespace", ns, modeLabel+"-", failurePolicyLabel+"-") })
	}
	mustOK(t, adminIn(t, fallbackTesterRBAC, "apply", "-f", "-"))
	t.Cleanup(func() { adminIn(t, fallbackTesterRBAC, "delete", "--ignore-not-found", "-f", "-") })
	for _, fx := range fixtures {
		var objs []*unstructured.Unstructured
		if fx.old != nil {
			objs = append(objs, fx.old)
		}
		objs = append(objs, fx.context...)
		for _, o := range objs {
			r := adminIn(t, string(toYAML(o)), "create", "-f", "-")
			if !r.ok() && !strings.Contains(r.stderr, "AlreadyExists") {
				t.Fatalf("%s/%s: create %s %s:\n%s", fx.rule, fx.name, o.GetKind(), o.GetName(), r)
			}
		}
	}
}

// fallbackTesterRBAC lets the tester send every fixture: the kinds, and
// bind (needed to bind roles one does not hold, cluster-admin included).
const fallbackTesterRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: fallback-tester
rules:
- apiGroups: [""]
  resources: [namespaces, pods]
  verbs: [get, create, update, patch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses]
  verbs: [get, create, update, patch]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [rolebindings, clusterrolebindings]
  verbs: [get, create, update, patch]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, clusterroles]
  verbs: [bind]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: fallback-tester
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: fallback-tester
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: fallback-tester
`

// tally counts outcomes for the log.
type tally struct{ denied, admitted, rejected, mismatched int }

func (ta *tally) add(fx *fbFixture, ok bool) {
	switch {
	case !ok:
		ta.mismatched++
	case fx.rejected != "":
		ta.rejected++
	case len(fx.want) > 0:
		ta.denied++
	default:
		ta.admitted++
	}
}

func (ta tally) String() string {
	return fmt.Sprintf("%d fixtures: %d denied as the rule reports, %d admitted, %d rejected by the API server before admission, %d mismatched",
		ta.denied+ta.admitted+ta.rejected+ta.mismatched, ta.denied, ta.admitted, ta.rejected, ta.mismatched)
}

// rejectedBefore: the API server refused the object with the error want,
// before any Guardrails policy or webhook.
func rejectedBefore(r result, want string) bool {
	return !r.ok() && strings.Contains(r.stderr, want) && !strings.Contains(r.stderr, "ValidatingAdmissionPolicy") && !isWebhookDenial(r)
}

// admitted: the request passed admission (a dry-run create of an object
// that exists passes admission and then meets AlreadyExists).
func admitted(r result) bool {
	return r.ok() || strings.Contains(r.stderr, "AlreadyExists")
}

// judgeWebhook compares the webhook's verdict with the rule's: the
// denial's lines of this rule (other rules may deny too) are the wanted
// lines.
func judgeWebhook(t *testing.T, fx *fbFixture, r result) bool {
	t.Helper()
	if fx.rejected != "" {
		if !rejectedBefore(r, fx.rejected) {
			t.Errorf("want the API server to reject it before admission (%s):\n%s", fx.rejected, r)
			return false
		}
		return true
	}
	var got []string
	if isWebhookDenial(r) {
		_, msg, _ := strings.Cut(r.stderr, "denied the request: ")
		for _, l := range strings.Split(msg, "\n") {
			if strings.HasPrefix(l, "["+fx.rule+"] ") {
				got = append(got, l)
			}
		}
	} else if !admitted(r) {
		t.Errorf("neither admitted nor denied by the webhook:\n%s", r)
		return false
	}
	if !slices.Equal(got, fx.want) {
		t.Errorf("the webhook's %s lines differ from the rule's\n got: %q\nwant: %q\n%s", fx.rule, got, fx.want, r)
		return false
	}
	return true
}

var policyDenial = regexp.MustCompile(`ValidatingAdmissionPolicy '([^']+)' with binding '([^']+)' denied request: (.*)`)

// judgePolicy compares the policy's verdict with the rule's: the same
// lines, joined with "; ", or admitted.
func judgePolicy(t *testing.T, fx *fbFixture, r result, policy string) bool {
	t.Helper()
	if isWebhookDenial(r) || strings.Contains(r.stderr, "failed calling webhook") {
		t.Errorf("the webhook answered (it should be stopped, and the namespace fail open):\n%s", r)
		return false
	}
	if fx.rejected != "" {
		if !rejectedBefore(r, fx.rejected) {
			t.Errorf("want the API server to reject it before admission (%s):\n%s", fx.rejected, r)
			return false
		}
		return true
	}
	m := policyDenial.FindStringSubmatch(r.stderr)
	switch {
	case len(fx.want) == 0 && m == nil && admitted(r):
		return true
	case len(fx.want) == 0:
		t.Errorf("want admitted, as the rule reports nothing:\n%s", r)
		return false
	case m == nil:
		t.Errorf("want denied by %s with %q:\n%s", policy, fx.want, r)
		return false
	}
	if m[1] != policy || m[2] != policy {
		t.Errorf("denied by policy %s, binding %s; want %s", m[1], m[2], policy)
	}
	if want := strings.Join(fx.want, "; "); m[3] != want {
		t.Errorf("the policy's message differs from the rule's findings\n got: %s\nwant: %s", m[3], want)
		return false
	}
	return true
}

// fbGroup is one policy under test: a rule's, generated from the
// embedded configuration or from a fixture's settings, with the fixtures
// it judges.
type fbGroup struct {
	name     string
	policy   string // the policy's and binding's name
	pair     vap.Pair
	fixtures []*fbFixture
	probe    *fbFixture // a fixture it denies: proves it is active
}

// fallbackGroups groups the fixtures by policy: a rule's, and one more
// for each distinct settings of its fixtures, with a name of its own so
// that the test can tell from a denial which policy is active.
func fallbackGroups(t *testing.T, fixtures []*fbFixture) []*fbGroup {
	t.Helper()
	var out []*fbGroup
	byKey := map[string]*fbGroup{}
	variants := map[string]int{}
	for _, fx := range fixtures {
		key := fx.rule + "\x00" + fx.settings
		g := byKey[key]
		if g == nil {
			name := fx.rule
			if fx.settings != "" {
				variants[fx.rule]++
				name = fmt.Sprintf("%s-settings-%d", fx.rule, variants[fx.rule])
			}
			pairs, err := vap.Generate(fx.cfg, vap.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pairs {
				if p.Policy.Labels[vap.RuleLabel] == fx.rule {
					g = &fbGroup{name: name, policy: vap.NamePrefix + name, pair: p}
				}
			}
			if g == nil {
				t.Fatalf("no policy for %s", fx.rule)
			}
			g.pair.Policy.Name, g.pair.Binding.Name, g.pair.Binding.Spec.PolicyName = g.policy, g.policy, g.policy
			byKey[key] = g
			out = append(out, g)
		}
		g.fixtures = append(g.fixtures, fx)
		if g.probe == nil && len(fx.want) > 0 && fx.rejected == "" {
			g.probe = fx
		}
	}
	for _, g := range out {
		if g.probe == nil {
			t.Fatalf("policy %s: no fixture it denies, to see it active", g.name)
		}
	}
	return out
}

func (g *fbGroup) manifest(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := vap.Write(&b, []vap.Pair{g.pair}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// install creates the policy and waits until the API server enforces it:
// its probe is denied by it, by name (so an earlier policy of the same
// rule, deleted before, is gone from the API server's informers too).
func (g *fbGroup) install(t *testing.T) {
	t.Helper()
	mustOK(t, adminIn(t, g.manifest(t), "create", "-f", "-"))
	var last result
	if !eventually(30*time.Second, func() bool {
		last = g.probe.run(t)
		m := policyDenial.FindStringSubmatch(last.stderr)
		return m != nil && m[1] == g.policy && m[2] == g.policy
	}) {
		t.Fatalf("policy %s is not enforced after 30s (probe %s):\n%s", g.policy, g.probe.name, last)
	}
}

func (g *fbGroup) uninstall(t *testing.T) {
	t.Helper()
	mustOK(t, adminIn(t, g.manifest(t), "delete", "--ignore-not-found", "-f", "-"))
}

// fallbackDrills: every policy of deploy/ installed, what an operator
// meets when the webhook goes down and comes back.
func fallbackDrills(t *testing.T) {
	pairs, err := vap.Generate(config.Default(), vap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	if err := vap.Write(&all, pairs); err != nil {
		t.Fatal(err)
	}
	// An Ingress with a snippet from before the policies (the webhook is
	// down and its namespace fails open): updates that do not add a finding
	// pass, as with the webhook.
	const legacyNS = "fb-drill-legacy"
	createNamespace(t, legacyNS, map[string]string{modeLabel: "enforce", failurePolicyLabel: "ignore"})
	legacy := `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy
  namespace: ` + legacyNS + `
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: "more_set_headers 'X-Legacy: 1';"
spec:
  ingressClassName: nginx
  rules:
  - host: legacy.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`
	mustOK(t, adminIn(t, legacy, "create", "-f", "-"))
	mustOK(t, adminIn(t, all.String(), "apply", "-f", "-"))
	t.Cleanup(func() { adminIn(t, all.String(), "delete", "--ignore-not-found", "-f", "-") })

	const enf, warn, audit, warnFail = "fb-drill-enforce", "fb-drill-warn", "fb-drill-audit", "fb-drill-warn-fail"
	// The webhook is stopped (policies pass). Namespaces and their labels
	// can be written while it is down.
	for ns, labels := range map[string]map[string]string{
		enf: {modeLabel: "enforce"}, warn: {modeLabel: "warn"}, audit: {modeLabel: "audit"},
		warnFail: {modeLabel: "warn", failurePolicyLabel: "fail"},
	} {
		createNamespace(t, ns, labels)
	}
	asTester := func(stdin string, args ...string) result {
		return kube(t, suite.sb.Kubeconfig, stdin, append(args, "--as="+fallbackTester)...)
	}
	// The probe of enforcement: the cluster-admin binding, denied by the
	// policy while the webhook is down.
	clusterAdmin := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: fb-drill-root}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory}]
`
	const crbLine = `[rbac-cluster-admin] roleRef.name: ClusterRoleBinding grants cluster-admin to User "mallory" (bind a narrower role, e.g. the built-in admin or edit ClusterRole with a RoleBinding in the namespaces that need it)`
	if !eventually(30*time.Second, func() bool {
		return policyDenial.MatchString(asTester(clusterAdmin, "create", "--dry-run=server", "-f", "-").stderr)
	}) {
		t.Fatal("the policies are not enforced after 30s")
	}

	t.Run("webhook down", func(t *testing.T) {
		// Writes in warn and audit namespaces succeed (a Deployment the
		// webhook would warn about), whatever failure-policy says; enforce
		// namespaces fail closed.
		for _, ns := range []string{warn, audit, warnFail} {
			mustOK(t, admin(t, "apply", "-f", writeTemp(t, ns+".yaml", []byte(deployment(ns, "while-down", map[string]string{"app": "x"}, "", "")))))
		}
		r := mustFail(t, admin(t, "apply", "-f", writeTemp(t, "enforce.yaml", []byte(deployment(enf, "while-down", map[string]string{"app": "x"}, "", someRequests)))))
		if !strings.Contains(r.stderr, "failed calling webhook") {
			t.Errorf("an enforce namespace does not fail closed:\n%s", r)
		}
		t.Logf("enforce namespace, webhook down: %s", strings.TrimSpace(r.stderr))

		// Namespaces: created, relabelled, raised. Lowering, removing and
		// invalid values are denied by the policy, for everyone but the
		// exempted (system:masters).
		mustOK(t, asTester(namespaceYAML("fb-drill-new", map[string]string{modeLabel: "audit"}), "create", "-f", "-"))
		mustOK(t, asTester("", "label", "--overwrite", "namespace", "fb-drill-new", modeLabel+"=enforce", "team=shop"))
		r = mustFail(t, asTester("", "label", "--overwrite", "namespace", "fb-drill-new", modeLabel+"=warn"))
		wantPolicyDenial(t, r, `[namespace-mode-label] metadata.labels[guardrails.dev/mode]: lowering namespace label guardrails.dev/mode from "enforce" to "warn" weakens Guardrails for this namespace`)
		r = mustFail(t, asTester("", "label", "--overwrite", "namespace", "fb-drill-new", modeLabel+"=Enforce"))
		wantPolicyDenial(t, r, `has invalid value "Enforce"`)
		mustOK(t, admin(t, "label", "--overwrite", "namespace", "fb-drill-new", modeLabel+"=warn"))

		// UPDATE: only findings the update introduces deny.
		mustOK(t, admin(t, "label", "-n", legacyNS, "ingress", "legacy", "team=web"))
		r = mustFail(t, admin(t, "annotate", "-n", legacyNS, "ingress", "legacy", "nginx.ingress.kubernetes.io/server-snippet=return 200;"))
		wantPolicyDenial(t, r, "[ingress-snippet] metadata.annotations[nginx.ingress.kubernetes.io/server-snippet]: ")
		if strings.Contains(r.stderr, "configuration-snippet") {
			t.Errorf("the denial names the snippet the Ingress had before:\n%s", r)
		}

		// RBAC: ClusterRoles written; the cluster-admin binding denied by
		// the policy.
		role := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: fb-drill-reader}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list]}]
`
		mustOK(t, admin(t, "apply", "-f", writeTemp(t, "role.yaml", []byte(role))))
		mustOK(t, admin(t, "apply", "-f", writeTemp(t, "role2.yaml", []byte(strings.Replace(role, "get, list", "get, list, watch", 1)))))
		r = mustFail(t, adminIn(t, clusterAdmin, "create", "-f", "-"))
		wantPolicyDenial(t, r, crbLine)
		t.Logf("cluster-admin binding, webhook down: %s", strings.TrimSpace(r.stderr))
		mustNotExist(t, "", "clusterrolebinding", "fb-drill-root")

		// Guardrails' own manifests apply: for real, what is cluster-scoped
		// (RBAC, the policies themselves), then the whole overlay as a
		// server-side dry-run.
		reapplyDeploy(t)

		// A restarted API server comes up and reconciles its bootstrap
		// RBAC (a cluster-admin binding to system:masters, system:discovery
		// to everyone) with the policies installed: its own requests are
		// never judged.
		mustOK(t, admin(t, append([]string{"delete", "clusterrolebinding"}, bootstrapBindings...)...))
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := suite.sb.RestartAPIServer(ctx); err != nil {
			t.Fatalf("the API server did not come back with the policies installed: %v", err)
		}
		r = mustOK(t, admin(t, append([]string{"get", "clusterrolebinding", "-o", "name"}, bootstrapBindings...)...))
		for _, b := range bootstrapBindings {
			if !strings.Contains(r.stdout, "clusterrolebinding.rbac.authorization.k8s.io/"+b) {
				t.Errorf("bootstrap binding %s was not recreated:\n%s", b, r)
			}
		}
		wantPolicyDenial(t, mustFail(t, adminIn(t, clusterAdmin, "create", "--dry-run=server", "-f", "-")), crbLine)
	})

	t.Run("webhook back", func(t *testing.T) {
		restartWebhook(t)
		expectEnforcing(t)
		// Cluster-scoped objects are judged by the webhook again: a
		// ClusterRole granting impersonate gets its warning.
		esc := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: fb-drill-impersonator}
rules: [{apiGroups: [""], resources: [users], verbs: [impersonate]}]
`
		mustWarn(t, mustOK(t, admin(t, "apply", "--dry-run=server", "-f", writeTemp(t, "esc.yaml", []byte(esc)))), "[rbac-escalation] rules[0]")
		// The policies deny first what they cover, with the webhook's text.
		wantPolicyDenial(t, mustFail(t, adminIn(t, clusterAdmin, "create", "--dry-run=server", "-f", "-")), crbLine)
		// Our own manifests apply with both judging.
		reapplyDeploy(t)
	})
}

// wantPolicyDenial fails unless r was denied by a Guardrails policy whose
// message contains want.
func wantPolicyDenial(t *testing.T, r result, want string) {
	t.Helper()
	m := policyDenial.FindStringSubmatch(r.stderr)
	if m == nil || !strings.HasPrefix(m[1], vap.NamePrefix) || !strings.Contains(m[3], want) {
		t.Errorf("want a denial by a Guardrails policy containing %q:\n%s", want, r)
	}
}

func namespaceYAML(name string, labels map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n", name)
	for k, v := range labels {
		fmt.Fprintf(&b, "    %s: %q\n", k, v)
	}
	return b.String()
}

// reapplyDeploy applies deploy/self-signed as a platform team would:
// Guardrails' ClusterRole and ClusterRoleBinding and the policies for
// real, twice (create, then update), the whole overlay as a server-side
// dry-run (the webhook configurations renamed: the sandbox's own, with a
// URL, must stay).
func reapplyDeploy(t *testing.T) {
	t.Helper()
	createNamespace(t, "guardrails-system", nil)
	stage, overlay := stageSelfSigned(t)
	built := mustOK(t, admin(t, "kustomize", overlay))
	objs, err := parseDocs([]byte(built.stdout))
	if err != nil {
		t.Fatal(err)
	}
	var own []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
			own = append(own, o)
		}
	}
	if len(own) < 4 {
		t.Fatalf("the overlay has only %d cluster-scoped RBAC objects and policies", len(own))
	}
	t.Cleanup(func() {
		admin(t, "delete", "--ignore-not-found", "clusterrolebinding,clusterrole", deployrender.ClusterRoleName)
	})
	for range 2 {
		mustOK(t, adminIn(t, string(toYAML(own...)), "apply", "-f", "-"))
	}
	r := mustOK(t, admin(t, "apply", "--dry-run=server", "-k", dryRunOverlay(t, stage, "self-signed")))
	for _, want := range []string{"clusterrolebinding.rbac.authorization.k8s.io/guardrails-webhook", "validatingadmissionpolicy.admissionregistration.k8s.io/guardrails-rbac-cluster-admin"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the dry-run output lacks %s:\n%s", want, r)
		}
	}
}

// stageSelfSigned copies deploy/ with certificates for the self-signed
// overlay (deployrender.StageSelfSigned) and returns the copy's root and
// the overlay's directory.
func stageSelfSigned(t *testing.T) (stage, overlay string) {
	t.Helper()
	overlay, cleanup, err := deployrender.StageSelfSigned(suite.root, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return filepath.Dir(overlay), overlay
}
