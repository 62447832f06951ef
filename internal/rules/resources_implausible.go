package rules

import (
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// resourcesImplausible restricts the fields
//
//	spec.containers[*].resources.{requests,limits}.{cpu,memory}
//	spec.initContainers[*].resources.{requests,limits}.{cpu,memory}
//	spec.resources.{requests,limits}.{cpu,memory} (pod-level resources)
//
// of Pods and pod templates to values that are not almost certainly a
// typo:
//   - a memory request or limit above zero and below 1Mi (`memory: 512` is
//     512 bytes, `memory: 512m` is half a byte);
//   - a cpu request or limit above 256 cores (`cpu: 500` is 500 cores);
//   - a cpu or memory limit more than 100× the request of the same
//     container (or of the pod), when both are written and neither was
//     already reported as a unit typo above.
//
// Zero values, unset values, and values of other resources pass; so do
// mirror pods. Quantities are quoted in their canonical form.
var resourcesImplausible = &Rule{
	ID:            "resources-implausible",
	DefaultAction: ActionWarn,
	Kinds:         PodKinds,
	Summary:       "resource values that are almost always a typo",
	Why: "A missing unit turns 512Mi into 512 bytes or 500m into 500 cores: the pod never starts, " +
		"never schedules, or reserves nothing while its limit lets it take a whole node.",
	Fix: "Write memory with a binary suffix (128Mi, 1Gi) and cpu in cores or millicores (500m); " +
		"keep limits within a sane multiple of the requests.",
	Check: checkResourcesImplausible,
}

var (
	minPlausibleMemory = resource.MustParse("1Mi")
	maxPlausibleCPU    = resource.MustParse("256")
	plainNumber        = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	plainInteger       = regexp.MustCompile(`^[0-9]+$`)
)

// maxLimitRatio is how many times its request a limit may be.
const maxLimitRatio = 100

func checkResourcesImplausible(in *Input) []Violation {
	ps, ok := PodSpecOf(in.Object)
	if !ok || IsMirrorPod(in) {
		return nil
	}
	var vs []Violation
	if r := ps.Spec.Resources; r != nil {
		vs = append(vs, implausible("pod-level resources", r, ps.Path.Child("resources"))...)
	}
	VisitContainers(ps.Spec, ps.Path, func(c *corev1.Container, kind ContainerKind, p ContainerPath) {
		if mayBeImplausible(&c.Resources) {
			vs = append(vs, implausible(fmt.Sprintf("%s %q", kind, c.Name), &c.Resources, p.Path().Child("resources"))...)
		}
	})
	return vs
}

// mayBeImplausible reports whether implausible can find anything in rr:
// it judges only cpu and memory requests and limits. Most containers have
// none of them wrong; this saves their subject and path.
func mayBeImplausible(rr *corev1.ResourceRequirements) bool {
	for _, l := range []corev1.ResourceList{rr.Requests, rr.Limits} {
		if q, ok := l[corev1.ResourceMemory]; ok && q.Sign() > 0 && q.Cmp(minPlausibleMemory) < 0 {
			return true
		}
		if q, ok := l[corev1.ResourceCPU]; ok && q.Cmp(maxPlausibleCPU) > 0 {
			return true
		}
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := rr.Requests[r]
		lim, okLim := rr.Limits[r]
		if okReq && okLim && req.Sign() > 0 && lim.AsApproximateFloat64()/req.AsApproximateFloat64() > maxLimitRatio {
			return true
		}
	}
	return false
}

func implausible(subject string, rr *corev1.ResourceRequirements, path *field.Path) []Violation {
	var vs []Violation
	// flagged holds the resources with a unit typo already reported: the
	// limit/request ratio of those says nothing new.
	flagged := map[corev1.ResourceName]bool{}
	for _, side := range []struct {
		word string
		list corev1.ResourceList
	}{{"request", rr.Requests}, {"limit", rr.Limits}} {
		p := path.Child(side.word + "s")
		if q, ok := side.list[corev1.ResourceMemory]; ok && q.Sign() > 0 && q.Cmp(minPlausibleMemory) < 0 {
			msg := fmt.Sprintf("%s: memory %s %q is %s bytes", subject, side.word, q.String(), q.AsDec().String())
			if s := suggestMemory(q); s != "" {
				msg += "; did you mean " + s + "?"
			} else {
				msg += ", less than 1Mi"
			}
			flagged[corev1.ResourceMemory] = true
			vs = append(vs, Violation{
				Field:   p.Child("memory"),
				Message: msg,
				Hint:    "memory is counted in bytes: write it with a binary suffix such as 128Mi or 1Gi",
			})
		}
		if q, ok := side.list[corev1.ResourceCPU]; ok && q.Cmp(maxPlausibleCPU) > 0 {
			msg := fmt.Sprintf("%s: cpu %s %q is %s cores", subject, side.word, q.String(), q.AsDec().String())
			if s := q.String(); plainInteger.MatchString(s) {
				msg += "; did you mean " + s + "m?"
			} else {
				msg += ", more than 256"
			}
			flagged[corev1.ResourceCPU] = true
			vs = append(vs, Violation{
				Field:   p.Child("cpu"),
				Message: msg,
				Hint:    "cpu is counted in cores: write millicores with the m suffix (500m is half a core)",
			})
		}
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := rr.Requests[r]
		lim, okLim := rr.Limits[r]
		if !okReq || !okLim || req.Sign() <= 0 || flagged[r] {
			continue
		}
		ratio := lim.AsApproximateFloat64() / req.AsApproximateFloat64()
		if ratio <= maxLimitRatio {
			continue
		}
		vs = append(vs, Violation{
			Field: path.Child("limits").Child(string(r)),
			Message: fmt.Sprintf("%s: %s limit %q is %s× the request %q",
				subject, r, lim.String(), formatRatio(ratio), req.String()),
			Hint: fmt.Sprintf("check both values for a missing or wrong unit; a limit over %d× the request lets the container take far more than the scheduler reserved", maxLimitRatio),
		})
	}
	return vs
}

// suggestMemory guesses the intended value of a tiny memory quantity: the
// same number in Mi when it was written bare or with a small suffix
// (512 → 512Mi, 512m → 512Mi, 100Ki → 100Mi).
func suggestMemory(q resource.Quantity) string {
	s := q.String()
	for _, suf := range []string{"Ki", "k", "m", ""} {
		if n, ok := strings.CutSuffix(s, suf); ok && plainNumber.MatchString(n) {
			return n + "Mi"
		}
	}
	return ""
}

func formatRatio(r float64) string {
	if r < maxLimitRatio+1 {
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.0f", r)
}
