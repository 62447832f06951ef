package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// listFunc lists one page of a kind: its items (typed pointers, TypeMeta
// empty, as the typed clients return them) and the list's metadata.
type listFunc func(ctx context.Context, c kubernetes.Interface, namespace string, opts metav1.ListOptions) ([]runtime.Object, metav1.ListMeta, error)

// Kind is one kind the audit lists: what the rules judge, how the API
// serves it.
type Kind struct {
	GroupKind  schema.GroupKind
	Version    string
	Resource   string
	Namespaced bool
	list       listFunc
}

// APIVersion is the group/version the kind is listed in.
func (k Kind) APIVersion() string {
	return schema.GroupVersion{Group: k.GroupKind.Group, Version: k.Version}.String()
}

// page turns a typed list into items and metadata.
func page[T any, PT interface {
	*T
	runtime.Object
}](items []T, meta metav1.ListMeta) ([]runtime.Object, metav1.ListMeta) {
	out := make([]runtime.Object, len(items))
	for i := range items {
		out[i] = PT(&items[i])
	}
	return out, meta
}

// lister adapts a typed client's List to a listFunc.
func lister[L any, T any, PT interface {
	*T
	runtime.Object
}](list func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*L, error), items func(*L) ([]T, metav1.ListMeta)) listFunc {
	return func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) ([]runtime.Object, metav1.ListMeta, error) {
		l, err := list(c, ns)(ctx, opts)
		if err != nil {
			return nil, metav1.ListMeta{}, err
		}
		its, meta := items(l)
		objs, meta := page[T, PT](its, meta)
		return objs, meta, nil
	}
}

// kindTable lists, in the order the audit goes through them, every kind
// some rule of the catalogue may judge. Kinds no rule of the policy
// judges are left out at run time (Policy.Judges); TestKindTableCoversCatalogue
// keeps the table and the catalogue in step.
var kindTable = []Kind{
	{schema.GroupKind{Kind: "Namespace"}, "v1", "namespaces", false, lister(
		func(c kubernetes.Interface, _ string) func(context.Context, metav1.ListOptions) (*corev1.NamespaceList, error) {
			return c.CoreV1().Namespaces().List
		}, func(l *corev1.NamespaceList) ([]corev1.Namespace, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, "v1", "clusterroles", false, lister(
		func(c kubernetes.Interface, _ string) func(context.Context, metav1.ListOptions) (*rbacv1.ClusterRoleList, error) {
			return c.RbacV1().ClusterRoles().List
		}, func(l *rbacv1.ClusterRoleList) ([]rbacv1.ClusterRole, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}, "v1", "clusterrolebindings", false, lister(
		func(c kubernetes.Interface, _ string) func(context.Context, metav1.ListOptions) (*rbacv1.ClusterRoleBindingList, error) {
			return c.RbacV1().ClusterRoleBindings().List
		}, func(l *rbacv1.ClusterRoleBindingList) ([]rbacv1.ClusterRoleBinding, metav1.ListMeta) {
			return l.Items, l.ListMeta
		})},
	{schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "Role"}, "v1", "roles", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*rbacv1.RoleList, error) {
			return c.RbacV1().Roles(ns).List
		}, func(l *rbacv1.RoleList) ([]rbacv1.Role, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}, "v1", "rolebindings", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*rbacv1.RoleBindingList, error) {
			return c.RbacV1().RoleBindings(ns).List
		}, func(l *rbacv1.RoleBindingList) ([]rbacv1.RoleBinding, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}, "v1", "ingresses", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*networkingv1.IngressList, error) {
			return c.NetworkingV1().Ingresses(ns).List
		}, func(l *networkingv1.IngressList) ([]networkingv1.Ingress, metav1.ListMeta) {
			return l.Items, l.ListMeta
		})},
	{schema.GroupKind{Group: "batch", Kind: "CronJob"}, "v1", "cronjobs", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*batchv1.CronJobList, error) {
			return c.BatchV1().CronJobs(ns).List
		}, func(l *batchv1.CronJobList) ([]batchv1.CronJob, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Group: "batch", Kind: "Job"}, "v1", "jobs", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*batchv1.JobList, error) {
			return c.BatchV1().Jobs(ns).List
		}, func(l *batchv1.JobList) ([]batchv1.Job, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Group: "apps", Kind: "Deployment"}, "v1", "deployments", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*appsv1.DeploymentList, error) {
			return c.AppsV1().Deployments(ns).List
		}, func(l *appsv1.DeploymentList) ([]appsv1.Deployment, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Group: "apps", Kind: "StatefulSet"}, "v1", "statefulsets", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*appsv1.StatefulSetList, error) {
			return c.AppsV1().StatefulSets(ns).List
		}, func(l *appsv1.StatefulSetList) ([]appsv1.StatefulSet, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Group: "apps", Kind: "DaemonSet"}, "v1", "daemonsets", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*appsv1.DaemonSetList, error) {
			return c.AppsV1().DaemonSets(ns).List
		}, func(l *appsv1.DaemonSetList) ([]appsv1.DaemonSet, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}, "v1", "replicasets", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*appsv1.ReplicaSetList, error) {
			return c.AppsV1().ReplicaSets(ns).List
		}, func(l *appsv1.ReplicaSetList) ([]appsv1.ReplicaSet, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Kind: "ReplicationController"}, "v1", "replicationcontrollers", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*corev1.ReplicationControllerList, error) {
			return c.CoreV1().ReplicationControllers(ns).List
		}, func(l *corev1.ReplicationControllerList) ([]corev1.ReplicationController, metav1.ListMeta) {
			return l.Items, l.ListMeta
		})},
	{schema.GroupKind{Kind: "PodTemplate"}, "v1", "podtemplates", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*corev1.PodTemplateList, error) {
			return c.CoreV1().PodTemplates(ns).List
		}, func(l *corev1.PodTemplateList) ([]corev1.PodTemplate, metav1.ListMeta) { return l.Items, l.ListMeta })},
	{schema.GroupKind{Kind: "Pod"}, "v1", "pods", true, lister(
		func(c kubernetes.Interface, ns string) func(context.Context, metav1.ListOptions) (*corev1.PodList, error) {
			return c.CoreV1().Pods(ns).List
		}, func(l *corev1.PodList) ([]corev1.Pod, metav1.ListMeta) { return l.Items, l.ListMeta })},
}

// Kinds returns the kinds the audit lists, in order.
func Kinds() []Kind { return kindTable }

// LookupKind finds a kind by name as a user types it: the kind
// (Deployment, deployment), its resource (deployments) or
// resource.group (deployments.apps), case-insensitive.
func LookupKind(name string) (Kind, bool) {
	n := strings.ToLower(name)
	for _, k := range kindTable {
		res := k.Resource
		if k.GroupKind.Group != "" {
			res += "." + k.GroupKind.Group
		}
		if n == strings.ToLower(k.GroupKind.Kind) || n == k.Resource || n == res {
			return k, true
		}
	}
	return Kind{}, false
}

// eachPage lists kind k in namespace ns ("" for all) page by page, limit
// objects a page, and calls fn with each page's items. An expired continue
// token (a list that took longer than the API server keeps its history)
// continues with the inconsistent token the API server offers, never with
// a full list: memory stays bounded by one page. It returns whether the
// list had to continue inconsistently.
func eachPage(ctx context.Context, c kubernetes.Interface, k Kind, ns string, limit int64, fn func([]runtime.Object) error) (inconsistent bool, err error) {
	opts := metav1.ListOptions{Limit: limit}
	for {
		items, meta, err := k.list(ctx, c, ns, opts)
		if err != nil {
			var st apierrors.APIStatus
			if apierrors.IsResourceExpired(err) && opts.Continue != "" && errors.As(err, &st) && st.Status().ListMeta.Continue != "" {
				opts.Continue = st.Status().ListMeta.Continue
				inconsistent = true
				continue
			}
			return inconsistent, fmt.Errorf("list %s: %w", k.Resource, err)
		}
		if err := fn(items); err != nil {
			return inconsistent, err
		}
		if meta.Continue == "" {
			return inconsistent, nil
		}
		opts.Continue = meta.Continue
	}
}

// RBACRules are the permissions the audit's calls need: list on every
// kind it lists, by API group in the order of the kind table, and get on
// Nodes (a pod that claims to be a mirror pod is trusted only when its
// Node's UID matches, see policy.StoredOrigin). deploy/components/audit
// grants them to the webhook (a test in internal/deployrender keeps the
// two equal); the cross-object views need the webhook's base permissions
// besides (clustercache.RBACRules).
func RBACRules() []rbacv1.PolicyRule { return append(listRules(false), getNodes) }

// PreviewRBACRules are what the namespace preview reads: list on the
// namespaced kinds, get on Nodes (deploy/components/preview).
func PreviewRBACRules() []rbacv1.PolicyRule { return append(listRules(true), getNodes) }

var getNodes = rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get"}}

func listRules(namespacedOnly bool) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	at := map[string]int{}
	for _, k := range kindTable {
		if namespacedOnly && !k.Namespaced {
			continue
		}
		g := k.GroupKind.Group
		i, ok := at[g]
		if !ok {
			i = len(out)
			at[g] = i
			out = append(out, rbacv1.PolicyRule{APIGroups: []string{g}, Verbs: []string{"list"}})
		}
		out[i].Resources = append(out[i].Resources, k.Resource)
	}
	return out
}
