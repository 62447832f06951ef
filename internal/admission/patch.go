package admission

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/guardrails-dev/guardrails/internal/typedjson"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// The mutating handler's JSON patch is written from the plan: the mutator
// knows each field it sets, and the typed object it was decoded into says
// which of their parents the request's object has. Only a container
// without requests, limits or claims leaves that open (no resources, a
// null one, or an empty one): then the request's object is read for the
// containers' resources alone. The patch applies to the result that
// diffing the request's object with the encoded mutated copy gave
// (TestPatchMatchesDiff), without encoding the object or diffing it. It
// reads the object as the API server serializes it into an
// AdmissionReview: without duplicate keys, so that the typed object holds
// what the document holds.

// fieldSet is one field of the pod spec the plan set.
type fieldSet struct {
	// name is the field's JSON name in the pod spec.
	name string
	// present: the request's object has the field (its pointer decoded
	// non-nil); same: with value already.
	present, same bool
	value         any
}

// requestFill is the requests the plan filled in one container.
type requestFill struct {
	// container is the JSON pointer of the container relative to the pod
	// spec, e.g. /containers/0.
	container string
	// hadRequests: the container has a requests object; hasResources: it
	// has a resources object (false: not known, see patchResponse).
	hadRequests, hasResources bool
	requests                  []resourceValue
}

type resourceValue struct {
	name  corev1.ResourceName
	value string // canonical, as the quantity encodes
}

// podSpecPointer is the JSON pointer of a pod spec's field path (plain
// field names: spec.template.spec is /spec/template/spec).
func podSpecPointer(p *field.Path) string {
	return "/" + strings.ReplaceAll(p.String(), ".", "/")
}

// containerPointer is the JSON pointer of c, relative to spec.
func containerPointer(spec *corev1.PodSpec, c *corev1.Container) string {
	for i := range spec.InitContainers {
		if &spec.InitContainers[i] == c {
			return "/initContainers/" + strconv.Itoa(i)
		}
	}
	for i := range spec.Containers {
		if &spec.Containers[i] == c {
			return "/containers/" + strconv.Itoa(i)
		}
	}
	panic("container not in its pod spec")
}

// pointerToken escapes a JSON pointer reference token (RFC 6901).
func pointerToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// patchResponse answers with the JSON patch of p against raw, the
// request's object: add for a field the object lacks (or has empty: add
// replaces a member), replace for one it has with another value, nothing
// for one it has with the value; requests are added one by one into an
// existing requests object, else as a requests object into an existing
// resources object, else as a resources object.
func patchResponse(raw []byte, p plan) (admission.Response, error) {
	ops := make([]jsonpatch.JsonPatchOperation, 0, len(p.sets)+len(p.fills))
	for _, s := range p.sets {
		switch {
		case s.same:
		case s.present:
			ops = append(ops, jsonpatch.NewOperation("replace", p.specPointer+"/"+s.name, s.value))
		default:
			ops = append(ops, jsonpatch.NewOperation("add", p.specPointer+"/"+s.name, s.value))
		}
	}
	var present map[string]bool
	for _, f := range p.fills {
		hasResources := f.hasResources
		if !hasResources {
			if present == nil {
				var err error
				if present, err = resourcesPresent(raw, p.specPointer); err != nil {
					return admission.Response{}, err
				}
			}
			hasResources = present[f.container]
		}
		at := p.specPointer + f.container + "/resources"
		if f.hadRequests {
			for _, r := range f.requests {
				ops = append(ops, jsonpatch.NewOperation("add", at+"/requests/"+pointerToken(string(r.name)), r.value))
			}
			continue
		}
		requests := make(map[corev1.ResourceName]string, len(f.requests))
		for _, r := range f.requests {
			requests[r.name] = r.value
		}
		if hasResources {
			ops = append(ops, jsonpatch.NewOperation("add", at+"/requests", requests))
		} else {
			ops = append(ops, jsonpatch.NewOperation("add", at, map[string]any{"requests": requests}))
		}
	}
	resp := admission.Response{Patches: ops, AdmissionResponse: admissionv1.AdmissionResponse{Allowed: true}}
	if len(ops) > 0 {
		pt := admissionv1.PatchTypeJSONPatch
		resp.PatchType = &pt
	}
	return resp, nil
}

// rawContainers are the containers of a pod spec, reduced to whether each
// has a resources object (nil: absent or null).
type rawContainers struct {
	InitContainers []rawContainer `json:"initContainers"`
	Containers     []rawContainer `json:"containers"`
}

type rawContainer struct {
	Resources *struct{} `json:"resources"`
}

// resourcesPresent reads raw, the request's object, the way the handlers
// decode it (case-sensitively, the last of duplicate keys winning), for
// the containers of its pod spec at specPointer that have a resources
// object, by container pointer (see containerPointer).
func resourcesPresent(raw []byte, specPointer string) (map[string]bool, error) {
	var spec *rawContainers
	var into any
	switch specPointer {
	case "/spec":
		var o struct {
			Spec rawContainers `json:"spec"`
		}
		into, spec = &o, &o.Spec
	case "/spec/template/spec":
		var o struct {
			Spec struct {
				Template struct {
					Spec rawContainers `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		into, spec = &o, &o.Spec.Template.Spec
	case "/spec/jobTemplate/spec/template/spec":
		var o struct {
			Spec struct {
				JobTemplate struct {
					Spec struct {
						Template struct {
							Spec rawContainers `json:"spec"`
						} `json:"template"`
					} `json:"spec"`
				} `json:"jobTemplate"`
			} `json:"spec"`
		}
		into, spec = &o, &o.Spec.JobTemplate.Spec.Template.Spec
	case "/template/spec":
		var o struct {
			Template struct {
				Spec rawContainers `json:"spec"`
			} `json:"template"`
		}
		into, spec = &o, &o.Template.Spec
	default:
		return nil, fmt.Errorf("no pod spec at %s", specPointer)
	}
	if err := typedjson.Unmarshal(raw, into); err != nil {
		return nil, fmt.Errorf("read the containers' resources: %w", err)
	}
	out := map[string]bool{}
	for i, c := range spec.InitContainers {
		if c.Resources != nil {
			out["/initContainers/"+strconv.Itoa(i)] = true
		}
	}
	for i, c := range spec.Containers {
		if c.Resources != nil {
			out["/containers/"+strconv.Itoa(i)] = true
		}
	}
	return out, nil
}
