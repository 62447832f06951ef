package audit

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// controllerKinds are the owners whose built-in controllers stamp objects
// out of a template: a Deployment's ReplicaSets, a ReplicaSet's,
// StatefulSet's, DaemonSet's, Job's or ReplicationController's Pods, a
// CronJob's Jobs. The admission handler judges such copies on their owner
// too (internal/admission, derivedFrom).
var controllerKinds = map[schema.GroupKind]bool{
	{Group: "apps", Kind: "Deployment"}:  true,
	{Group: "apps", Kind: "ReplicaSet"}:  true,
	{Group: "apps", Kind: "StatefulSet"}: true,
	{Group: "apps", Kind: "DaemonSet"}:   true,
	{Group: "batch", Kind: "Job"}:        true,
	{Group: "batch", Kind: "CronJob"}:    true,
	{Kind: "ReplicationController"}:      true,
}

// owners remembers the objects of controllerKinds a run has listed, by
// UID, so that an object is left to its owner only when that owner exists
// and is judged: an ownerReference written by hand (a tenant hiding a Pod
// behind a ReplicaSet that does not exist) or left dangling gains nothing.
// Its memory is one UID per workload object, never per Pod. The kind table
// lists owners before what they own.
type owners map[types.UID]schema.GroupKind

// note remembers obj when it is of a controller kind.
func (o owners) note(gk schema.GroupKind, obj runtime.Object) {
	if !controllerKinds[gk] {
		return
	}
	if m, ok := obj.(metav1.Object); ok && m.GetUID() != "" {
		o[m.GetUID()] = gk
	}
}

// reportedAtOwner reports whether obj is a copy that a built-in workload
// controller made from the template of an owner the run has listed (and
// judges): its controller ownerReference names that owner's kind and UID.
func (o owners) reportedAtOwner(obj runtime.Object) bool {
	m, ok := obj.(metav1.Object)
	if !ok {
		return false
	}
	or := metav1.GetControllerOfNoCopy(m)
	if or == nil || or.UID == "" {
		return false
	}
	gk := schema.FromAPIVersionAndKind(or.APIVersion, or.Kind).GroupKind()
	return controllerKinds[gk] && o[or.UID] == gk
}

// bootstrapLabel marks the RBAC objects the API server creates and
// reconciles at every start (its bootstrap policy).
const bootstrapLabel, bootstrapValue = "kubernetes.io/bootstrapping", "rbac-defaults"

// bootstrapNamespaces are where the API server's bootstrap policy puts
// Roles and RoleBindings.
var bootstrapNamespaces = []string{"kube-system", "kube-public"}

// apiServerMaintained reports whether the API server itself maintains obj
// (its bootstrap ClusterRoles, ClusterRoleBindings, and the Roles and
// RoleBindings of kube-system and kube-public): the webhook never judges
// those writes (the API server's requests are exempt and never sent), and
// a change would be reconciled away at the next start, so the audit does
// not report them.
//
// Anyone who may write an object may write the label, so the label alone
// proves nothing: only RBAC objects count, named as the bootstrap policy
// names them (system:…, or the user-facing cluster-admin, admin, edit,
// view, extension-apiserver-authentication-reader), and Roles and
// RoleBindings only in kube-system and kube-public. A tenant's Deployment
// or RoleBinding that copies the label is judged like any other; what is
// left is what only a cluster administrator can write.
func apiServerMaintained(gk schema.GroupKind, obj runtime.Object) bool {
	m, ok := obj.(metav1.Object)
	if !ok || m.GetLabels()[bootstrapLabel] != bootstrapValue || gk.Group != rbacv1.GroupName {
		return false
	}
	name := m.GetName()
	bootstrapName := strings.HasPrefix(name, "system:")
	switch gk.Kind {
	case "ClusterRole", "ClusterRoleBinding":
		return bootstrapName || slices.Contains([]string{"cluster-admin", "admin", "edit", "view"}, name)
	case "Role", "RoleBinding":
		return slices.Contains(bootstrapNamespaces, m.GetNamespace()) && (bootstrapName || name == "extension-apiserver-authentication-reader")
	}
	return false
}
