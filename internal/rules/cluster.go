package rules

import (
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ClusterView is a read-only view of the rest of the cluster. The CLI fills
// it from the input set, the webhook server from informer caches.
//
// Lookups return (nil, nil) / (false, nil) when the thing does not exist.
// They return an error wrapping ErrUnavailable when the answer is not known
// right now (a cache that is not synced): rules then report a warning saying
// the check could not be made. They return an error wrapping ErrNotInInput
// when the answer cannot be known offline (the input set has no objects of
// that kind): rules then skip that check quietly.
type ClusterView interface {
	// LimitRanges returns the LimitRanges of a namespace.
	LimitRanges(namespace string) ([]*corev1.LimitRange, error)
	// IngressClass returns the IngressClass of that name.
	IngressClass(name string) (*networkingv1.IngressClass, error)
	// DefaultIngressClasses returns the names of the IngressClasses marked
	// default with ingressclass.kubernetes.io/is-default-class=true.
	DefaultIngressClasses() ([]string, error)
	// IngressClasses returns every IngressClass, sorted by name.
	IngressClasses() ([]*networkingv1.IngressClass, error)
	// IngressClaims calls each for every Ingress that routes the given
	// key, once. It is an indexed lookup, never a scan over all Ingresses,
	// and it builds no list: a route that k Ingresses hold is looked up
	// for each of them. each must not call back into the view.
	IngressClaims(key IngressKey, each func(ObjectRef)) error
	// IngressHost returns, per namespace, who serves a host (normalised by
	// NormalizeHost; "" is the catch-all) through Ingresses of one class
	// key (the class an Ingress names, "" when it names none), sorted by
	// namespace. Canaries do not count. It is an indexed lookup whose cost
	// does not grow with the number of Ingresses; the slice is shared:
	// read it, never modify it.
	IngressHost(class, host string) ([]HostHolder, error)
	// Role returns a namespaced Role.
	Role(namespace, name string) (*rbacv1.Role, error)
	// ClusterRole returns a ClusterRole.
	ClusterRole(name string) (*rbacv1.ClusterRole, error)
	// ClusterRoleIndex returns the ClusterRoles indexed for evaluating
	// aggregation: by name, and the aggregated ones. A view that does not
	// change (webhook check's input) builds it once; getting it must not
	// cost a scan of every ClusterRole per call.
	ClusterRoleIndex() (ClusterRoleIndex, error)
	// Bindings returns the ClusterRoleBindings and RoleBindings whose
	// roleRef names role, sorted by kind, namespace and name. It is an
	// indexed lookup, never a scan over all bindings. The server answers
	// with every binding the API server has admitted, also those its
	// informers have not seen yet.
	Bindings(role RoleKey) ([]*Binding, error)
	// PriorityClass returns a PriorityClass.
	PriorityClass(name string) (*schedulingv1.PriorityClass, error)
	// SecretExists reports whether a Secret exists.
	SecretExists(namespace, name string) (bool, error)
}

// IngressKey is what an Ingress rule claims: class, host, path and path
// type. Two Ingresses in different namespaces with the same key fight over
// the same traffic.
type IngressKey struct {
	Class    string
	Host     string
	Path     string
	PathType string
}

func (k IngressKey) String() string {
	return fmt.Sprintf("class %q host %q path %q (%s)", k.Class, k.Host, k.Path, k.PathType)
}

// HostHolder is one namespace serving a host through Ingresses of one
// class key.
type HostHolder struct {
	Namespace string
	// Ingress names the namespace's oldest Ingress serving the host (for
	// an administrator's detail).
	Ingress string
	// Since is the creationTimestamp of that Ingress: when the namespace
	// began to serve the host, as far as the cluster remembers. Zero when
	// any of the namespace's Ingresses for the host has none (offline
	// input): the order is then unknown.
	Since time.Time
	// ShareWith are the namespaces named by the ShareHostAnnotation of the
	// namespace's Ingresses serving the host, sorted, without duplicates.
	ShareWith []string
}

var (
	// ErrUnavailable means a lookup cannot be answered right now.
	ErrUnavailable = errors.New("cluster state unavailable")
	// ErrNotInInput means a lookup cannot be answered offline.
	ErrNotInInput = errors.New("not knowable from the input set")
)

// LookupFailed turns a lookup error into the violation a rule reports: a
// warning that the check could not be made (never a silent pass), or
// nothing when the answer is simply not knowable offline.
func LookupFailed(err error, path *field.Path, what string) []Violation {
	if err == nil || errors.Is(err, ErrNotInInput) {
		return nil
	}
	return []Violation{{
		Field:   path,
		Message: fmt.Sprintf("could not check %s: %v", what, err),
		Hint:    "retry in a moment; the webhook's view of the cluster is not ready",
		AtMost:  ActionWarn,
	}}
}

// EmptyView is a ClusterView that knows nothing: every lookup answers
// ErrNotInInput. It suits checking a single object in isolation.
type EmptyView struct{}

var _ ClusterView = EmptyView{}

func (EmptyView) LimitRanges(string) ([]*corev1.LimitRange, error) { return nil, nil }
func (EmptyView) IngressClass(string) (*networkingv1.IngressClass, error) {
	return nil, ErrNotInInput
}
func (EmptyView) DefaultIngressClasses() ([]string, error)         { return nil, ErrNotInInput }
func (EmptyView) IngressClaims(IngressKey, func(ObjectRef)) error  { return nil }
func (EmptyView) IngressHost(string, string) ([]HostHolder, error) { return nil, nil }
func (EmptyView) IngressClasses() ([]*networkingv1.IngressClass, error) {
	return nil, ErrNotInInput
}
func (EmptyView) Role(string, string) (*rbacv1.Role, error)       { return nil, ErrNotInInput }
func (EmptyView) ClusterRole(string) (*rbacv1.ClusterRole, error) { return nil, ErrNotInInput }
func (EmptyView) ClusterRoleIndex() (ClusterRoleIndex, error)     { return nil, ErrNotInInput }
func (EmptyView) Bindings(RoleKey) ([]*Binding, error)            { return nil, ErrNotInInput }
func (EmptyView) SecretExists(string, string) (bool, error)       { return false, ErrNotInInput }
func (EmptyView) PriorityClass(string) (*schedulingv1.PriorityClass, error) {
	return nil, ErrNotInInput
}
