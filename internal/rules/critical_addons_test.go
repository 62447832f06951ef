package rules

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func deployment(ns, name string, podLabels map[string]string) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	d.Spec.Template.Labels = podLabels
	return d
}

func daemonSet(ns, name string, podLabels map[string]string) *appsv1.DaemonSet {
	d := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	d.Spec.Template.Labels = podLabels
	return d
}

func refOf(obj runtime.Object) ObjectRef {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return ObjectRef{Kind: "Deployment", Namespace: o.Namespace, Name: o.Name}
	case *appsv1.DaemonSet:
		return ObjectRef{Kind: "DaemonSet", Namespace: o.Namespace, Name: o.Name}
	case *corev1.Pod:
		return ObjectRef{Kind: "Pod", Namespace: o.Namespace, Name: o.Name}
	case *batchv1.Job:
		return ObjectRef{Kind: "Job", Namespace: o.Namespace, Name: o.Name}
	}
	return ObjectRef{}
}

func TestCriticalAddonOf(t *testing.T) {
	yes := true
	dsPod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Namespace: "kube-system", Name: "kube-proxy-abcde", Labels: map[string]string{"k8s-app": "kube-proxy"},
		OwnerReferences: []metav1.OwnerReference{{Kind: "DaemonSet", Name: "kube-proxy", Controller: &yes}},
	}}
	withImage := func(d *appsv1.Deployment, image string) *appsv1.Deployment {
		d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c", Image: image}}
		return d
	}
	namedPod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns"}}
	mirror := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Namespace: "kube-system", Name: "kube-proxy-n1", Labels: map[string]string{"k8s-app": "kube-proxy"},
		Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "x"},
	}}
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns"}}
	job.Spec.Template.Labels = map[string]string{"k8s-app": "kube-dns"}
	workloadLabelsOnly := deployment("kube-system", "dns", nil)
	workloadLabelsOnly.Labels = map[string]string{"app.kubernetes.io/name": "coredns"}

	cfg := &Settings{Priority: PrioritySettings{
		CriticalAddons: []AddonSelector{
			{},
			{Namespace: "platform", Labels: map[string]string{"app.kubernetes.io/name": "gw"}},
			{Name: "log-agent", NodeAgent: true},
		},
		AddonNamespaces: []string{"logging", "edge"},
	}}
	fromDS := Origin{Controller: "DaemonSet"}
	nodeMirror := Origin{Mirror: true}

	for _, tc := range []struct {
		name     string
		obj      runtime.Object
		origin   Origin
		settings *Settings
		ok       bool
		addon    string
		reason   string
		want     string
		node     bool
	}{
		{"coredns label", deployment("kube-system", "coredns", map[string]string{"k8s-app": "kube-dns"}), Origin{}, nil, true, "CoreDNS", "label k8s-app=kube-dns", SystemClusterCritical, false},
		{"coredns name", deployment("kube-system", "coredns", map[string]string{"app": "x"}), Origin{}, nil, true, "CoreDNS", "name kube-system/coredns", SystemClusterCritical, false},
		{"coredns workload label", workloadLabelsOnly, Origin{}, nil, true, "CoreDNS", "label app.kubernetes.io/name=coredns", SystemClusterCritical, false},
		{"coredns name elsewhere", deployment("shop", "coredns", nil), Origin{}, nil, false, "", "", "", false},
		{"kube-proxy ds", daemonSet("kube-system", "kube-proxy", map[string]string{"k8s-app": "kube-proxy"}), Origin{}, nil, true, "kube-proxy", "label k8s-app=kube-proxy", SystemNodeCritical, true},
		{"kube-proxy as deployment", deployment("kube-system", "kube-proxy", nil), Origin{}, nil, true, "kube-proxy", "name kube-system/kube-proxy", SystemClusterCritical, false},
		{"kube-proxy ds pod", dsPod, fromDS, nil, true, "kube-proxy", "label k8s-app=kube-proxy", SystemNodeCritical, true},
		// An ownerReference alone proves nothing: a node agent only when
		// the DaemonSet controller sent the pod.
		{"kube-proxy pod with a forged owner", dsPod, Origin{}, nil, true, "kube-proxy", "label k8s-app=kube-proxy", SystemClusterCritical, false},
		{"pod matched by name only", namedPod, Origin{}, nil, false, "", "", "", false},
		{"mirror pod", mirror, nodeMirror, nil, false, "", "", "", false},
		// The annotation from anyone but a node: a pod like any other.
		{"mirror annotation of a tenant", mirror, Origin{}, nil, true, "kube-proxy", "label k8s-app=kube-proxy", SystemClusterCritical, false},
		{"job", job, Origin{}, nil, false, "", "", "", false},
		{"tenant proxy", deployment("shop", "proxy", map[string]string{"app": "proxy"}), Origin{}, nil, false, "", "", "", false},
		{"calico-node", daemonSet("calico-system", "calico-node", map[string]string{"k8s-app": "calico-node"}), Origin{}, nil, true, "Calico", "label k8s-app=calico-node", SystemNodeCritical, true},
		{"calico typha", deployment("calico-system", "calico-typha", map[string]string{"k8s-app": "calico-typha"}), Origin{}, nil, true, "Calico Typha", "label k8s-app=calico-typha", SystemClusterCritical, false},
		{"cilium operator", deployment("kube-system", "cilium-operator", map[string]string{"io.cilium/app": "operator", "name": "cilium-operator"}), Origin{}, nil, true, "Cilium operator", "label io.cilium/app=operator", SystemClusterCritical, false},
		{"cilium envoy", daemonSet("kube-system", "cilium-envoy", map[string]string{"k8s-app": "cilium-envoy"}), Origin{}, nil, true, "Cilium Envoy", "label k8s-app=cilium-envoy", SystemNodeCritical, true},
		{"flannel", daemonSet("kube-flannel", "kube-flannel-ds", map[string]string{"app": "flannel"}), Origin{}, nil, true, "Flannel", "label app=flannel", SystemNodeCritical, true},
		{"weave", daemonSet("kube-system", "weave-net", map[string]string{"name": "weave-net"}), Origin{}, nil, true, "Weave Net", "label name=weave-net", SystemNodeCritical, true},
		{"ingress-nginx controller ds", daemonSet("ingress-nginx", "ingress-nginx-controller", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}), Origin{}, nil, true, "ingress-nginx", "label app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller", SystemClusterCritical, false},
		{"ingress-nginx webhook", deployment("ingress-nginx", "x", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "admission-webhook"}), Origin{}, nil, false, "", "", "", false},
		{"nginx inc", deployment("nginx-ingress", "my-nginx-ingress", map[string]string{"app.kubernetes.io/name": "nginx-ingress"}), Origin{}, nil, true, "NGINX Ingress Controller", "label app.kubernetes.io/name=nginx-ingress", SystemClusterCritical, false},
		{"stable nginx-ingress backend", deployment("ing", "x", map[string]string{"app": "nginx-ingress", "component": "default-backend"}), Origin{}, nil, false, "", "", "", false},
		{"traefik", deployment("traefik", "traefik", map[string]string{"app.kubernetes.io/name": "traefik"}), Origin{}, nil, true, "Traefik", "label app.kubernetes.io/name=traefik", SystemClusterCritical, false},
		{"contour envoy", daemonSet("projectcontour", "envoy", map[string]string{"app": "envoy"}), Origin{}, nil, true, "Contour", "label app=envoy", SystemClusterCritical, false},
		{"tenant envoy", deployment("shop", "envoy", map[string]string{"app": "envoy"}), Origin{}, nil, false, "", "", "", false},
		{"autoscaler chart", deployment("kube-system", "ca-gce-cluster-autoscaler", map[string]string{"app.kubernetes.io/name": "gce-cluster-autoscaler"}), Origin{}, nil, true, "cluster-autoscaler", "label app.kubernetes.io/name=*cluster-autoscaler", SystemClusterCritical, false},
		{"not autoscaler", deployment("shop", "x", map[string]string{"app.kubernetes.io/name": "mycluster-autoscaler"}), Origin{}, nil, false, "", "", "", false},
		{"istio cni", daemonSet("istio-system", "istio-cni-node", map[string]string{"k8s-app": "istio-cni-node", "app.kubernetes.io/name": "istio-cni"}), Origin{}, nil, true, "Istio CNI", "label k8s-app=istio-cni-node", SystemNodeCritical, true},
		{"karpenter", deployment("karpenter", "karpenter", map[string]string{"app.kubernetes.io/name": "karpenter", "app.kubernetes.io/instance": "karpenter"}), Origin{}, nil, true, "Karpenter", "label app.kubernetes.io/name=karpenter", SystemClusterCritical, false},
		{"metrics-server", deployment("metrics-server", "metrics-server", map[string]string{"k8s-app": "metrics-server"}), Origin{}, nil, true, "metrics-server", "label k8s-app=metrics-server", SystemClusterCritical, false},
		// Add-ons are recognised only where they live (issue 9.7): a
		// tenant copying their labels, names or images gains nothing.
		{"kube-dns labels in a tenant namespace", deployment("shop", "dns", map[string]string{"k8s-app": "kube-dns"}), Origin{}, nil, false, "", "", "", false},
		{"kube-proxy ds in a tenant namespace", daemonSet("shop", "kube-proxy", map[string]string{"k8s-app": "kube-proxy"}), Origin{}, nil, false, "", "", "", false},
		{"metrics-server in monitoring", deployment("monitoring", "metrics-server", map[string]string{"k8s-app": "metrics-server"}), Origin{}, nil, false, "", "", "", false},
		{"traefik labels in a tenant namespace", deployment("shop", "traefik", map[string]string{"app.kubernetes.io/name": "traefik"}), Origin{}, nil, false, "", "", "", false},
		{"ingress-nginx image in a tenant namespace", withImage(deployment("shop", "x", nil), "registry.k8s.io/ingress-nginx/controller:v1.12.0"), Origin{}, nil, false, "", "", "", false},
		{"configured addon namespace", deployment("edge", "ingress-nginx-controller", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}), Origin{}, cfg, true, "ingress-nginx", "label app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller", SystemClusterCritical, false},
		{"addon of another namespace's table entry", deployment("traefik", "dns", map[string]string{"k8s-app": "kube-dns"}), Origin{}, nil, false, "", "", "", false},
		// Without a namespace (the CLI only): recognised wherever it lands.
		{"no namespace", deployment("", "dns", map[string]string{"k8s-app": "kube-dns"}), Origin{}, nil, true, "CoreDNS", "label k8s-app=kube-dns", SystemClusterCritical, false},
		// New signals (issue 10).
		{"haproxytech by run label", deployment("haproxy-controller", "haproxy-kubernetes-ingress", map[string]string{"run": "haproxy-ingress"}), Origin{}, nil, true, "HAProxy Ingress", "label run=haproxy-ingress", SystemClusterCritical, false},
		{"haproxytech by image", withImage(deployment("haproxy-controller", "hki", map[string]string{"app": "x"}), "haproxytech/kubernetes-ingress:3.1"), Origin{}, nil, true, "HAProxy Ingress", "image haproxytech/kubernetes-ingress", SystemClusterCritical, false},
		{"traefik by image", withImage(deployment("traefik", "lb", map[string]string{"app": "traefik-lb"}), "traefik:v3.7"), Origin{}, nil, true, "Traefik", "image traefik", SystemClusterCritical, false},
		{"traefik whoami is not traefik", withImage(deployment("traefik", "whoami", map[string]string{"app": "whoami"}), "traefik/whoami"), Origin{}, nil, false, "", "", "", false},
		{"traefik app label", deployment("traefik", "traefik", map[string]string{"app": "traefik"}), Origin{}, nil, true, "Traefik", "label app=traefik", SystemClusterCritical, false},
		{"k3s traefik", deployment("kube-system", "traefik", map[string]string{"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-kube-system"}), Origin{}, nil, true, "Traefik", "label app.kubernetes.io/name=traefik", SystemClusterCritical, false},
		{"old nginx-ingress-controller label", deployment("ingress-nginx", "nginx-ingress-controller", map[string]string{"app": "nginx-ingress-controller"}), Origin{}, nil, true, "ingress-nginx", "label app=nginx-ingress-controller", SystemClusterCritical, false},
		{"ingress-nginx without component, by image", withImage(deployment("ingress-nginx", "ingress-nginx-controller", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/part-of": "ingress-nginx"}), "registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1"), Origin{}, nil, true, "ingress-nginx", "image ingress-nginx/controller", SystemClusterCritical, false},
		{"ingress-nginx example backend", withImage(deployment("ingress-nginx", "nginx", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/part-of": "ingress-nginx"}), "gcr.io/google_containers/nginx"), Origin{}, nil, false, "", "", "", false},
		{"kong chart", deployment("kong", "kong-kong", map[string]string{"app.kubernetes.io/name": "kong"}), Origin{}, nil, true, "Kong", "label app.kubernetes.io/name=kong", SystemClusterCritical, false},
		{"kong all-in-one", deployment("kong", "ingress-kong", map[string]string{"app": "ingress-kong"}), Origin{}, nil, true, "Kong", "label app=ingress-kong", SystemClusterCritical, false},
		{"istio ingress gateway", deployment("istio-system", "istio-ingressgateway", map[string]string{"app": "istio-ingressgateway", "istio": "ingressgateway"}), Origin{}, nil, true, "Istio ingress gateway", "label istio=ingressgateway", SystemClusterCritical, false},
		{"istio gateway chart", deployment("istio-ingress", "istio-ingress", map[string]string{"app": "istio-ingress", "istio": "ingress"}), Origin{}, nil, true, "Istio ingress gateway", "label istio=ingress", SystemClusterCritical, false},
		{"istio gateway api deployment in a tenant namespace", deployment("shop", "gw-istio", map[string]string{"gateway.istio.io/managed": "istio.io-gateway-controller"}), Origin{}, nil, false, "", "", "", false},
		{"aws lb controller", deployment("kube-system", "aws-load-balancer-controller", map[string]string{"app.kubernetes.io/name": "aws-load-balancer-controller"}), Origin{}, nil, true, "AWS Load Balancer Controller", "label app.kubernetes.io/name=aws-load-balancer-controller", SystemClusterCritical, false},
		{"cilium in its own namespace", daemonSet("cilium", "cilium", map[string]string{"k8s-app": "cilium"}), Origin{}, nil, true, "Cilium", "label k8s-app=cilium", SystemNodeCritical, true},
		{"envoy gateway", deployment("envoy-gateway-system", "envoy-gateway", map[string]string{"control-plane": "envoy-gateway", "app.kubernetes.io/name": "gateway-helm"}), Origin{}, nil, true, "Envoy Gateway", "label control-plane=envoy-gateway", SystemClusterCritical, false},
		{"envoy gateway proxy", deployment("envoy-gateway-system", "envoy-default-eg-e41e7b31", map[string]string{"app.kubernetes.io/name": "envoy", "app.kubernetes.io/managed-by": "envoy-gateway"}), Origin{}, nil, true, "Envoy Gateway", "label app.kubernetes.io/name=envoy,app.kubernetes.io/managed-by=envoy-gateway", SystemClusterCritical, false},
		{"contour by image", withImage(deployment("projectcontour", "contour", map[string]string{"x": "y"}), "ghcr.io/projectcontour/contour:v1.30.0"), Origin{}, nil, true, "Contour", "image projectcontour/contour", SystemClusterCritical, false},
		{"config empty selector ignored", deployment("shop", "web", nil), Origin{}, cfg, false, "", "", "", false},
		{"config labels", deployment("platform", "gateway", map[string]string{"app.kubernetes.io/name": "gw"}), Origin{}, cfg, true, "gw", "config criticalAddons[1]", SystemClusterCritical, false},
		{"config labels wrong ns", deployment("shop", "gateway", map[string]string{"app.kubernetes.io/name": "gw"}), Origin{}, cfg, false, "", "", "", false},
		// A selector without namespace selects in the add-on namespaces only.
		{"config name in a tenant namespace", daemonSet("shop", "log-agent", nil), Origin{}, cfg, false, "", "", "", false},
		{"config node agent ds", daemonSet("logging", "log-agent", nil), Origin{}, cfg, true, "log-agent", "config criticalAddons[2]", SystemNodeCritical, true},
		{"config node agent as deployment", deployment("logging", "log-agent", nil), Origin{}, cfg, true, "log-agent", "config criticalAddons[2]", SystemClusterCritical, false},
		{"unknown type", &corev1.ConfigMap{}, Origin{}, nil, false, "", "", "", false},
		{"nil object", nil, Origin{}, nil, false, "", "", "", false},
		{"empty deployment", &appsv1.Deployment{}, Origin{}, nil, false, "", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.settings
			if s == nil {
				s = DefaultSettings()
			}
			m, ok := CriticalAddonOf(tc.obj, refOf(tc.obj), tc.origin, s)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (match %+v)", ok, tc.ok, m)
			}
			if !ok {
				return
			}
			if m.Addon != tc.addon || m.Reason != tc.reason || m.WantClass != tc.want || m.NodeAgent != tc.node {
				t.Errorf("got %+v, want addon %q reason %q class %q node %v", m, tc.addon, tc.reason, tc.want, tc.node)
			}
		})
	}
}

func TestPlatformAgentOf(t *testing.T) {
	kp := map[string]string{"app.kubernetes.io/name": "node-exporter", "app.kubernetes.io/part-of": "kube-prometheus"}
	for _, tc := range []struct {
		name  string
		obj   runtime.Object
		agent string
	}{
		{"kube-prometheus node-exporter", daemonSet("monitoring", "node-exporter", kp), "node-exporter"},
		{"chart node-exporter", daemonSet("prometheus", "prom-prometheus-node-exporter", map[string]string{"app.kubernetes.io/name": "prometheus-node-exporter"}), "node-exporter"},
		{"chart node-exporter in a tenant namespace", daemonSet("obs", "prom-prometheus-node-exporter", map[string]string{"app.kubernetes.io/name": "prometheus-node-exporter"}), ""},
		{"node-exporter name only label", daemonSet("monitoring", "x", map[string]string{"app.kubernetes.io/name": "node-exporter"}), ""},
		{"tenant gatekeeper label", deployment("shop", "web", map[string]string{"gatekeeper.sh/system": "yes"}), ""},
		{"gatekeeper", deployment("gatekeeper-system", "gatekeeper-audit", map[string]string{"gatekeeper.sh/system": "yes", "control-plane": "audit-controller"}), "Gatekeeper"},
		{"ztunnel", daemonSet("istio-system", "ztunnel", map[string]string{"app": "ztunnel"}), "Istio ztunnel"},
		{"tenant ztunnel label", deployment("shop", "ztunnel", map[string]string{"app": "ztunnel"}), ""},
		{"calico csi", daemonSet("calico-system", "csi-node-driver", map[string]string{"k8s-app": "csi-node-driver"}), "Calico CSI node driver"},
		{"nvidia", daemonSet("nvidia-device-plugin", "nvdp", map[string]string{"app.kubernetes.io/name": "nvidia-device-plugin"}), "NVIDIA device plugin"},
		{"tenant", deployment("shop", "web", map[string]string{"app": "web"}), ""},
		{"nil", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := platformAgentOf(tc.obj, refOf(tc.obj), Origin{}, DefaultSettings())
			if ok != (tc.agent != "") || got != tc.agent {
				t.Errorf("platformAgentOf = %q, %v; want %q", got, ok, tc.agent)
			}
			if _, crit := CriticalAddonOf(tc.obj, refOf(tc.obj), Origin{}, DefaultSettings()); crit {
				t.Errorf("platform agent must not be a critical add-on")
			}
		})
	}
}
