package admission

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// rbacRequest builds the AdmissionRequest of an RBAC object (old is nil on
// CREATE).
func rbacRequest(t *testing.T, op admissionv1.Operation, kind, resource string, obj, old runtime.Object) admission.Request {
	t.Helper()
	m := obj.(metav1.Object)
	return review(t, op, rbacv1.SchemeGroupVersion.WithKind(kind), resource, "", m.GetNamespace(), m.GetName(), obj, old, "alice", "system:authenticated")
}

func everything() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}
}

func clusterAdminRB(ns string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: "ops-admin", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "mallory"}},
	}
}

// TestValidateRBACStricterMode: Roles and RoleBindings are judged with the
// stricter of their namespace's mode and clusterMode; other kinds keep
// their namespace's mode.
func TestValidateRBACStricterMode(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	const line = `[rbac-cluster-admin] roleRef.name: RoleBinding grants cluster-admin in namespace "%s" to User "mallory"`
	for _, ns := range []string{"team-warn", "team-audit", "team-ignore-warn", "team-enforce"} {
		t.Run(ns, func(t *testing.T) {
			req := rbacRequest(t, admissionv1.Create, "RoleBinding", "rolebindings", clusterAdminRB(ns), nil)
			wantDenied(t, validate(t, v, req), fmt.Sprintf(line, ns))
		})
	}
	t.Run("clusterMode warn keeps an enforce namespace enforcing", func(t *testing.T) {
		cfg := withConfig(t, func(c *config.Config) { c.ClusterMode = rules.ModeWarn })
		v := NewValidator(cfg, testCluster(t), Options{})
		wantDenied(t, validate(t, v, rbacRequest(t, admissionv1.Create, "RoleBinding", "rolebindings", clusterAdminRB("team-enforce"), nil)), fmt.Sprintf(line, "team-enforce"))
		wantAllowed(t, validate(t, v, rbacRequest(t, admissionv1.Create, "RoleBinding", "rolebindings", clusterAdminRB("team-warn"), nil)), fmt.Sprintf(line, "team-warn"))
	})
	t.Run("an internal error follows the namespace's webhook entry", func(t *testing.T) {
		// A warn namespace is served by a failurePolicy Ignore entry: an
		// outage admits its RoleBindings, so an internal error does too
		// (the API-server fallback still stops cluster-admin by name).
		boomRB := *boom
		boomRB.Kinds = []schema.GroupKind{{Group: rbacv1.GroupName, Kind: "RoleBinding"}}
		v := NewValidator(config.Default(), testCluster(t), Options{Rules: []*rules.Rule{&boomRB}})
		resp := validate(t, v, rbacRequest(t, admissionv1.Create, "RoleBinding", "rolebindings", clusterAdminRB("team-enforce"), nil))
		if resp.Allowed || resp.Result.Code != http.StatusInternalServerError {
			t.Fatalf("enforce: want denied with 500, got %+v", resp.AdmissionResponse)
		}
		resp = validate(t, v, rbacRequest(t, admissionv1.Create, "RoleBinding", "rolebindings", clusterAdminRB("team-warn"), nil))
		wantAllowed(t, resp, "[guardrails] internal error, object not checked")
	})
}

// TestValidateRoleWidened: a role update that makes a bound role
// cluster-admin-equivalent is denied, naming the binding; the clusterrole
// aggregation controller's writes are never denied.
func TestValidateRoleWidened(t *testing.T) {
	old := &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: "deployer", Namespace: "team-warn"},
		Rules:      []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}}},
	}
	bound := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: "team-warn"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "deployer"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "ci", Namespace: "team-warn"}},
	}
	v := NewValidator(config.Default(), testCluster(t, old, bound), Options{})
	widened := old.DeepCopy()
	widened.Rules = everything()
	resp := validate(t, v, rbacRequest(t, admissionv1.Update, "Role", "roles", widened, old))
	wantDenied(t, resp, `[rbac-cluster-admin] rules[0]: Role would give the subjects bound to it every permission in namespace "team-warn": its rules[0] allows every verb on every resource in every API group, like cluster-admin; bound by RoleBinding "ci" to ServiceAccount "team-warn/ci"`)

	// An aggregated ClusterRole bound to a user, and a labelled role
	// flowing into it: the aggregation controller's update copies the rules.
	agg := &rbacv1.ClusterRole{
		TypeMeta:        metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta:      metav1.ObjectMeta{Name: "ops"},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"example.com/ops": "true"}}}},
	}
	labelled := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "ops-extra", Labels: map[string]string{"example.com/ops": "true"}}, Rules: everything()}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ops"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "ops"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "bob"}},
	}
	v = NewValidator(config.Default(), testCluster(t, agg, labelled, crb), Options{})
	// The controller copies the rules in: were the labelled role not
	// judged already, this would be the first sight of them.
	filled := agg.DeepCopy()
	filled.Rules = everything()
	for _, user := range []string{"system:serviceaccount:kube-system:clusterrole-aggregation-controller", "system:kube-controller-manager", "alice"} {
		resp := validate(t, v, asUser(rbacRequest(t, admissionv1.Update, "ClusterRole", "clusterroles", filled, agg), user))
		if !resp.Allowed {
			t.Errorf("%s: copying the rules the role already aggregates was denied: %+v", user, resp.Result)
		}
	}
	// A change of the selectors that pulls the labelled role in is denied,
	// but never for the aggregation controller.
	unselected := agg.DeepCopy()
	unselected.AggregationRule.ClusterRoleSelectors[0].MatchLabels = map[string]string{"example.com/none": "true"}
	const aggLine = `[rbac-cluster-admin] aggregationRule.clusterRoleSelectors[0]: ClusterRole would make the subjects bound to it cluster-admin: rules[0] of ClusterRole "ops-extra" allows every verb`
	req := rbacRequest(t, admissionv1.Update, "ClusterRole", "clusterroles", filled, unselected)
	for _, user := range []string{"system:serviceaccount:kube-system:clusterrole-aggregation-controller", "system:kube-controller-manager"} {
		resp := validate(t, v, asUser(req, user))
		if !resp.Allowed {
			t.Errorf("the aggregation controller (%s) was denied: %+v", user, resp.Result)
		}
	}
	wantDenied(t, validate(t, v, asUser(req, "alice")), aggLine)
}

// BenchmarkRoleBindingToAdmin measures the commonest RBAC request, a
// tenant's RoleBinding of the built-in aggregated admin role, with 100 and
// 1000 ClusterRoles in the cluster (the aggregation is evaluated over them;
// compare the sub-benchmarks' ns/op) and 10000 RoleBindings of admin.
//
//	go test ./internal/admission/ -run '^$' -bench RoleBindingToAdmin -benchmem
func BenchmarkRoleBindingToAdmin(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("clusterroles=%d", n), func(b *testing.B) {
			objs := []runtime.Object{&rbacv1.ClusterRole{
				ObjectMeta:      metav1.ObjectMeta{Name: "admin"},
				AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}}},
				Rules:           []rbacv1.PolicyRule{{Verbs: []string{"get", "list", "create", "update"}, APIGroups: []string{"", "apps"}, Resources: []string{"pods", "deployments", "secrets"}}},
			}}
			for i := range n {
				l := map[string]string{"app.kubernetes.io/name": fmt.Sprintf("app-%d", i)}
				if i%20 == 0 {
					l["rbac.authorization.k8s.io/aggregate-to-admin"] = "true"
				}
				objs = append(objs, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%d", i), Labels: l},
					Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"example.com"}, Resources: []string{fmt.Sprintf("things%d", i)}}}})
			}
			for i := range 10000 {
				objs = append(objs, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "admins", Namespace: fmt.Sprintf("team-%d", i)},
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"}})
			}
			v := NewValidator(config.Default(), testCluster(b, objs...), Options{})
			rb := clusterAdminRB("team-enforce")
			rb.RoleRef.Name = "admin"
			req := rbacRequest(&testing.T{}, admissionv1.Create, "RoleBinding", "rolebindings", rb, nil)
			b.ResetTimer()
			for range b.N {
				if resp := v.Handle(context.Background(), req); !resp.Allowed {
					b.Fatalf("denied: %+v", resp.Result)
				}
			}
		})
	}
}
