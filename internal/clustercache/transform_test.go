package clustercache

import (
	"encoding/json"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apiresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"
)

// fullMeta is metadata as the API server sends it: everything the
// transforms must drop is set.
func fullMeta(ns, name string, labels, annotations map[string]string) metav1.ObjectMeta {
	ts := metav1.Unix(1700000000, 0)
	return metav1.ObjectMeta{
		Name: name, Namespace: ns, UID: "uid-1", ResourceVersion: "42", Generation: 3,
		CreationTimestamp: ts,
		Labels:            labels,
		Annotations:       annotations,
		OwnerReferences:   []metav1.OwnerReference{{APIVersion: "v1", Kind: "X", Name: "owner", UID: "o"}},
		Finalizers:        []string{"example.com/f"},
		ManagedFields:     []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}},
	}
}

var lastApplied = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"big":"blob"}`}

func withLastApplied(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range lastApplied {
		out[k] = v
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTransforms(t *testing.T) {
	prefix := networkingv1.PathTypePrefix
	class := "nginx"
	preempt := corev1.PreemptNever
	tests := []struct {
		name string
		tf   toolscache.TransformFunc
		in   runtime.Object
		want string
	}{{
		name: "namespace keeps labels",
		tf:   TransformNamespace,
		in: &corev1.Namespace{
			ObjectMeta: fullMeta("", "team-a", map[string]string{"guardrails.dev/mode": "enforce"}, lastApplied),
			Spec:       corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"kubernetes"}},
			Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
		},
		want: `{"metadata":{"name":"team-a","uid":"uid-1","resourceVersion":"42","labels":{"guardrails.dev/mode":"enforce"}},"spec":{},"status":{}}`,
	}, {
		name: "ingress keeps creation time, class, rules, that there is a default backend and the index's annotations",
		tf:   TrimIngress,
		in: &networkingv1.Ingress{
			ObjectMeta: fullMeta("shop", "web", map[string]string{"app": "web"}, withLastApplied(map[string]string{
				"kubernetes.io/ingress.class":                       "nginx",
				"nginx.ingress.kubernetes.io/canary":                "true",
				"nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers x;",
				"nginx.ingress.kubernetes.io/use-regex":             "true",
				"nginx.ingress.kubernetes.io/canary-weight":         "10",
				"guardrails.dev/share-host-with":                    "team-b",
			})),
			Spec: networkingv1.IngressSpec{
				IngressClassName: &class,
				DefaultBackend:   &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "default"}},
				TLS:              []networkingv1.IngressTLS{{Hosts: []string{"shop.example.com"}, SecretName: "tls"}},
				Rules: []networkingv1.IngressRule{{Host: "shop.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{Path: "/api", PathType: &prefix, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "api"}}}},
				}}}},
			},
			Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "10.0.0.1"}}}},
		},
		want: `{"metadata":{"name":"web","namespace":"shop","uid":"uid-1","resourceVersion":"42","creationTimestamp":"2023-11-14T22:13:20Z",` +
			`"annotations":{"guardrails.dev/share-host-with":"team-b","kubernetes.io/ingress.class":"nginx","nginx.ingress.kubernetes.io/canary":"true","nginx.ingress.kubernetes.io/use-regex":"true"}},` +
			`"spec":{"ingressClassName":"nginx","defaultBackend":{},"rules":[{"host":"shop.example.com","http":{"paths":[{"path":"/api","pathType":"Prefix","backend":{"service":{"name":"api","port":{}}}}]}}]},"status":{"loadBalancer":{}}}`,
	}, {
		name: "ingress class keeps default annotation, creation time, controller",
		tf:   TransformIngressClass,
		in: &networkingv1.IngressClass{
			ObjectMeta: fullMeta("", "nginx", map[string]string{"app": "x"}, withLastApplied(map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"})),
			Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx",
				Parameters: &networkingv1.IngressClassParametersReference{Kind: "X", Name: "p"}},
		},
		want: `{"metadata":{"name":"nginx","uid":"uid-1","resourceVersion":"42","creationTimestamp":"2023-11-14T22:13:20Z",` +
			`"annotations":{"ingressclass.kubernetes.io/is-default-class":"true"}},"spec":{"controller":"k8s.io/ingress-nginx"}}`,
	}, {
		name: "role keeps rules",
		tf:   TransformRole,
		in: &rbacv1.Role{
			ObjectMeta: fullMeta("team-a", "reader", map[string]string{"l": "v"}, lastApplied),
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}},
		},
		want: `{"metadata":{"name":"reader","namespace":"team-a","uid":"uid-1","resourceVersion":"42"},` +
			`"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]}`,
	}, {
		name: "cluster role keeps labels, rules and aggregation",
		tf:   TransformClusterRole,
		in: &rbacv1.ClusterRole{
			ObjectMeta:      fullMeta("", "agg", map[string]string{"rbac.authorization.k8s.io/aggregate-to-admin": "true"}, withLastApplied(map[string]string{"rbac.authorization.kubernetes.io/autoupdate": "true"})),
			Rules:           []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"a": "b"}}}},
		},
		want: `{"metadata":{"name":"agg","uid":"uid-1","resourceVersion":"42","labels":{"rbac.authorization.k8s.io/aggregate-to-admin":"true"}},` +
			`"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}],"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]}}`,
	}, {
		name: "limit range keeps spec",
		tf:   TransformLimitRange,
		in: &corev1.LimitRange{
			ObjectMeta: fullMeta("team-a", "defaults", map[string]string{"l": "v"}, lastApplied),
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
				DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: apiresource.MustParse("100m")}}}},
		},
		want: `{"metadata":{"name":"defaults","namespace":"team-a","uid":"uid-1","resourceVersion":"42"},` +
			`"spec":{"limits":[{"type":"Container","defaultRequest":{"cpu":"100m"}}]}}`,
	}, {
		name: "priority class keeps value, preemption policy, global default",
		tf:   TransformPriorityClass,
		in: &schedulingv1.PriorityClass{
			ObjectMeta:       fullMeta("", "system-cluster-critical", nil, lastApplied),
			Value:            2000000000,
			GlobalDefault:    true,
			Description:      "long text",
			PreemptionPolicy: &preempt,
		},
		want: `{"metadata":{"name":"system-cluster-critical","uid":"uid-1","resourceVersion":"42"},"value":2000000000,"globalDefault":true,"preemptionPolicy":"Never"}`,
	}, {
		name: "secret metadata keeps identity only",
		tf:   TransformSecretMetadata,
		in: &metav1.PartialObjectMetadata{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: fullMeta("shop", "tls", map[string]string{"l": "v"}, lastApplied),
		},
		want: `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"tls","namespace":"shop","uid":"uid-1","resourceVersion":"42"}}`,
	}, {
		name: "full secret is reduced to metadata, data dropped",
		tf:   TransformSecretMetadata,
		in: &corev1.Secret{
			ObjectMeta: fullMeta("shop", "tls", nil, nil),
			Data:       map[string][]byte{"tls.key": []byte("secret")},
		},
		want: `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"tls","namespace":"shop","uid":"uid-1","resourceVersion":"42"}}`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := toJSON(t, tc.in)
			out, err := tc.tf(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := toJSON(t, out); got != tc.want {
				t.Errorf("transform:\n got %s\nwant %s", got, tc.want)
			}
			// Idempotent: the informer may pass an already trimmed object.
			again, err := tc.tf(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := toJSON(t, again); got != tc.want {
				t.Errorf("second transform changed the object:\n got %s\nwant %s", got, tc.want)
			}
			// The input itself is left as it was.
			if after := toJSON(t, tc.in); after != before {
				t.Errorf("transform modified its input")
			}
		})
	}
}

// Every transform passes objects of other types (and tombstones) through.
func TestTransformsPassThroughOtherTypes(t *testing.T) {
	other := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}
	tomb := toolscache.DeletedFinalStateUnknown{Key: "a/b", Obj: &networkingv1.Ingress{}}
	var nilIng *networkingv1.Ingress
	for _, k := range kinds(Options{SecretLookups: true}) {
		for _, in := range []any{other, tomb, nil, nilIng} {
			out, err := k.transform(in)
			if err != nil || !reflect.DeepEqual(out, in) {
				t.Errorf("%s transform of %T = %v, %v; want it unchanged", k.resource, in, out, err)
			}
		}
	}
}
