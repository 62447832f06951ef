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
	// namespaces restricts the set further, to some of the add-on's
	// namespaces (for generic labels such as app=envoy); empty means every
	// namespace the add-on lives in.
	namespaces []string
}

// knownAddon is one well-known critical add-on, recognised by the labels
// of its upstream manifests and Helm charts, the images it runs, or its
// upstream workload names (names mark workloads only, never pods, whose
// names carry generated suffixes). Every signal counts only in the
// namespaces where the add-on lives: kube-system, its own upstream
// namespaces, and the config's priority.addonNamespaces. Anyone who may
// create a Deployment may copy labels, names and images; only cluster
// administrators create workloads in those namespaces.
type knownAddon struct {
	name      string
	nodeAgent bool
	labels    []labelSet
	// images are image repositories ("haproxytech/kubernetes-ingress"),
	// matched against the end of a container's repository, registry,
	// tag and digest aside.
	images []string
	names  []string
	// namespaces are where the add-on's upstream manifests install it,
	// besides kube-system.
	namespaces []string
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

// knownAddons is the table of well-known critical add-ons.
var knownAddons = []knownAddon{
	{
		name: "CoreDNS",
		// kubeadm and most distributions keep the kube-dns label for the
		// Service selector; the coredns Helm chart sets app.kubernetes.io/name.
		labels: []labelSet{set(eq(lK8sApp, "kube-dns")), set(eq(lAppName, "coredns")), set(eq(lK8sApp, "coredns"))},
		names:  []string{"coredns", "kube-dns"},
	},
	{
		name: "NodeLocal DNSCache", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "node-local-dns"))},
		names:  []string{"node-local-dns"},
	},
	{
		name: "kube-proxy", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "kube-proxy"))},
		names:  []string{"kube-proxy"},
	},
	{
		name: "Calico", nodeAgent: true,
		labels:     []labelSet{set(eq(lK8sApp, "calico-node")), set(eq(lAppName, "calico-node"))},
		names:      []string{"calico-node"},
		namespaces: []string{"calico-system"},
	},
	{
		name:       "Calico kube-controllers",
		labels:     []labelSet{set(eq(lK8sApp, "calico-kube-controllers")), set(eq(lAppName, "calico-kube-controllers"))},
		names:      []string{"calico-kube-controllers"},
		namespaces: []string{"calico-system"},
	},
	{
		name:       "Calico Typha",
		labels:     []labelSet{set(eq(lK8sApp, "calico-typha")), set(eq(lAppName, "calico-typha"))},
		names:      []string{"calico-typha"},
		namespaces: []string{"calico-system"},
	},
	{
		name: "Canal", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "canal"))},
		names:  []string{"canal"},
	},
	{
		name: "Cilium", nodeAgent: true,
		labels:     []labelSet{set(eq(lK8sApp, "cilium")), set(eq(lAppName, "cilium-agent"))},
		images:     []string{"cilium/cilium"},
		names:      []string{"cilium"},
		namespaces: []string{"cilium"},
	},
	{
		name:   "Cilium operator",
		labels: []labelSet{set(eq("io.cilium/app", "operator")), set(eq(lAppName, "cilium-operator"))},
		images: []string{"cilium/operator", "cilium/operator-generic", "cilium/operator-aws", "cilium/operator-azure", "cilium/operator-alibabacloud"},
		names:  []string{"cilium-operator"}, namespaces: []string{"cilium"},
	},
	{
		name: "Cilium Envoy", nodeAgent: true,
		labels:     []labelSet{set(eq(lK8sApp, "cilium-envoy")), set(eq(lAppName, "cilium-envoy"))},
		images:     []string{"cilium/cilium-envoy"},
		names:      []string{"cilium-envoy"},
		namespaces: []string{"cilium"},
	},
	{
		name: "Flannel", nodeAgent: true,
		labels:     []labelSet{set(eq(lApp, "flannel")), set(eq(lK8sApp, "flannel"))},
		names:      []string{"kube-flannel-ds"},
		namespaces: []string{"kube-flannel"},
	},
	{
		name: "Weave Net", nodeAgent: true,
		labels: []labelSet{set(eq(lName, "weave-net"))},
		names:  []string{"weave-net"},
	},
	{
		// Istio's CNI node agent (chained CNI plugin; the chart hard-codes
		// system-node-critical).
		name: "Istio CNI", nodeAgent: true,
		labels:     []labelSet{set(eq(lK8sApp, "istio-cni-node"))},
		names:      []string{"istio-cni-node"},
		namespaces: []string{"istio-system"},
	},
	{
		name: "Amazon VPC CNI", nodeAgent: true,
		labels: []labelSet{set(eq(lK8sApp, "aws-node"))},
		names:  []string{"aws-node"},
	},
	{
		name: "ingress-nginx",
		labels: []labelSet{
			// The chart's admission Jobs and default backend carry other
			// components; only the controller is the add-on.
			set(eq(lAppName, "ingress-nginx"), eq(lAppComp, "controller")),
			// The manifests before the component label, and the
			// kubernetes/ingress controller before ingress-nginx.
			set(eq(lApp, "nginx-ingress-controller")),
			set(eq(lApp, "ingress-nginx")),
		},
		// The controller's image, whatever the labels (older manifests and
		// examples label the backends like the controller).
		images:     []string{"ingress-nginx/controller", "ingress-nginx/controller-chroot", "nginx-ingress-controller"},
		names:      []string{"ingress-nginx-controller", "nginx-ingress-controller"},
		namespaces: []string{"ingress-nginx"},
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
		images:     []string{"nginx/nginx-ingress", "nginx-ic/nginx-plus-ingress", "nginx-ic/nginx-ingress"},
		names:      []string{"nginx-ingress"},
		namespaces: []string{"nginx-ingress"},
	},
	{
		// k3s runs it in kube-system; the chart and the docs in traefik.
		name: "Traefik",
		labels: []labelSet{
			set(eq(lAppName, "traefik")),
			set(eq(lApp, "traefik")),
			set(eq(lK8sApp, "traefik-ingress-lb")), // Traefik 1.x manifests
		},
		images:     []string{"traefik", "rancher/mirrored-library-traefik"},
		names:      []string{"traefik"},
		namespaces: []string{"traefik"},
	},
	{
		// HAProxy Technologies' controller (haproxy-controller) and the
		// community haproxy-ingress (ingress-controller, haproxy-ingress).
		name: "HAProxy Ingress",
		labels: []labelSet{
			set(eq(lAppName, "haproxy-ingress"), optEq(lAppComp, "controller")),
			set(eq(lAppName, "kubernetes-ingress"), optEq(lAppComp, "controller")), // haproxytech chart
			set(eq("run", "haproxy-ingress")),
		},
		images:     []string{"haproxytech/kubernetes-ingress", "jcmoraisjr/haproxy-ingress"},
		names:      []string{"haproxy-ingress", "haproxy-kubernetes-ingress"},
		namespaces: []string{"haproxy-controller", "haproxy-ingress", "ingress-controller"},
	},
	{
		name: "Contour",
		labels: []labelSet{
			set(eq(lAppName, "contour"), eq(lAppComp, "contour")),
			set(eq(lAppName, "contour"), eq(lAppComp, "envoy")),
			setIn([]string{"projectcontour"}, eq(lApp, "contour")),
			setIn([]string{"projectcontour"}, eq(lApp, "envoy")),
		},
		images:     []string{"projectcontour/contour"},
		namespaces: []string{"projectcontour"},
	},
	{
		// Kong's ingress controller and its proxy (chart, or the
		// all-in-one manifest's ingress-kong Deployment).
		name: "Kong",
		labels: []labelSet{
			set(eq(lAppName, "kong")),
			set(eq(lApp, "ingress-kong")),
			set(eq(lApp, "kong")),
		},
		images:     []string{"kong/kubernetes-ingress-controller", "kong", "kong/kong-gateway"},
		names:      []string{"ingress-kong"},
		namespaces: []string{"kong"},
	},
	{
		// Istio's ingress gateways: the istio-ingressgateway of istioctl's
		// profiles, the gateway chart (release istio-ingress), and the
		// deployments istiod creates for Gateway API Gateways.
		name: "Istio ingress gateway",
		labels: []labelSet{
			set(eq("istio", "ingressgateway")),
			set(eq(lApp, "istio-ingressgateway")),
			set(eq("istio", "ingress")),
			set(eq("gateway.istio.io/managed", "istio.io-gateway-controller")),
		},
		names:      []string{"istio-ingressgateway", "istio-ingress"},
		namespaces: []string{"istio-system", "istio-ingress"},
	},
	{
		name:   "AWS Load Balancer Controller",
		labels: []labelSet{set(eq(lAppName, "aws-load-balancer-controller"))},
		images: []string{"eks/aws-load-balancer-controller"},
		names:  []string{"aws-load-balancer-controller"},
	},
	{
		// Envoy Gateway's controller and the Envoy proxies it runs for
		// each Gateway.
		name: "Envoy Gateway",
		labels: []labelSet{
			set(eq("control-plane", "envoy-gateway")),
			set(eq(lAppName, "envoy"), eq("app.kubernetes.io/managed-by", "envoy-gateway")),
		},
		images:     []string{"envoyproxy/gateway"},
		names:      []string{"envoy-gateway"},
		namespaces: []string{"envoy-gateway-system"},
	},
	{
		name:       "metrics-server",
		labels:     []labelSet{set(eq(lK8sApp, "metrics-server")), set(eq(lAppName, "metrics-server"))},
		names:      []string{"metrics-server"},
		namespaces: []string{"metrics-server"},
	},
	{
		// Guardrails itself: with failurePolicy Fail, a preempted webhook
		// blocks every enforced namespace.
		name:       "Guardrails",
		labels:     []labelSet{set(eq(lAppName, "guardrails"), eq(lAppComp, "webhook"))},
		names:      []string{"guardrails-webhook"},
		namespaces: []string{"guardrails-system"},
	},
	{
		name: "cluster-autoscaler",
		// The autoscaler chart names itself <cloudProvider>-cluster-autoscaler.
		labels:     []labelSet{set(eq(lApp, "cluster-autoscaler")), set(eq(lK8sApp, "cluster-autoscaler")), set(suffixEq(lAppName, "cluster-autoscaler"))},
		names:      []string{"cluster-autoscaler"},
		namespaces: []string{"cluster-autoscaler"},
	},
	{
		// Karpenter provisions the nodes pods wait for: the cluster
		// autoscaler's role (its chart defaults to system-cluster-critical).
		name:       "Karpenter",
		labels:     []labelSet{set(eq(lAppName, "karpenter"))},
		names:      []string{"karpenter"},
		namespaces: []string{"karpenter"},
	},
}

// platformAgents are cluster components whose upstream manifests run them
// with a system priority class outside kube-system, but which are not
// critical add-ons: Guardrails does not require a system class of them
// (priority-critical-addon, the mutating webhook), it only lets them keep
// the one upstream gave them (priority-reserved-class), in the namespaces
// where they live.
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
		namespaces: []string{"monitoring", "prometheus", "kube-prometheus-stack"},
	},
	{
		// OPA Gatekeeper's webhook and audit controllers
		// (system-cluster-critical in gatekeeper-system).
		name:       "Gatekeeper",
		labels:     []labelSet{set(eq("gatekeeper.sh/system", "yes"))},
		namespaces: []string{"gatekeeper-system"},
	},
	{
		// Istio ambient's per-node proxy (system-node-critical).
		name: "Istio ztunnel", nodeAgent: true,
		labels:     []labelSet{set(eq(lAppName, "ztunnel")), set(eq(lApp, "ztunnel"))},
		namespaces: []string{"istio-system"},
	},
	{
		// Calico's CSI node driver, created by the Tigera operator in
		// calico-system with system-node-critical.
		name: "Calico CSI node driver", nodeAgent: true,
		labels:     []labelSet{setIn([]string{"calico-system"}, eq(lK8sApp, "csi-node-driver"))},
		namespaces: []string{"calico-system"},
	},
	{
		// The NVIDIA device plugin chart (system-node-critical), and the
		// GPU operator that deploys it.
		name: "NVIDIA device plugin", nodeAgent: true,
		labels:     []labelSet{set(eq(lAppName, "nvidia-device-plugin"))},
		namespaces: []string{"nvidia-device-plugin", "gpu-operator"},
	},
}

// candidate is what the add-on tables look at in one workload.
type candidate struct {
	name, ns  string
	labelMaps []map[string]string
	images    []string
	pod       bool
}

// candidateOf reads obj for the add-on tables, or false for kinds that are
// never add-ons and for mirror pods sent by a node.
func candidateOf(obj runtime.Object, ref ObjectRef, origin Origin) (candidate, bool) {
	ps, ok := PodSpecOf(obj)
	if !ok || (origin.Mirror && HasMirrorAnnotation(obj)) {
		return candidate{}, false
	}
	om, ok := workloadMeta(obj)
	if !ok {
		return candidate{}, false
	}
	c := candidate{name: ref.Name, ns: ref.Namespace, pod: isPod(obj)}
	if c.ns == "" {
		c.ns = om.Namespace
	}
	if c.name == "" {
		c.name = om.Name
	}
	c.labelMaps = []map[string]string{ps.PodMeta.Labels, om.Labels}
	for i := range ps.Spec.Containers {
		c.images = append(c.images, ps.Spec.Containers[i].Image)
	}
	return c, true
}

// platformAgentOf reports whether obj is one of platformAgents (by the
// labels of its pod template or of the workload itself, in the agent's
// namespaces); only long-running kinds match, mirror pods never do.
func platformAgentOf(obj runtime.Object, ref ObjectRef, origin Origin, s *Settings) (string, bool) {
	c, ok := candidateOf(obj, ref, origin)
	if !ok {
		return "", false
	}
	for _, a := range platformAgents {
		if _, ok := a.matches(c, s); ok {
			return a.name, true
		}
	}
	return "", false
}

// CriticalAddonOf reports whether obj is a critical add-on: a well-known
// one (by the labels of its pod template or of the workload itself, the
// images of its containers, or its upstream name) in a namespace where
// that add-on lives (AddonNamespace), or one selected by
// Settings.Priority.CriticalAddons. Only long-running kinds can be add-ons
// (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
// ReplicationController); mirror pods sent by a node never are (the kubelet
// runs them whatever the API says). origin says whether a Pod was stamped
// out by the DaemonSet controller (a node agent). The mutating webhook uses
// it to fill priorityClassName, so it never writes a system class outside
// the add-on namespaces.
//
// An object without a namespace (only `webhook check` sees those: the API
// server always names one) is recognised as if it were in its add-on's
// namespace: where it lands is decided when it is applied.
func CriticalAddonOf(obj runtime.Object, ref ObjectRef, origin Origin, s *Settings) (AddonMatch, bool) {
	c, ok := candidateOf(obj, ref, origin)
	if !ok {
		return AddonMatch{}, false
	}
	if s == nil {
		s = DefaultSettings()
	}
	daemon := runsPerNode(obj, origin)
	for i, sel := range s.Priority.CriticalAddons {
		if selectorMatches(sel, c, s) {
			m := AddonMatch{Addon: addonDisplayName(sel, c.name), Reason: fmt.Sprintf("config criticalAddons[%d]", i)}
			return finishMatch(m, sel.NodeAgent && daemon), true
		}
	}
	for _, a := range knownAddons {
		if reason, ok := a.matches(c, s); ok {
			return finishMatch(AddonMatch{Addon: a.name, Reason: reason}, a.nodeAgent && daemon), true
		}
	}
	return AddonMatch{}, false
}

// lookalikeAddon reports the well-known add-on (or platform agent) whose
// signals obj carries in a namespace where that add-on does not live, with
// the namespaces of the table where it would be recognised (the config's
// addonNamespaces aside).
func lookalikeAddon(obj runtime.Object, ref ObjectRef, origin Origin, s *Settings) (string, []string, bool) {
	c, ok := candidateOf(obj, ref, origin)
	if !ok || c.ns == "" {
		return "", nil, false
	}
	anywhere := c
	anywhere.ns = ""
	for _, table := range [][]knownAddon{knownAddons, platformAgents} {
		for _, a := range table {
			if _, ok := a.matches(anywhere, s); ok && !a.livesIn(c.ns, s) {
				return a.name, append([]string{metav1.NamespaceSystem}, a.namespaces...), true
			}
		}
	}
	return "", nil, false
}

func finishMatch(m AddonMatch, nodeAgent bool) AddonMatch {
	m.NodeAgent = nodeAgent
	m.WantClass = SystemClusterCritical
	if nodeAgent {
		m.WantClass = SystemNodeCritical
	}
	return m
}

// AddonNamespace reports whether ns is one where the configuration says
// add-ons live: kube-system or one of Settings.Priority.AddonNamespaces.
// Each well-known add-on lives in its own upstream namespaces too.
func AddonNamespace(ns string, s *Settings) bool {
	return ns == metav1.NamespaceSystem || (s != nil && slices.Contains(s.Priority.AddonNamespaces, ns))
}

// livesIn reports whether the add-on's signals count in namespace ns.
func (a *knownAddon) livesIn(ns string, s *Settings) bool {
	return ns == "" || AddonNamespace(ns, s) || slices.Contains(a.namespaces, ns)
}

func (a *knownAddon) matches(c candidate, s *Settings) (string, bool) {
	if !a.livesIn(c.ns, s) {
		return "", false
	}
	for _, labels := range c.labelMaps {
		if len(labels) == 0 {
			continue
		}
		for _, ls := range a.labels {
			if len(ls.namespaces) > 0 && c.ns != "" && !slices.Contains(ls.namespaces, c.ns) {
				continue
			}
			all := true
			var shown []string
			for _, cond := range ls.conds {
				if !cond.match(labels) {
					all = false
					break
				}
				if _, present := labels[cond.key]; present {
					shown = append(shown, cond.String())
				}
			}
			if all && len(shown) > 0 {
				return "label " + strings.Join(shown, ","), true
			}
		}
	}
	for _, img := range c.images {
		repo := imageRepository(img)
		for _, want := range a.images {
			if repo == want || strings.HasSuffix(repo, "/"+want) {
				return "image " + want, true
			}
		}
	}
	// Pod names carry generated suffixes; names only mark workloads.
	if !c.pod && c.ns != "" && slices.Contains(a.names, c.name) {
		return fmt.Sprintf("name %s/%s", c.ns, c.name), true
	}
	return "", false
}

// imageRepository returns an image reference without its tag and digest:
// "registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:…" gives
// "registry.k8s.io/ingress-nginx/controller".
func imageRepository(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, ':'); i >= 0 && !strings.Contains(image[i:], "/") {
		image = image[:i] // a tag, not a registry port
	}
	return image
}

// selectorMatches reports whether a config selector selects the workload.
// A selector with a namespace selects only there; one without selects in
// the add-on namespaces (AddonNamespace) only: labels and names alone are
// anyone's to copy.
func selectorMatches(sel AddonSelector, c candidate, s *Settings) bool {
	if sel.Name == "" && sel.Namespace == "" && len(sel.Labels) == 0 {
		return false // an empty selector selects nothing
	}
	if sel.Name != "" && sel.Name != c.name {
		return false
	}
	switch {
	case sel.Namespace != "":
		if sel.Namespace != c.ns {
			return false
		}
	case c.ns != "" && !AddonNamespace(c.ns, s):
		return false
	}
	if len(sel.Labels) == 0 {
		return true
	}
	for _, labels := range c.labelMaps {
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

// runsPerNode reports whether obj is a DaemonSet, or a Pod that the
// DaemonSet controller stamped out (origin: a pod's ownerReference alone
// proves nothing).
func runsPerNode(obj runtime.Object, origin Origin) bool {
	switch obj.(type) {
	case *appsv1.DaemonSet:
		return true
	case *corev1.Pod:
		return origin.Controller == "DaemonSet"
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
