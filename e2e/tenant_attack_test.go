//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The attacks of issue 9 (items 6–9), as a tenant with ordinary rights
// would try them: user alice, impersonated with `kubectl --as=alice`, may
// edit pods, workloads, ConfigMaps and Ingresses in her namespace and holds
// one extra verb per side door (patch ingresses/status, patch
// namespaces/status, update namespaces/finalize of her own namespaces; and
// get on the status subresources, which kubectl patch reads first).

const (
	attacker     = "alice"
	nsAttack     = "e2e-attack"
	nsAttackStat = "e2e-attack-status"
	nsAttackFin  = "e2e-attack-finalize"
)

// tenantRBAC is what alice holds: an edit-like Role in her namespace (the
// sandbox runs no aggregation controller, so the built-in edit ClusterRole
// is empty there) and the side-door verbs, each alone.
var tenantRBAC = fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: tenant-edit, namespace: %[1]s}
rules:
- apiGroups: [""]
  resources: [pods, configmaps]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [apps]
  resources: [deployments, daemonsets]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [networking.k8s.io]
  resources: [ingresses]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [networking.k8s.io]
  resources: [ingresses/status]
  verbs: [get, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: tenant-edit, namespace: %[1]s}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: %[4]s}
roleRef: {kind: Role, apiGroup: rbac.authorization.k8s.io, name: tenant-edit}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-tenant-namespace-side-doors}
rules:
- apiGroups: [""]
  resources: [namespaces]
  resourceNames: [%[2]s, %[3]s]
  verbs: [get]
- apiGroups: [""]
  resources: [namespaces/status]
  resourceNames: [%[2]s]
  verbs: [get, patch]
- apiGroups: [""]
  resources: [namespaces/finalize]
  resourceNames: [%[3]s]
  verbs: [update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: e2e-tenant-namespace-side-doors}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: %[4]s}
roleRef: {kind: ClusterRole, apiGroup: rbac.authorization.k8s.io, name: e2e-tenant-namespace-side-doors}
`, nsAttack, nsAttackStat, nsAttackFin, attacker)

// as runs kubectl as the impersonated tenant.
func as(t testing.TB, user string, args ...string) result {
	t.Helper()
	return admin(t, append([]string{"--as=" + user}, args...)...)
}

// asIn runs kubectl as the impersonated tenant with stdin.
func asIn(t testing.TB, user, stdin string, args ...string) result {
	t.Helper()
	return adminIn(t, stdin, append([]string{"--as=" + user}, args...)...)
}

// waitCanI waits until the tenant holds a permission (RBAC caches follow the
// API server by a moment).
func waitCanI(t *testing.T, user string, args ...string) {
	t.Helper()
	if !eventually(10*time.Second, func() bool {
		r := as(t, user, append([]string{"auth", "can-i"}, args...)...)
		return r.ok() && strings.TrimSpace(r.stdout) == "yes"
	}) {
		t.Fatalf("%s never got: can-i %s", user, strings.Join(args, " "))
	}
}

// denyBoth applies manifest as the tenant, with a server-side dry run
// first, and wants both denied naming f; the object must not exist after.
func denyBoth(t *testing.T, manifest, resource, name string, f finding) {
	t.Helper()
	file := writeTemp(t, name+".yaml", []byte(manifest))
	mustDeny(t, as(t, attacker, "apply", "--dry-run=server", "-f", file), f)
	mustDeny(t, as(t, attacker, "apply", "-f", file), f)
	mustNotExist(t, nsAttack, resource, name)
}

func testTenantAttacks(t *testing.T) {
	t.Parallel()
	createNamespace(t, nsAttack, map[string]string{modeLabel: "enforce"})
	createNamespace(t, nsAttackStat, map[string]string{modeLabel: "enforce"})
	createNamespace(t, nsAttackFin, map[string]string{modeLabel: "enforce"})
	mustOK(t, adminIn(t, tenantRBAC, "apply", "-f", "-"))
	waitCanI(t, attacker, "create", "pods", "-n", nsAttack)
	waitCanI(t, attacker, "patch", "namespaces/"+nsAttackStat, "--subresource=status")
	waitCanI(t, attacker, "update", "namespaces/"+nsAttackFin, "--subresource=finalize")
	waitCanI(t, attacker, "patch", "ingresses", "--subresource=status", "-n", nsAttack)

	t.Run("forged-controller-owner", testForgedControllerOwner)
	t.Run("addon-lookalike", testAddonLookalike)
	t.Run("forged-mirror-pod", testForgedMirrorPod)
	t.Run("namespace-side-doors", testNamespaceSideDoors)
	t.Run("ingress-status-side-door", testIngressStatusSideDoor)
	t.Run("json-tricks", testJSONTricks)
}

// testJSONTricks: the tenant posts raw JSON that a decoder could read
// two ways — the container's resources given twice, a member name spelled
// with an escape, a duplicate label — hoping the webhook reads one
// version while the API server stores another. The API server decodes the
// body itself (fieldValidation Ignore: duplicates pass silently, the
// second merged into the first: an empty object changes nothing, a null
// member clears it) and sends the webhook the object it would store,
// re-encoded. The webhook judges that object: requests cleared by the
// second resources are denied; requests given only by the second are
// admitted, no false alarm. (A second, case-folded "Kind" never gets this
// far: the API server reads the type case-insensitively and refuses the
// body.)
func testJSONTricks(t *testing.T) {
	const name = "e2e-json-tricks"
	body := func(first, second string) string {
		return `{"apiVersion":"apps/v1","kind":"Deployment",
 "metadata":{"name":"` + name + `","namespace":"` + nsAttack + `","labels":{"app":"jt","app":"jt"}},
 "spec":{"replicas":1,"selector":{"matchLabels":{"app":"jt"}},
  "template":{"metadata":{"labels":{"app":"jt"}},
   "spec":{"contain\u0065rs":[{"name":"app","image":"registry.example.com/app:1.0",
     "resources":` + first + `,
     "resources":` + second + `}]}}}}`
	}
	requests := `{"requests":{"cpu":"100m","memory":"64Mi"}}`
	path := "/apis/apps/v1/namespaces/" + nsAttack + "/deployments?fieldValidation=Ignore"
	f := finding{"resources-requests", "spec.template.spec.containers[0].resources.requests.cpu"}

	cleared := writeTemp(t, name+"-cleared.json", []byte(body(requests, `{"requests":null}`)))
	mustDeny(t, as(t, attacker, "create", "--raw", path+"&dryRun=All", "-f", cleared), f)
	mustDeny(t, as(t, attacker, "create", "--raw", path, "-f", cleared), f)
	mustNotExist(t, nsAttack, "deployments", name)

	merged := writeTemp(t, name+"-merged.json", []byte(body(`{}`, requests)))
	r := mustOK(t, as(t, attacker, "create", "--raw", path+"&dryRun=All", "-f", merged))
	if !strings.Contains(r.stdout, `"requests":{"cpu":"100m","memory":"64Mi"}`) {
		t.Errorf("the stored object should hold the second resources' requests:\n%s", r)
	}
}

// Item 6: a pod whose controller ownerReference points at the tenant's own
// ConfigMap (or at a ReplicaSet it names by hand) runs at
// system-node-critical unless demotion needs the built-in controller's
// identity: denied.
func testForgedControllerOwner(t *testing.T) {
	t.Parallel()
	mustOK(t, as(t, attacker, "create", "configmap", "miner-owner", "-n", nsAttack))
	uid := strings.TrimSpace(mustOK(t, as(t, attacker, "get", "configmap", "miner-owner", "-n", nsAttack, "-o", "jsonpath={.metadata.uid}")).stdout)
	pod := func(name, apiVersion, kind, owner, uid string) string {
		return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: %s
  ownerReferences:
  - {apiVersion: %s, kind: %s, name: %s, uid: %s, controller: true}
spec:
  priorityClassName: system-node-critical
  containers:
  - name: miner
    image: registry.example/miner:1.0
    resources:
      requests: {cpu: 100m, memory: 64Mi}
`, name, nsAttack, apiVersion, kind, owner, uid)
	}
	reserved := finding{"priority-reserved-class", "spec.priorityClassName"}
	denyBoth(t, pod("miner", "v1", "ConfigMap", "miner-owner", uid), "pod", "miner", reserved)
	denyBoth(t, pod("miner-rs", "apps/v1", "ReplicaSet", "miner", "5a1e0000-0000-4000-8000-000000000001"), "pod", "miner-rs", reserved)
}

// Item 7: a tenant Deployment labelled k8s-app: kube-dns is not CoreDNS:
// it may not keep system-node-critical, and without a class the mutating
// webhook does not write one into it (nor system-node-critical into a
// DaemonSet labelled as kube-proxy).
func testAddonLookalike(t *testing.T) {
	t.Parallel()
	dns := map[string]string{"k8s-app": "kube-dns"}
	denyBoth(t, deployment(nsAttack, "dns", dns, "system-node-critical", someRequests), "deployment", "dns",
		finding{"priority-reserved-class", "spec.template.spec.priorityClassName"})

	file := writeTemp(t, "dns-plain.yaml", []byte(deployment(nsAttack, "dns-plain", dns, "", someRequests)))
	r := mustOK(t, as(t, attacker, "apply", "--dry-run=server", "-f", file, "-o", "jsonpath={.spec.template.spec.priorityClassName}"))
	if r.stdout != "" {
		t.Errorf("dry-run: the tenant's kube-dns lookalike got priorityClassName %q:\n%s", r.stdout, r)
	}
	mustNoWarnings(t, r)
	mustNoWarnings(t, mustOK(t, as(t, attacker, "apply", "-f", file)))
	if got := jsonpath(t, nsAttack, "deployment", "dns-plain", "{.spec.template.spec.priorityClassName}"); got != "" {
		t.Errorf("the tenant's kube-dns lookalike was stored with priorityClassName %q", got)
	}

	ds := `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: ` + nsAttack + `}
spec:
  selector: {matchLabels: {k8s-app: kube-proxy}}
  template:
    metadata: {labels: {k8s-app: kube-proxy}}
    spec:
      containers:
      - name: kube-proxy
        image: registry.k8s.io/kube-proxy:v1.33.0
        resources:
          requests: {cpu: 100m, memory: 64Mi}
`
	r = mustOK(t, asIn(t, attacker, ds, "apply", "--dry-run=server", "-f", "-", "-o", "jsonpath={.spec.template.spec.priorityClassName}"))
	if r.stdout != "" {
		t.Errorf("dry-run: the tenant's kube-proxy lookalike got priorityClassName %q:\n%s", r.stdout, r)
	}
	mustNoWarnings(t, r)
}

// Item 8: a pod with the mirror-pod annotation and a nodeName, sent by a
// tenant rather than a node, is judged like any pod.
func testForgedMirrorPod(t *testing.T) {
	t.Parallel()
	pod := `apiVersion: v1
kind: Pod
metadata:
  name: static-web-e2e-node-1
  namespace: ` + nsAttack + `
  annotations: {kubernetes.io/config.mirror: 0f1e2d3c}
spec:
  nodeName: e2e-node-1
  containers:
  - name: web
    image: registry.example/web:1.0
`
	denyBoth(t, pod, "pod", "static-web-e2e-node-1", finding{"resources-requests", "spec.containers[0].resources.requests.cpu"})
}

// Item 9, namespaces: with nothing but patch on namespaces/status (or
// update on namespaces/finalize), the tenant cannot lower or remove the
// mode label or add failure-policy: ignore; a status change that leaves
// the guardrails labels alone passes.
func testNamespaceSideDoors(t *testing.T) {
	t.Parallel()
	rule := finding{"namespace-mode-label", "metadata.labels[guardrails.dev/mode]"}
	mode := func(ns string) string {
		return jsonpath(t, "", "namespace", ns, `{.metadata.labels.guardrails\.dev/mode}`)
	}
	patchStatus := func(patch string, dry bool) result {
		args := []string{"patch", "namespace", nsAttackStat, "--subresource=status", "--type=merge", "-p", patch}
		if dry {
			args = append(args, "--dry-run=server")
		}
		return as(t, attacker, args...)
	}
	for _, p := range []string{
		`{"metadata":{"labels":{"guardrails.dev/mode":"audit"}}}`,
		`{"metadata":{"labels":{"guardrails.dev/mode":null}}}`,
	} {
		mustDeny(t, patchStatus(p, true), rule)
		mustDeny(t, patchStatus(p, false), rule)
	}
	mustDeny(t, patchStatus(`{"metadata":{"labels":{"guardrails.dev/failure-policy":"ignore"}}}`, false),
		finding{"namespace-mode-label", "metadata.labels[guardrails.dev/failure-policy]"})
	if got := mode(nsAttackStat); got != "enforce" {
		t.Fatalf("after the tenant's status patches the mode of %s is %q, want enforce", nsAttackStat, got)
	}
	// The rest of a status update is not judged; harmless labels pass.
	mustNoWarnings(t, mustOK(t, patchStatus(`{"metadata":{"labels":{"team":"payments"}}}`, false)))

	// namespaces/finalize is a PUT of the whole Namespace.
	finalize := func(labels string) result {
		body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":%q,"labels":{%s}},"spec":{"finalizers":["kubernetes"]}}`, nsAttackFin, labels)
		return asIn(t, attacker, body, "replace", "--raw", "/api/v1/namespaces/"+nsAttackFin+"/finalize", "-f", "-")
	}
	mustDeny(t, finalize(`"kubernetes.io/metadata.name":"`+nsAttackFin+`"`), rule)
	mustDeny(t, finalize(`"kubernetes.io/metadata.name":"`+nsAttackFin+`","guardrails.dev/mode":"warn"`), rule)
	if got := mode(nsAttackFin); got != "enforce" {
		t.Fatalf("after the tenant's finalize updates the mode of %s is %q, want enforce", nsAttackFin, got)
	}
	mustOK(t, finalize(`"kubernetes.io/metadata.name":"`+nsAttackFin+`","guardrails.dev/mode":"enforce"`))
}

// Item 9, Ingress: patch on ingresses/status cannot add a snippet
// annotation; the status itself is the tenant's (or controller's) to set.
func testIngressStatusSideDoor(t *testing.T) {
	t.Parallel()
	const host = "status-door.e2e.example.com"
	file := writeTemp(t, "ingress.yaml", []byte(ingress(nsAttack, "door", "nginx", host, "/", "8m")))
	mustNoWarnings(t, mustOK(t, as(t, attacker, "apply", "-f", file)))
	snippet := `{"metadata":{"annotations":{"nginx.ingress.kubernetes.io/server-snippet":"location /admin { allow all; }"}}}`
	f := finding{"ingress-snippet", "metadata.annotations[nginx.ingress.kubernetes.io/server-snippet]"}
	mustDeny(t, as(t, attacker, "patch", "ingress", "door", "-n", nsAttack, "--subresource=status", "--type=merge", "-p", snippet, "--dry-run=server"), f)
	mustDeny(t, as(t, attacker, "patch", "ingress", "door", "-n", nsAttack, "--subresource=status", "--type=merge", "-p", snippet), f)
	if got := jsonpath(t, nsAttack, "ingress", "door", `{.metadata.annotations.nginx\.ingress\.kubernetes\.io/server-snippet}`); got != "" {
		t.Fatalf("the snippet annotation got in through ingresses/status: %q", got)
	}
	status := `{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}`
	mustNoWarnings(t, mustOK(t, as(t, attacker, "patch", "ingress", "door", "-n", nsAttack, "--subresource=status", "--type=merge", "-p", status)))
	if got := jsonpath(t, nsAttack, "ingress", "door", "{.status.loadBalancer.ingress[0].ip}"); got != "192.0.2.10" {
		t.Errorf("status after the tenant's status patch: %q, want 192.0.2.10", got)
	}
}
