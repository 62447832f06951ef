package rules

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// resourcesRequests restricts the fields
//
//	spec.containers[*].resources.requests
//	spec.initContainers[*].resources.requests (sidecars included)
//
// of Pods and pod templates (field paths point into the template): each
// resource of Settings.RequiredResources (default cpu, memory) must be
// requested by every container.
//
// A container passes for a resource when any of these hold:
//   - it requests the resource (any value, "0" included: an explicit zero is
//     a deliberate, reviewable choice, not a forgotten field);
//   - it has a limit for it (the API server copies limits to missing
//     requests: at Pod defaulting, and so for every pod a template creates);
//   - the pod sets pod-level spec.resources requests or limits for it;
//   - a LimitRange of the namespace has a Container item with a
//     defaultRequest, default, max or min for it: the API server defaults
//     a Container item's missing default from max, its missing
//     defaultRequest from default, then from min (the CLI reads the
//     undefaulted YAML), and the LimitRanger admission plugin fills the
//     container's request from defaultRequest at pod creation.
//
// Ephemeral containers are exempt (debugging aids, they cannot carry
// resources), and so are mirror pods (the kubelet's static pods run whatever
// the API says).
var resourcesRequests = &Rule{
	ID:            "resources-requests",
	DefaultAction: ActionDeny,
	Kinds:         PodKinds,
	Summary:       "a container or init container without a CPU or memory request",
	Why: "The scheduler places pods by their requests: a container without one is placed as if it " +
		"used nothing, packs nodes beyond what they can hold and is the first thing the kubelet evicts " +
		"under resource pressure, often taking neighbours down with it.",
	Fix: "Set resources.requests for every container and init container (or a limit, which the API " +
		"server copies to the request, or pod-level spec.resources), or give the namespace a " +
		"LimitRange with a Container defaultRequest.",
	Check: checkResourcesRequests,
}

func checkResourcesRequests(in *Input) []Violation {
	ps, ok := PodSpecOf(in.Object)
	if !ok || isMirrorPod(in.Object) {
		return nil
	}
	required := in.Settings.RequiredResources
	if len(required) == 0 {
		return nil
	}
	type missing struct {
		name string
		kind ContainerKind
		path *field.Path
		res  corev1.ResourceName
	}
	var gaps []missing
	podLevel := ps.Spec.Resources
	VisitContainers(ps.Spec, ps.Path, func(c *corev1.Container, kind ContainerKind, p *field.Path) {
		for _, r := range required {
			if _, ok := c.Resources.Requests[r]; ok {
				continue
			}
			if _, ok := c.Resources.Limits[r]; ok {
				continue
			}
			if podLevel != nil {
				if _, ok := podLevel.Requests[r]; ok {
					continue
				}
				if _, ok := podLevel.Limits[r]; ok {
					continue
				}
			}
			gaps = append(gaps, missing{name: c.Name, kind: kind, path: p, res: r})
		}
	})
	if len(gaps) == 0 {
		return nil
	}

	ns := in.Ref.Namespace
	lrs, err := in.Cluster.LimitRanges(ns)
	if err != nil {
		// Without the LimitRanges we cannot tell whether the namespace
		// defaults the requests: say the check could not be made.
		return LookupFailed(err, gaps[0].path.Child("resources", "requests"), fmt.Sprintf("the LimitRanges of namespace %q", ns))
	}
	defaulted := LimitRangeDefaults(lrs)

	var vs []Violation
	for _, g := range gaps {
		if defaulted[g.res] {
			continue
		}
		vs = append(vs, Violation{
			Field:   resourcePath(g.path.Child("resources", "requests"), g.res),
			Message: fmt.Sprintf("%s %q: no %s request", g.kind, g.name, g.res),
			Hint:    requestHint(g.res, ns),
		})
	}
	return vs
}

// LimitRangeDefaults returns the resources that LimitRange Container items
// default a request for. The API server's defaulting of a Container item
// fills default from max, then defaultRequest from default, then from min:
// any of the four yields a request.
func LimitRangeDefaults(lrs []*corev1.LimitRange) map[corev1.ResourceName]bool {
	out := map[corev1.ResourceName]bool{}
	for _, lr := range lrs {
		if lr == nil {
			continue
		}
		for _, item := range lr.Spec.Limits {
			if item.Type != corev1.LimitTypeContainer {
				continue
			}
			for r := range item.DefaultRequest {
				out[r] = true
			}
			for _, l := range []corev1.ResourceList{item.Default, item.Max, item.Min} {
				for r := range l {
					out[r] = true
				}
			}
		}
	}
	return out
}

// resourcePath appends a resource name to a requests/limits path: as a
// child for plain names (requests.memory), as a key for names with a
// domain (limits[nvidia.com/gpu]).
func resourcePath(p *field.Path, r corev1.ResourceName) *field.Path {
	if strings.ContainsAny(string(r), "./") {
		return p.Key(string(r))
	}
	return p.Child(string(r))
}

// exampleRequest returns a sensible example value for a request hint.
func exampleRequest(r corev1.ResourceName) string {
	switch r {
	case corev1.ResourceCPU:
		return "100m"
	case corev1.ResourceMemory:
		return "128Mi"
	case corev1.ResourceEphemeralStorage:
		return "1Gi"
	}
	return ""
}

func requestHint(r corev1.ResourceName, ns string) string {
	set := "set " + resourcePath(field.NewPath("resources", "requests"), r).String()
	if ex := exampleRequest(r); ex != "" {
		set += " (e.g. " + ex + ")"
	}
	where := "in the namespace"
	if ns != "" {
		where = fmt.Sprintf("in namespace %q", ns)
	}
	return fmt.Sprintf("%s, or a limit, or a LimitRange defaultRequest %s", set, where)
}
