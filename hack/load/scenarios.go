package main

import (
	"encoding/json"
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/guardrails-dev/guardrails/internal/hostile"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Namespaces of the static cluster.
const (
	nsEnforce = "team-enforce" // mode enforce, no LimitRange
	nsTeams   = 200            // team-0 … team-199 own the generated Ingresses
	nsLimited = 10             // team-0 … team-9 have a LimitRange with defaultRequests
	// superRole is a ClusterRole that is cluster-admin in all but name.
	superRole = "ops-superuser"
)

// scenario is one kind of request of the mix.
type scenario struct {
	name string
	// path on the Guardrails server (/validate or /mutate).
	path string
	body []byte
	uid  types.UID
	// check judges Guardrails' answer (the baseline must just allow).
	check func(*admissionv1.AdmissionResponse) error
}

// cluster is the size of the static cluster view.
type cluster struct {
	// ingresses is the number of cached Ingresses (the conflict index).
	ingresses int
	// bindings is the number of cached RoleBindings and
	// ClusterRoleBindings (the bindings index).
	bindings int
}

// clusterObjects is the static cluster view: namespaces with mode labels,
// the default IngressClass, the system PriorityClasses, LimitRanges,
// ClusterRoles, c.ingresses Ingresses spread over nsTeams namespaces and
// c.bindings bindings (see bindingObjects).
func clusterObjects(c cluster) []runtime.Object {
	n := c.ingresses
	ns := func(name string, labels map[string]string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	enforce := map[string]string{rules.ModeLabel: "enforce"}
	objs := []runtime.Object{
		ns(nsEnforce, enforce),
		ns("team-warn", map[string]string{rules.ModeLabel: "warn"}),
		ns("kube-system", map[string]string{rules.ModeLabel: "enforce", rules.FailurePolicyLabel: "ignore"}),
		&networkingv1.IngressClass{
			ObjectMeta: metav1.ObjectMeta{Name: "nginx", Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}},
			Spec:       networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"},
		},
		&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: rules.SystemClusterCritical}, Value: 2000000000},
		&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: rules.SystemNodeCritical}, Value: 2000001000},
		&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: superRole},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
		},
	}
	for i := range nsTeams {
		objs = append(objs, ns(fmt.Sprintf("team-%d", i), enforce))
	}
	for i := range nsLimited {
		objs = append(objs, &corev1.LimitRange{
			ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: fmt.Sprintf("team-%d", i)},
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
				Type:           corev1.LimitTypeContainer,
				DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Default:        corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
			}}},
		})
	}
	for i := range readerRoles { // ordinary namespaced-reader roles
		objs = append(objs, &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("team-reader-%d", i)},
			Rules:      readerRules(),
		})
	}
	for i := range n {
		objs = append(objs, &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d", i), Namespace: fmt.Sprintf("team-%d", i%nsTeams)},
			Spec: networkingv1.IngressSpec{
				IngressClassName: ptr("nginx"),
				Rules:            []networkingv1.IngressRule{ingressRule(fmt.Sprintf("app-%d.example.com", i), "/", "/api")},
			},
		})
	}
	return append(objs, bindingObjects(c.bindings)...)
}

// Bound roles of the generated bindings.
const (
	// readerRoles is the number of team-reader-<i> ClusterRoles.
	readerRoles = 50
	// boundReader is the reader role that the clusterrole-widened scenario
	// widens to everything: the bindings index gives its bindings.
	boundReader = "team-reader-7"
)

// bindingObjects returns n bindings as a cluster of many teams holds
// them: every 20th a ClusterRoleBinding to a reader ClusterRole, every
// other 20th a RoleBinding to one, the rest RoleBindings to a Role of
// their own namespace (a key of their own in the bindings index).
func bindingObjects(n int) []runtime.Object {
	objs := make([]runtime.Object, 0, n)
	for i := range n {
		ns := fmt.Sprintf("team-%d", i%nsTeams)
		subjects := []rbacv1.Subject{
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("dev-%d@example.com", i)},
			{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: ns},
		}
		reader := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("team-reader-%d", i/20%readerRoles)}
		switch i % 20 {
		case 0:
			objs = append(objs, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("reader-%d", i)}, RoleRef: reader, Subjects: subjects})
		case 1:
			objs = append(objs, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("reader-%d", i), Namespace: ns}, RoleRef: reader, Subjects: subjects})
		default:
			objs = append(objs, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d", i), Namespace: ns},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("app-%d", i)}, Subjects: subjects})
		}
	}
	return objs
}

func ingressRule(host string, paths ...string) networkingv1.IngressRule {
	prefix := networkingv1.PathTypePrefix
	var hp []networkingv1.HTTPIngressPath
	for _, p := range paths {
		hp = append(hp, networkingv1.HTTPIngressPath{Path: p, PathType: &prefix, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}},
		}})
	}
	return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: hp}}}
}

// scenarios returns the request mix against the cluster c: without
// Ingresses no ingress-conflict, without bindings no clusterrole-widened.
func scenarios(c cluster) ([]scenario, error) {
	n := c.ingresses
	deployment := func(name, ns string, containers ...corev1.Container) *appsv1.Deployment {
		labels := map[string]string{"app": name}
		return &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr(int32(2)),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: containers},
				},
			},
		}
	}
	container := func(name string, req corev1.ResourceList) corev1.Container {
		return corev1.Container{
			Name: name, Image: "registry.example.com/" + name + ":1.4.2",
			Ports:     []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			Resources: corev1.ResourceRequirements{Requests: req},
		}
	}
	requests := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")}
	ingress := func(name, ns string, annotations map[string]string, rule networkingv1.IngressRule) *networkingv1.Ingress {
		return &networkingv1.Ingress{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: annotations},
			Spec:       networkingv1.IngressSpec{IngressClassName: ptr("nginx"), Rules: []networkingv1.IngressRule{rule}},
		}
	}
	coredns := deployment("coredns", "kube-system", container("coredns", corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("70Mi"),
	}))
	coredns.Labels = map[string]string{"k8s-app": "kube-dns"}
	coredns.Spec.Selector.MatchLabels = coredns.Labels
	coredns.Spec.Template.Labels = coredns.Labels
	nsOld := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: nsEnforce, Labels: map[string]string{rules.ModeLabel: "enforce", corev1.LabelMetadataName: nsEnforce}},
	}
	nsNew := nsOld.DeepCopy()
	nsNew.Labels[rules.ModeLabel] = "audit"

	reader := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: boundReader},
		Rules:      readerRules(),
	}
	readerWide := reader.DeepCopy()
	readerWide.Rules = append(readerWide.Rules, rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}})

	conflictHost := fmt.Sprintf("app-%d.example.com", n/2) // claimed by team-(n/2 % 200)

	type spec struct {
		name, path string
		op         admissionv1.Operation
		obj, old   runtime.Object
		check      func(*admissionv1.AdmissionResponse) error
	}
	specs := []spec{
		// Requests on the app container, none on the sidecar: the
		// namespace's LimitRange defaultRequest covers it.
		{"deployment-good", "/validate", admissionv1.Create,
			deployment("web", "team-1", container("app", requests), container("log-shipper", nil)), nil, allowed},
		{"deployment-bad", "/validate", admissionv1.Create,
			deployment("web", nsEnforce, container("app", nil)), nil, denied("resources-requests")},
		{"ingress-annotated", "/validate", admissionv1.Create,
			ingress("shop", nsEnforce, map[string]string{
				"nginx.ingress.kubernetes.io/proxy-body-size":    "8m",
				"nginx.ingress.kubernetes.io/proxy-read-timeout": "60",
				"nginx.ingress.kubernetes.io/ssl-redirect":       "true",
				"nginx.ingress.kubernetes.io/limit-rps":          "50",
			}, ingressRule("shop.example.com", "/", "/cart")), nil, allowed},
		{"ingress-conflict", "/validate", admissionv1.Create,
			ingress("takeover", nsEnforce, nil, ingressRule(conflictHost, "/api")), nil, denied("ingress-conflict")},
		{"clusterrolebinding", "/validate", admissionv1.Create,
			&rbacv1.ClusterRoleBinding{
				TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
				ObjectMeta: metav1.ObjectMeta{Name: "ci-deployer"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: superRole},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: "ci"}},
			}, nil, denied("rbac-cluster-admin")},
		{"namespace-update", "/validate", admissionv1.Update, nsNew, nsOld, denied("namespace-mode-label")},
		{"mutate-coredns", "/mutate", admissionv1.Create, coredns, nil, patched("priorityClassName")},
		// A bound reader role widened to everything: judged against its
		// bindings, found in the bindings index.
		{"clusterrole-widened", "/validate", admissionv1.Update, readerWide, reader, denied("rbac-cluster-admin")},
	}
	if c.bindings == 0 {
		specs = specs[:len(specs)-1] // no binding makes the role matter
	}
	if n == 0 {
		specs = append(specs[:3], specs[4:]...) // nothing to conflict with
	}
	out := make([]scenario, 0, len(specs))
	for i, s := range specs {
		uid := types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1))
		body, err := reviewBody(uid, s.op, s.obj, s.old)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		out = append(out, scenario{name: s.name, path: s.path, body: body, uid: uid, check: s.check})
	}
	return out, nil
}

// reviewBody returns the AdmissionReview the API server would send for
// obj (and old, on UPDATE).
func reviewBody(uid types.UID, op admissionv1.Operation, obj, old runtime.Object) ([]byte, error) {
	raw := func(o runtime.Object) (runtime.RawExtension, error) {
		if o == nil {
			return runtime.RawExtension{}, nil
		}
		b, err := json.Marshal(o)
		return runtime.RawExtension{Raw: b}, err
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	meta := obj.(metav1.Object)
	req := &admissionv1.AdmissionRequest{
		UID:       uid,
		Kind:      metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Resource:  metav1.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: strings.ToLower(gvk.Kind) + "s"},
		Name:      meta.GetName(),
		Namespace: meta.GetNamespace(),
		Operation: op,
		UserInfo:  authenticationv1.UserInfo{Username: "alice@example.com", Groups: []string{"developers", "system:authenticated"}},
		DryRun:    ptr(false),
	}
	if gvk.Kind == "Namespace" {
		req.Namespace = meta.GetName() // as the API server sends it
	}
	req.RequestKind, req.RequestResource = &req.Kind, &req.Resource
	var err error
	if req.Object, err = raw(obj); err != nil {
		return nil, err
	}
	if req.OldObject, err = raw(old); err != nil {
		return nil, err
	}
	ar := admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Request: req}
	return json.Marshal(ar)
}

// Verdict checks.

func allowed(r *admissionv1.AdmissionResponse) error {
	if !r.Allowed {
		return fmt.Errorf("denied, want allowed: %s", resultMessage(r))
	}
	return nil
}

func denied(rule string) func(*admissionv1.AdmissionResponse) error {
	return func(r *admissionv1.AdmissionResponse) error {
		if r.Allowed {
			return fmt.Errorf("allowed, want denied by %s (warnings %q)", rule, r.Warnings)
		}
		if msg := resultMessage(r); !strings.Contains(msg, rule) {
			return fmt.Errorf("denied without %s: %s", rule, msg)
		}
		return nil
	}
}

func patched(field string) func(*admissionv1.AdmissionResponse) error {
	return func(r *admissionv1.AdmissionResponse) error {
		if !r.Allowed {
			return fmt.Errorf("mutation denied: %s", resultMessage(r))
		}
		if r.PatchType == nil || *r.PatchType != admissionv1.PatchTypeJSONPatch || !strings.Contains(string(r.Patch), field) {
			return fmt.Errorf("want a JSON patch setting %s, got %q (warnings %q)", field, r.Patch, r.Warnings)
		}
		return nil
	}
}

func resultMessage(r *admissionv1.AdmissionResponse) string {
	if r.Result == nil {
		return "(no status)"
	}
	return fmt.Sprintf("%d %s", r.Result.Code, r.Result.Message)
}

func readerRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{{APIGroups: []string{"", "apps"}, Resources: []string{"pods", "deployments"}, Verbs: []string{"get", "list", "watch"}}}
}

func ptr[T any](v T) *T { return &v }

// hostileScenario is the hostile tenant's request: a CREATE of the largest
// Ingress the API server admits, 250 KiB of unknown ingress-nginx
// annotation names (hostile.Ingress), in an enforce namespace. Guardrails
// admits it with warnings: the first names with suggestions, the rest
// counted.
func hostileScenario() (scenario, error) {
	uid := types.UID("00000000-0000-4000-8000-0000000000ff")
	body, err := reviewBody(uid, admissionv1.Create, hostile.Ingress(nsEnforce, "flood"), nil)
	if err != nil {
		return scenario{}, err
	}
	return scenario{name: "ingress-hostile", path: "/validate", body: body, uid: uid, check: func(r *admissionv1.AdmissionResponse) error {
		if err := allowed(r); err != nil {
			return err
		}
		if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[len(r.Warnings)-1], "more warnings") {
			return fmt.Errorf("want warnings about unknown annotations, counted; got %q", r.Warnings)
		}
		return nil
	}}, nil
}
