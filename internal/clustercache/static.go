package clustercache

import (
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/guardrails-dev/guardrails/internal/bindingindex"
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
	c := &Cache{opts: opts, index: ingressindex.New(), bindings: bindingindex.New()}
	for _, k := range kinds(opts) {
		idx := toolscache.Indexers{toolscache.NamespaceIndex: toolscache.MetaNamespaceIndexFunc}
		if k.resource == "ingressclasses" {
			idx[defaultClassIndex] = defaultClassIndexFunc
		}
		if k.resource == "clusterroles" {
			idx[aggregatedRoleIndex] = aggregatedRoleIndexFunc
		}
		*c.slot(k.resource) = &resource{name: k.resource, store: toolscache.NewIndexer(toolscache.DeletionHandlingMetaNamespaceKeyFunc, idx), hasSynced: synced}
	}
	return c
}

// add stores obj the way an informer would: transform, store, and for an
// Ingress the event handler (add or update). Its kind is found in the same
// table the informers are built from (kinds); a Secret may also come whole.
func (c *Cache) add(obj runtime.Object) error {
	var k *kind
	for _, kk := range kinds(c.opts) {
		if kk.resource == "secrets" && isSecret(obj) || kk.resource != "secrets" && reflect.TypeOf(kk.newObj()) == reflect.TypeOf(obj) {
			k = &kk
			break
		}
	}
	if k == nil {
		return fmt.Errorf("clustercache: the cache does not hold %T objects", obj)
	}
	r := *c.slot(k.resource)
	t, err := k.transform(obj)
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
	if r == c.roleBindings || r == c.crBindings {
		c.bindingHandler("").OnAdd(t, false)
	}
	return nil
}

func isSecret(obj runtime.Object) bool {
	switch o := obj.(type) {
	case *corev1.Secret:
		return true
	case *metav1.PartialObjectMetadata:
		return o.Kind == "Secret"
	}
	return false
}
