// Package inputview is the rule engine's ClusterView over a set of input
// objects: what `webhook check` knows of "the rest of the cluster" is the
// other objects it was given. It keeps only what cross-object rules read.
package inputview

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/guardrails-dev/guardrails/internal/ingressindex"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// IsDefaultIngressClassAnnotation marks the cluster's default IngressClass.
const IsDefaultIngressClassAnnotation = "ingressclass.kubernetes.io/is-default-class"

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
	seenClasses     bool
	seenRoles       bool
	seenCRoles      bool
	seenPCs         bool
	seenSecrets     bool
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
	}
}

// Add records obj if a cross-object rule reads its kind; other kinds are
// ignored. Only the typed pointer is kept, not the source text.
func (v *View) Add(obj runtime.Object) {
	switch o := obj.(type) {
	case *corev1.LimitRange:
		v.limitRanges[o.Namespace] = append(v.limitRanges[o.Namespace], o)
	case *networkingv1.IngressClass:
		v.seenClasses = true
		v.ingressClasses[o.Name] = o
	case *networkingv1.Ingress:
		v.ingresses.Set(o)
	case *rbacv1.Role:
		v.seenRoles = true
		v.roles[o.Namespace+"/"+o.Name] = o
	case *rbacv1.ClusterRole:
		v.seenCRoles = true
		v.clusterRoles[o.Name] = o
	case *schedulingv1.PriorityClass:
		v.seenPCs = true
		v.priorityClasses[o.Name] = o
	case *corev1.Secret:
		v.seenSecrets = true
		v.secrets[o.Namespace+"/"+o.Name] = true
	}
}

func (v *View) LimitRanges(namespace string) ([]*corev1.LimitRange, error) {
	return v.limitRanges[namespace], nil
}

func (v *View) IngressClass(name string) (*networkingv1.IngressClass, error) {
	if !v.seenClasses {
		return nil, fmt.Errorf("IngressClass %q: %w", name, rules.ErrNotInInput)
	}
	return v.ingressClasses[name], nil
}

func (v *View) DefaultIngressClasses() ([]string, error) {
	if !v.seenClasses {
		return nil, fmt.Errorf("default IngressClass: %w", rules.ErrNotInInput)
	}
	var out []string
	for name, c := range v.ingressClasses {
		if c.Annotations[IsDefaultIngressClassAnnotation] == "true" {
			out = append(out, name)
		}
	}
	return out, nil
}

func (v *View) IngressClaims(key rules.IngressKey) ([]rules.ObjectRef, error) {
	return v.ingresses.Claims(key), nil
}

func (v *View) Role(namespace, name string) (*rbacv1.Role, error) {
	if r, ok := v.roles[namespace+"/"+name]; ok {
		return r, nil
	}
	if !v.seenRoles {
		return nil, fmt.Errorf("Role %s/%s: %w", namespace, name, rules.ErrNotInInput)
	}
	// Roles in the input do not prove this one is absent from the cluster.
	return nil, fmt.Errorf("Role %s/%s: %w", namespace, name, rules.ErrNotInInput)
}

func (v *View) ClusterRole(name string) (*rbacv1.ClusterRole, error) {
	if r, ok := v.clusterRoles[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("ClusterRole %s: %w", name, rules.ErrNotInInput)
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
