package rules_test

import (
	"fmt"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/guardrails-dev/guardrails/internal/inputview"
	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

func rbacRules(t *testing.T) []*rules.Rule {
	t.Helper()
	var out []*rules.Rule
	for _, r := range rules.Catalogue() {
		if strings.HasPrefix(r.ID, "rbac-") {
			out = append(out, r)
		}
	}
	if len(out) != 3 {
		t.Fatalf("want 3 rbac rules, got %d", len(out))
	}
	return out
}

// bootstrapDump is the RBAC a fresh kube-apiserver (1.3x) and kubeadm
// create, as `kubectl get -o yaml` shows it (rules of the aggregated roles
// filled in by the controller). `webhook check` over it must stay quiet.
const bootstrapDump = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
- {nonResourceURLs: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:discovery, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {nonResourceURLs: [/api, /api/*, /apis, /apis/*, /healthz, /livez, /openapi, /openapi/*, /readyz, /version, /version/], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:basic-user, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {apiGroups: [authorization.k8s.io], resources: [selfsubjectaccessreviews, selfsubjectrulesreviews], verbs: [create]}
- {apiGroups: [authentication.k8s.io], resources: [selfsubjectreviews], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:public-info-viewer, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {nonResourceURLs: [/healthz, /livez, /readyz, /version, /version/], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:service-account-issuer-discovery, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {nonResourceURLs: [/.well-known/openid-configuration, /.well-known/openid-configuration/, /openid/v1/jwks, /openid/v1/jwks/], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:monitoring, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {nonResourceURLs: [/healthz, /healthz/*, /livez, /livez/*, /metrics, /metrics/slis, /readyz, /readyz/*], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: admin
  labels: {kubernetes.io/bootstrapping: rbac-defaults}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac.authorization.k8s.io/aggregate-to-admin: "true"}}]
rules:
- {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}
- {apiGroups: [""], resources: [secrets, pods, pods/exec], verbs: [create, delete, deletecollection, patch, update, get, list, watch]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings, roles], verbs: [create, delete, deletecollection, get, list, patch, update, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: edit
  labels: {kubernetes.io/bootstrapping: rbac-defaults, rbac.authorization.k8s.io/aggregate-to-admin: "true"}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}}]
rules:
- {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}
- {apiGroups: [""], resources: [secrets, pods, pods/exec], verbs: [create, delete, deletecollection, patch, update, get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: view
  labels: {kubernetes.io/bootstrapping: rbac-defaults, rbac.authorization.k8s.io/aggregate-to-edit: "true"}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}}]
rules:
- {apiGroups: [""], resources: [pods, configmaps], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:aggregate-to-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults, rbac.authorization.k8s.io/aggregate-to-admin: "true"}}
rules:
- {apiGroups: [authorization.k8s.io], resources: [localsubjectaccessreviews], verbs: [create]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings, roles], verbs: [create, delete, deletecollection, get, list, patch, update, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:aggregate-to-edit, labels: {kubernetes.io/bootstrapping: rbac-defaults, rbac.authorization.k8s.io/aggregate-to-edit: "true"}}
rules:
- {apiGroups: [""], resources: [pods/attach, pods/exec, pods/portforward, pods/proxy, secrets, services/proxy], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}
- {apiGroups: [""], resources: [pods, pods/attach, pods/exec, pods/portforward, pods/proxy], verbs: [create, delete, deletecollection, patch, update]}
- {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}
- {apiGroups: [""], resources: [configmaps, endpoints, persistentvolumeclaims, replicationcontrollers, replicationcontrollers/scale, secrets, serviceaccounts, services, services/proxy], verbs: [create, delete, deletecollection, patch, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:kube-controller-manager, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {apiGroups: ["", events.k8s.io], resources: [events], verbs: [create, patch, update]}
- {apiGroups: [""], resources: [secrets, serviceaccounts], verbs: [create]}
- {apiGroups: ["*"], resources: ["*"], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:kubelet-api-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [nodes], verbs: [proxy]}
- {apiGroups: [""], resources: [nodes/log, nodes/metrics, nodes/proxy, nodes/stats], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:generic-garbage-collector, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: [delete, get, list, patch, update, watch]}
- {apiGroups: ["", events.k8s.io], resources: [events], verbs: [create, patch, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:namespace-controller, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {apiGroups: [""], resources: [namespaces], verbs: [delete, get, list, watch]}
- {apiGroups: [""], resources: [namespaces/finalize, namespaces/status], verbs: [update]}
- {apiGroups: ["*"], resources: ["*"], verbs: [delete, deletecollection, get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:clusterrole-aggregation-controller, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, get, list, patch, update, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:masters}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:discovery, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:discovery}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:authenticated}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:basic-user, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:basic-user}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:authenticated}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:public-info-viewer, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:public-info-viewer}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:authenticated}
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:unauthenticated}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:service-account-issuer-discovery, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:service-account-issuer-discovery}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:serviceaccounts}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:monitoring, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:monitoring}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:monitoring}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:node, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:node-proxier, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node-proxier}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: system:kube-proxy}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:kube-controller-manager, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kube-controller-manager}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: system:kube-controller-manager}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:kube-scheduler, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kube-scheduler}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: system:kube-scheduler}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:kube-dns, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kube-dns}
subjects: [{kind: ServiceAccount, name: kube-dns, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:controller:generic-garbage-collector, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:controller:generic-garbage-collector}
subjects: [{kind: ServiceAccount, name: generic-garbage-collector, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: system::extension-apiserver-authentication-reader, namespace: kube-system, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:kube-controller-manager}
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:kube-scheduler}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: kubeadm:bootstrap-signer-clusterinfo, namespace: kube-public}
rules:
- {apiGroups: [""], resources: [configmaps], resourceNames: [cluster-info], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: kubeadm:bootstrap-signer-clusterinfo, namespace: kube-public}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: kubeadm:bootstrap-signer-clusterinfo}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: system:anonymous}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kubeadm:cluster-admins}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: kubeadm:cluster-admins}]
`

// TestRBACBootstrapDumpIsQuiet checks every object of a real cluster's
// default RBAC the way `webhook check` would: with the whole dump as the
// view.
func TestRBACBootstrapDumpIsQuiet(t *testing.T) {
	var objs []runtime.Object
	var refs []rules.ObjectRef
	view := inputview.New()
	for i, doc := range strings.Split(bootstrapDump, "\n---\n") {
		obj, ref, err := manifest.Decode([]byte(doc))
		if err != nil {
			t.Fatalf("document %d: %v", i+1, err)
		}
		objs = append(objs, obj)
		refs = append(refs, ref)
		view.Add(obj)
	}
	rs := rbacRules(t)
	for i, obj := range objs {
		in := &rules.Input{Object: obj, Ref: refs[i], Cluster: view, Settings: rules.DefaultSettings()}
		got, err := rules.Evaluate(rs, in, rules.DefaultActions)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range got {
			t.Errorf("%s %s: %s %s: %s", refs[i].Kind, refs[i].Name, f.Rule, f.Field, f.Message)
		}
	}
}

// unavailableView answers every RBAC lookup with ErrUnavailable, like a
// webhook whose caches have not synced.
type unavailableView struct{ rules.EmptyView }

func (unavailableView) ClusterRole(name string) (*rbacv1.ClusterRole, error) {
	return nil, fmt.Errorf("ClusterRole %s: %w", name, rules.ErrUnavailable)
}

func (unavailableView) Role(ns, name string) (*rbacv1.Role, error) {
	return nil, fmt.Errorf("Role %s/%s: %w", ns, name, rules.ErrUnavailable)
}

func (unavailableView) ClusterRoleIndex() (rules.ClusterRoleIndex, error) {
	return nil, fmt.Errorf("ClusterRoles: %w", rules.ErrUnavailable)
}

func (unavailableView) Bindings(role rules.RoleKey) ([]*rules.Binding, error) {
	return nil, fmt.Errorf("bindings of %s: %w", role, rules.ErrUnavailable)
}

func TestRBACLookupUnavailable(t *testing.T) {
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "x"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:discovery"},
		Subjects:   []rbacv1.Subject{{Kind: "Group", Name: "system:authenticated"}},
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "y", Namespace: "team-a"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "ns-root"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "bob"}},
	}
	cases := []struct {
		obj  runtime.Object
		ref  rules.ObjectRef
		want []string
	}{
		{crb, rules.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "x"}, []string{
			// rbac-cluster-admin cannot tell; rbac-broad-subject trusts the bootstrap name.
			`rbac-cluster-admin warn roleRef.name: could not check ClusterRole "system:discovery": ClusterRole system:discovery: cluster state unavailable`,
		}},
		{rb, rules.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding", Namespace: "team-a", Name: "y"}, []string{
			`rbac-cluster-admin warn roleRef.name: could not check Role "ns-root": Role team-a/ns-root: cluster state unavailable`,
		}},
		// A role write that would be cluster-admin-equivalent cannot be
		// checked against its bindings: a warning, never a silent pass.
		{&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "ns-root", Namespace: "team-a"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}},
			rules.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role", Namespace: "team-a", Name: "ns-root"}, []string{
				`rbac-cluster-admin warn rules: could not check the bindings of Role "ns-root" in namespace "team-a": bindings of Role "ns-root" in namespace "team-a": cluster state unavailable`,
				`rbac-escalation warn rules[0]: Role grants every verb on every resource ("*") in every API group`,
			}},
		// A labelled ClusterRole's aggregated roles cannot be looked up.
		{&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "extra", Labels: map[string]string{"example.com/aggregate-to-ops": "true"}}},
			rules.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "extra"}, []string{
				`rbac-cluster-admin warn metadata.labels: could not check the aggregated ClusterRoles: ClusterRoles: cluster state unavailable`,
			}},
		// system:public-info-viewer widened while its bindings cannot be read.
		{&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "system:public-info-viewer"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"secrets"}}}},
			rules.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "system:public-info-viewer"}, []string{
				`rbac-broad-subject warn rules[0]: could not check the bindings of ClusterRole "system:public-info-viewer": bindings of ClusterRole "system:public-info-viewer": cluster state unavailable`,
			}},
	}
	for _, c := range cases {
		in := &rules.Input{Object: c.obj, Ref: c.ref, Cluster: unavailableView{}}
		got, err := rules.Evaluate(rbacRules(t), in, rules.DefaultActions)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, f := range got {
			lines = append(lines, fmt.Sprintf("%s %s %s: %s", f.Rule, f.Severity, f.Field, f.Message))
		}
		if strings.Join(lines, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: got\n  %s\nwant\n  %s", c.ref.Name, strings.Join(lines, "\n  "), strings.Join(c.want, "\n  "))
		}
	}
}

// TestRBACOddInput feeds nil pointers, empty objects and foreign types.
func TestRBACOddInput(t *testing.T) {
	objs := []runtime.Object{
		(*rbacv1.ClusterRoleBinding)(nil), (*rbacv1.RoleBinding)(nil), (*rbacv1.ClusterRole)(nil), (*rbacv1.Role)(nil),
		&rbacv1.ClusterRoleBinding{}, &rbacv1.RoleBinding{}, &rbacv1.ClusterRole{}, &rbacv1.Role{},
		&rbacv1.ClusterRole{AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
			{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}},
		}}},
		&rbacv1.Role{Rules: []rbacv1.PolicyRule{{}, {Verbs: []string{"bind"}}, {Resources: []string{"roles"}}}},
		&rbacv1.RoleBinding{Subjects: []rbacv1.Subject{{}}, RoleRef: rbacv1.RoleRef{Kind: "Role"}},
		&rbacv1.ClusterRoleBinding{Subjects: []rbacv1.Subject{{Kind: "User", Name: "x"}}, RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"}},
	}
	for _, r := range rbacRules(t) {
		for _, o := range objs {
			for _, view := range []rules.ClusterView{nil, rules.EmptyView{}, unavailableView{}, inputview.New()} {
				in := &rules.Input{Object: o, Cluster: view}
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Errorf("%s panicked on %T: %v", r.ID, o, p)
						}
					}()
					r.Check(in)
				}()
			}
		}
		// A kind the rule does not handle.
		if vs := r.Check(&rules.Input{Object: &metav1.Status{}}); vs != nil {
			t.Errorf("%s reported on a Status: %v", r.ID, vs)
		}
	}
}
