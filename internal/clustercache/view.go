package clustercache

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// The lookups below implement rules.ClusterView. Each one checks that its
// kind has synced (an atomic load once it has), then reads the informer's
// indexer. Returned objects are the cached ones: read them, never modify
// them.

// unavailable is the error of a lookup on a kind that has not synced.
func unavailable(r *resource, what string) error {
	if r == nil {
		return fmt.Errorf("%w: the cluster cache is not set up (looking up %s)", rules.ErrUnavailable, what)
	}
	return fmt.Errorf("%w: the webhook's cache of %s is still syncing (looking up %s)", rules.ErrUnavailable, r.name, what)
}

// get returns the object stored under key, (zero, nil) when there is none.
func get[T any](r *resource, key string, what func() string) (T, error) {
	var zero T
	if r == nil || !r.ready() {
		return zero, unavailable(r, what())
	}
	obj, ok, err := r.store.GetByKey(key)
	if err != nil {
		return zero, fmt.Errorf("%w: %s: %v", rules.ErrUnavailable, what(), err)
	}
	if !ok {
		return zero, nil
	}
	t, ok := obj.(T)
	if !ok {
		return zero, fmt.Errorf("%w: unexpected %T in the cache of %s", rules.ErrUnavailable, obj, r.name)
	}
	return t, nil
}

func nsKey(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// noLabels is the (read-only) answer for a Namespace without labels.
var noLabels = map[string]string{}

// NamespaceLabels returns the labels of a Namespace: (nil, nil) when it does
// not exist (or name is empty), an error wrapping rules.ErrUnavailable
// before the Namespace informer has synced. The map is the cached one: do
// not modify it.
func (c *Cache) NamespaceLabels(name string) (map[string]string, error) {
	ns, err := get[*corev1.Namespace](c.namespaces, name, func() string { return fmt.Sprintf("Namespace %q", name) })
	if err != nil || ns == nil {
		return nil, err
	}
	if ns.Labels == nil {
		return noLabels, nil // exists, unlabelled: distinct from not found
	}
	return ns.Labels, nil
}

// LimitRanges returns the LimitRanges of a namespace, sorted by name.
func (c *Cache) LimitRanges(namespace string) ([]*corev1.LimitRange, error) {
	r := c.limitRanges
	if r == nil || !r.ready() {
		return nil, unavailable(r, fmt.Sprintf("the LimitRanges of namespace %q", namespace))
	}
	objs, err := r.store.ByIndex(toolscache.NamespaceIndex, namespace)
	if err != nil {
		return nil, fmt.Errorf("%w: LimitRanges of namespace %q: %v", rules.ErrUnavailable, namespace, err)
	}
	if len(objs) == 0 {
		return nil, nil
	}
	out := make([]*corev1.LimitRange, 0, len(objs))
	for _, o := range objs {
		if lr, ok := o.(*corev1.LimitRange); ok {
			out = append(out, lr)
		}
	}
	if len(out) > 1 {
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	}
	return out, nil
}

// IngressClass returns the IngressClass of that name, nil when none.
func (c *Cache) IngressClass(name string) (*networkingv1.IngressClass, error) {
	return get[*networkingv1.IngressClass](c.ingressClasses, name, func() string { return fmt.Sprintf("IngressClass %q", name) })
}

// DefaultIngressClasses returns the sorted names of the IngressClasses
// annotated ingressclass.kubernetes.io/is-default-class: "true".
func (c *Cache) DefaultIngressClasses() ([]string, error) {
	r := c.ingressClasses
	if r == nil || !r.ready() {
		return nil, unavailable(r, "the default IngressClass")
	}
	objs, err := r.store.ByIndex(defaultClassIndex, "true")
	if err != nil {
		return nil, fmt.Errorf("%w: the default IngressClass: %v", rules.ErrUnavailable, err)
	}
	if len(objs) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		if m, ok := o.(metav1.Object); ok {
			out = append(out, m.GetName())
		}
	}
	sort.Strings(out)
	return out, nil
}

// IngressClasses returns every IngressClass, sorted by name (there are a
// handful).
func (c *Cache) IngressClasses() ([]*networkingv1.IngressClass, error) {
	r := c.ingressClasses
	if r == nil || !r.ready() {
		return nil, unavailable(r, "the IngressClasses")
	}
	objs := r.store.List()
	out := make([]*networkingv1.IngressClass, 0, len(objs))
	for _, o := range objs {
		if ic, ok := o.(*networkingv1.IngressClass); ok {
			out = append(out, ic)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// IngressHost returns the namespaces serving host through Ingresses of
// class key class, from the host index (a map lookup).
func (c *Cache) IngressHost(class, host string) ([]rules.HostHolder, error) {
	if r := c.ingresses; r == nil || !r.ready() {
		return nil, unavailable(r, fmt.Sprintf("the Ingresses serving host %q", host))
	}
	return c.index.Host(class, host), nil
}

// IngressClaims calls each for the Ingresses that claim key, from the
// conflict index (a map lookup).
func (c *Cache) IngressClaims(key rules.IngressKey, each func(rules.ObjectRef)) error {
	if r := c.ingresses; r == nil || !r.ready() {
		return unavailable(r, "the Ingresses routing "+key.String())
	}
	c.index.EachClaim(key, each)
	return nil
}

// Role returns the Role namespace/name, nil when none. A Role the cache
// does not hold is looked up in the API server (see live.go): it may have
// been created a moment ago.
func (c *Cache) Role(namespace, name string) (*rbacv1.Role, error) {
	r, err := get[*rbacv1.Role](c.roles, nsKey(namespace, name), func() string { return fmt.Sprintf("Role %q in namespace %q", name, namespace) })
	if err != nil || r != nil || c.live == nil {
		return r, err
	}
	ctx, cancel := c.liveContext()
	defer cancel()
	if r, err = c.live.role(ctx, namespace, name); err != nil {
		return nil, fmt.Errorf("%w: Role %q in namespace %q: %v", rules.ErrUnavailable, name, namespace, err)
	}
	return r, nil
}

// ClusterRole returns the ClusterRole of that name, nil when none. A
// ClusterRole the cache does not hold is looked up in the API server.
func (c *Cache) ClusterRole(name string) (*rbacv1.ClusterRole, error) {
	cr, err := get[*rbacv1.ClusterRole](c.clusterRoles, name, func() string { return fmt.Sprintf("ClusterRole %q", name) })
	if err != nil || cr != nil || c.live == nil {
		return cr, err
	}
	ctx, cancel := c.liveContext()
	defer cancel()
	if cr, err = c.live.clusterRole(ctx, name); err != nil {
		return nil, fmt.Errorf("%w: ClusterRole %q: %v", rules.ErrUnavailable, name, err)
	}
	return cr, nil
}

// ClusterRoleIndex returns the cached ClusterRoles indexed for
// aggregation: lookups by name and the aggregated roles (an index of the
// store) cost no scan of every ClusterRole; the store changes under it, so
// the answer reads the store, never a copy.
func (c *Cache) ClusterRoleIndex() (rules.ClusterRoleIndex, error) {
	r := c.clusterRoles
	if r == nil || !r.ready() {
		return nil, unavailable(r, "the ClusterRoles")
	}
	return &storeClusterRoles{store: r.store}, nil
}

// Bindings returns the bindings of role. The answer is confirmed with the
// API server (a consistent list, see live.go), so that a binding admitted a
// moment ago counts; when that read fails the index answers, and when the
// index holds none an error wrapping rules.ErrUnavailable says the check
// could not be made.
func (c *Cache) Bindings(role rules.RoleKey) ([]*rules.Binding, error) {
	for _, r := range []*resource{c.roleBindings, c.crBindings} {
		if r == nil || !r.ready() {
			return nil, unavailable(r, "the bindings of "+role.String())
		}
	}
	cached := c.bindings.Bindings(role)
	if c.live == nil {
		return cached, nil
	}
	ctx, cancel := c.liveContext()
	defer cancel()
	live, err := c.live.bindings(ctx, role)
	if err != nil {
		if len(cached) > 0 {
			return cached, nil
		}
		return nil, fmt.Errorf("%w: the bindings of %s: %v", rules.ErrUnavailable, role, err)
	}
	return live, nil
}

// PriorityClass returns the PriorityClass of that name, nil when none.
func (c *Cache) PriorityClass(name string) (*schedulingv1.PriorityClass, error) {
	return get[*schedulingv1.PriorityClass](c.priorityClasses, name, func() string { return fmt.Sprintf("PriorityClass %q", name) })
}

// SecretExists reports whether the Secret namespace/name exists. Without
// Options.SecretLookups the cache does not watch Secrets and the answer is
// an error wrapping rules.ErrNotInInput: the rule skips that check quietly,
// as it does offline.
func (c *Cache) SecretExists(namespace, name string) (bool, error) {
	if c.secrets == nil {
		return false, fmt.Errorf("%w: secret lookups are disabled", rules.ErrNotInInput)
	}
	m, err := get[*metav1.PartialObjectMetadata](c.secrets, nsKey(namespace, name), func() string {
		return fmt.Sprintf("Secret %q in namespace %q", name, namespace)
	})
	return m != nil, err
}
