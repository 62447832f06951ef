//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// deployment renders a Deployment; requests "" leaves the container
// without resources.
func deployment(ns, name string, labels map[string]string, priorityClass, requests string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n", name, ns)
	for k, v := range labels {
		fmt.Fprintf(&b, "    %s: %s\n", k, v)
	}
	b.WriteString("spec:\n  replicas: 1\n  selector:\n    matchLabels:\n")
	for k, v := range labels {
		fmt.Fprintf(&b, "      %s: %s\n", k, v)
	}
	b.WriteString("  template:\n    metadata:\n      labels:\n")
	for k, v := range labels {
		fmt.Fprintf(&b, "        %s: %s\n", k, v)
	}
	b.WriteString("    spec:\n")
	if priorityClass != "" {
		fmt.Fprintf(&b, "      priorityClassName: %s\n", priorityClass)
	}
	b.WriteString("      containers:\n      - name: app\n        image: registry.example/app:1.0\n")
	if requests != "" {
		fmt.Fprintf(&b, "        resources:\n          requests:\n%s", requests)
	}
	return b.String()
}

const someRequests = "            cpu: 100m\n            memory: 64Mi\n"

// testUnlabeledNotCalled: in a namespace without guardrails.dev/mode the
// API server does not call the webhook at all (namespaceSelector). It runs
// alone (phase 1): the webhook's request counters, summed over everything,
// must not move while a bad Deployment is applied there.
func testUnlabeledNotCalled(t *testing.T) {
	file := writeTemp(t, "unjudged.yaml", []byte(deployment(nsUnlabeled, "unjudged", map[string]string{"app": "unjudged"}, "", "")))
	before := scrape(t)
	if !before.has(metricRequests) {
		t.Fatalf("the webhook exposes no %s: is MetricsURL %s the webhook's?", metricRequests, suite.sb.MetricsURL)
	}
	r := mustOK(t, admin(t, "apply", "--dry-run=server", "-f", file))
	mustNoWarnings(t, r)
	r = mustOK(t, admin(t, "apply", "-f", file))
	mustNoWarnings(t, r)
	mustOK(t, admin(t, "label", "deployment", "unjudged", "-n", nsUnlabeled, "touched=yes"))
	after := scrape(t)
	if b, a := before.sum(metricRequests, nil), after.sum(metricRequests, nil); a != b {
		t.Errorf("%s moved from %v to %v while only the unlabeled namespace was written: the webhook was called", metricRequests, b, a)
	}
	if strings.Contains(webhookLog(), nsUnlabeled) {
		t.Errorf("the webhook's log mentions %s", nsUnlabeled)
	}

	// Control: the same Deployment in an audit namespace does reach the
	// webhook (so the counter above could have moved).
	file = writeTemp(t, "judged.yaml", []byte(deployment(nsAudit, "judged", map[string]string{"app": "judged"}, "", "")))
	r = mustOK(t, admin(t, "apply", "-f", file))
	mustNoWarnings(t, r)
	control := scrape(t)
	if c, a := control.sum(metricRequests, map[string]string{"handler": "validate"}), after.sum(metricRequests, map[string]string{"handler": "validate"}); c <= a {
		t.Errorf("control: %s{handler=validate} did not move (%v) for a Deployment in %s", metricRequests, c, nsAudit)
	}
}

// testMutation: a CoreDNS-like Deployment without priorityClassName comes
// back with system-cluster-critical; applying it again changes nothing; a
// bare add-on Pod gets spec.priority too; a tenant Deployment is left
// alone.
func testMutation(t *testing.T) {
	t.Parallel()
	const ns = "e2e-mutate"
	dnsLabels := map[string]string{"k8s-app": "kube-dns"}
	const wantWarn = "set spec.template.spec.priorityClassName to system-cluster-critical"

	t.Run("deployment", func(t *testing.T) {
		t.Parallel()
		file := writeTemp(t, "dns.yaml", []byte(deployment(ns, "dns", dnsLabels, "", someRequests)))
		// The dry-run answers with the mutated object, and stores nothing.
		r := mustOK(t, admin(t, "apply", "--dry-run=server", "-f", file, "-o", "jsonpath={.spec.template.spec.priorityClassName}"))
		if r.stdout != "system-cluster-critical" {
			t.Errorf("dry-run: priorityClassName = %q, want system-cluster-critical:\n%s", r.stdout, r)
		}
		mustWarn(t, r, wantWarn)
		mustNotExist(t, ns, "deployment", "dns")

		r = mustOK(t, admin(t, "apply", "-f", file))
		mustWarn(t, r, wantWarn)
		if got := jsonpath(t, ns, "deployment", "dns", "{.spec.template.spec.priorityClassName}"); got != "system-cluster-critical" {
			t.Fatalf("priorityClassName = %q, want system-cluster-critical", got)
		}
		rv := jsonpath(t, ns, "deployment", "dns", "{.metadata.resourceVersion}/{.metadata.generation}")

		r = mustOK(t, admin(t, "apply", "-f", file))
		if !strings.Contains(r.stdout, "unchanged") {
			t.Errorf("second apply: want \"unchanged\":\n%s", r)
		}
		mustNoWarnings(t, r)
		if got := jsonpath(t, ns, "deployment", "dns", "{.metadata.resourceVersion}/{.metadata.generation}"); got != rv {
			t.Errorf("second apply changed the Deployment: resourceVersion/generation %s -> %s", rv, got)
		}
	})

	// The same with server-side apply, as GitOps controllers apply: the
	// second apply must neither remove the filled class nor be denied.
	t.Run("deployment-server-side-apply", func(t *testing.T) {
		t.Parallel()
		file := writeTemp(t, "dns-ssa.yaml", []byte(deployment(ns, "dns-ssa", dnsLabels, "", someRequests)))
		r := mustOK(t, admin(t, "apply", "--server-side", "--field-manager=e2e-gitops", "-f", file))
		mustWarn(t, r, wantWarn)
		rv := jsonpath(t, ns, "deployment", "dns-ssa", "{.metadata.generation}")
		r = admin(t, "apply", "--server-side", "--field-manager=e2e-gitops", "-f", file)
		if !r.ok() {
			t.Fatalf("second server-side apply of the unchanged manifest failed:\n%s", r)
		}
		if got := jsonpath(t, ns, "deployment", "dns-ssa", "{.spec.template.spec.priorityClassName}"); got != "system-cluster-critical" {
			t.Errorf("after the second server-side apply priorityClassName = %q, want system-cluster-critical", got)
		}
		if got := jsonpath(t, ns, "deployment", "dns-ssa", "{.metadata.generation}"); got != rv {
			t.Errorf("second server-side apply changed the pod template: generation %s -> %s", rv, got)
		}
	})

	t.Run("bare-pod", func(t *testing.T) {
		t.Parallel()
		pod := `apiVersion: v1
kind: Pod
metadata:
  name: dns-pod
  namespace: ` + ns + `
  labels:
    k8s-app: kube-dns
spec:
  containers:
  - name: coredns
    image: registry.k8s.io/coredns/coredns:v1.11.3
    resources:
      requests:
        cpu: 100m
        memory: 70Mi
`
		file := writeTemp(t, "pod.yaml", []byte(pod))
		r := mustOK(t, admin(t, "apply", "-f", file))
		mustWarn(t, r, "set spec.priorityClassName to system-cluster-critical")
		got := jsonpath(t, ns, "pod", "dns-pod", "{.spec.priorityClassName}/{.spec.priority}")
		if got != "system-cluster-critical/2000000000" {
			t.Errorf("pod priorityClassName/priority = %q, want system-cluster-critical/2000000000", got)
		}
		r = mustOK(t, admin(t, "apply", "-f", file))
		if !strings.Contains(r.stdout, "unchanged") {
			t.Errorf("second apply of the pod: want \"unchanged\":\n%s", r)
		}
	})

	t.Run("tenant-deployment-untouched", func(t *testing.T) {
		t.Parallel()
		file := writeTemp(t, "tenant.yaml", []byte(deployment(ns, "tenant-app", map[string]string{"app": "tenant-app"}, "", someRequests)))
		r := mustOK(t, admin(t, "apply", "-f", file))
		mustNoWarnings(t, r)
		if got := jsonpath(t, ns, "deployment", "tenant-app", "{.spec.template.spec.priorityClassName}"); got != "" {
			t.Errorf("a tenant Deployment got priorityClassName %q", got)
		}
	})
}

// testUpdatePreexisting: a workload that predates enforcement (created
// while its namespace was in warn mode) can still be relabelled, scaled
// and rolled to a new image in enforce mode: only findings an update
// introduces are denied, the old ones come back as warnings.
func testUpdatePreexisting(t *testing.T) {
	t.Parallel()
	const ns = "e2e-update"
	createNamespace(t, ns, map[string]string{modeLabel: "warn"})
	legacy := writeTemp(t, "legacy.yaml", []byte(deployment(ns, "legacy", map[string]string{"app": "legacy"}, "", "")))
	r := mustOK(t, admin(t, "apply", "-f", legacy))
	mustWarn(t, r, "[resources-requests] spec.template.spec.containers[0].resources.requests.cpu:")

	mustOK(t, admin(t, "label", "namespace", ns, modeLabel+"=enforce", "--overwrite"))
	probe := writeTemp(t, "probe.yaml", []byte(deployment(ns, "new-without-requests", map[string]string{"app": "new"}, "", "")))
	untilDenied(t, 15*time.Second, fmt.Sprintf("%s never became enforcing", ns), func() result { return admin(t, "apply", "--dry-run=server", "-f", probe) })

	const preexisting = "already there before this update"
	r = mustOK(t, admin(t, "label", "deployment", "legacy", "-n", ns, "tier=backend"))
	mustWarn(t, r, "[resources-requests] spec.template.spec.containers[0].resources.requests.cpu:", preexisting)
	mustOK(t, admin(t, "scale", "deployment", "legacy", "-n", ns, "--replicas=3"))
	r = mustOK(t, admin(t, "set", "image", "deployment/legacy", "-n", ns, "app=registry.example/app:1.1"))
	mustWarn(t, r, preexisting)

	// A new container with requests in front of the old one: the old
	// container's finding moves to containers[1] but is not new.
	better := strings.Replace(deployment(ns, "legacy", map[string]string{"app": "legacy"}, "", ""),
		"      containers:\n", "      containers:\n      - name: proxy\n        image: registry.example/proxy:1.0\n        resources:\n          requests:\n            cpu: 10m\n            memory: 16Mi\n", 1)
	r = admin(t, "apply", "--dry-run=server", "-f", writeTemp(t, "better.yaml", []byte(better)))
	if !r.ok() {
		t.Errorf("adding a container with requests in front of a container that already lacked them was denied (the old finding moved from containers[0] to containers[1]):\n%s", r)
	} else {
		mustWarn(t, r, preexisting)
	}

	// A new container without requests is the update's own finding.
	worse := strings.Replace(deployment(ns, "legacy", map[string]string{"app": "legacy"}, "", ""),
		"      containers:\n", "      containers:\n      - name: sidecar\n        image: registry.example/sidecar:1.0\n", 1)
	mustDeny(t, admin(t, "apply", "-f", writeTemp(t, "worse.yaml", []byte(worse))),
		finding{"resources-requests", "spec.template.spec.containers[0].resources.requests.cpu"})
	if got := jsonpath(t, ns, "deployment", "legacy", "{.spec.template.spec.containers[*].name}"); got != "app" {
		t.Errorf("containers after the denied update: %q, want app", got)
	}
}

// testClusterAdminBinding: ClusterRoleBindings to cluster-admin are denied
// (clusterMode enforce), by dry-run too, and leave nothing behind; a
// read-only binding passes.
func testClusterAdminBinding(t *testing.T) {
	t.Parallel()
	crb := func(name, subjectKind, subject, role string) string {
		return fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: %s
subjects:
- kind: %s
  apiGroup: rbac.authorization.k8s.io
  name: %s
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: %s
`, name, subjectKind, subject, role)
	}
	for _, c := range []struct{ name, kind, subject string }{
		{"e2e-bob-cluster-admin", "User", "bob@example.com"},
		{"e2e-oncall-cluster-admin", "Group", "oncall"},
	} {
		file := writeTemp(t, c.name+".yaml", []byte(crb(c.name, c.kind, c.subject, "cluster-admin")))
		for _, dry := range []bool{true, false} {
			args := []string{"apply", "-f", file}
			if dry {
				args = append(args, "--dry-run=server")
			}
			r := admin(t, args...)
			mustDeny(t, r, finding{"rbac-cluster-admin", "roleRef.name"})
			if !strings.Contains(r.stderr, c.subject) {
				t.Errorf("the denial does not name the subject %q:\n%s", c.subject, r)
			}
		}
		mustNotExist(t, "", "clusterrolebinding", c.name)
	}
	file := writeTemp(t, "view.yaml", []byte(crb("e2e-bob-view", "User", "bob@example.com", "view")))
	r := mustOK(t, admin(t, "apply", "-f", file))
	mustNoWarnings(t, r)
}

// ingress renders an Ingress for host and path with pathType Prefix;
// class "" leaves spec.ingressClassName unset (the default class applies).
func ingress(ns, name, class, host, path, bodySize string) string {
	s := fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %s
  namespace: %s
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: %s
spec:
`, name, ns, bodySize)
	if class != "" {
		s += "  ingressClassName: " + class + "\n"
	}
	return s + fmt.Sprintf(`  rules:
  - host: %s
    http:
      paths:
      - path: %s
        pathType: Prefix
        backend:
          service:
            name: %s
            port:
              number: 80
`, host, path, name)
}

// testIngressConflict: an Ingress claiming a host that an Ingress of
// another namespace already serves is denied (the webhook's cache of the
// cluster, not the CLI's input set), without naming that namespace; a
// repeated route in one namespace is denied; updating an Ingress never
// conflicts with itself.
func testIngressConflict(t *testing.T) {
	t.Parallel()
	const (
		nsA  = "e2e-ingress-a"
		nsB  = "e2e-ingress-b"
		host = "conflict.e2e.example.com"
	)
	conflict := finding{"ingress-conflict", "spec.rules[0].host"}
	duplicate := finding{"ingress-conflict", "spec.rules[0].http.paths[0].path"}
	owner := writeTemp(t, "owner.yaml", []byte(ingress(nsA, "api", "nginx", host, "/api", "8m")))
	r := mustOK(t, admin(t, "apply", "-f", owner))
	mustNoWarnings(t, r)

	// Another namespace, same host, path and class: denied, once the
	// webhook's cache has the first Ingress.
	hijack := writeTemp(t, "hijack.yaml", []byte(ingress(nsB, "api-hijack", "nginx", host, "/api", "8m")))
	last := untilDenied(t, 15*time.Second, "the hijacking Ingress was never denied", func() result { return admin(t, "apply", "--dry-run=server", "-f", hijack) })
	mustDeny(t, last, conflict)
	if strings.Contains(last.stderr, nsA) {
		t.Errorf("the denial names the namespace that serves the host (%s): a tenant must read only \"another namespace\":\n%s", nsA, last)
	}
	mustDeny(t, admin(t, "apply", "-f", hijack), conflict)
	mustNotExist(t, nsB, "ingress", "api-hijack")

	// Without ingressClassName: the API server gives it the default class
	// (nginx) before the webhook sees it, so it conflicts just the same.
	defaulted := writeTemp(t, "defaulted.yaml", []byte(ingress(nsB, "api-default-class", "", host, "/api", "8m")))
	mustDeny(t, admin(t, "apply", "-f", defaulted), conflict)

	// A path of its own on that host: still the other namespace's host
	// (ingress-nginx merges every path of a host into one server); see
	// testIngressOwnership for every shape.
	other := writeTemp(t, "other.yaml", []byte(ingress(nsB, "api-other", "nginx", host, "/other", "8m")))
	mustDeny(t, admin(t, "apply", "-f", other), conflict)

	// Updating the owner (changed annotation) does not conflict with its
	// own stored version.
	updated := writeTemp(t, "owner2.yaml", []byte(ingress(nsA, "api", "nginx", host, "/api", "16m")))
	r = mustOK(t, admin(t, "apply", "-f", updated))
	mustNoWarnings(t, r)
	if !strings.Contains(r.stdout, "configured") {
		t.Errorf("the update was not applied:\n%s", r)
	}
	if got := jsonpath(t, nsA, "ingress", "api", `{.metadata.annotations.nginx\.ingress\.kubernetes\.io/proxy-body-size}`); got != "16m" {
		t.Errorf("proxy-body-size = %q after the update, want 16m", got)
	}

	// The same route in the same namespace is denied too (the controller
	// serves one of them; ingress-nginx's own admission rejects it); the
	// denial names the Ingress of the namespace.
	twin := writeTemp(t, "twin.yaml", []byte(ingress(nsA, "api-twin", "nginx", host, "/api", "8m")))
	r = admin(t, "apply", "-f", twin)
	mustDeny(t, r, duplicate)
	if !strings.Contains(r.stderr, "already routed by Ingress api of this namespace") {
		t.Errorf("the duplicate's denial does not name the Ingress of the namespace:\n%s", r)
	}
	// Another path of the owner's own host: fine.
	more := writeTemp(t, "more.yaml", []byte(ingress(nsA, "api-more", "nginx", host, "/more", "8m")))
	mustNoWarnings(t, mustOK(t, admin(t, "apply", "-f", more)))

	// A namespace in warn mode lets Ingresses pile up on one route: the
	// next one's warning names five of them and counts the rest, however
	// many there are (the finding's size and the work behind it do not grow
	// with the pile).
	const nsPile, pileHost = "e2e-ingress-pile", "pile.e2e.example.com"
	createNamespace(t, nsPile, map[string]string{modeLabel: "warn"})
	for i := range 7 {
		f := writeTemp(t, fmt.Sprintf("pile-%d.yaml", i), []byte(ingress(nsPile, fmt.Sprintf("pile-%d", i), "nginx", pileHost, "/", "8m")))
		mustOK(t, admin(t, "apply", "-f", f))
	}
	const capped = "already routed by Ingress pile-0, pile-1, pile-2, pile-3, pile-4 and 2 more of this namespace"
	next := writeTemp(t, "pile-7.yaml", []byte(ingress(nsPile, "pile-7", "nginx", pileHost, "/", "8m")))
	var lastPile result
	if !eventually(15*time.Second, func() bool {
		lastPile = admin(t, "apply", "--dry-run=server", "-f", next)
		return lastPile.ok() && strings.Contains(strings.Join(lastPile.warnings(), "\n"), capped)
	}) {
		t.Fatalf("the eighth Ingress on the route was not warned with %q:\n%s", capped, lastPile)
	}
}

// testNamespaceModeLabel: a tenant who may patch namespaces cannot remove
// or lower guardrails.dev/mode (nor set an invalid value), may raise it
// and change other labels; the admin (system:masters, exempt) can lower
// and remove it.
func testNamespaceModeLabel(t *testing.T) {
	t.Parallel()
	const (
		ns     = "e2e-tenant"
		nsWarn = "e2e-tenant-warn"
		user   = "e2e-tenant-user"
	)
	kc, err := suite.sb.UserKubeconfig(user, "e2e-tenants")
	if err != nil {
		t.Fatal(err)
	}
	rbac := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: e2e-namespace-labeller
rules:
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["get", "list", "watch", "patch", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: e2e-namespace-labeller
subjects:
- kind: User
  apiGroup: rbac.authorization.k8s.io
  name: ` + user + `
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: e2e-namespace-labeller
`
	mustNoWarnings(t, mustOK(t, adminIn(t, rbac, "apply", "-f", "-")))
	if !eventually(10*time.Second, func() bool {
		r := kube(t, kc, "", "auth", "can-i", "patch", "namespaces")
		return r.ok() && strings.TrimSpace(r.stdout) == "yes"
	}) {
		t.Fatal("the tenant never got patch on namespaces")
	}
	tenant := func(args ...string) result { return kube(t, kc, "", args...) }
	mode := func(ns string) string {
		return jsonpath(t, "", "namespace", ns, `{.metadata.labels.guardrails\.dev/mode}`)
	}
	rule := finding{"namespace-mode-label", ""}

	mustDeny(t, tenant("label", "namespace", ns, modeLabel+"-"), rule)
	mustDeny(t, tenant("label", "namespace", ns, modeLabel+"=warn", "--overwrite"), rule)
	mustDeny(t, tenant("label", "namespace", ns, modeLabel+"=audit", "--overwrite"), rule)
	mustDeny(t, tenant("label", "namespace", ns, modeLabel+"=bogus", "--overwrite"), rule)
	mustDeny(t, tenant("label", "namespace", ns, modeLabel+"-", "--dry-run=server"), rule)
	if got := mode(ns); got != "enforce" {
		t.Fatalf("after the tenant's attempts the mode is %q, want enforce", got)
	}
	// Other labels, and raising the mode, are the tenant's to change.
	mustNoWarnings(t, mustOK(t, tenant("label", "namespace", ns, "team=payments")))
	mustNoWarnings(t, mustOK(t, tenant("label", "namespace", nsWarn, modeLabel+"=enforce", "--overwrite")))
	if got := mode(nsWarn); got != "enforce" {
		t.Errorf("the tenant raised %s to enforce, but the mode is %q", nsWarn, got)
	}

	// The exempt admin can lower and remove it.
	mustOK(t, admin(t, "label", "namespace", ns, modeLabel+"=warn", "--overwrite"))
	if got := mode(ns); got != "warn" {
		t.Errorf("admin lowered the mode to warn, but it is %q", got)
	}
	mustOK(t, admin(t, "label", "namespace", ns, modeLabel+"-"))
	if got := mode(ns); got != "" {
		t.Errorf("admin removed the mode, but it is %q", got)
	}
}
