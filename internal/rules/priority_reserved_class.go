package rules

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// priorityReservedClass restricts the field
//
//	spec.priorityClassName (of the Pod or pod template)
//
// to values other than system-cluster-critical and system-node-critical,
// unless the workload is a critical add-on (CriticalAddonOf: well-known
// add-ons and the config's criticalAddons, recognised only in the
// namespaces where add-ons live, so a tenant copying kube-dns's labels into
// its own namespace gains nothing). Since Kubernetes 1.17 the API
// server accepts these classes in every namespace (a ResourceQuota scope is
// the only built-in limit), so a tenant can otherwise outrank the cluster's
// own DNS and network.
//
// What passes besides add-ons: platform agents whose upstream manifests
// set a system class outside kube-system (platformAgents: kube-prometheus
// node-exporter, Gatekeeper, Istio ztunnel, Calico's CSI node driver, the
// NVIDIA device plugin), which keep it without being required to, in their
// own namespaces; classes listed in the config's priority.criticalClasses
// are not reserved; workloads in kube-system (the classes' historical home,
// where the API server restricted them before 1.17 and where CSI node
// plugins and cloud agents not in the add-on table live); mirror pods sent
// by a node (kubelet static pods such as kube-apiserver). Pods that a
// built-in controller stamps out are only warned about, by the webhook's
// handler (policy.Requester.DerivedFrom): the owner was judged at its own
// admission, and denying its pods only breaks replacements. A pod whose
// ownerReference a tenant wrote by hand is judged as a pod.
var priorityReservedClass = &Rule{
	ID:            "priority-reserved-class",
	DefaultAction: ActionDeny,
	Kinds:         PodKinds,
	Summary:       "non-critical workloads using a system priority class",
	Why: "Pods at a system priority preempt everything below them and are evicted last: a tenant " +
		"workload using one can push DNS, the CNI or kube-proxy off a node.",
	Fix: "Remove priorityClassName or use a PriorityClass of your own; if the workload really is a " +
		"cluster add-on, list it under priority.criticalAddons in the Guardrails config.",
	Params: []string{"priority.criticalAddons", "priority.criticalClasses", "priority.addonNamespaces"},
	Check:  checkPriorityReservedClass,
}

func checkPriorityReservedClass(in *Input) []Violation {
	ps, ok := PodSpecOf(in.Object)
	if !ok || IsMirrorPod(in) {
		return nil
	}
	class := ps.Spec.PriorityClassName
	if !isSystemClass(class) || slices.Contains(in.Settings.Priority.CriticalClasses, class) {
		return nil
	}
	if in.Ref.Namespace == metav1.NamespaceSystem {
		return nil
	}
	if _, ok := CriticalAddonOf(in.Object, in.Ref, in.Origin, in.Settings); ok {
		return nil
	}
	if _, ok := platformAgentOf(in.Object, in.Ref, in.Origin, in.Settings); ok {
		return nil
	}
	what := "workload"
	if isPod(in.Object) {
		what = "pod"
	}
	name := workloadDisplayName(in.Object, in.Ref)
	path := ps.Path.Child("priorityClassName")
	if addon, nss, ok := lookalikeAddon(in.Object, in.Ref, in.Origin, in.Settings); ok {
		// Labelled like an add-on, outside the add-on's namespaces: a
		// tenant copying labels, or an add-on installed where Guardrails
		// was not told to expect one.
		return []Violation{{
			Field: path,
			Message: fmt.Sprintf("%s %q looks like the critical add-on %s but is not in a namespace where add-ons live (%s, or the configuration's priority.addonNamespaces); it may not use the reserved priority class %q",
				what, name, addon, strings.Join(nss, ", "), class),
			Hint: fmt.Sprintf("remove priorityClassName or use a PriorityClass of your own; if this is the cluster's %s, install it in one of those namespaces or have an administrator list namespace %q under priority.addonNamespaces in the Guardrails config", addon, in.Ref.Namespace),
		}}
	}
	return []Violation{{
		Field: path,
		Message: fmt.Sprintf("%s %q is not a critical add-on but uses the reserved priority class %q; it could preempt the cluster's DNS, network and ingress",
			what, name, class),
		Hint: "remove priorityClassName or use a PriorityClass of your own; if this is a cluster add-on, list it under priority.criticalAddons in the Guardrails config",
	}}
}
