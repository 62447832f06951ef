package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The system priority classes every cluster has (created by the API
// server). system-node-critical ranks above system-cluster-critical.
const (
	SystemClusterCritical = "system-cluster-critical"
	SystemNodeCritical    = "system-node-critical"
)

// addonKinds are the kinds that run long-lived add-ons. Jobs and CronJobs
// run to completion (installers, certificate patchers) and PodTemplates run
// nothing, so they are never add-ons.
var addonKinds = []schema.GroupKind{
	{Kind: "Pod"},
	{Group: "apps", Kind: "Deployment"},
	{Group: "apps", Kind: "StatefulSet"},
	{Group: "apps", Kind: "DaemonSet"},
	{Group: "apps", Kind: "ReplicaSet"},
	{Kind: "ReplicationController"},
}

// AddonMatch says why a workload is a critical add-on.
type AddonMatch struct {
	// Addon is the add-on's display name, e.g. "CoreDNS".
	Addon string
	// Reason is what matched: `label k8s-app=kube-dns`, `name
	// kube-system/coredns`, or `config criticalAddons[0]`.
	Reason string
	// NodeAgent is true for a per-node agent run by a DaemonSet (kube-proxy,
	// a CNI's node agent, node-local-dns).
	NodeAgent bool
	// WantClass is the priority class the add-on should run with:
	// system-node-critical for node agents, system-cluster-critical
	// otherwise.
	WantClass string
}

// labelCond is one condition on a label.
type labelCond struct {
	key, value string
	// suffix matches values ending in value (chart names that embed a
	// prefix, e.g. aws-cluster-autoscaler).
	suffix bool
	// absentOK also matches when the label is absent.
	absentOK bool
}

func (c labelCond) match(labels map[string]string) bool {
	v, ok := labels[c.key]
	if !ok {
		return c.absentOK
	}
	if c.suffix {
		return v == c.value || strings.HasSuffix(v, "-"+c.value)
	}
	return v == c.value
}

func (c labelCond) String() string {
	if c.suffix {
		return fmt.Sprintf("%s=*%s", c.key, c.value)
	}
	return c.key + "=" + c.value
}

// labelSet matches when every condition holds on the same label map.
type labelSet struct {
	conds []labelCond
	// namespaces restricts the set to these namespaces (for generic labels
	// such as app=envoy); empty means any namespace.
	namespaces []string
}

// knownAddon is one well-known critical add-on. Labels are the labels of
// the upstream manifests and Helm charts; names are the upstream workload
// names, which alone mark an add-on only in the listed namespaces (a tenant
// Deployment called "metrics-server" in its own namespace is not the
// cluster's).
type knownAddon struct {
	name      string
	nodeAgent bool
	labels    []labelSet
	names     []string
	nameNS    []string
}

func eq(k, v string) labelCond       { return labelCond{key: k, value: v} }
func optEq(k, v string) labelCond    { return labelCond{key: k, value: v, absentOK: true} }
func suffixEq(k, v string) labelCond { return labelCond{key: k, value: v, suffix: true} }
func set(conds ...labelCond) labelSet {
	return labelSet{conds: conds}
}
func setIn(nss []string, conds ...labelCond) labelSet {
	return labelSet{conds: conds, namespaces: nss}
}

const (
	lApp       = "app"
	lK8sApp    = "k8s-app"
	lName      = "name"
	lComponent = "component"
	lAppName   = "app.kubernetes.io/name"
	lAppComp   = "app.kubernetes.io/component"
)

var kubeSystem = []string{metav1.NamespaceSystem}

// knownAddons is the table of well-known critical add-ons.
var knownAddons = []knownAddon{
	{
		name: "CoreDNS",
		// kubeadm and most distributions keep the kube-dns label for the
		// Service selector; the coredns Helm chart sets app.kubernetes.io/name.
		labels: []labelSet{set(eq(lK8sApp, "kube-dns")), set(eq(lAppName, "coredns")), set(eq(lK8sApp, "coredns"))},
		names:  []string{"coredns", "kube-dns"},
		nameNS: kubeSystem,
	},
	{
		name: "NodeLocal DNSCache", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "node-local-dns"))},
		names:  []string{"node-local-dns"},
		nameNS: kubeSystem,
	},
	{
		name: "kube-proxy", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "kube-proxy"))},
		names:  []string{"kube-proxy"},
		nameNS: kubeSystem,
	},
	{
		name: "Calico", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "calico-node")), set(eq(lAppName, "calico-node"))},
		names:  []string{"calico-node"},
		nameNS: []string{metav1.NamespaceSystem, "calico-system"},
	},
	{
		name:   "Calico kube-controllers",
		labels: []labelSet{set(eq(lK8sApp, "calico-kube-controllers")), set(eq(lAppName, "calico-kube-controllers"))},
		names:  []string{"calico-kube-controllers"},
		nameNS: []string{metav1.NamespaceSystem, "calico-system"},
	},
	{
		name:   "Calico Typha",
		labels: []labelSet{set(eq(lK8sApp, "calico-typha")), set(eq(lAppName, "calico-typha"))},
		names:  []string{"calico-typha"},
		nameNS: []string{metav1.NamespaceSystem, "calico-system"},
	},
	{
		name: "Canal", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "canal"))},
		names:  []string{"canal"},
		nameNS: kubeSystem,
	},
	{
		name: "Cilium", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "cilium")), set(eq(lAppName, "cilium-agent"))},
		names:  []string{"cilium"},
		nameNS: kubeSystem,
	},
	{
		name:   "Cilium operator",
		labels: []labelSet{set(eq("io.cilium/app", "operator")), set(eq(lAppName, "cilium-operator"))},
		names:  []string{"cilium-operator"},
		nameNS: kubeSystem,
	},
	{
		name: "Cilium Envoy", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "cilium-envoy")), set(eq(lAppName, "cilium-envoy"))},
		names:  []string{"cilium-envoy"},
		nameNS: kubeSystem,
	},
	{
		name: "Flannel", nodeAgent: true,
		labels: []labelSet{set(eq(lApp, "flannel")), set(eq(lK8sApp, "flannel"))},
		names:  []string{"kube-flannel-ds"},
		nameNS: []string{metav1.NamespaceSystem, "kube-flannel"},
	},
	{
		name: "Weave Net", nodeAgent: true,
		labels: []labelSet{set(eq(lName, "weave-net"))},
		names:  []string{"weave-net"},
		nameNS: kubeSystem,
	},
	{
		// Istio's CNI node agent (chained CNI plugin; the chart hard-codes
		// system-node-critical).
		name: "Istio CNI", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "istio-cni-node"))},
		names:  []string{"istio-cni-node"},
		nameNS: []string{metav1.NamespaceSystem, "istio-system"},
	},
	{
		name: "Amazon VPC CNI", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "aws-node"))},
		names:  []string{"aws-node"},
		nameNS: kubeSystem,
	},
	{
		name: "ingress-nginx",
		// The chart's admission Jobs and default backend carry other
		// components; only the controller is the add-on.
		labels: []labelSet{set(eq(lAppName, "ingress-nginx"), eq(lAppComp, "controller"))},
		names:  []string{"ingress-nginx-controller"},
		nameNS: []string{"ingress-nginx"},
	},
	{
		name: "NGINX Ingress Controller",
		labels: []labelSet{
			set(eq(lAppName, "nginx-ingress"), optEq(lAppComp, "controller")),
			// nginx/kubernetes-ingress manifests, and the retired
			// stable/nginx-ingress chart (component: controller; its
			// default-backend is not the add-on).
			set(eq(lApp, "nginx-ingress"), optEq(lComponent, "controller")),
		},
		names:  []string{"nginx-ingress"},
		nameNS: []string{"nginx-ingress"},
	},
	{
		name:   "Traefik",
		labels: []labelSet{set(eq(lAppName, "traefik"))},
	},
	{
		name: "HAProxy Ingress",
		labels: []labelSet{
			set(eq(lAppName, "haproxy-ingress"), optEq(lAppComp, "controller")),
			set(eq(lAppName, "kubernetes-ingress"), optEq(lAppComp, "controller")), // haproxytech chart
		},
	},
	{
		name: "Contour",
		labels: []labelSet{
			set(eq(lAppName, "contour"), eq(lAppComp, "contour")),
			set(eq(lAppName, "contour"), eq(lAppComp, "envoy")),
			setIn([]string{"projectcontour"}, eq(lApp, "contour")),
			setIn([]string{"projectcontour"}, eq(lApp, "envoy")),
		},
	},
	{
		name:   "metrics-server",
		labels: []labelSet{set(eq(lK8sApp, "metrics-server")), set(eq(lAppName, "metrics-server"))},
		names:  []string{"metrics-server"},
		nameNS: kubeSystem,
	},
	{
		// Guardrails itself: with failurePolicy Fail, a preempted webhook
		// blocks every enforced namespace.
		name:   "Guardrails",
		labels: []labelSet{setIn([]string{"guardrails-system"}, eq(lAppName, "guardrails"), eq(lAppComp, "webhook"))},
		names:  []string{"guardrails-webhook"},
		nameNS: []string{"guardrails-system"},
	},
	{
		name: "cluster-autoscaler",
		// The autoscaler chart names itself <cloudProvider>-cluster-autoscaler.
		labels: []labelSet{set(eq(lApp, "cluster-autoscaler")), set(eq(lK8sApp, "cluster-autoscaler")), set(suffixEq(lAppName, "cluster-autoscaler"))},
		names:  []string{"cluster-autoscaler"},
		nameNS: kubeSystem,
	},
	{
		// Karpenter provisions the nodes pods wait for: the cluster
		// autoscaler's role (its chart defaults to system-cluster-critical).
		name:   "Karpenter",
		labels: []labelSet{set(eq(lAppName, "karpenter"))},
		names:  []string{"karpenter"},
		nameNS: []string{metav1.NamespaceSystem, "karpenter"},
	},
}

// platformAgents are cluster components whose upstream manifests run them
// with a system priority class outside kube-system, but which are not
// critical add-ons: Guardrails does not require a system class of them
// (priority-critical-addon, the mutating webhook), it only lets them keep
// the one upstream gave them (priority-reserved-class).
var platformAgents = []knownAddon{
	{
		// kube-prometheus runs node-exporter with system-cluster-critical
		// in "monitoring"; the prometheus-community chart names it
		// prometheus-node-exporter.
		name: "node-exporter", nodeAgent: true,
		labels: []labelSet{
			set(eq(lAppName, "node-exporter"), eq("app.kubernetes.io/part-of", "kube-prometheus")),
			set(eq(lAppName, "prometheus-node-exporter")),
		},
	},
	{
		// OPA Gatekeeper's webhook and audit controllers
		// (system-cluster-critical in gatekeeper-system).
		name:   "Gatekeeper",
		labels: []labelSet{set(eq("gatekeeper.sh/system", "yes"))},
	},
	{
		// Istio ambient's per-node proxy (system-node-critical).
		name: "Istio ztunnel", nodeAgent: true,
		labels: []labelSet{
			set(eq(lAppName, "ztunnel")),
			setIn([]string{metav1.NamespaceSystem, "istio-system"}, eq(lApp, "ztunnel")),
		},
	},
	{
		// Calico's CSI node driver, created by the Tigera operator in
		// calico-system with system-node-critical.
		name: "Calico CSI node driver", nodeAgent: true,
		labels: []labelSet{setIn([]string{"calico-system"}, eq(lK8sApp, "csi-node-driver"))},
	},
	{
		// The NVIDIA device plugin chart (system-node-critical, in its own
		// namespace).
		name: "NVIDIA device plugin", nodeAgent: true,
		labels: []labelSet{set(eq(lAppName, "nvidia-device-plugin"))},
	},
}

// platformAgentOf reports whether obj is one of platformAgents (by the
// labels of its pod template or of the workload itself); only long-running
// kinds match, mirror pods never do.
func platformAgentOf(obj runtime.Object, ref ObjectRef) (string, bool) {
	ps, ok := PodSpecOf(obj)
	if !ok || IsMirrorPod(obj) {
		return "", false
	}
	om, ok := workloadMeta(obj)
	if !ok {
		return "", false
	}
	ns := ref.Namespace
	if ns == "" {
		ns = om.Namespace
	}
	labelMaps := []map[string]string{ps.PodMeta.Labels, om.Labels}
	for _, a := range platformAgents {
		if _, ok := a.matches("", ns, labelMaps, isPod(obj)); ok {
			return a.name, true
		}
	}
	return "", false
}

// CriticalAddonOf reports whether obj is a critical add-on: a well-known one
// (by the labels of its pod template or of the workload itself, in any
// namespace, or by its exact upstream name in the add-on's own namespace)
// or one selected by Settings.Priority.CriticalAddons. Only long-running kinds can
// be add-ons (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
// ReplicationController); mirror pods never are (the kubelet runs them
// whatever the API says). The mutating webhook uses it to fill
// priorityClassName.
func CriticalAddonOf(obj runtime.Object, ref ObjectRef, s *Settings) (AddonMatch, bool) {
	ps, ok := PodSpecOf(obj)
	if !ok || IsMirrorPod(obj) {
		return AddonMatch{}, false
	}
	om, ok := workloadMeta(obj)
	if !ok {
		return AddonMatch{}, false
	}
	ns := ref.Namespace
	if ns == "" {
		ns = om.Namespace
	}
	name := ref.Name
	if name == "" {
		name = om.Name
	}
	daemon := runsPerNode(obj)
	labelMaps := []map[string]string{ps.PodMeta.Labels, om.Labels}

	if s != nil {
		for i, sel := range s.Priority.CriticalAddons {
			if selectorMatches(sel, name, ns, labelMaps) {
				m := AddonMatch{Addon: addonDisplayName(sel, name), Reason: fmt.Sprintf("config criticalAddons[%d]", i)}
				return finishMatch(m, sel.NodeAgent && daemon), true
			}
		}
	}
	for _, a := range knownAddons {
		if reason, ok := a.matches(name, ns, labelMaps, isPod(obj)); ok {
			return finishMatch(AddonMatch{Addon: a.name, Reason: reason}, a.nodeAgent && daemon), true
		}
	}
	return AddonMatch{}, false
}

func finishMatch(m AddonMatch, nodeAgent bool) AddonMatch {
	m.NodeAgent = nodeAgent
	m.WantClass = SystemClusterCritical
	if nodeAgent {
		m.WantClass = SystemNodeCritical
	}
	return m
}

func (a *knownAddon) matches(name, ns string, labelMaps []map[string]string, pod bool) (string, bool) {
	for _, labels := range labelMaps {
		if len(labels) == 0 {
			continue
		}
		for _, ls := range a.labels {
			if len(ls.namespaces) > 0 && !slices.Contains(ls.namespaces, ns) {
				continue
			}
			all := true
			var shown []string
			for _, c := range ls.conds {
				if !c.match(labels) {
					all = false
					break
				}
				if _, present := labels[c.key]; present {
					shown = append(shown, c.String())
				}
			}
			if all && len(shown) > 0 {
				return "label " + strings.Join(shown, ","), true
			}
		}
	}
	// Pod names carry generated suffixes; names only mark workloads.
	if !pod && name != "" && slices.Contains(a.names, name) && slices.Contains(a.nameNS, ns) {
		return fmt.Sprintf("name %s/%s", ns, name), true
	}
	return "", false
}

func selectorMatches(sel AddonSelector, name, ns string, labelMaps []map[string]string) bool {
	if sel.Name == "" && sel.Namespace == "" && len(sel.Labels) == 0 {
		return false // an empty selector selects nothing
	}
	if sel.Name != "" && sel.Name != name {
		return false
	}
	if sel.Namespace != "" && sel.Namespace != ns {
		return false
	}
	if len(sel.Labels) == 0 {
		return true
	}
	for _, labels := range labelMaps {
		all := true
		for k, v := range sel.Labels {
			if got, ok := labels[k]; !ok || got != v {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func addonDisplayName(sel AddonSelector, name string) string {
	if sel.Name != "" {
		return sel.Name
	}
	if v := sel.Labels[lAppName]; v != "" {
		return v
	}
	if keys := slices.Sorted(maps.Keys(sel.Labels)); len(keys) > 0 {
		return sel.Labels[keys[0]]
	}
	return name
}

// workloadMeta returns the object's own metadata for the add-on kinds.
func workloadMeta(obj runtime.Object) (*metav1.ObjectMeta, bool) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &o.ObjectMeta, true
	case *appsv1.Deployment:
		return &o.ObjectMeta, true
	case *appsv1.StatefulSet:
		return &o.ObjectMeta, true
	case *appsv1.DaemonSet:
		return &o.ObjectMeta, true
	case *appsv1.ReplicaSet:
		return &o.ObjectMeta, true
	case *corev1.ReplicationController:
		return &o.ObjectMeta, true
	}
	return nil, false
}

// runsPerNode reports whether obj is a DaemonSet or a pod a DaemonSet owns.
func runsPerNode(obj runtime.Object) bool {
	switch o := obj.(type) {
	case *appsv1.DaemonSet:
		return true
	case *corev1.Pod:
		for _, or := range o.OwnerReferences {
			if or.Kind == "DaemonSet" && or.Controller != nil && *or.Controller {
				return true
			}
		}
	}
	return false
}

// controlledPod reports whether obj is a Pod created by a controller
// (ReplicaSet, DaemonSet, StatefulSet, Job…). Its owner carries the fix and
// was judged at its own admission; denying the controller's pods only
// stops replacements from being created.
func controlledPod(obj runtime.Object) bool {
	p, ok := obj.(*corev1.Pod)
	if !ok || p == nil {
		return false
	}
	for _, or := range p.OwnerReferences {
		if or.Controller != nil && *or.Controller {
			return true
		}
	}
	return false
}

func isPod(obj runtime.Object) bool {
	_, ok := obj.(*corev1.Pod)
	return ok
}

// isSystemClass reports whether name is one of the two system classes.
func isSystemClass(name string) bool {
	return name == SystemClusterCritical || name == SystemNodeCritical
}

// workloadDisplayName names the object in messages: its name, or its
// generateName prefix for pods created with one.
func workloadDisplayName(obj runtime.Object, ref ObjectRef) string {
	if ref.Name != "" {
		return ref.Name
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	if m.GetName() != "" {
		return m.GetName()
	}
	return m.GetGenerateName()
}
