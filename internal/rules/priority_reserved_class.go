package rules

import (
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// priorityReservedClass restricts the field
//
//	spec.priorityClassName (of the Pod or pod template)
//
// to values other than system-cluster-critical and system-node-critical,
// unless the workload is a critical add-on (CriticalAddonOf: well-known
// add-ons and the config's criticalAddons). Since Kubernetes 1.17 the API
// server accepts these classes in every namespace (a ResourceQuota scope is
// the only built-in limit), so a tenant can otherwise outrank the cluster's
// own DNS and network.
//
// What passes besides add-ons: platform agents whose upstream manifests
// set a system class outside kube-system (platformAgents: kube-prometheus
// node-exporter, Gatekeeper, Istio ztunnel, Calico's CSI node driver, the
// NVIDIA device plugin), which keep it without being required to; classes
// listed in the config's priority.criticalClasses are not reserved; workloads in kube-system (the
// classes' historical home, where the API server restricted them before
// 1.17 and where CSI node plugins and cloud agents not in the add-on table
// live); mirror pods (kubelet static pods such as kube-apiserver). Pods
// created by a controller are only warned about: the owner was judged at
// its own admission (or is exempt by name, which its pods' generated names
// would not match), and denying its pods only breaks replacements.
var priorityReservedClass = &Rule{
	ID:            "priority-reserved-class",
	DefaultAction: ActionDeny,
	Kinds:         PodKinds,
	Summary:       "non-critical workloads using a system priority class",
	Why: "Pods at a system priority preempt everything below them and are evicted last: a tenant " +
		"workload using one can push DNS, the CNI or kube-proxy off a node.",
	Fix: "Remove priorityClassName or use a PriorityClass of your own; if the workload really is a " +
		"cluster add-on, list it under priority.criticalAddons in the Guardrails config.",
	Params: []string{"priority.criticalAddons", "priority.criticalClasses"},
	Check:  checkPriorityReservedClass,
}

func checkPriorityReservedClass(in *Input) []Violation {
	ps, ok := PodSpecOf(in.Object)
	if !ok || IsMirrorPod(in.Object) {
		return nil
	}
	class := ps.Spec.PriorityClassName
	if !isSystemClass(class) || slices.Contains(in.Settings.Priority.CriticalClasses, class) {
		return nil
	}
	if in.Ref.Namespace == metav1.NamespaceSystem {
		return nil
	}
	if _, ok := CriticalAddonOf(in.Object, in.Ref, in.Settings); ok {
		return nil
	}
	if _, ok := platformAgentOf(in.Object, in.Ref); ok {
		return nil
	}
	what := "workload"
	if isPod(in.Object) {
		what = "pod"
	}
	var atMost Action
	if controlledPod(in.Object) {
		atMost = ActionWarn
	}
	return []Violation{{
		AtMost: atMost,
		Field:  ps.Path.Child("priorityClassName"),
		Message: fmt.Sprintf("%s %q is not a critical add-on but uses the reserved priority class %q; it could preempt the cluster's DNS, network and ingress",
			what, workloadDisplayName(in.Object, in.Ref), class),
		Hint: "remove priorityClassName or use a PriorityClass of your own; if this is a cluster add-on, list it under priority.criticalAddons in the Guardrails config",
	}}
}
