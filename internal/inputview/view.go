// Package inputview is the rule engine's ClusterView over a set of input
// objects: what `webhook check` knows of "the rest of the cluster" is the
// other objects it was given. It keeps only what cross-object rules read.
package inputview

import (
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/guardrails-dev/guardrails/internal/bindingindex"
	"github.com/guardrails-dev/guardrails/internal/ingressindex"
	"github.com/guardrails-dev/guardrails/internal/kept"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// View is a ClusterView built from input objects. Kinds that never appear in
// the input answer ErrNotInInput, so rules skip checks they cannot make
// offline instead of raising false alarms.
type View struct {
	limitRanges     map[string][]*corev1.LimitRange
	ingressClasses  map[string]*networkingv1.IngressClass
	roles           map[string]*rbacv1.Role
	clusterRoles    map[string]*rbacv1.ClusterRole
	priorityClasses map[string]*schedulingv1.PriorityClass
	secrets         map[string]bool
	ingresses       *ingressindex.Index
	bindings        *bindingindex.Index

	// clusterRoleIndex is the ClusterRoles' aggregation index, built on
	// the first call after an Add (the second pass of webhook check asks
	// from several goroutines).
	clusterRoleMu    sync.Mutex
	clusterRoleIndex *rules.ClusterRoleSet
	// Complete says the input is the whole cluster for the kinds it holds:
	// an IngressClass, Role or ClusterRole missing from it does not exist,
	// and no default class among them means the cluster has none. Off for
	// `webhook check`.
	Complete bool
}

var _ rules.ClusterView = (*View)(nil)

// New returns an empty view.
func New() *View {
	return &View{
		limitRanges:     map[string][]*corev1.LimitRange{},
		ingressClasses:  map[string]*networkingv1.IngressClass{},
		roles:           map[string]*rbacv1.Role{},
		clusterRoles:    map[string]*rbacv1.ClusterRole{},
		priorityClasses: map[string]*schedulingv1.PriorityClass{},
		secrets:         map[string]bool{},
		ingresses:       ingressindex.New(),
		bindings:        bindingindex.New(),
	}
}

// Add records obj if a cross-object rule reads its kind; other kinds are
// ignored. Only typed objects are kept, not the source text: of roles and
// bindings what the server's cache keeps (package kept), of the other
// kinds the object as given or its index entry.
func (v *View) Add(obj runtime.Object) {
	switch o := obj.(type) {
	case *corev1.LimitRange:
		v.limitRanges[o.Namespace] = append(v.limitRanges[o.Namespace], o)
	case *networkingv1.IngressClass:
		v.ingressClasses[o.Name] = o
	case *networkingv1.Ingress:
		v.ingresses.Set(o)
	case *rbacv1.Role:
		v.roles[o.Namespace+"/"+o.Name] = kept.Role(o)
	case *rbacv1.ClusterRole:
		v.clusterRoles[o.Name] = kept.ClusterRole(o)
		v.clusterRoleMu.Lock()
		v.clusterRoleIndex = nil
		v.clusterRoleMu.Unlock()
	case *rbacv1.ClusterRoleBinding, *rbacv1.RoleBinding:
		b, _ := kept.Binding(o)
		v.bindings.Set(&b)
	case *schedulingv1.PriorityClass:
		v.priorityClasses[o.Name] = o
	case *corev1.Secret:
		v.secrets[o.Namespace+"/"+o.Name] = true
	}
}

func (v *View) LimitRanges(namespace string) ([]*corev1.LimitRange, error) {
	return v.limitRanges[namespace], nil
}

// IngressClass answers from the input's IngressClasses. A class missing
// from the input may still exist in the cluster, so it is "unknown", not
// "absent": a chart shipping its own class must not make every other class
// look missing.
func (v *View) IngressClass(name string) (*networkingv1.IngressClass, error) {
	if c, ok := v.ingressClasses[name]; ok {
		return c, nil
	}
	if v.Complete {
		return nil, nil
	}
	return nil, fmt.Errorf("IngressClass %q: %w", name, rules.ErrNotInInput)
}

// DefaultIngressClasses returns the input's default classes. An input
// that holds IngressClasses is taken to show the default, if there is one:
// none marked default means none (an Ingress without class is then served
// by no controller). An input without any IngressClass cannot tell.
func (v *View) DefaultIngressClasses() ([]string, error) {
	if len(v.ingressClasses) == 0 && !v.Complete {
		return nil, fmt.Errorf("default IngressClass: %w", rules.ErrNotInInput)
	}
	var out []string
	for name, c := range v.ingressClasses {
		if rules.IsDefaultIngressClass(c) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// IngressClasses returns the input's IngressClasses, sorted by name; an
// input without any cannot tell which controllers classes belong to.
func (v *View) IngressClasses() ([]*networkingv1.IngressClass, error) {
	if len(v.ingressClasses) == 0 && !v.Complete {
		return nil, fmt.Errorf("IngressClasses: %w", rules.ErrNotInInput)
	}
	out := make([]*networkingv1.IngressClass, 0, len(v.ingressClasses))
	for _, c := range v.ingressClasses {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (v *View) IngressClaims(key rules.IngressKey, each func(rules.ObjectRef)) error {
	v.ingresses.EachClaim(key, each)
	return nil
}

func (v *View) IngressHost(class, host string) ([]rules.HostHolder, error) {
	return v.ingresses.Host(class, host), nil
}

func (v *View) Role(namespace, name string) (*rbacv1.Role, error) {
	if r, ok := v.roles[namespace+"/"+name]; ok {
		return r, nil
	}
	if v.Complete {
		return nil, nil
	}
	// Roles in the input do not prove this one is absent from the cluster.
	return nil, fmt.Errorf("Role %s/%s: %w", namespace, name, rules.ErrNotInInput)
}

func (v *View) ClusterRole(name string) (*rbacv1.ClusterRole, error) {
	if r, ok := v.clusterRoles[name]; ok {
		return r, nil
	}
	if v.Complete {
		return nil, nil
	}
	return nil, fmt.Errorf("ClusterRole %s: %w", name, rules.ErrNotInInput)
}

// ClusterRoleIndex returns the input's ClusterRoles indexed for
// aggregation, built once (not per judged ClusterRole, which made a set of
// N ClusterRoles cost N maps of N).
func (v *View) ClusterRoleIndex() (rules.ClusterRoleIndex, error) {
	v.clusterRoleMu.Lock()
	defer v.clusterRoleMu.Unlock()
	if v.clusterRoleIndex == nil {
		all := make([]*rbacv1.ClusterRole, 0, len(v.clusterRoles))
		for _, cr := range v.clusterRoles {
			all = append(all, cr)
		}
		v.clusterRoleIndex = rules.NewClusterRoleSet(all)
	}
	return v.clusterRoleIndex, nil
}

// Bindings returns the input's bindings of role: offline, a role is judged
// against the bindings it is given with.
func (v *View) Bindings(role rules.RoleKey) ([]*rules.Binding, error) {
	return v.bindings.Bindings(role), nil
}

func (v *View) PriorityClass(name string) (*schedulingv1.PriorityClass, error) {
	if pc, ok := v.priorityClasses[name]; ok {
		return pc, nil
	}
	return nil, fmt.Errorf("PriorityClass %s: %w", name, rules.ErrNotInInput)
}

func (v *View) SecretExists(namespace, name string) (bool, error) {
	if v.secrets[namespace+"/"+name] {
		return true, nil
	}
	return false, fmt.Errorf("Secret %s/%s: %w", namespace, name, rules.ErrNotInInput)
}
