//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TestRBACAttacks walks around the RBAC rules the way issue 9 did, against
// the real API server with impersonated tenants (kubectl --as) that hold
// exactly the RBAC each attack needs, and checks with kubectl auth can-i
// that the subject did not gain the permission. Each scenario was
// reproduced against the webhook before roles were judged with their
// bindings.
//
// Run one scenario with e.g. -run 'TestRBACAttacks/widen-bound-clusterrole'.
func TestRBACAttacks(t *testing.T) {
	need(t)
	t.Run("bootstrap-rbac-is-quiet", testRBACBootstrapQuiet)
	t.Run("attacks", func(t *testing.T) {
		t.Run("widen-bound-clusterrole", testRBACWidenBoundClusterRole)
		t.Run("serviceaccount-escalates-own-role", testRBACServiceAccountEscalates)
		t.Run("widen-public-info-viewer", testRBACWidenPublicInfoViewer)
		t.Run("bind-first-create-later", testRBACBindFirstCreateLater)
		t.Run("server-side-apply-together", testRBACServerSideApplyTogether)
		t.Run("equivalent-roles", testRBACEquivalentRoles)
		t.Run("aggregated-roles", testRBACAggregatedRoles)
		t.Run("stricter-mode", testRBACStricterMode)
		t.Run("pinned-exemptions", testRBACPinnedExemptions)
	})
}

// clusterRole renders a ClusterRole with the given rules (YAML flow
// sequences, one per rule) and labels.
func clusterRole(name string, labels map[string]string, rules ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: %s\n", name)
	if len(labels) > 0 {
		b.WriteString("  labels:\n")
		for k, v := range labels {
			fmt.Fprintf(&b, "    %s: %q\n", k, v)
		}
	}
	b.WriteString("rules:\n")
	if len(rules) == 0 {
		b.WriteString("[]\n")
	}
	for _, r := range rules {
		fmt.Fprintf(&b, "- %s\n", r)
	}
	return b.String()
}

// binding renders a ClusterRoleBinding (ns "") or a RoleBinding of a
// ClusterRole (roleKind ClusterRole) or Role to one subject: "User:name",
// "Group:name" or "ServiceAccount:ns:name".
func binding(ns, name, roleKind, role, subject string) string {
	kind := "ClusterRoleBinding"
	meta := "  name: " + name + "\n"
	if ns != "" {
		kind = "RoleBinding"
		meta += "  namespace: " + ns + "\n"
	}
	parts := strings.SplitN(subject, ":", 3)
	var subj string
	if parts[0] == "ServiceAccount" {
		subj = fmt.Sprintf("- kind: ServiceAccount\n  name: %s\n  namespace: %s\n", parts[2], parts[1])
	} else {
		subj = fmt.Sprintf("- apiGroup: rbac.authorization.k8s.io\n  kind: %s\n  name: %q\n", parts[0], strings.Join(parts[1:], ":"))
	}
	return fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata:\n%sroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: %s\n  name: %s\nsubjects:\n%s",
		kind, meta, roleKind, role, subj)
}

// guardsCluster are the namespaced kinds judged with the stricter of
// their namespace's mode and clusterMode (enforce in the suite):
// policy.ModeFor.
var guardsCluster = map[string]bool{"Role": true, "RoleBinding": true}

const everythingRule = `{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}`

// canI runs kubectl auth can-i as the given user (and args such as -n) and
// returns "yes" or "no" (kubectl may add the authorizer's reason).
func canI(t *testing.T, as string, args ...string) string {
	t.Helper()
	r := admin(t, append([]string{"auth", "can-i", "--as=" + as}, args...)...)
	out, _, _ := strings.Cut(strings.TrimSpace(r.stdout), " ")
	if out != "yes" && out != "no" {
		t.Fatalf("kubectl auth can-i:\n%s", r)
	}
	return out
}

// mustNotGain fails the test when the subject can do what the attack was
// after.
func mustNotGain(t *testing.T, as string, args ...string) {
	t.Helper()
	if got := canI(t, as, args...); got != "no" {
		t.Errorf("%s can %s after the attack: RBAC gave it away", as, strings.Join(args, " "))
	}
}

// anonymousCan asks the API server (a SubjectAccessReview created by the
// admin: anonymous requests may not ask themselves) whether an
// unauthenticated request may do verb on resource in namespace.
func anonymousCan(t *testing.T, verb, resource, namespace string) bool {
	t.Helper()
	sar := fmt.Sprintf(`apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: system:anonymous
  groups: ["system:unauthenticated"]
  resourceAttributes: {verb: %s, resource: %s, namespace: %s}
`, verb, resource, namespace)
	r := mustOK(t, adminIn(t, sar, "create", "-f", "-", "-o", "jsonpath={.status.allowed}"))
	return strings.TrimSpace(r.stdout) == "true"
}

// testRBACBootstrapQuiet: `webhook check` over the API server's own RBAC
// (every object labelled kubernetes.io/bootstrapping=rbac-defaults) finds
// nothing: the cluster's defaults are not findings.
func testRBACBootstrapQuiet(t *testing.T) {
	r := mustOK(t, admin(t, "get", "clusterroles,clusterrolebindings,roles,rolebindings", "-A",
		"-l", "kubernetes.io/bootstrapping=rbac-defaults", "-o", "yaml"))
	check := exec.Command(suite.webhookBin, "check", "-f", "-", "--output", "json")
	check.Stdin = strings.NewReader(r.stdout)
	out, err := check.Output()
	if err != nil {
		t.Fatalf("webhook check over the bootstrap RBAC: %v\n%s", err, out)
	}
	var res struct {
		Findings []struct{ Rule, Severity, Kind, Name, Field, Message string }
		Summary  struct{ Objects int }
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if res.Summary.Objects < 100 {
		t.Errorf("only %d bootstrap RBAC objects checked", res.Summary.Objects)
	}
	for _, f := range res.Findings {
		t.Errorf("%s %s: %s %s %s: %s", f.Kind, f.Name, f.Rule, f.Severity, f.Field, f.Message)
	}
}

// testRBACWidenBoundClusterRole (item 1): alice is bound to a harmless
// ClusterRole and holds escalate on it; she updates it to "*".
func testRBACWidenBoundClusterRole(t *testing.T) {
	t.Parallel()
	const alice = "e2e-rbac-alice"
	setup := clusterRole("e2e-rbac-widget", nil, `{apiGroups: ["example.com"], resources: ["widgets"], verbs: ["get", "list"]}`) + "---\n" +
		binding("", "e2e-rbac-widget", "ClusterRole", "e2e-rbac-widget", "User:"+alice) + "---\n" +
		clusterRole("e2e-rbac-widget-editor", nil, `{apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], resourceNames: ["e2e-rbac-widget"], verbs: ["get", "update", "patch", "escalate"]}`) + "---\n" +
		binding("", "e2e-rbac-widget-editor", "ClusterRole", "e2e-rbac-widget-editor", "User:"+alice)
	mustOK(t, adminIn(t, setup, "apply", "-f", "-"))

	widened := clusterRole("e2e-rbac-widget", nil, `{apiGroups: ["example.com"], resources: ["widgets"], verbs: ["get", "list"]}`, everythingRule)
	file := writeTemp(t, "widened.yaml", []byte(widened))
	for _, dry := range []bool{true, false} {
		args := []string{"--as=" + alice, "apply", "-f", file}
		if dry {
			args = append(args, "--dry-run=server")
		}
		r := admin(t, args...)
		mustDeny(t, r, finding{"rbac-cluster-admin", "rules[1]"})
		for _, want := range []string{"would make the subjects bound to it cluster-admin", `ClusterRoleBinding "e2e-rbac-widget" to User "e2e-rbac-alice"`} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("the denial does not say %q:\n%s", want, r)
			}
		}
	}
	mustNotGain(t, alice, "*", "*")
	mustNotGain(t, alice, "list", "secrets", "-n", "kube-system")
}

// testRBACServiceAccountEscalates (item 1): a service account holding
// escalate on its own bound ClusterRole cannot bind cluster-admin, and
// must not widen its role instead.
func testRBACServiceAccountEscalates(t *testing.T) {
	t.Parallel()
	const ns = "e2e-rbac-operator"
	createNamespace(t, ns, map[string]string{modeLabel: "enforce"})
	sa := "system:serviceaccount:" + ns + ":operator"
	setup := clusterRole("e2e-rbac-operator", nil,
		`{apiGroups: [""], resources: ["pods"], verbs: ["get", "list"]}`,
		`{apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], resourceNames: ["e2e-rbac-operator"], verbs: ["get", "update", "patch", "escalate"]}`,
		`{apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterrolebindings"], verbs: ["create"]}`) + "---\n" +
		binding("", "e2e-rbac-operator", "ClusterRole", "e2e-rbac-operator", "ServiceAccount:"+ns+":operator")
	mustOK(t, adminIn(t, setup, "apply", "-f", "-"))

	// The direct way is closed (RBAC's own escalation check, and the webhook).
	mustFail(t, admin(t, "--as="+sa, "create", "clusterrolebinding", "e2e-rbac-operator-admin", "--clusterrole=cluster-admin", "--serviceaccount="+ns+":operator"))
	// So it widens its own role.
	widened := clusterRole("e2e-rbac-operator", nil,
		`{apiGroups: [""], resources: ["pods"], verbs: ["get", "list"]}`,
		`{apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], resourceNames: ["e2e-rbac-operator"], verbs: ["get", "update", "patch", "escalate"]}`,
		`{apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterrolebindings"], verbs: ["create"]}`,
		`{apiGroups: [""], resources: ["users", "groups"], verbs: ["impersonate"]}`)
	r := adminIn(t, widened, "--as="+sa, "apply", "-f", "-")
	mustDeny(t, r, finding{"rbac-cluster-admin", "rules[3]"})
	if !strings.Contains(r.stderr, `ServiceAccount "`+ns+`/operator"`) {
		t.Errorf("the denial does not name the service account:\n%s", r)
	}
	mustNotGain(t, sa, "impersonate", "users")
	mustNotGain(t, sa, "impersonate", "groups")
}

// testRBACWidenPublicInfoViewer (item 1): system:public-info-viewer is
// bound to everyone, authenticated or not. Widening it would let an
// unauthenticated curl read kube-system's Secrets.
func testRBACWidenPublicInfoViewer(t *testing.T) {
	t.Parallel()
	const role = "system:public-info-viewer"
	before := jsonpath(t, "", "clusterrole", role, "{.rules}")
	t.Cleanup(func() {
		// Should the widening ever pass, put the role back: the API
		// server reconciles its bootstrap roles only at start, and never
		// removes what was added.
		if after := jsonpath(t, "", "clusterrole", role, "{.rules}"); after != before {
			mustOK(t, admin(t, "patch", "clusterrole", role, "--type=json", "-p", `[{"op":"replace","path":"/rules","value":`+before+`}]`))
		}
	})
	for _, c := range []struct {
		rule  string
		finds []finding
	}{
		{`{"apiGroups":[""],"resources":["secrets"],"verbs":["get","list"]}`, []finding{{"rbac-broad-subject", "rules[1]"}}},
		{`{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}`, []finding{{"rbac-broad-subject", "rules[1]"}, {"rbac-cluster-admin", "rules[1]"}}},
	} {
		r := admin(t, "patch", "clusterrole", role, "--type=json", "-p", `[{"op":"add","path":"/rules/-","value":`+c.rule+`}]`)
		mustDeny(t, r, c.finds...)
		if !strings.Contains(r.stderr, "every unauthenticated request") {
			t.Errorf("the denial does not say who the role is bound to:\n%s", r)
		}
	}
	if anonymousCan(t, "list", "secrets", "kube-system") {
		t.Error("an unauthenticated request can list kube-system's Secrets")
	}
	mustNotGain(t, "e2e-rbac-anyone", "list", "secrets", "-n", "kube-system")
}

// testRBACBindFirstCreateLater (item 2): a binding of a role that does not
// exist yet passes with a warning; creating the role as "*" right after is
// judged against it.
func testRBACBindFirstCreateLater(t *testing.T) {
	t.Parallel()
	const bob = "e2e-rbac-bob"
	r := mustOK(t, adminIn(t, binding("", "e2e-rbac-later", "ClusterRole", "e2e-rbac-later", "User:"+bob), "apply", "-f", "-"))
	mustWarn(t, r, `ClusterRole "e2e-rbac-later", which does not exist yet: the role will be judged against this binding when it is created`)
	// No wait: the webhook's cache may not have seen the binding yet.
	r = adminIn(t, clusterRole("e2e-rbac-later", nil, everythingRule), "apply", "-f", "-")
	mustDeny(t, r, finding{"rbac-cluster-admin", "rules[0]"})
	if !strings.Contains(r.stderr, `ClusterRoleBinding "e2e-rbac-later" to User "e2e-rbac-bob"`) {
		t.Errorf("the denial does not name the binding and subject:\n%s", r)
	}
	mustNotExist(t, "", "clusterrole", "e2e-rbac-later")
	mustNotGain(t, bob, "*", "*")
}

// testRBACServerSideApplyTogether (item 2): a "*" role and its binding in
// one server-side apply, in both orders and several times over: one of the
// two is always denied, whatever the webhook's cache has seen.
func testRBACServerSideApplyTogether(t *testing.T) {
	t.Parallel()
	for i := range 4 {
		name := fmt.Sprintf("e2e-rbac-ssa-%d", i)
		subject := fmt.Sprintf("e2e-rbac-ssa-user-%d", i)
		role := clusterRole(name, nil, everythingRule)
		bind := binding("", name, "ClusterRole", name, "User:"+subject)
		docs := role + "---\n" + bind
		if i%2 == 1 {
			docs = bind + "---\n" + role // bind first
		}
		r := adminIn(t, docs, "apply", "--server-side", "--field-manager=e2e-rbac", "-f", "-")
		mustDeny(t, r, finding{"rbac-cluster-admin", ""})
		mustNotGain(t, subject, "*", "*")
	}
}

// testRBACEquivalentRoles (item 3): roles that are cluster-admin in all but
// name, and what is only warned about.
func testRBACEquivalentRoles(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, rule, field string
		canI              []string
	}{
		{"impersonator", `{apiGroups: [""], resources: ["users", "groups"], verbs: ["impersonate"]}`, "roleRef.name", []string{"impersonate", "groups"}},
		{"token-minter", `{apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"]}`, "roleRef.name", []string{"create", "serviceaccounts/token", "-n", "kube-system"}},
		{"webhook-writer", `{apiGroups: ["admissionregistration.k8s.io"], resources: ["mutatingwebhookconfigurations"], verbs: ["create", "patch"]}`, "roleRef.name", []string{"create", "mutatingwebhookconfigurations"}},
		{"csr-approver", `{apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests/approval"], verbs: ["update"]}` + "\n- " +
			`{apiGroups: ["certificates.k8s.io"], resources: ["signers"], resourceNames: ["kubernetes.io/kube-apiserver-client"], verbs: ["approve"]}`, "roleRef.name", []string{"update", "certificatesigningrequests/approval"}},
	} {
		role := "e2e-rbac-" + c.name
		user := "e2e-rbac-" + c.name + "-user"
		mustOK(t, adminIn(t, clusterRole(role, nil, c.rule), "apply", "-f", "-"))
		r := adminIn(t, binding("", role, "ClusterRole", role, "User:"+user), "apply", "-f", "-")
		mustDeny(t, r, finding{"rbac-cluster-admin", c.field})
		mustNotGain(t, user, c.canI...)
	}
	// Reading every Secret is what ingress controllers do: a warning.
	mustOK(t, adminIn(t, clusterRole("e2e-rbac-secret-reader", nil, `{apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"]}`), "apply", "-f", "-"))
	r := mustOK(t, adminIn(t, binding("", "e2e-rbac-secret-reader", "ClusterRole", "e2e-rbac-secret-reader", "ServiceAccount:ingress:controller"), "apply", "-f", "-"))
	mustWarn(t, r, "[rbac-cluster-admin] roleRef.name:", "read every Secret of every namespace")
}

// testRBACAggregatedRoles (item 3): a labelled ClusterRole that would flow
// into a bound aggregated ClusterRole is judged as part of it; the
// aggregation controller's own writes are never blocked.
func testRBACAggregatedRoles(t *testing.T) {
	t.Parallel()
	const erin = "e2e-rbac-erin"
	agg := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: e2e-rbac-ops
aggregationRule:
  clusterRoleSelectors:
  - matchLabels:
      e2e.guardrails.dev/aggregate-to-ops: "true"
rules: []
`
	mustOK(t, adminIn(t, agg+"---\n"+binding("", "e2e-rbac-ops", "ClusterRole", "e2e-rbac-ops", "User:"+erin), "apply", "-f", "-"))
	labelled := clusterRole("e2e-rbac-ops-extra", map[string]string{"e2e.guardrails.dev/aggregate-to-ops": "true"}, everythingRule)
	r := adminIn(t, labelled, "apply", "-f", "-")
	mustDeny(t, r, finding{"rbac-cluster-admin", "rules[0]"})
	if !strings.Contains(r.stderr, `flows into the aggregated ClusterRole "e2e-rbac-ops"`) {
		t.Errorf("the denial does not name the aggregated role:\n%s", r)
	}
	mustNotGain(t, erin, "*", "*")

	// The aggregation controller writes the aggregated role's rules; that
	// is never denied (the same write by anyone else is).
	patch := `[{"op":"replace","path":"/rules","value":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}]`
	mustDeny(t, admin(t, "patch", "clusterrole", "e2e-rbac-ops", "--type=json", "-p", patch, "--dry-run=server"), finding{"rbac-cluster-admin", "rules[0]"})
	r = admin(t, "--as=system:serviceaccount:kube-system:clusterrole-aggregation-controller", "patch", "clusterrole", "e2e-rbac-ops", "--type=json", "-p", patch, "--dry-run=server")
	if !r.ok() {
		t.Errorf("the aggregation controller's write was refused:\n%s", r)
	}
}

// testRBACStricterMode (item 4): Roles and RoleBindings follow the
// stricter of their namespace's mode and clusterMode. The namespace is
// labelled the way deploy/README recommends for kube-system.
func testRBACStricterMode(t *testing.T) {
	t.Parallel()
	const ns = "e2e-rbac-system"
	const carol = "e2e-rbac-carol"
	createNamespace(t, ns, map[string]string{modeLabel: "warn", failurePolicyLabel: "ignore"})
	r := adminIn(t, binding(ns, "e2e-rbac-carol-admin", "ClusterRole", "cluster-admin", "User:"+carol), "apply", "-f", "-")
	mustDeny(t, r, finding{"rbac-cluster-admin", "roleRef.name"})
	mustNotGain(t, carol, "*", "*", "-n", ns)
	// A Role of "*" in that namespace, bound after its creation, too.
	role := fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: e2e-rbac-root\n  namespace: %s\nrules:\n- %s\n", ns, everythingRule)
	mustOK(t, adminIn(t, role, "apply", "-f", "-"))
	mustDeny(t, adminIn(t, binding(ns, "e2e-rbac-root", "Role", "e2e-rbac-root", "User:"+carol), "apply", "-f", "-"), finding{"rbac-cluster-admin", "roleRef.name"})
	mustNotGain(t, carol, "delete", "secrets", "-n", ns)
	// Other kinds keep the namespace's mode: a Pod without requests is a
	// warning there.
	pod := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: no-requests\n  namespace: %s\nspec:\n  containers:\n  - name: app\n    image: registry.k8s.io/pause:3.10\n", ns)
	mustWarn(t, mustOK(t, adminIn(t, pod, "apply", "--dry-run=server", "-f", "-")), "[resources-requests]")
}

// testRBACPinnedExemptions (item 5): the exemptions of the cluster's own
// bindings pin roleRef and subjects, not only the name.
func testRBACPinnedExemptions(t *testing.T) {
	t.Parallel()
	const gc = "system:controller:generic-garbage-collector"
	const ns = "e2e-rbac-pinned"
	createNamespace(t, ns, map[string]string{modeLabel: "enforce"})
	before := jsonpath(t, "", "clusterrolebinding", gc, "{.subjects}")
	t.Cleanup(func() {
		if after := jsonpath(t, "", "clusterrolebinding", gc, "{.subjects}"); after != before {
			mustOK(t, admin(t, "patch", "clusterrolebinding", gc, "--type=json", "-p", `[{"op":"replace","path":"/subjects","value":`+before+`}]`))
		}
	})
	// The garbage collector may patch everything, webhook configurations
	// included: its bootstrap binding passes, one more subject on it does
	// not.
	builder := "system:serviceaccount:" + ns + ":builder"
	r := admin(t, "patch", "clusterrolebinding", gc, "--type=json", "-p",
		`[{"op":"add","path":"/subjects/-","value":{"kind":"ServiceAccount","name":"builder","namespace":"`+ns+`"}}]`)
	mustDeny(t, r, finding{"rbac-cluster-admin", "roleRef.name"})
	mustNotGain(t, builder, "patch", "mutatingwebhookconfigurations")

	// kubeadm's binding of cluster-admin passes exactly as kubeadm writes
	// it; another subject on it is denied, and so is the kubeadm group.
	kubeadm := binding("", "kubeadm:cluster-admins", "ClusterRole", "cluster-admin", "Group:kubeadm:cluster-admins")
	mustOK(t, adminIn(t, kubeadm, "apply", "-f", "-"))
	r = admin(t, "patch", "clusterrolebinding", "kubeadm:cluster-admins", "--type=json", "-p",
		`[{"op":"add","path":"/subjects/-","value":{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"e2e-rbac-mallory"}}]`)
	mustDeny(t, r, finding{"rbac-cluster-admin", "roleRef.name"})
	if !strings.Contains(r.stderr, `grants cluster-admin to Group "kubeadm:cluster-admins", User "e2e-rbac-mallory"`) {
		t.Errorf("the denial does not name every subject:\n%s", r)
	}
	mustNotGain(t, "e2e-rbac-mallory", "*", "*")
}
