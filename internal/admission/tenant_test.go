package admission

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// The attacks of issue 9 (items 6–9) as a tenant with ordinary rights
// would send them, through the handlers.

const tenant = "alice"

// review builds an AdmissionRequest for obj (and old, on UPDATE) as the
// API server sends it.
func review(t *testing.T, op admissionv1.Operation, gvk schema.GroupVersionKind, resource, subresource, ns, name string, obj, old runtime.Object, user string, groups ...string) admission.Request {
	t.Helper()
	raw := func(o runtime.Object) runtime.RawExtension {
		if o == nil {
			return runtime.RawExtension{}
		}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		return runtime.RawExtension{Raw: b}
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:         "uid-tenant",
		Kind:        metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Resource:    metav1.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: resource},
		SubResource: subresource,
		Namespace:   ns,
		Name:        name,
		Operation:   op,
		UserInfo:    userInfo(user, groups...),
		Object:      raw(obj),
		OldObject:   raw(old),
	}}
}

func podGVK() schema.GroupVersionKind { return schema.GroupVersionKind{Version: "v1", Kind: "Pod"} }

func withRequests(c corev1.Container) corev1.Container {
	c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: mustQuantity("100m"), corev1.ResourceMemory: mustQuantity("64Mi")}
	return c
}

// Item 6: demotion needs the built-in controller's identity and an owner
// of a judged kind, for every rule.
func TestValidateForgedControllerOwner(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	yes := true
	pod := func(apiVersion, kind string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "miner-x1", Namespace: "team-enforce", Labels: map[string]string{"app": "miner"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: "miner", UID: "u1", Controller: &yes}}},
			Spec: corev1.PodSpec{PriorityClassName: rules.SystemNodeCritical, Containers: []corev1.Container{withRequests(corev1.Container{Name: "app", Image: "miner"})}},
		}
	}
	const line = `[priority-reserved-class] spec.priorityClassName: pod "miner-x1" is not a critical add-on`
	create := func(p *corev1.Pod, user string, groups ...string) admission.Request {
		return review(t, admissionv1.Create, podGVK(), "pods", "", "team-enforce", p.Name, p, nil, user, groups...)
	}
	// A tenant's pod whose controller is its own ConfigMap: judged as a pod.
	wantDenied(t, validate(t, v, create(pod("v1", "ConfigMap"), tenant, "system:authenticated")), line)
	// A hand-written ReplicaSet owner gains nothing either.
	wantDenied(t, validate(t, v, create(pod("apps/v1", "ReplicaSet"), tenant, "system:authenticated")), line)
	// Nor does a built-in controller's identity with an owner of a kind it
	// does not stamp out.
	wantDenied(t, validate(t, v, create(pod("v1", "ConfigMap"), "system:serviceaccount:kube-system:replicaset-controller")), line)
	// The ReplicaSet controller's pod of a ReplicaSet: judged on the
	// ReplicaSet, a warning here.
	resp := validate(t, v, create(pod("apps/v1", "ReplicaSet"), "system:serviceaccount:kube-system:replicaset-controller", "system:serviceaccounts"))
	wantAllowed(t, resp, line)
	if !strings.Contains(resp.Warnings[0], "(pod of ReplicaSet miner") {
		t.Errorf("warning %q", resp.Warnings[0])
	}
}

// Item 7: add-ons are recognised only where they live; a tenant's copy of
// their labels keeps no system class, and the mutator writes none.
func TestAddonLookalikesInTenantNamespaces(t *testing.T) {
	deploy := func(ns string, labels map[string]string, class string) *appsv1.Deployment {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "dns", Namespace: ns, Labels: labels}}
		d.Spec.Selector = &metav1.LabelSelector{MatchLabels: labels}
		d.Spec.Template.Labels = labels
		d.Spec.Template.Spec.PriorityClassName = class
		d.Spec.Template.Spec.Containers = []corev1.Container{withRequests(corev1.Container{Name: "app", Image: "registry.k8s.io/coredns/coredns:v1.12.0"})}
		return d
	}
	gvk := schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	create := func(d *appsv1.Deployment) admission.Request {
		return review(t, admissionv1.Create, gvk, "deployments", "", d.Namespace, d.Name, d, nil, tenant, "system:authenticated")
	}
	dns := map[string]string{"k8s-app": "kube-dns"}

	v := NewValidator(config.Default(), testCluster(t), Options{})
	wantDenied(t, validate(t, v, create(deploy("team-enforce", dns, rules.SystemNodeCritical))),
		`[priority-reserved-class] spec.template.spec.priorityClassName: workload "dns" looks like the critical add-on CoreDNS but is not in a namespace where add-ons live (kube-system, or the configuration's priority.addonNamespaces)`)
	// In kube-system the same Deployment is CoreDNS.
	wantAllowed(t, validate(t, v, create(deploy("kube-system", dns, rules.SystemClusterCritical))))

	m := NewMutator(config.Default(), testCluster(t), Options{})
	for _, tc := range []struct {
		name   string
		obj    runtime.Object
		gvk    schema.GroupVersionKind
		res    string
		mutate bool
	}{
		{"kube-dns labels in a tenant namespace", deploy("team-enforce", dns, ""), gvk, "deployments", false},
		{"traefik labels in a tenant namespace", deploy("team-enforce", map[string]string{"app.kubernetes.io/name": "traefik"}, ""), gvk, "deployments", false},
		{"kube-proxy DaemonSet in a tenant namespace", &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "team-enforce"},
			Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"k8s-app": "kube-proxy"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{withRequests(corev1.Container{Name: "p", Image: "registry.k8s.io/kube-proxy:v1.33.0"})}},
			}},
		}, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}, "daemonsets", false},
		{"CoreDNS in kube-system", deploy("kube-system", dns, ""), gvk, "deployments", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mo := tc.obj.(metav1.Object)
			req := review(t, admissionv1.Create, tc.gvk, tc.res, "", mo.GetNamespace(), mo.GetName(), tc.obj, nil, tenant, "system:authenticated")
			resp := m.Handle(context.Background(), req)
			if !resp.Allowed {
				t.Fatalf("mutator denied: %+v", resp.Result)
			}
			if got := len(resp.Patches) > 0; got != tc.mutate {
				t.Errorf("mutated = %v (patches %v, warnings %q), want %v", got, resp.Patches, resp.Warnings, tc.mutate)
			}
		})
	}
}

// Item 8: only a node's mirror pods skip the pod rules.
func TestValidateMirrorPodAnnotation(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "static-web-node1", Namespace: "team-enforce",
			Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "9c1d"}},
		Spec: corev1.PodSpec{NodeName: "node1", Containers: []corev1.Container{{Name: "web", Image: "shop/web"}}},
	}
	req := func(user string, groups ...string) admission.Request {
		return review(t, admissionv1.Create, podGVK(), "pods", "", p.Namespace, p.Name, p, nil, user, groups...)
	}
	const line = "[resources-requests] spec.containers[0].resources.requests."
	wantDenied(t, validate(t, v, req(tenant, "system:authenticated")), line+"cpu", line+"memory")
	// A node without the nodes group is not a node.
	wantDenied(t, validate(t, v, req("system:node:node1")), line+"cpu", line+"memory")
	wantAllowed(t, validate(t, v, req("system:node:node1", "system:nodes", "system:authenticated")))
}

// Item 9: the metadata that updates of namespaces/status,
// namespaces/finalize and ingresses/status carry is judged; the rest of the
// update is not.
func TestValidateMetadataSubresources(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	nsGVK := schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
	namespace := func(labels map[string]string, phase corev1.NamespacePhase, finalizers ...corev1.FinalizerName) *corev1.Namespace {
		return &corev1.Namespace{
			ObjectMeta: metav1.ObjectMeta{Name: "team-enforce", Labels: labels},
			Spec:       corev1.NamespaceSpec{Finalizers: finalizers},
			Status:     corev1.NamespaceStatus{Phase: phase},
		}
	}
	enforce := map[string]string{rules.ModeLabel: "enforce", "kubernetes.io/metadata.name": "team-enforce"}
	old := namespace(enforce, corev1.NamespaceActive, corev1.FinalizerKubernetes)
	nsUpdate := func(sub string, cur *corev1.Namespace, user string, groups ...string) admission.Request {
		return review(t, admissionv1.Update, nsGVK, "namespaces", sub, "", "team-enforce", cur, old, user, groups...)
	}
	const lowering = "[namespace-mode-label] metadata.labels[guardrails.dev/mode]: lowering"
	const removing = "[namespace-mode-label] metadata.labels[guardrails.dev/mode]: removing"
	const ignoring = "[namespace-mode-label] metadata.labels[guardrails.dev/failure-policy]: setting"

	for _, sub := range []string{"status", "finalize"} {
		t.Run("namespaces/"+sub, func(t *testing.T) {
			lowered := namespace(map[string]string{rules.ModeLabel: "audit"}, corev1.NamespaceActive, corev1.FinalizerKubernetes)
			wantDenied(t, validate(t, v, nsUpdate(sub, lowered, tenant, "system:authenticated")), lowering)
			wantDenied(t, validate(t, v, nsUpdate(sub, namespace(nil, corev1.NamespaceActive, corev1.FinalizerKubernetes), tenant)), removing)
			ignore := namespace(map[string]string{rules.ModeLabel: "enforce", rules.FailurePolicyLabel: "ignore"}, corev1.NamespaceActive, corev1.FinalizerKubernetes)
			wantDenied(t, validate(t, v, nsUpdate(sub, ignore, tenant)), ignoring)
			// The exempt admin may, as through the namespace itself.
			wantAllowed(t, validate(t, v, nsUpdate(sub, lowered, "root", "system:masters")))
			// What the subresource is for passes unjudged.
			same := namespace(enforce, corev1.NamespaceTerminating)
			wantAllowed(t, validate(t, v, nsUpdate(sub, same, "system:serviceaccount:kube-system:namespace-controller")))
		})
	}

	ingGVK := schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}
	class := "nginx"
	ingress := func(annotations map[string]string, ip string) *networkingv1.Ingress {
		ing := &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "team-enforce", Annotations: annotations},
			Spec:       networkingv1.IngressSpec{IngressClassName: &class, Rules: []networkingv1.IngressRule{{Host: "status.example.com"}}},
		}
		if ip != "" {
			ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: ip}}
		}
		return ing
	}
	oldIng := ingress(nil, "")
	ingUpdate := func(sub string, cur *networkingv1.Ingress) admission.Request {
		return review(t, admissionv1.Update, ingGVK, "ingresses", sub, "team-enforce", "shop", cur, oldIng, tenant, "system:authenticated")
	}
	t.Run("ingresses/status", func(t *testing.T) {
		snippet := ingress(map[string]string{"nginx.ingress.kubernetes.io/server-snippet": "location /admin { allow all; }"}, "")
		wantDenied(t, validate(t, v, ingUpdate("status", snippet)), "[ingress-snippet] metadata.annotations[nginx.ingress.kubernetes.io/server-snippet]:")
		// A status update (what the controller does) passes.
		wantAllowed(t, validate(t, v, ingUpdate("status", ingress(nil, "192.0.2.10"))))
		// Only the metadata is taken from the request: a spec the API
		// server resets anyway is not judged.
		bad := ingress(nil, "")
		bad.Spec.Rules[0].Host = ""
		wantAllowed(t, validate(t, v, ingUpdate("status", bad)))
	})

	t.Run("other subresources are not judged", func(t *testing.T) {
		snippet := ingress(map[string]string{"nginx.ingress.kubernetes.io/server-snippet": "x"}, "")
		wantAllowed(t, validate(t, v, ingUpdate("scale", snippet)))
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team-enforce"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
		wantAllowed(t, validate(t, v, review(t, admissionv1.Update, podGVK(), "pods", "status", "team-enforce", "p", p, p, tenant)))
	})

	t.Run("the mutator judges no subresource", func(t *testing.T) {
		m := NewMutator(config.Default(), testCluster(t), Options{})
		lowered := namespace(map[string]string{rules.ModeLabel: "audit"}, corev1.NamespaceActive)
		resp := m.Handle(context.Background(), nsUpdate("status", lowered, tenant))
		if !resp.Allowed || len(resp.Patches) > 0 || len(resp.Warnings) > 0 {
			t.Errorf("mutator: %+v", resp)
		}
	})
}

func userInfo(user string, groups ...string) authenticationv1.UserInfo {
	return authenticationv1.UserInfo{Username: user, Groups: groups}
}

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
