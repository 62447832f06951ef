package clustercache

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/guardrails-dev/guardrails/internal/ingressindex"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// ingressEvents keeps the conflict index in step with the Ingress informer:
// add and update record the Ingress's claims (replacing its previous ones),
// delete forgets them. Objects arrive as the records TransformIngress
// makes, whose entry the index keeps; an Ingress that did not go through
// the transform is indexed too.
type ingressEvents struct{ c *Cache }

var _ toolscache.ResourceEventHandler = ingressEvents{}

func (c *Cache) ingressHandler() ingressEvents { return ingressEvents{c} }

// ingressEntry returns the index entry of a record or an Ingress, and its
// resourceVersion; nil for anything else.
func ingressEntry(obj any) (*ingressindex.Entry, string) {
	switch o := obj.(type) {
	case *cachedIngress:
		if o != nil {
			return &o.Entry, o.resourceVersion
		}
	case *networkingv1.Ingress:
		if o != nil {
			return ingressindex.EntryOf(o), o.ResourceVersion
		}
	}
	return nil, ""
}

// OnAdd indexes a new Ingress (also every Ingress of the initial list).
func (h ingressEvents) OnAdd(obj any, _ bool) {
	if e, _ := ingressEntry(obj); e != nil {
		h.c.index.Put(e)
	}
}

// OnUpdate re-indexes an Ingress whose rules, class or annotations may have
// changed. A resync (same resourceVersion) changes nothing and is skipped.
func (h ingressEvents) OnUpdate(oldObj, newObj any) {
	e, rv := ingressEntry(newObj)
	if e == nil {
		return
	}
	if old, oldRV := ingressEntry(oldObj); old != nil && oldRV != "" && oldRV == rv &&
		old.Namespace == e.Namespace && old.Name == e.Name {
		return
	}
	h.c.index.Put(e)
}

// OnDelete forgets an Ingress, including one that the informer only learns
// was deleted at a relist (a DeletedFinalStateUnknown tombstone).
func (h ingressEvents) OnDelete(obj any) {
	if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		if e, _ := ingressEntry(t.Obj); e != nil {
			h.c.index.Delete(e.Namespace, e.Name)
			return
		}
		// Only the key is known for sure: namespace/name.
		if ns, name, err := toolscache.SplitMetaNamespaceKey(t.Key); err == nil {
			h.c.index.Delete(ns, name)
		}
		return
	}
	if e, _ := ingressEntry(obj); e != nil {
		h.c.index.Delete(e.Namespace, e.Name)
	}
}

// bindingEvents keeps the binding index in step with the RoleBinding or
// the ClusterRoleBinding informer (kind says which). Objects arrive
// trimmed by the transforms.
type bindingEvents struct {
	c    *Cache
	kind string
}

var _ toolscache.ResourceEventHandler = bindingEvents{}

func (c *Cache) bindingHandler(kind string) bindingEvents { return bindingEvents{c, kind} }

// bindingOf returns the Binding of a stored record (the index keeps a
// pointer into it), or of a binding object that did not go through the
// transforms.
func bindingOf(obj any) *rules.Binding {
	if r, ok := obj.(*cachedBinding); ok {
		if r == nil {
			return nil
		}
		return &r.Binding
	}
	o, ok := obj.(runtime.Object)
	if !ok {
		return nil
	}
	return rules.BindingOf(o)
}

// OnAdd indexes a new binding (also every binding of the initial list).
func (h bindingEvents) OnAdd(obj any, _ bool) {
	if b := bindingOf(obj); b != nil {
		h.c.bindings.Set(b)
	}
}

// OnUpdate re-indexes a binding (its subjects may have changed).
func (h bindingEvents) OnUpdate(_, newObj any) { h.OnAdd(newObj, false) }

// OnDelete forgets a binding, also one the informer only learns was
// deleted at a relist (a DeletedFinalStateUnknown tombstone).
func (h bindingEvents) OnDelete(obj any) {
	if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		if b := bindingOf(t.Obj); b != nil {
			h.c.bindings.Delete(b.Kind, b.Namespace, b.Name)
			return
		}
		if ns, name, err := toolscache.SplitMetaNamespaceKey(t.Key); err == nil {
			h.c.bindings.Delete(h.kind, ns, name)
		}
		return
	}
	if b := bindingOf(obj); b != nil {
		h.c.bindings.Delete(b.Kind, b.Namespace, b.Name)
	}
}
