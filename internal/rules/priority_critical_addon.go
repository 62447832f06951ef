package rules

import (
	"fmt"
	"slices"
)

// priorityCriticalAddon restricts the field
//
//	spec.priorityClassName (of the Pod or pod template)
//
// of critical add-ons, as CriticalAddonOf recognises them (CoreDNS,
// kube-proxy, CNI agents and controllers, ingress controllers,
// metrics-server, cluster-autoscaler, and the config's criticalAddons, in
// the namespaces where add-ons live): it must name system-cluster-critical,
// system-node-critical or one of Settings.Priority.CriticalClasses.
//
// A node agent (a DaemonSet of kube-proxy, a CNI, node-local-dns…) running
// with system-cluster-critical is only a warning: the scheduler accepts it
// and no tenant pod outranks it, but upstream uses system-node-critical so
// the agent is the last pod the kubelet evicts from its node.
//
// Pods that a built-in controller stamps out (a ReplicaSet of the coredns
// Deployment, a DaemonSet's pods) are only warned about, by the webhook's
// handler for every rule (policy.Requester.DerivedFrom): their owner
// carries the fix, and denying them would stop the controller from
// replacing DNS or CNI pods — the outage this rule exists to prevent. Jobs,
// CronJobs and PodTemplates are never add-ons; mirror pods sent by a node
// are not judged.
var priorityCriticalAddon = &Rule{
	ID:            "priority-critical-addon",
	DefaultAction: ActionDeny,
	DefaultNote:   "node agent on system-cluster-critical: warn",
	Kinds:         addonKinds,
	Summary:       "critical add-ons without a system priority class",
	Why: "Without a system priority class, DNS, the CNI, kube-proxy or the ingress controller rank " +
		"with tenant pods: the scheduler preempts them for tenant pods and the kubelet evicts them " +
		"under node pressure, turning one busy node into a cluster-wide outage.",
	Fix: "Set priorityClassName: system-cluster-critical (system-node-critical for per-node agents " +
		"run by a DaemonSet), or a class listed in the config's priority.criticalClasses.",
	Params: []string{"priority.criticalAddons", "priority.criticalClasses", "priority.addonNamespaces", "priority.fillPriorityClass"},
	Check:  checkPriorityCriticalAddon,
}

func checkPriorityCriticalAddon(in *Input) []Violation {
	m, ok := CriticalAddonOf(in.Object, in.Ref, in.Origin, in.Settings)
	if !ok {
		return nil
	}
	ps, _ := PodSpecOf(in.Object)
	class := ps.Spec.PriorityClassName
	if slices.Contains(in.Settings.Priority.CriticalClasses, class) || class == SystemNodeCritical {
		return nil
	}
	name := workloadDisplayName(in.Object, in.Ref)
	path := ps.Path.Child("priorityClassName")
	hint := "set priorityClassName: " + m.WantClass
	switch {
	case class == SystemClusterCritical && !m.NodeAgent:
		return nil
	case class == SystemClusterCritical:
		return []Violation{{
			Field:   path,
			Message: fmt.Sprintf("node agent %q (%s) runs with %s; node agents should use %s so they are the last pods evicted from their node", name, m.Addon, SystemClusterCritical, SystemNodeCritical),
			Hint:    hint,
			AtMost:  ActionWarn,
		}}
	case class == "":
		return []Violation{{
			Field:   path,
			Message: fmt.Sprintf("critical add-on %q (%s) runs without a system priority class; it will be preempted or evicted before tenant workloads", name, m.Addon),
			Hint:    hint,
		}}
	}
	return []Violation{{
		Field:   path,
		Message: fmt.Sprintf("critical add-on %q (%s) runs with priority class %q, not a system priority class; tenant workloads can preempt it or outlast it under node pressure", name, m.Addon, class),
		Hint:    hint + ", or list the class in the config's priority.criticalClasses",
	}}
}
