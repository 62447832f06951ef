package rules

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func rule(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
}

func s(xs ...string) []string { return xs }

// TestRBACAdminPowers: what makes a rule set cluster-admin-equivalent, in
// each scope, as the API server's covering logic counts it.
func TestRBACAdminPowers(t *testing.T) {
	cases := []struct {
		name      string
		rules     []rbacv1.PolicyRule
		cluster   string // the power's description found cluster-wide, "" for none
		namespace string // found through a RoleBinding
	}{
		{"everything", []rbacv1.PolicyRule{rule(s("*"), s("*"), s("*"))}, "every verb on every resource in every API group", "every verb on every resource in every API group"},
		{"everything but names", []rbacv1.PolicyRule{rule(s("*"), s("*"), s("*"), "x")}, "", ""},
		{"star verbs on rbac", []rbacv1.PolicyRule{rule(s("*"), s("rbac.authorization.k8s.io"), s("*"))}, `"escalate" on clusterroles`, ""},
		{"escalate roles", []rbacv1.PolicyRule{rule(s("escalate"), s("rbac.authorization.k8s.io"), s("roles"))}, `"escalate" on roles`, ""},
		{"escalate in the wrong group", []rbacv1.PolicyRule{rule(s("escalate"), s(""), s("roles"))}, "", ""},
		{"bind clusterroles named", []rbacv1.PolicyRule{rule(s("bind"), s("rbac.authorization.k8s.io"), s("clusterroles"), "view")}, "", ""},
		{"impersonate users", []rbacv1.PolicyRule{rule(s("impersonate"), s(""), s("users"))}, `"impersonate" on users`, ""},
		{"impersonate star group", []rbacv1.PolicyRule{rule(s("impersonate"), s("*"), s("serviceaccounts"))}, `"impersonate" on serviceaccounts`, ""},
		{"impersonate masters by name", []rbacv1.PolicyRule{rule(s("impersonate"), s(""), s("groups"), "system:masters")}, `"impersonate" on groups named "system:masters"`, ""},
		{"impersonate other groups", []rbacv1.PolicyRule{rule(s("impersonate"), s(""), s("groups"), "devs")}, "", ""},
		{"uids", []rbacv1.PolicyRule{rule(s("impersonate"), s("authentication.k8s.io"), s("uids"))}, `"impersonate" on uids`, ""},
		{"token via star subresource", []rbacv1.PolicyRule{rule(s("create"), s(""), s("*/token"))}, `"create" on serviceaccounts/token`, ""},
		{"token get only", []rbacv1.PolicyRule{rule(s("get"), s(""), s("serviceaccounts/token"))}, "", ""},
		{"nodes proxy create", []rbacv1.PolicyRule{rule(s("create"), s(""), s("nodes/proxy"))}, `"create" on nodes/proxy`, ""},
		{"nodes proxy get is sensitive only", []rbacv1.PolicyRule{rule(s("get"), s(""), s("nodes/proxy"))}, "", ""},
		{"webhook patch", []rbacv1.PolicyRule{rule(s("patch"), s("admissionregistration.k8s.io"), s("validatingwebhookconfigurations"))}, `"patch" on validatingwebhookconfigurations`, ""},
		{"webhook delete only", []rbacv1.PolicyRule{rule(s("delete"), s("admissionregistration.k8s.io"), s("mutatingwebhookconfigurations"))}, "", ""},
		{"policy without binding", []rbacv1.PolicyRule{rule(s("create"), s("admissionregistration.k8s.io"), s("mutatingadmissionpolicies"))}, "", ""},
		{"csr approval without signer", []rbacv1.PolicyRule{rule(s("update"), s("certificates.k8s.io"), s("certificatesigningrequests/approval"))}, "", ""},
		{"csr approval, signer wildcard name", []rbacv1.PolicyRule{
			rule(s("update"), s("certificates.k8s.io"), s("certificatesigningrequests/approval")),
			rule(s("approve"), s("certificates.k8s.io"), s("signers"), "kubernetes.io/*"),
		}, `"update" on certificatesigningrequests/approval and "approve" on signers named "kubernetes.io/*"`, ""},
		{"read everything", []rbacv1.PolicyRule{rule(s("get", "list", "watch"), s("*"), s("*"))}, "", ""},
		{"non-resource star", []rbacv1.PolicyRule{{Verbs: s("*"), NonResourceURLs: s("*")}}, "", ""},
	}
	for _, c := range cases {
		rs := rbacOwnRules(c.rules)
		for _, scope := range []struct {
			cluster bool
			want    string
		}{{true, c.cluster}, {false, c.namespace}} {
			h, ok := rbacFind(rbacAdminPowers, rs, scopeOf(scope.cluster))
			got := ""
			if ok {
				got = h.what
			}
			if got != scope.want {
				t.Errorf("%s (cluster-wide %v): got %q, want %q", c.name, scope.cluster, got, scope.want)
			}
		}
	}
}

// scopeOf maps "cluster-wide" to the scope of a ClusterRoleBinding, else
// of a RoleBinding outside kube-system.
func scopeOf(clusterWide bool) rbacScope {
	if clusterWide {
		return rbacScopeCluster
	}
	return rbacScopeNamespace
}

// TestRBACSystemNamespacePowers: through a RoleBinding in kube-system, the
// powers that make the holder one of the controllers' service accounts
// are cluster-admin-equivalent; the cluster-scoped ones stay out of reach.
func TestRBACSystemNamespacePowers(t *testing.T) {
	cases := []struct {
		name  string
		rules []rbacv1.PolicyRule
		want  string
	}{
		{"everything", []rbacv1.PolicyRule{rule(s("*"), s("*"), s("*"))}, "every verb on every resource in every API group"},
		{"token", []rbacv1.PolicyRule{rule(s("create"), s(""), s("serviceaccounts/token"))}, `"create" on serviceaccounts/token`},
		{"impersonate serviceaccounts", []rbacv1.PolicyRule{rule(s("impersonate"), s(""), s("serviceaccounts"))}, `"impersonate" on serviceaccounts`},
		{"escalate roles", []rbacv1.PolicyRule{rule(s("escalate"), s("rbac.authorization.k8s.io"), s("roles"))}, `"escalate" on roles`},
		{"bind roles", []rbacv1.PolicyRule{rule(s("bind"), s("rbac.authorization.k8s.io"), s("roles"))}, `"bind" on roles`},
		{"impersonate one account", []rbacv1.PolicyRule{rule(s("impersonate"), s(""), s("serviceaccounts"), "ci")}, ""},
		{"webhooks are cluster-scoped", []rbacv1.PolicyRule{rule(s("patch"), s("admissionregistration.k8s.io"), s("mutatingwebhookconfigurations"))}, ""},
		{"impersonate users is cluster-scoped", []rbacv1.PolicyRule{rule(s("impersonate"), s(""), s("users"))}, ""},
		{"read secrets", []rbacv1.PolicyRule{rule(s("get", "list", "watch"), s(""), s("secrets"))}, ""},
	}
	for _, c := range cases {
		got := ""
		if h, ok := rbacFind(rbacAdminPowers, rbacOwnRules(c.rules), rbacScopeSystem); ok {
			got = h.what
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestRBACSensitivePowers(t *testing.T) {
	cases := []struct {
		rules     []rbacv1.PolicyRule
		cluster   string
		namespace string
	}{
		{[]rbacv1.PolicyRule{rule(s("watch"), s(""), s("secrets"))}, `"watch" on secrets`, ""},
		{[]rbacv1.PolicyRule{rule(s("get"), s(""), s("secrets"), "tls")}, "", ""},
		{[]rbacv1.PolicyRule{rule(s("patch"), s(""), s("secrets"))}, `"patch" on secrets`, ""},
		{[]rbacv1.PolicyRule{rule(s("create"), s(""), s("pods/attach"))}, `"create" on pods/attach`, ""},
		{[]rbacv1.PolicyRule{rule(s("get"), s(""), s("nodes/proxy"))}, `"get" on nodes/proxy`, ""},
		{[]rbacv1.PolicyRule{rule(s("bind"), s("rbac.authorization.k8s.io"), s("clusterroles"))}, "", `"bind" on clusterroles`},
	}
	for i, c := range cases {
		rs := rbacOwnRules(c.rules)
		for _, scope := range []struct {
			cluster bool
			want    string
		}{{true, c.cluster}, {false, c.namespace}} {
			got := ""
			if h, ok := rbacFind(rbacSensitivePowers, rs, scopeOf(scope.cluster)); ok {
				got = h.what
			}
			if got != scope.want {
				t.Errorf("case %d (cluster-wide %v): got %q, want %q", i, scope.cluster, got, scope.want)
			}
		}
	}
}

// TestRBACAggregation: what aggregated ClusterRoles hold, recursively,
// with the judged role's rules as "own" and the others named.
func TestRBACAggregation(t *testing.T) {
	sel := func(k string) *rbacv1.AggregationRule {
		return &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{k: "true"}}}}
	}
	cr := func(name string, labels map[string]string, agg *rbacv1.AggregationRule, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, AggregationRule: agg, Rules: rules}
	}
	admin := cr("admin", nil, sel("to-admin"), rule(s("get"), s(""), s("stale")))
	edit := cr("edit", map[string]string{"to-admin": "true"}, sel("to-edit"), rule(s("get"), s(""), s("stale")))
	extra := cr("extra", map[string]string{"to-edit": "true"}, nil, rule(s("create"), s(""), s("serviceaccounts/token")))
	other := cr("other", map[string]string{"to-admin": "true"}, nil, rule(s("get"), s(""), s("pods")))
	loop := cr("loop", map[string]string{"to-loop": "true"}, sel("to-loop"))
	all := []*rbacv1.ClusterRole{admin, edit, extra, other, loop}

	a := newRBACAggregation(NewClusterRoleSet(all), nil, "extra", false)
	aggs := a.aggregatorsOf("extra")
	var names []string
	for _, x := range aggs {
		names = append(names, x.Name)
	}
	if strings.Join(names, ",") != "edit,admin" {
		t.Errorf("extra flows into %v, want edit, admin", names)
	}
	var got []string
	for _, r := range a.rulesOf("admin") {
		got = append(got, r.from+"/"+strings.Join(r.rule.Resources, ","))
	}
	// Judging a write of "extra": the stale stored rules of the aggregated
	// roles do not count; "extra" is own.
	if want := "/serviceaccounts/token,ClusterRole \"other\"/pods"; strings.Join(got, ",") != want {
		t.Errorf("admin holds %v, want %s", got, want)
	}
	h, ok := rbacFind(rbacAdminPowers, a.rulesOf("admin"), rbacScopeCluster)
	if !ok || !h.ownShare() || h.blame(nil).String() != "rules[0]" {
		t.Errorf("admin's power: %+v %v", h, ok)
	}
	// Judging a binding of admin now: the stored rules count too.
	now := newRBACAggregation(NewClusterRoleSet(all), nil, "admin", true)
	got = nil
	for _, r := range now.rulesOf("admin") {
		got = append(got, r.from+"/"+strings.Join(r.rule.Resources, ","))
	}
	if want := `ClusterRole "extra"/serviceaccounts/token,ClusterRole "edit"/stale,ClusterRole "other"/pods,/stale`; strings.Join(got, ",") != want {
		t.Errorf("admin holds now %v, want %s", got, want)
	}
	// A selector loop terminates.
	if rs := newRBACAggregation(NewClusterRoleSet(all), nil, "loop", true).rulesOf("loop"); len(rs) != 0 {
		t.Errorf("loop holds %v", rs)
	}
}
