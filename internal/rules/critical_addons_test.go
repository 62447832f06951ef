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
	namedPod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns"}}
	mirror := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Namespace: "kube-system", Name: "kube-proxy-n1", Labels: map[string]string{"k8s-app": "kube-proxy"},
		Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "x"},
	}}
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns"}}
	job.Spec.Template.Labels = map[string]string{"k8s-app": "kube-dns"}
	workloadLabelsOnly := deployment("dns", "dns", nil)
	workloadLabelsOnly.Labels = map[string]string{"app.kubernetes.io/name": "coredns"}

	cfg := &Settings{Priority: PrioritySettings{CriticalAddons: []AddonSelector{
		{},
		{Namespace: "platform", Labels: map[string]string{"app.kubernetes.io/name": "gw"}},
		{Name: "log-agent", NodeAgent: true},
	}}}

	for _, tc := range []struct {
		name     string
		obj      runtime.Object
		settings *Settings
		ok       bool
		addon    string
		reason   string
		want     string
		node     bool
	}{
		{"coredns label", deployment("kube-system", "coredns", map[string]string{"k8s-app": "kube-dns"}), nil, true, "CoreDNS", "label k8s-app=kube-dns", SystemClusterCritical, false},
		{"coredns name", deployment("kube-system", "coredns", map[string]string{"app": "x"}), nil, true, "CoreDNS", "name kube-system/coredns", SystemClusterCritical, false},
		{"coredns workload label", workloadLabelsOnly, nil, true, "CoreDNS", "label app.kubernetes.io/name=coredns", SystemClusterCritical, false},
		{"coredns name elsewhere", deployment("shop", "coredns", nil), nil, false, "", "", "", false},
		{"kube-proxy ds", daemonSet("kube-system", "kube-proxy", map[string]string{"k8s-app": "kube-proxy"}), nil, true, "kube-proxy", "label k8s-app=kube-proxy", SystemNodeCritical, true},
		{"kube-proxy as deployment", deployment("kube-system", "kube-proxy", nil), nil, true, "kube-proxy", "name kube-system/kube-proxy", SystemClusterCritical, false},
		{"kube-proxy ds pod", dsPod, nil, true, "kube-proxy", "label k8s-app=kube-proxy", SystemNodeCritical, true},
		{"pod matched by name only", namedPod, nil, false, "", "", "", false},
		{"mirror pod", mirror, nil, false, "", "", "", false},
		{"job", job, nil, false, "", "", "", false},
		{"tenant proxy", deployment("shop", "proxy", map[string]string{"app": "proxy"}), nil, false, "", "", "", false},
		{"calico-node", daemonSet("calico-system", "calico-node", map[string]string{"k8s-app": "calico-node"}), nil, true, "Calico", "label k8s-app=calico-node", SystemNodeCritical, true},
		{"calico typha", deployment("calico-system", "calico-typha", map[string]string{"k8s-app": "calico-typha"}), nil, true, "Calico Typha", "label k8s-app=calico-typha", SystemClusterCritical, false},
		{"cilium operator", deployment("kube-system", "cilium-operator", map[string]string{"io.cilium/app": "operator", "name": "cilium-operator"}), nil, true, "Cilium operator", "label io.cilium/app=operator", SystemClusterCritical, false},
		{"cilium envoy", daemonSet("kube-system", "cilium-envoy", map[string]string{"k8s-app": "cilium-envoy"}), nil, true, "Cilium Envoy", "label k8s-app=cilium-envoy", SystemNodeCritical, true},
		{"flannel", daemonSet("kube-flannel", "kube-flannel-ds", map[string]string{"app": "flannel"}), nil, true, "Flannel", "label app=flannel", SystemNodeCritical, true},
		{"weave", daemonSet("kube-system", "weave-net", map[string]string{"name": "weave-net"}), nil, true, "Weave Net", "label name=weave-net", SystemNodeCritical, true},
		{"ingress-nginx controller ds", daemonSet("ingress-nginx", "ingress-nginx-controller", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}), nil, true, "ingress-nginx", "label app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller", SystemClusterCritical, false},
		{"ingress-nginx webhook", deployment("ingress-nginx", "x", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "admission-webhook"}), nil, false, "", "", "", false},
		{"nginx inc", deployment("nginx-ingress", "my-nginx-ingress", map[string]string{"app.kubernetes.io/name": "nginx-ingress"}), nil, true, "NGINX Ingress Controller", "label app.kubernetes.io/name=nginx-ingress", SystemClusterCritical, false},
		{"stable nginx-ingress backend", deployment("ing", "x", map[string]string{"app": "nginx-ingress", "component": "default-backend"}), nil, false, "", "", "", false},
		{"traefik", deployment("traefik", "traefik", map[string]string{"app.kubernetes.io/name": "traefik"}), nil, true, "Traefik", "label app.kubernetes.io/name=traefik", SystemClusterCritical, false},
		{"contour envoy", daemonSet("projectcontour", "envoy", map[string]string{"app": "envoy"}), nil, true, "Contour", "label app=envoy", SystemClusterCritical, false},
		{"tenant envoy", deployment("shop", "envoy", map[string]string{"app": "envoy"}), nil, false, "", "", "", false},
		{"autoscaler chart", deployment("kube-system", "ca-gce-cluster-autoscaler", map[string]string{"app.kubernetes.io/name": "gce-cluster-autoscaler"}), nil, true, "cluster-autoscaler", "label app.kubernetes.io/name=*cluster-autoscaler", SystemClusterCritical, false},
		{"not autoscaler", deployment("shop", "x", map[string]string{"app.kubernetes.io/name": "mycluster-autoscaler"}), nil, false, "", "", "", false},
		{"istio cni", daemonSet("istio-system", "istio-cni-node", map[string]string{"k8s-app": "istio-cni-node", "app.kubernetes.io/name": "istio-cni"}), nil, true, "Istio CNI", "label k8s-app=istio-cni-node", SystemNodeCritical, true},
		{"karpenter", deployment("karpenter", "karpenter", map[string]string{"app.kubernetes.io/name": "karpenter", "app.kubernetes.io/instance": "karpenter"}), nil, true, "Karpenter", "label app.kubernetes.io/name=karpenter", SystemClusterCritical, false},
		{"metrics-server", deployment("monitoring", "metrics-server", map[string]string{"k8s-app": "metrics-server"}), nil, true, "metrics-server", "label k8s-app=metrics-server", SystemClusterCritical, false},
		{"config empty selector ignored", deployment("shop", "web", nil), cfg, false, "", "", "", false},
		{"config labels", deployment("platform", "gateway", map[string]string{"app.kubernetes.io/name": "gw"}), cfg, true, "gw", "config criticalAddons[1]", SystemClusterCritical, false},
		{"config labels wrong ns", deployment("shop", "gateway", map[string]string{"app.kubernetes.io/name": "gw"}), cfg, false, "", "", "", false},
		{"config node agent ds", daemonSet("logging", "log-agent", nil), cfg, true, "log-agent", "config criticalAddons[2]", SystemNodeCritical, true},
		{"config node agent as deployment", deployment("logging", "log-agent", nil), cfg, true, "log-agent", "config criticalAddons[2]", SystemClusterCritical, false},
		{"unknown type", &corev1.ConfigMap{}, nil, false, "", "", "", false},
		{"nil object", nil, nil, false, "", "", "", false},
		{"empty deployment", &appsv1.Deployment{}, nil, false, "", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.settings
			if s == nil {
				s = DefaultSettings()
			}
			m, ok := CriticalAddonOf(tc.obj, refOf(tc.obj), s)
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
		{"chart node-exporter", daemonSet("obs", "prom-prometheus-node-exporter", map[string]string{"app.kubernetes.io/name": "prometheus-node-exporter"}), "node-exporter"},
		{"node-exporter name only label", daemonSet("obs", "x", map[string]string{"app.kubernetes.io/name": "node-exporter"}), ""},
		{"gatekeeper", deployment("gatekeeper-system", "gatekeeper-audit", map[string]string{"gatekeeper.sh/system": "yes", "control-plane": "audit-controller"}), "Gatekeeper"},
		{"ztunnel", daemonSet("istio-system", "ztunnel", map[string]string{"app": "ztunnel"}), "Istio ztunnel"},
		{"tenant ztunnel label", deployment("shop", "ztunnel", map[string]string{"app": "ztunnel"}), ""},
		{"calico csi", daemonSet("calico-system", "csi-node-driver", map[string]string{"k8s-app": "csi-node-driver"}), "Calico CSI node driver"},
		{"nvidia", daemonSet("nvidia", "nvdp", map[string]string{"app.kubernetes.io/name": "nvidia-device-plugin"}), "NVIDIA device plugin"},
		{"tenant", deployment("shop", "web", map[string]string{"app": "web"}), ""},
		{"nil", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := platformAgentOf(tc.obj, refOf(tc.obj))
			if ok != (tc.agent != "") || got != tc.agent {
				t.Errorf("platformAgentOf = %q, %v; want %q", got, ok, tc.agent)
			}
			if _, crit := CriticalAddonOf(tc.obj, refOf(tc.obj), DefaultSettings()); crit {
				t.Errorf("platform agent must not be a critical add-on")
			}
		})
	}
}
