package clustercache

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimepkg "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/guardrails-dev/guardrails/internal/heapcost"
)

// BenchmarkCachedObjectMemory reports what one cached object costs the
// webhook: the live heap (after GC) of a cache holding 10,000 of them,
// store and index together, minus the heap of an empty cache, per object
// (B/ingress, B/binding; issue 14's goal: at most 1 KiB). The objects
// come as the informers deliver them, with the metadata an API server
// adds (uid, managedFields, labels, a last-applied-configuration
// annotation), which the transforms drop. The Decoded variants first
// round-trip each object through JSON, as the informers receive them: every
// string is then an allocation of its own (namespace, class, pathType,
// subject kinds and API groups), where the plain fixtures share constants.
//
//	go test ./internal/clustercache/ -run '^$' -bench CachedObjectMemory
func BenchmarkCachedObjectMemory(b *testing.B) {
	const n = 10_000
	for _, tc := range []struct {
		name, unit string
		obj        func(i int) runtimepkg.Object
	}{
		{"Ingress", "B/ingress", fullIngress},
		{"Binding", "B/binding", fullBinding},
		{"IngressDecoded", "B/ingress", decoded(fullIngress)},
		{"BindingDecoded", "B/binding", decoded(fullBinding)},
		{"RoleDecoded", "B/role", decoded(fullRole)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var perObject float64
			for b.Loop() {
				perObject = heapcost.PerObject(n, func() any { return cacheOf(b, n, tc.obj) })
			}
			b.ReportMetric(perObject, tc.unit)
		})
	}
}

// cacheOf returns a static cache of n objects made by obj; the objects as
// delivered are garbage once it returns, only what the cache keeps stays.
func cacheOf(b *testing.B, n int, obj func(int) runtimepkg.Object) *Cache {
	objs := make([]runtimepkg.Object, n)
	for i := range objs {
		objs[i] = obj(i)
	}
	c, err := NewStatic(Options{}, objs...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// decoded returns obj's objects as a JSON decoder gives them.
func decoded(obj func(int) runtimepkg.Object) func(int) runtimepkg.Object {
	return func(i int) runtimepkg.Object {
		o := obj(i)
		data, err := json.Marshal(o)
		if err != nil {
			panic(err)
		}
		out := reflect.New(reflect.TypeOf(o).Elem()).Interface().(runtimepkg.Object)
		if err := json.Unmarshal(data, out); err != nil {
			panic(err)
		}
		return out
	}
}

// servedMeta is the metadata of an object as the API server serves it.
func servedMeta(ns, name string, i int) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: name, Namespace: ns,
		UID:               types.UID(fmt.Sprintf("6f1c2a4e-8b3d-4c5e-9f7a-%012d", i)),
		ResourceVersion:   fmt.Sprint(1000000 + i),
		Generation:        1,
		CreationTimestamp: metav1.NewTime(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)),
		Labels:            map[string]string{"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "Helm"},
		Annotations: map[string]string{
			"kubectl.kubernetes.io/last-applied-configuration": fmt.Sprintf(`{"apiVersion":"v1","kind":"Object","metadata":{"name":%q,"namespace":%q,"labels":{"app.kubernetes.io/name":%q}},"spec":{}}`, name, ns, name),
			"meta.helm.sh/release-name":                        name,
		},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "helm", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1",
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{".":{},"f:app.kubernetes.io/name":{}}},"f:spec":{}}`)}}},
	}
}

// fullIngress is an Ingress of one host with two paths, as an
// application chart makes it.
func fullIngress(i int) runtimepkg.Object {
	prefix := networkingv1.PathTypePrefix
	class := "nginx"
	backend := func(svc string) networkingv1.IngressBackend {
		return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}}
	}
	host := fmt.Sprintf("app-%d.example.com", i)
	return &networkingv1.Ingress{
		ObjectMeta: servedMeta(fmt.Sprintf("team-%d", i%200), fmt.Sprintf("app-%d", i), i),
		Spec: networkingv1.IngressSpec{
			IngressClassName: &class,
			TLS:              []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: "app-tls"}},
			Rules: []networkingv1.IngressRule{{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
				{Path: "/", PathType: &prefix, Backend: backend("web")},
				{Path: "/api", PathType: &prefix, Backend: backend("api")},
			}}}}},
		},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "10.0.0.1"}}}},
	}
}

// fullBinding is a RoleBinding of a user and a service account to a Role
// of its namespace; every 20th is a ClusterRoleBinding to a ClusterRole.
func fullBinding(i int) runtimepkg.Object {
	ns := fmt.Sprintf("team-%d", i%200)
	subjects := []rbacv1.Subject{
		{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("dev-%d@example.com", i)},
		{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: ns},
	}
	if i%20 == 0 {
		return &rbacv1.ClusterRoleBinding{ObjectMeta: servedMeta("", fmt.Sprintf("reader-%d", i), i), Subjects: subjects,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("reader-%d", i%50)}}
	}
	return &rbacv1.RoleBinding{ObjectMeta: servedMeta(ns, fmt.Sprintf("app-%d", i), i), Subjects: subjects,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("app-%d", i)}}
}

// fullRole is a Role an application chart grants its workload: read
// access to a few kinds, as in most namespaces; every 10th is a
// ClusterRole an operator installs, with the aggregation labels.
func fullRole(i int) runtimepkg.Object {
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps", "services", "endpoints"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	}
	if i%10 == 0 {
		meta := servedMeta("", fmt.Sprintf("operator-%d", i), i)
		meta.Labels["rbac.authorization.k8s.io/aggregate-to-view"] = "true"
		return &rbacv1.ClusterRole{ObjectMeta: meta, Rules: append(rules,
			rbacv1.PolicyRule{APIGroups: []string{fmt.Sprintf("op%d.example.com", i)}, Resources: []string{"widgets", "widgets/status"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}})}
	}
	return &rbacv1.Role{ObjectMeta: servedMeta(fmt.Sprintf("team-%d", i%200), fmt.Sprintf("app-%d", i), i), Rules: rules}
}
