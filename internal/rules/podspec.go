package rules

import (
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PodKinds are the kinds whose pod spec the pod rules read.
var PodKinds = []schema.GroupKind{
	{Kind: "Pod"},
	{Group: "apps", Kind: "Deployment"},
	{Group: "apps", Kind: "StatefulSet"},
	{Group: "apps", Kind: "DaemonSet"},
	{Group: "apps", Kind: "ReplicaSet"},
	{Group: "batch", Kind: "Job"},
	{Group: "batch", Kind: "CronJob"},
	{Kind: "ReplicationController"},
	{Kind: "PodTemplate"},
}

// PodSpecRef locates the pod spec inside a workload.
type PodSpecRef struct {
	// Spec is the pod spec (never nil when found).
	Spec *corev1.PodSpec
	// Path is the field path of Spec, e.g. spec.template.spec.
	Path *field.Path
	// PodMeta is the metadata of the pod or pod template (labels of the
	// pods that will run).
	PodMeta *metav1.ObjectMeta
	// Template is true for pod templates, false for a bare Pod.
	Template bool
}

// The field paths of the pod specs, built once: a *field.Path is never
// changed once made (Child and Index return new paths).
var (
	podSpecPath         = field.NewPath("spec")
	templateSpecPath    = field.NewPath("spec", "template", "spec")
	jobTemplateSpecPath = field.NewPath("spec", "jobTemplate", "spec", "template", "spec")
	podTemplateSpecPath = field.NewPath("template", "spec")
)

// PodSpecOf returns the pod spec of obj with its field path, or false when
// obj has none (or is nil-valued, such as a CronJob without jobTemplate
// content — the API server rejects those anyway).
func PodSpecOf(obj runtime.Object) (PodSpecRef, bool) {
	tmpl := func(t *corev1.PodTemplateSpec, path *field.Path) (PodSpecRef, bool) {
		return PodSpecRef{Spec: &t.Spec, Path: path, PodMeta: &t.ObjectMeta, Template: true}, true
	}
	if obj == nil || reflect.ValueOf(obj).IsNil() {
		return PodSpecRef{}, false
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return PodSpecRef{Spec: &o.Spec, Path: podSpecPath, PodMeta: &o.ObjectMeta}, true
	case *appsv1.Deployment:
		return tmpl(&o.Spec.Template, templateSpecPath)
	case *appsv1.StatefulSet:
		return tmpl(&o.Spec.Template, templateSpecPath)
	case *appsv1.DaemonSet:
		return tmpl(&o.Spec.Template, templateSpecPath)
	case *appsv1.ReplicaSet:
		return tmpl(&o.Spec.Template, templateSpecPath)
	case *batchv1.Job:
		return tmpl(&o.Spec.Template, templateSpecPath)
	case *batchv1.CronJob:
		return tmpl(&o.Spec.JobTemplate.Spec.Template, jobTemplateSpecPath)
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return PodSpecRef{}, false
		}
		return tmpl(o.Spec.Template, templateSpecPath)
	case *corev1.PodTemplate:
		return tmpl(&o.Template, podTemplateSpecPath)
	}
	return PodSpecRef{}, false
}

// ContainerKind says which list a container comes from.
type ContainerKind string

const (
	RegularContainer ContainerKind = "container"
	InitContainer    ContainerKind = "init container"
	// SidecarContainer is an init container with restartPolicy Always.
	SidecarContainer ContainerKind = "sidecar container"
)

// ContainerPath is the field path of one container, built when asked
// for: most containers are visited without a finding.
type ContainerPath struct {
	spec *field.Path
	init bool
	i    int
}

// Path is the container's field path, e.g.
// spec.template.spec.containers[0].
func (p ContainerPath) Path() *field.Path {
	if p.init {
		return p.spec.Child("initContainers").Index(p.i)
	}
	return p.spec.Child("containers").Index(p.i)
}

// VisitContainers calls visit for every init container (sidecars
// included) and container of spec, in API order, with its field path
// below path.
// Ephemeral containers are not visited: they are debugging aids added
// through a subresource and cannot carry resources.
func VisitContainers(spec *corev1.PodSpec, path *field.Path, visit func(c *corev1.Container, kind ContainerKind, p ContainerPath)) {
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		kind := InitContainer
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			kind = SidecarContainer
		}
		visit(c, kind, ContainerPath{spec: path, init: true, i: i})
	}
	for i := range spec.Containers {
		visit(&spec.Containers[i], RegularContainer, ContainerPath{spec: path, i: i})
	}
}
