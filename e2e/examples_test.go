//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// docWant is what the webhook makes of one object of an example, in an
// enforce namespace (cluster-scoped objects: clusterMode, enforce). The
// zero value is "admitted, without a single warning".
type docWant struct {
	// deny are the findings that deny it in enforce (warnings in warn,
	// silent in audit).
	deny []finding
	// warn are substrings of warnings in enforce and warn mode (nothing
	// is shown in audit), e.g. mutations.
	warn []string
	// fields are jsonpath expressions and the values the stored object
	// has after an admitted apply in enforce and warn mode (mutations).
	fields map[string]string
}

// exampleWants lists every file of examples/ and, by "Kind/name", what is
// expected of its objects; objects not listed must pass silently. A file
// missing here fails the test: a new example needs its expectations.
var exampleWants = map[string]map[string]docWant{
	"bad/clusterrolebinding-cluster-admin.yaml": {
		"ClusterRoleBinding/alice-cluster-admin": {deny: []finding{{"rbac-cluster-admin", "roleRef.name"}}},
	},
	// Mutation fixes it on the way in: admitted with the class filled.
	"bad/coredns-without-priority.yaml": {
		"Deployment/coredns": {
			warn:   []string{"set spec.template.spec.priorityClassName to system-cluster-critical"},
			fields: map[string]string{"{.spec.template.spec.priorityClassName}": "system-cluster-critical"},
		},
	},
	"bad/deployment-without-requests.yaml": {
		"Deployment/checkout": {deny: []finding{
			{"resources-requests", "spec.template.spec.containers[0].resources.requests.cpu"},
			{"resources-requests", "spec.template.spec.containers[0].resources.requests.memory"},
		}},
	},
	"bad/helm-output-without-namespace.yaml": {
		// A one-shot init container without requests before an app
		// container that requests both: warnings, not a denial.
		"Job/worker-migrate": {warn: []string{
			"[resources-requests] spec.template.spec.initContainers[0].resources.requests.cpu:",
			"[resources-requests] spec.template.spec.initContainers[0].resources.requests.memory:",
		}},
		"Ingress/worker": {deny: []finding{{"ingress-wildcard-host", "spec.rules[0].host"}}},
	},
	"bad/ingress-configuration-snippet.yaml": {
		"Ingress/blog": {deny: []finding{{"ingress-snippet", "metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]"}}},
	},
	// The first Ingress is admitted (nothing claims its host yet); the
	// second, in another namespace, is the hijack.
	"bad/ingress-host-hijack.yaml": {
		"Ingress/landing": {deny: []finding{{"ingress-conflict", "spec.rules[0].host"}}},
	},
	"bad/rolebinding-system-authenticated.yaml": {
		"RoleBinding/everyone-can-edit": {deny: []finding{{"rbac-broad-subject", "subjects[0]"}}},
	},
	"bad/tenant-system-node-critical.yaml": {
		"Deployment/batch-worker": {deny: []finding{{"priority-reserved-class", "spec.template.spec.priorityClassName"}}},
	},
	"bad/wildcard-role-binding.yaml": {
		"ClusterRole/ops-superuser": {warn: []string{"[rbac-escalation] rules[0]:"}},
		"RoleBinding/ops-superuser": {deny: []finding{{"rbac-cluster-admin", "roleRef.name"}}},
	},
	"good/coredns.yaml":             {},
	"good/crd-and-list.yaml":        {},
	"good/limitrange-defaults.yaml": {},
	"good/platform-rbac.yaml":       {},
	"good/shop.yaml":                {},
}

var modes = []string{"enforce", "warn", "audit"}

// testExamples applies every example into a namespace of each mode, with
// a server-side dry-run first: the dry-run gives the same verdict and
// leaves nothing behind, then the real apply gives that verdict.
func testExamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(suite.root, "examples", "*", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Join(suite.root, "examples"), f)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		wants, ok := exampleWants[rel]
		if !ok {
			t.Errorf("examples/%s has no entry in exampleWants: add what the webhook should make of it", rel)
			continue
		}
		for _, mode := range modes {
			t.Run(mode+"/"+rel, func(t *testing.T) {
				t.Parallel()
				runExample(t, f, rel, mode, wants)
			})
		}
	}
	for rel := range exampleWants {
		if !seen[rel] {
			t.Errorf("exampleWants lists examples/%s, which does not exist", rel)
		}
	}
}

func runExample(t *testing.T, path, rel, mode string, wants map[string]docWant) {
	objs, err := readDocs(path)
	if err != nil {
		t.Fatal(err)
	}
	// Namespaces and IngressClasses: the test's namespaces exist already
	// and the suite created the IngressClass nginx.
	kept := objs[:0]
	for _, o := range objs {
		if k := o.GetKind(); k != "Namespace" && k != "IngressClass" {
			kept = append(kept, o)
		}
	}
	objs = kept
	for k := range wants {
		found := false
		for _, o := range objs {
			found = found || key(o) == k
		}
		if !found {
			t.Errorf("exampleWants[%q] names %s, which is not in the file", rel, k)
		}
	}

	// One namespace per original namespace (in order of appearance),
	// named after the mode and the example.
	stem := strings.TrimSuffix(filepath.Base(rel), filepath.Ext(rel))
	base := fmt.Sprintf("ex-%s-%s-%s", mode, filepath.Dir(rel), stem)
	if len(base) > 55 {
		base = base[:55]
	}
	base = strings.TrimRight(base, "-")
	nsMap := map[string]string{}
	var created []string
	for _, o := range objs {
		if clusterScoped[o.GetKind()] {
			continue
		}
		orig := o.GetNamespace()
		if _, ok := nsMap[orig]; ok {
			continue
		}
		name := base
		if n := len(created); n > 0 {
			name = fmt.Sprintf("%s-%c", base, 'a'+n)
		}
		nsMap[orig] = name
		created = append(created, name)
		if _, ok := nsMap[""]; !ok {
			nsMap[""] = name
		}
	}
	for _, ns := range created {
		createNamespace(t, ns, map[string]string{modeLabel: mode})
	}
	origKeys := make([]string, len(objs))
	for i, o := range objs {
		origKeys[i] = key(o)
	}
	rewrite{
		namespaces: nsMap,
		suffix:     "-" + mode,
		hostPrefix: fmt.Sprintf("%s-%s-%s.", mode, filepath.Dir(rel), stem),
	}.apply(objs)

	decisionsBefore := scrape(t)
	for i, o := range objs {
		want := wants[origKeys[i]]
		effective := mode
		if clusterScoped[o.GetKind()] || guardsCluster[o.GetKind()] {
			effective = "enforce" // clusterMode (Roles and RoleBindings: the stricter of it and the namespace's)
		}
		t.Logf("%s %s/%s: expecting %s", origKeys[i], o.GetNamespace(), o.GetName(), want.describe(effective))
		applyAndCheck(t, o, want, effective)
	}

	// The whole file at once, as a user applies it: what was admitted is
	// unchanged (no request, so no warning either), what was denied is
	// denied again, every finding named.
	whole := writeTemp(t, "whole.yaml", toYAML(objs...))
	r := admin(t, "apply", "-f", whole)
	var denied []finding
	for i, o := range objs {
		if mode == "enforce" || clusterScoped[o.GetKind()] || guardsCluster[o.GetKind()] {
			denied = append(denied, wants[origKeys[i]].deny...)
		}
	}
	if len(denied) > 0 {
		mustDeny(t, r, denied...)
	} else {
		mustOK(t, r)
		mustNoWarnings(t, r)
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if !strings.HasSuffix(l, " unchanged") {
				t.Errorf("applying the whole file again changed something: %q\n%s", l, r)
			}
		}
	}

	if mode == "audit" {
		// Audit is silent on the terminal, but the findings are in the
		// webhook's metrics and log and the API server's audit log.
		after := scrape(t)
		for i, o := range objs {
			want := wants[origKeys[i]]
			if clusterScoped[o.GetKind()] || guardsCluster[o.GetKind()] {
				continue
			}
			rulesSeen := map[string]bool{}
			for _, f := range want.deny {
				rulesSeen[f.rule] = true
			}
			if len(want.fields) > 0 {
				rulesSeen["priority-critical-addon"] = true // the mutation it would make
			}
			for rule := range rulesSeen {
				m := map[string]string{"rule": rule, "mode": "audit", "action": "audit"}
				if d := after.sum(metricDecisions, m) - decisionsBefore.sum(metricDecisions, m); d < 1 {
					t.Errorf("%s: %s{rule=%q,mode=audit,action=audit} did not move (%v)", origKeys[i], metricDecisions, rule, d)
				}
				checkAuditTrail(t, o, rule)
			}
		}
	}
}

// describe says what a want expects in a mode, for the test log.
func (w docWant) describe(mode string) string {
	switch {
	case len(w.deny) > 0 && mode == "enforce":
		return fmt.Sprintf("denied with %d finding(s)", len(w.deny))
	case len(w.deny) > 0 && mode == "warn":
		return fmt.Sprintf("admitted with %d warning(s)", len(w.deny)+len(w.warn))
	case mode == "audit":
		return "admitted silently"
	case len(w.warn) > 0:
		return fmt.Sprintf("admitted with %d warning(s)", len(w.warn))
	}
	return "admitted silently"
}

// verdict checks a kubectl apply result against want in mode; it returns
// "" when it matches, else why not.
func verdict(r result, want docWant, mode string) string {
	if len(want.deny) > 0 && mode == "enforce" {
		if r.ok() || !isWebhookDenial(r) {
			return "not denied by the webhook"
		}
		for _, f := range want.deny {
			if !strings.Contains(r.stderr, f.line()) {
				return fmt.Sprintf("denial does not name %q", f.line())
			}
		}
		return ""
	}
	if !r.ok() {
		return "not admitted"
	}
	ws := r.warnings()
	var wanted []string
	if mode != "audit" {
		wanted = append(wanted, want.warn...)
		if mode == "warn" {
			for _, f := range want.deny {
				wanted = append(wanted, f.line())
			}
		}
	}
	for _, w := range wanted {
		found := false
		for _, got := range ws {
			found = found || strings.Contains(got, w)
		}
		if !found {
			return fmt.Sprintf("no warning containing %q", w)
		}
	}
	if len(wanted) == 0 && len(ws) > 0 {
		return fmt.Sprintf("%d unexpected warning(s)", len(ws))
	}
	return ""
}

// applyAndCheck applies one object with a server-side dry-run until the
// webhook's caches give the expected verdict, checks that the dry-run
// left nothing behind, then applies it for real and checks the verdict
// again.
func applyAndCheck(t *testing.T, o *unstructured.Unstructured, want docWant, mode string) {
	t.Helper()
	file := writeTemp(t, "obj.yaml", toYAML(o))
	var last result
	var why string
	ok := eventually(15*time.Second, func() bool {
		last = admin(t, "apply", "--dry-run=server", "-f", file)
		why = verdict(last, want, mode)
		return why == ""
	})
	if !ok {
		t.Fatalf("%s %s/%s: server-side dry-run: %s:\n%s", o.GetKind(), o.GetNamespace(), o.GetName(), why, last)
	}
	ns := o.GetNamespace()
	if clusterScoped[o.GetKind()] {
		ns = ""
	}
	mustNotExist(t, ns, resourceOf(o), o.GetName())

	r := admin(t, "apply", "-f", file)
	if why := verdict(r, want, mode); why != "" {
		t.Fatalf("%s %s/%s: apply: %s:\n%s", o.GetKind(), o.GetNamespace(), o.GetName(), why, r)
	}
	if r.ok() && mode != "audit" {
		exprs := make([]string, 0, len(want.fields))
		for e := range want.fields {
			exprs = append(exprs, e)
		}
		sort.Strings(exprs)
		for _, e := range exprs {
			if got := jsonpath(t, ns, resourceOf(o), o.GetName(), e); got != want.fields[e] {
				t.Errorf("%s %s/%s: %s = %q, want %q", o.GetKind(), ns, o.GetName(), e, got, want.fields[e])
			}
		}
	}
	if !r.ok() {
		mustNotExist(t, ns, resourceOf(o), o.GetName())
	}
}

// checkAuditTrail looks for an audit-mode finding of rule on o in the
// webhook's log and the API server's audit log (audit annotations keyed
// <webhook name>/<rule>).
func checkAuditTrail(t *testing.T, o *unstructured.Unstructured, rule string) {
	t.Helper()
	nsField := fmt.Sprintf("%q:%q", "namespace", o.GetNamespace())
	nameField := fmt.Sprintf("%q:%q", "name", o.GetName())
	inLog := func() bool {
		for _, l := range strings.Split(webhookLog(), "\n") {
			if strings.Contains(l, nsField) && strings.Contains(l, nameField) && strings.Contains(l, rule) {
				return true
			}
		}
		return false
	}
	if !eventually(5*time.Second, inLog) {
		t.Errorf("the webhook's log has no line about %s %s/%s naming %s", o.GetKind(), o.GetNamespace(), o.GetName(), rule)
	}
	inAudit := func() bool {
		b, err := os.ReadFile(suite.sb.AuditLog)
		if err != nil {
			return false
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, `"namespace":"`+o.GetNamespace()+`"`) && strings.Contains(l, `"name":"`+o.GetName()+`"`) &&
				strings.Contains(l, "guardrails.dev/"+rule+`"`) {
				return true
			}
		}
		return false
	}
	if !eventually(5*time.Second, inAudit) {
		t.Errorf("the API server's audit log (%s) has no annotation guardrails.dev/%s for %s %s/%s", suite.sb.AuditLog, rule, o.GetKind(), o.GetNamespace(), o.GetName())
	}
}
