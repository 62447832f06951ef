//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestKubeSystemRoleBindings: kube-controller-manager runs each controller
// under a service account of kube-system (the garbage collector may update
// and delete every object, the clusterrole-aggregation-controller escalate
// ClusterRoles). A RoleBinding there that lets its subject mint those
// accounts' tokens or act as them is cluster-admin, though a RoleBinding
// elsewhere with the same role is not. Both were admitted before
// RoleBindings in kube-system were judged that way.
//
// kube-system is labelled for the test as deploy/README recommends (warn,
// failure-policy ignore); RBAC follows the stricter clusterMode there.
//
// Run it with -run TestKubeSystemRoleBindings.
func TestKubeSystemRoleBindings(t *testing.T) {
	need(t)
	const ns = "kube-system"
	const dave = "e2e-ks-dave"
	mustOK(t, admin(t, "label", "namespace", ns, "--overwrite", modeLabel+"=warn", failurePolicyLabel+"=ignore"))
	t.Cleanup(func() { admin(t, "label", "namespace", ns, modeLabel+"-", failurePolicyLabel+"-") })

	token := `{apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"]}`
	mustOK(t, adminIn(t, clusterRole("e2e-ks-token", nil, token), "apply", "-f", "-"))
	bind := writeTemp(t, "ks-token.yaml", []byte(binding(ns, "e2e-ks-token", "ClusterRole", "e2e-ks-token", "User:"+dave)))
	last := untilDenied(t, 15*time.Second, "a RoleBinding in kube-system of a token-minting role was never denied", func() result { return admin(t, "apply", "--dry-run=server", "-f", bind) })
	mustDeny(t, last, finding{"rbac-cluster-admin", "roleRef.name"})
	mustDeny(t, admin(t, "apply", "-f", bind), finding{"rbac-cluster-admin", "roleRef.name"})
	mustNotGain(t, dave, "create", "serviceaccounts/token", "-n", ns)

	// The same role bound in another namespace is that namespace's business.
	other := "e2e-ks-other"
	createNamespace(t, other, map[string]string{modeLabel: "enforce"})
	mustOK(t, adminIn(t, binding(other, "e2e-ks-token", "ClusterRole", "e2e-ks-token", "User:"+dave), "apply", "-f", "-"))

	// Bind first, widen later: a harmless Role of kube-system, bound to
	// dave, may not learn to mint tokens.
	role := func(rules ...string) string {
		out := fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: e2e-ks-ops\n  namespace: %s\nrules:\n", ns)
		for _, r := range rules {
			out += "- " + r + "\n"
		}
		return out
	}
	cm := `{apiGroups: [""], resources: ["configmaps"], verbs: ["get"]}`
	mustOK(t, adminIn(t, role(cm)+"---\n"+binding(ns, "e2e-ks-ops", "Role", "e2e-ks-ops", "User:"+dave), "apply", "-f", "-"))
	t.Cleanup(func() {
		admin(t, "delete", "rolebinding,role", "e2e-ks-ops", "-n", ns, "--ignore-not-found")
	})
	widened := writeTemp(t, "ks-ops.yaml", []byte(role(cm, token)))
	last = untilDenied(t, 15*time.Second, "widening a bound Role of kube-system to mint tokens was never denied", func() result { return admin(t, "apply", "--dry-run=server", "-f", widened) })
	mustDeny(t, last, finding{"rbac-cluster-admin", "rules[1]"})
	mustDeny(t, admin(t, "apply", "-f", widened), finding{"rbac-cluster-admin", "rules[1]"})
	mustNotGain(t, dave, "create", "serviceaccounts/token", "-n", ns)
}
