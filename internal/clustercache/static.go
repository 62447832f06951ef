package clustercache

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/guardrails-dev/guardrails/internal/ingressindex"
)

// NewStatic returns a synced Cache without informers, holding objs exactly
// as the informers would (trimmed by the same transforms, Ingresses in the
// conflict index). It is for tests and benchmarks of code that reads the
// cache (admission handlers); it never talks to an API server. Objects of
// other kinds are an error. Secrets are accepted (as *corev1.Secret or
// Secret PartialObjectMetadata) when opts.SecretLookups is set.
func NewStatic(opts Options, objs ...runtime.Object) (*Cache, error) {
	c := newOverStores(opts, func() bool { return true })
	for _, o := range objs {
		if err := c.add(o); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// newOverStores builds the lookup layer over empty client-go indexers,
// keyed and indexed like the informers' ones; synced stands for the
// informers' HasSynced.
func newOverStores(opts Options, synced func() bool) *Cache {
	c := &Cache{opts: opts, index: ingressindex.New()}
	mk := func(name string, extra toolscache.Indexers) *resource {
		idx := toolscache.Indexers{toolscache.NamespaceIndex: toolscache.MetaNamespaceIndexFunc}
		for k, f := range extra {
			idx[k] = f
		}
		return &resource{name: name, store: toolscache.NewIndexer(toolscache.DeletionHandlingMetaNamespaceKeyFunc, idx), hasSynced: synced}
	}
	c.namespaces = mk("namespaces", nil)
	c.ingresses = mk("ingresses", nil)
	c.ingressClasses = mk("ingressclasses", toolscache.Indexers{defaultClassIndex: defaultClassIndexFunc})
	c.roles = mk("roles", nil)
	c.clusterRoles = mk("clusterroles", nil)
	c.limitRanges = mk("limitranges", nil)
	c.priorityClasses = mk("priorityclasses", nil)
	if opts.SecretLookups {
		c.secrets = mk("secrets", nil)
	}
	return c
}

// add stores obj the way an informer would: transform, store, and for an
// Ingress the event handler (add or update).
func (c *Cache) add(obj runtime.Object) error {
	var r *resource
	var tf toolscache.TransformFunc
	switch o := obj.(type) {
	case *corev1.Namespace:
		r, tf = c.namespaces, TransformNamespace
	case *networkingv1.Ingress:
		r, tf = c.ingresses, TransformIngress
	case *networkingv1.IngressClass:
		r, tf = c.ingressClasses, TransformIngressClass
	case *rbacv1.Role:
		r, tf = c.roles, TransformRole
	case *rbacv1.ClusterRole:
		r, tf = c.clusterRoles, TransformClusterRole
	case *corev1.LimitRange:
		r, tf = c.limitRanges, TransformLimitRange
	case *schedulingv1.PriorityClass:
		r, tf = c.priorityClasses, TransformPriorityClass
	case *corev1.Secret:
		r, tf = c.secrets, TransformSecretMetadata
	case *metav1.PartialObjectMetadata:
		if o.Kind == "Secret" {
			r, tf = c.secrets, TransformSecretMetadata
		}
	}
	if r == nil {
		return fmt.Errorf("clustercache: the cache does not hold %T objects", obj)
	}
	t, err := tf(obj)
	if err != nil {
		return err
	}
	key, err := toolscache.DeletionHandlingMetaNamespaceKeyFunc(t)
	if err != nil {
		return err
	}
	old, exists, _ := r.store.GetByKey(key)
	if err := r.store.Add(t); err != nil {
		return err
	}
	if r == c.ingresses {
		if exists {
			c.ingressHandler().OnUpdate(old, t)
		} else {
			c.ingressHandler().OnAdd(t, false)
		}
	}
	return nil
}
