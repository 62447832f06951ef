package audit

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
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

// builtinOwner returns the kind of obj's controller when it is one of the
// built-in workload controllers' kinds: the object is a copy of its
// owner's template and is reported at the owner.
func builtinOwner(obj runtime.Object) (schema.GroupKind, bool) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return schema.GroupKind{}, false
	}
	or := metav1.GetControllerOfNoCopy(m)
	if or == nil {
		return schema.GroupKind{}, false
	}
	gk := schema.FromAPIVersionAndKind(or.APIVersion, or.Kind).GroupKind()
	return gk, controllerKinds[gk]
}
