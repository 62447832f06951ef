package rules

import (
	"strconv"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRBACAnyCovered(t *testing.T) {
	allowed := rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}}
	named := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a", "b"}}
	cases := []struct {
		name    string
		r       rbacv1.PolicyRule
		allowed rbacv1.PolicyRule
		want    bool
	}{
		{"equal", allowed, allowed, true},
		{"subset", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}}, allowed, true},
		{"extra verb", rbacv1.PolicyRule{Verbs: []string{"get", "delete"}, APIGroups: []string{""}, Resources: []string{"secrets"}}, allowed, false},
		{"star verb", rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{""}, Resources: []string{"secrets"}}, allowed, false},
		{"other group", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"secrets"}}, allowed, false},
		{"star group", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"*"}, Resources: []string{"secrets"}}, allowed, false},
		{"star resource", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"*"}}, allowed, false},
		{"names within unrestricted", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"x"}}, allowed, true},
		{"names within names", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}}, named, true},
		{"other name", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"c"}}, named, false},
		{"unrestricted vs names", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}, named, false},
		{"non-resource", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/x"}}, allowed, false},
	}
	for _, c := range cases {
		if got := rbacAnyCovered(c.r, []rbacv1.PolicyRule{c.allowed}); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRBACPublicRule(t *testing.T) {
	cases := []struct {
		name string
		r    rbacv1.PolicyRule
		want bool
	}{
		{"discovery", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/api", "/apis/*", "/version/"}}, true},
		{"oidc", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/.well-known/openid-configuration", "/openid/v1/jwks"}}, true},
		{"head", rbacv1.PolicyRule{Verbs: []string{"get", "head"}, NonResourceURLs: []string{"/healthz"}}, true},
		{"metrics", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics"}}, false},
		{"logs", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/logs/*"}}, false},
		{"star url", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"*"}}, false},
		{"post", rbacv1.PolicyRule{Verbs: []string{"post"}, NonResourceURLs: []string{"/api"}}, false},
		{"self review", rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews"}}, true},
		{"self review wrong group", rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"selfsubjectaccessreviews"}}, false},
		{"subject access review", rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}}, false},
		{"get self review", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"selfsubjectreviews"}}, false},
		{"empty", rbacv1.PolicyRule{}, false},
	}
	for _, c := range cases {
		if got := rbacPublicRule(c.r); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRBACSelectsClusterAdmin(t *testing.T) {
	cases := []struct {
		name string
		sel  metav1.LabelSelector
		want bool
	}{
		{"empty", metav1.LabelSelector{}, true},
		{"bootstrap label", metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}}, true},
		{"exists", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "kubernetes.io/bootstrapping", Operator: metav1.LabelSelectorOpExists}}}, true},
		{"not in", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "team", Operator: metav1.LabelSelectorOpDoesNotExist}}}, true},
		{"own label", metav1.LabelSelector{MatchLabels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}, false},
		{"invalid", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}}, false},
	}
	for _, c := range cases {
		if got := rbacSelectsClusterAdmin(c.sel); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRBACSubjectString(t *testing.T) {
	cases := []struct {
		s    rbacv1.Subject
		ns   string
		want string
	}{
		{rbacv1.Subject{Kind: "User", Name: "alice"}, "", `User "alice"`},
		{rbacv1.Subject{Kind: "Group", Name: "system:masters"}, "x", `Group "system:masters"`},
		{rbacv1.Subject{Kind: "ServiceAccount", Name: "ci", Namespace: "build"}, "team-a", `ServiceAccount "build/ci"`},
		{rbacv1.Subject{Kind: "ServiceAccount", Name: "ci"}, "team-a", `ServiceAccount "team-a/ci"`},
		{rbacv1.Subject{Name: "odd"}, "", `"odd"`},
	}
	for _, c := range cases {
		if got := rbacSubjectString(c.s, c.ns); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
	if got := rbacQuoteList([]string{"c", "a", "b", "a", "d"}, 2); got != `"a", "b" and 2 more` {
		t.Errorf("rbacQuoteList: %s", got)
	}
}

// TestRBACBoundString: the bindings a role write names, in the order given;
// a ClusterRole's RoleBindings are only counted, with their namespaces.
func TestRBACBound(t *testing.T) {
	user := func(n string) rbacv1.Subject { return rbacv1.Subject{Kind: "User", Name: n} }
	crb := func(name string, ss ...rbacv1.Subject) *Binding {
		return &Binding{Kind: KindClusterRoleBinding, Name: name, Subjects: ss}
	}
	rb := func(ns, name string, ss ...rbacv1.Subject) *Binding {
		return &Binding{Kind: KindRoleBinding, Namespace: ns, Name: name, Subjects: ss}
	}
	sa := rbacv1.Subject{Kind: "ServiceAccount", Name: "ci"}
	masters := rbacv1.Subject{Kind: "Group", Name: "system:masters"}
	cr := RoleKey{Kind: KindClusterRole, Name: "wide"}
	role := RoleKey{Kind: KindRole, Namespace: "team-a", Name: "wide"}
	cases := []struct {
		name string
		key  RoleKey
		bs   []*Binding
		want string
	}{
		{"one", cr, []*Binding{crb("a", user("alice"), masters)}, `by ClusterRoleBinding "a" to User "alice"`},
		{"three listed, the rest counted", cr,
			[]*Binding{crb("a", user("alice")), crb("b", user("bob"), user("carol")), crb("c", sa), crb("d", user("dan")), crb("e", user("eve"))},
			`by ClusterRoleBinding "a" to User "alice"; by ClusterRoleBinding "b" to User "bob", User "carol"; by ClusterRoleBinding "c" to ServiceAccount "/ci"; and 2 more`},
		{"role bindings of a cluster role counted", cr,
			[]*Binding{rb("team-b", "x", user("x")), crb("a", user("alice")), rb("team-c", "y", user("y")), rb("team-b", "z", user("z"))},
			`by ClusterRoleBinding "a" to User "alice"; by 3 RoleBindings in 2 namespaces`},
		{"one role binding", cr, []*Binding{rb("team-b", "x", user("x"))}, `by 1 RoleBinding in 1 namespace`},
		{"role bindings of a role named", role,
			[]*Binding{rb("team-a", "x", user("x"), sa), rb("team-a", "y", user("y"))},
			`by RoleBinding "x" to User "x", ServiceAccount "team-a/ci"; by RoleBinding "y" to User "y"`},
	}
	for _, c := range cases {
		if got := string(appendRBACBound(nil, c.key, c.bs)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
		// After the start of a message: no "; " before the first part.
		if got := string(appendRBACBound([]byte("bound "), c.key, c.bs)); got != "bound "+c.want {
			t.Errorf("%s, appended:\n got %s\nwant bound %s", c.name, got, c.want)
		}
	}
}

func TestAppendQuoted(t *testing.T) {
	for _, s := range []string{"", "alice", "team-a/ci", `a"b`, `a\b`, "tab\there", "nl\n", "del\x7f", "ünïcode", "\xff", "~ !"} {
		if got, want := string(appendQuoted([]byte("x"), s)), "x"+strconv.Quote(s); got != want {
			t.Errorf("appendQuoted(%q) = %s, want %s", s, got, want)
		}
	}
}
