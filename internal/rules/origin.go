package rules

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Origin is what the sender of a request vouches for about the object,
// which the object alone cannot prove: anyone who may create a Pod may
// write a mirror-pod annotation or a controller ownerReference on it. The
// policy establishes it from the requester's identity
// (policy.Requester.Origin); the CLI has no requester and leaves it zero,
// so every object is judged as itself.
type Origin struct {
	// Controller is the kind of the owner (DaemonSet, ReplicaSet, Job…)
	// when one of Kubernetes' built-in workload controllers sent the object
	// and it names that owner in its controller ownerReference: the object
	// is a copy stamped out of the owner's template. "" otherwise.
	Controller string `json:"controller,omitempty"`
	// Mirror is true for a mirror pod sent by a node (the kubelet's API
	// copy of a static pod, which it runs whatever the API says).
	Mirror bool `json:"mirror,omitempty"`
}

// IsMirrorPod reports whether the object of in is a mirror pod: the
// kubelet's API copy of a static pod (annotation kubernetes.io/config.mirror)
// sent by a node. Only then is the annotation trusted: judging or mutating
// a real mirror pod only produces noise, but a pod anyone else sends with
// the annotation is judged like any pod.
func IsMirrorPod(in *Input) bool {
	return in.Origin.Mirror && HasMirrorAnnotation(in.Object)
}

// HasMirrorAnnotation reports whether obj is a Pod that claims to be a
// mirror pod (annotation kubernetes.io/config.mirror), whoever sent it.
func HasMirrorAnnotation(obj runtime.Object) bool {
	p, ok := obj.(*corev1.Pod)
	if !ok || p == nil {
		return false
	}
	_, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]
	return mirror
}
