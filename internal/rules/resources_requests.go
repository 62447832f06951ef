package rules

import (
	"fmt"
	"slices"
	"strconv"
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
// resource of Settings.Resources.Required (default cpu, memory) must be
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
// A one-shot init container (no restartPolicy Always) without a request,
// in a pod whose app containers request that resource, is a warning: it
// runs alone before the app containers, and the scheduler reserves the
// larger of the init containers' and the app containers' requests, so the
// pod's reservation holds it. "The app containers request" means the pod
// reserves some of it: at least one app container requests it; an app
// container without the request is denied on its own. Sidecars
// (restartable init containers) run next to the app and keep the rule's
// action.
//
// Ephemeral containers are exempt (debugging aids, they cannot carry
// resources), and so are mirror pods sent by a node (the kubelet's static
// pods run whatever the API says).
var resourcesRequests = &Rule{
	ID:            "resources-requests",
	DefaultAction: ActionDeny,
	DefaultNote:   "one-shot init container when the app containers request: warn",
	Kinds:         PodKinds,
	Summary:       "a container or init container without a CPU or memory request",
	Why: "The scheduler places pods by their requests: a container without one is placed as if it " +
		"used nothing, packs nodes beyond what they can hold and is the first thing the kubelet evicts " +
		"under resource pressure, often taking neighbours down with it.",
	Fix: "Set resources.requests for every container and init container (or a limit, which the API " +
		"server copies to the request, or pod-level spec.resources), or give the namespace a " +
		"LimitRange with a Container defaultRequest.",
	Params: []string{"resources.required", "resources.fillDefaults", "resources.defaults"},
	Check:  checkResourcesRequests,
}

func checkResourcesRequests(in *Input) []Violation {
	ps, ok := PodSpecOf(in.Object)
	if !ok || IsMirrorPod(in) {
		return nil
	}
	ns := in.Ref.Namespace
	gaps, err := MissingRequests(ps, in.Settings.Resources.Required, func() ([]*corev1.LimitRange, error) {
		return in.Cluster.LimitRanges(ns)
	})
	if err != nil {
		// Without the LimitRanges we cannot tell whether the namespace
		// defaults the requests: say the check could not be made.
		return LookupFailed(err, gaps[0].Path.Child("resources", "requests"), fmt.Sprintf("the LimitRanges of namespace %q", ns))
	}
	// How many app containers leave each resource without a request.
	appGaps := map[corev1.ResourceName]int{}
	for _, g := range gaps {
		if g.Kind == RegularContainer {
			appGaps[g.Resource]++
		}
	}
	var vs []Violation
	for _, g := range gaps {
		v := Violation{
			Field:   resourcePath(g.Path.Child("resources", "requests"), g.Resource),
			Message: fmt.Sprintf("%s %q: no %s request", g.Kind, g.Container.Name, g.Resource),
			Hint:    requestHint(g.Resource, ns),
		}
		if g.Kind == InitContainer && appGaps[g.Resource] < len(ps.Spec.Containers) {
			// A one-shot init container runs alone, before the app
			// containers, inside the reservation they request (the
			// scheduler reserves the larger of the two). An app container
			// without the request is reported on its own.
			v.Message = fmt.Sprintf("%s %q: no %s request; it runs before the app containers, which request %s, so this is a warning", g.Kind, g.Container.Name, g.Resource, g.Resource)
			v.AtMost = ActionWarn
		}
		vs = append(vs, v)
	}
	return vs
}

// MissingRequest is one resource that one container does not request.
type MissingRequest struct {
	// Container points into the pod spec given to MissingRequests.
	Container *corev1.Container
	Kind      ContainerKind
	// Path is the container's field path.
	Path     *field.Path
	Resource corev1.ResourceName
}

// MissingRequests returns, in API order, each resource of required that a
// container of ps (init containers and sidecars included) leaves without a
// request once the API server has done its part: a container passes for a
// resource it requests (any value), limits (the API server copies limits to
// missing requests), or that the pod-level spec.resources requests or
// limits, or that a LimitRange Container item of the namespace defaults
// (see LimitRangeDefaults). limitRanges is called only when a container
// misses something; when it fails, MissingRequests returns the gaps before
// the LimitRanges were consulted along with the error. resources-requests
// reports what it returns, and the mutating webhook fills it.
func MissingRequests(ps PodSpecRef, required []corev1.ResourceName, limitRanges func() ([]*corev1.LimitRange, error)) ([]MissingRequest, error) {
	if len(required) == 0 {
		return nil, nil
	}
	var gaps []MissingRequest
	podLevel := ps.Spec.Resources
	VisitContainers(ps.Spec, ps.Path, func(c *corev1.Container, kind ContainerKind, cp ContainerPath) {
		var p *field.Path
		for _, r := range required {
			if requestedOrLimited(&c.Resources, r) || (podLevel != nil && requestedOrLimited(podLevel, r)) {
				continue
			}
			if p == nil {
				p = cp.Path()
			}
			gaps = append(gaps, MissingRequest{Container: c, Kind: kind, Path: p, Resource: r})
		}
	})
	if len(gaps) == 0 {
		return nil, nil
	}
	lrs, err := limitRanges()
	if err != nil {
		return gaps, err
	}
	defaulted := LimitRangeDefaults(lrs)
	return slices.DeleteFunc(gaps, func(g MissingRequest) bool { return defaulted[g.Resource] }), nil
}

func requestedOrLimited(rr *corev1.ResourceRequirements, r corev1.ResourceName) bool {
	_, req := rr.Requests[r]
	_, lim := rr.Limits[r]
	return req || lim
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

// requestsPath is resources.requests, relative to a container.
var requestsPath = field.NewPath("resources", "requests")

func requestHint(r corev1.ResourceName, ns string) string {
	set := "set " + resourcePath(requestsPath, r).String()
	if ex := exampleRequest(r); ex != "" {
		set += " (e.g. " + ex + ")"
	}
	where := "in the namespace"
	if ns != "" {
		where = "in namespace " + strconv.Quote(ns) // as %q
	}
	return set + ", or a limit, or a LimitRange defaultRequest " + where
}
