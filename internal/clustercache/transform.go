package clustercache

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/guardrails-dev/guardrails/internal/ingressindex"
	"github.com/guardrails-dev/guardrails/internal/kept"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// The transforms run on every object before it enters an informer's store
// (and before event handlers see it). Each one builds a new object holding
// only what the rules and the conflict index read, so a cluster with large
// objects (last-applied-configuration annotations, managedFields, status)
// costs the webhook little memory. Every transform keeps identity
// (name, namespace, uid, resourceVersion) and drops managedFields, owner
// references, finalizers, status and all annotations not listed; the
// Ingress and binding transforms, whose stores nothing reads (their
// indexes answer), go further and return compact records of the index's
// own entry, name, namespace and resourceVersion (record.go). They are
// idempotent, and return objects of any other type unchanged.

// IngressAnnotationsKept are the annotations TrimIngress keeps: the
// ones the conflict index reads (rules.IngressClassOf, rules.IngressIsCanary,
// rules.ShareHostWith, rules.IngressHosts: server-alias names are hosts)
// plus use-regex, which decides how ingress-nginx matches paths. If the
// index starts reading another annotation, add it here (the test
// TestTransformIngressKeepsIndexInputs compares indexes built from full and
// trimmed fixtures).
var IngressAnnotationsKept = []string{
	rules.LegacyIngressClassAnnotation,
	"nginx.ingress.kubernetes.io/canary",
	"nginx.ingress.kubernetes.io/use-regex",
	rules.ShareHostAnnotation,
	rules.ServerAliasAnnotation,
}

// TransformNamespace keeps a Namespace's name and labels (the mode and
// failure-policy labels).
func TransformNamespace(obj any) (any, error) {
	in, ok := obj.(*corev1.Namespace)
	if !ok || in == nil {
		return obj, nil
	}
	out := &corev1.Namespace{TypeMeta: in.TypeMeta, ObjectMeta: kept.Identity(&in.ObjectMeta)}
	out.Labels = in.Labels
	return out, nil
}

// TrimIngress keeps what the conflict index reads: the creation time
// (who came first to a host), spec.ingressClassName, spec.rules,
// whether there is a spec.defaultBackend (a rule-less Ingress with one
// serves the catch-all) and IngressAnnotationsKept. It drops the backend's
// content, spec.tls and status.
func TrimIngress(obj any) (any, error) {
	in, ok := obj.(*networkingv1.Ingress)
	if !ok || in == nil {
		return obj, nil
	}
	out := &networkingv1.Ingress{TypeMeta: in.TypeMeta, ObjectMeta: kept.Identity(&in.ObjectMeta)}
	out.CreationTimestamp = in.CreationTimestamp
	out.Annotations = kept.Annotations(in.Annotations, IngressAnnotationsKept)
	out.Spec.IngressClassName = in.Spec.IngressClassName
	out.Spec.Rules = in.Spec.Rules
	if in.Spec.DefaultBackend != nil {
		out.Spec.DefaultBackend = &networkingv1.IngressBackend{}
	}
	return out, nil
}

// TransformIngress turns an Ingress into what the Ingress informer
// stores: a compact record (see record.go) holding the conflict index's
// entry, computed from the Ingress as TrimIngress leaves it (namespace and
// class interned, see intern.go), and the resourceVersion. The index keeps
// a pointer to the entry.
func TransformIngress(obj any) (any, error) {
	in, ok := obj.(*networkingv1.Ingress)
	if !ok || in == nil {
		return obj, nil
	}
	t, _ := TrimIngress(in)
	trimmed := t.(*networkingv1.Ingress)
	trimmed.Namespace = kept.Namespace(trimmed.Namespace)
	if c := trimmed.Spec.IngressClassName; c != nil {
		class := ingressClassNames.Intern(*c)
		trimmed.Spec.IngressClassName = &class
	}
	if c, ok := trimmed.Annotations[rules.LegacyIngressClassAnnotation]; ok {
		trimmed.Annotations[rules.LegacyIngressClassAnnotation] = ingressClassNames.Intern(c)
	}
	return &cachedIngress{Entry: *ingressindex.EntryOf(trimmed), resourceVersion: in.ResourceVersion}, nil
}

// cachedIngress is what the Ingress informer stores: the conflict index's
// entry and the resourceVersion.
type cachedIngress struct {
	readOnlyMeta
	ingressindex.Entry
	resourceVersion string
}

func (r *cachedIngress) GetNamespace() string       { return r.Namespace }
func (r *cachedIngress) GetName() string            { return r.Name }
func (r *cachedIngress) GetResourceVersion() string { return r.resourceVersion }

// TransformIngressClass keeps the is-default-class annotation, the creation
// time (the API server picks the newest of several defaults) and
// spec.controller.
func TransformIngressClass(obj any) (any, error) {
	in, ok := obj.(*networkingv1.IngressClass)
	if !ok || in == nil {
		return obj, nil
	}
	out := &networkingv1.IngressClass{TypeMeta: in.TypeMeta, ObjectMeta: kept.Identity(&in.ObjectMeta)}
	out.CreationTimestamp = in.CreationTimestamp
	out.Annotations = kept.Annotations(in.Annotations, []string{networkingv1.AnnotationIsDefaultIngressClass})
	out.Spec.Controller = in.Spec.Controller
	return out, nil
}

// TransformRole keeps a Role's rules.
func TransformRole(obj any) (any, error) {
	in, ok := obj.(*rbacv1.Role)
	if !ok || in == nil {
		return obj, nil
	}
	return kept.Role(in), nil
}

// TransformClusterRole keeps a ClusterRole's labels (aggregate-to-*), rules
// and aggregationRule.
func TransformClusterRole(obj any) (any, error) {
	in, ok := obj.(*rbacv1.ClusterRole)
	if !ok || in == nil {
		return obj, nil
	}
	return kept.ClusterRole(in), nil
}

// TransformClusterRoleBinding keeps what the binding index and the RBAC
// rules read (kept.Binding), as a compact record (see record.go) holding
// the index's rules.Binding.
func TransformClusterRoleBinding(obj any) (any, error) {
	in, ok := obj.(*rbacv1.ClusterRoleBinding)
	if !ok || in == nil {
		return obj, nil
	}
	b, _ := kept.Binding(in)
	return &cachedBinding{Binding: b, resourceVersion: in.ResourceVersion}, nil
}

// TransformRoleBinding keeps what the binding index and the RBAC rules
// read (kept.Binding), as a compact record (see record.go) holding the
// index's rules.Binding.
func TransformRoleBinding(obj any) (any, error) {
	in, ok := obj.(*rbacv1.RoleBinding)
	if !ok || in == nil {
		return obj, nil
	}
	b, _ := kept.Binding(in)
	return &cachedBinding{Binding: b, resourceVersion: in.ResourceVersion}, nil
}

// cachedBinding is what the binding informers store: the binding index's
// entry and the resourceVersion. The index keeps a pointer to its Binding.
type cachedBinding struct {
	readOnlyMeta
	rules.Binding
	resourceVersion string
}

func (b *cachedBinding) GetNamespace() string         { return b.Namespace }
func (b *cachedBinding) GetName() string              { return b.Name }
func (b *cachedBinding) GetResourceVersion() string   { return b.resourceVersion }
func (b *cachedBinding) GetLabels() map[string]string { return b.Labels }

// TransformLimitRange keeps a LimitRange's spec.
func TransformLimitRange(obj any) (any, error) {
	in, ok := obj.(*corev1.LimitRange)
	if !ok || in == nil {
		return obj, nil
	}
	out := &corev1.LimitRange{TypeMeta: in.TypeMeta, ObjectMeta: kept.Identity(&in.ObjectMeta)}
	out.Spec = in.Spec
	return out, nil
}

// TransformPriorityClass keeps value, preemptionPolicy and globalDefault.
func TransformPriorityClass(obj any) (any, error) {
	in, ok := obj.(*schedulingv1.PriorityClass)
	if !ok || in == nil {
		return obj, nil
	}
	out := &schedulingv1.PriorityClass{TypeMeta: in.TypeMeta, ObjectMeta: kept.Identity(&in.ObjectMeta)}
	out.Value = in.Value
	out.PreemptionPolicy = in.PreemptionPolicy
	out.GlobalDefault = in.GlobalDefault
	return out, nil
}

// TransformSecretMetadata keeps only a Secret's identity: SecretExists needs
// nothing else. It takes the PartialObjectMetadata of a metadata-only
// informer; a full Secret is reduced to its metadata too, so secret data
// never stays in memory.
func TransformSecretMetadata(obj any) (any, error) {
	switch in := obj.(type) {
	case *metav1.PartialObjectMetadata:
		if in == nil {
			return obj, nil
		}
		return &metav1.PartialObjectMetadata{TypeMeta: in.TypeMeta, ObjectMeta: kept.Identity(&in.ObjectMeta)}, nil
	case *corev1.Secret:
		if in == nil {
			return obj, nil
		}
		out := &metav1.PartialObjectMetadata{ObjectMeta: kept.Identity(&in.ObjectMeta)}
		out.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		return out, nil
	}
	return obj, nil
}
