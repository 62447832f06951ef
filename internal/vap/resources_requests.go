package vap

import (
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/guardrails-dev/guardrails/internal/admission"
	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/policy"
)

// resourcesRequests judges Pods on CREATE: every container and init
// container (sidecars included) requests each resource of
// resources.required, has a limit for it, or the pod sets it at pod level
// (spec.resources requests or limits).
//
// That is the whole rule for a Pod as the validating policies see it: by
// then the LimitRanger admission plugin has filled the requests a
// LimitRange of the namespace defaults, and defaulting has copied limits
// to missing requests. Pod templates (Deployments, Jobs…) stay with the
// webhook, which looks the namespace's LimitRanges up.
//
// Left alone, as by the webhook: mirror pods (annotation
// kubernetes.io/config.mirror), ephemeral containers, and pods that a
// built-in workload controller stamps out of a template it owns (judged on
// the owner). Pod UPDATEs cannot add containers or change their resources
// (resizes go through a subresource), so only CREATE is judged.
var resourcesRequests = check{
	rule:       "resources-requests",
	covers:     "Pods (CREATE; LimitRange defaults already applied)",
	resources:  []resource{{group: "", resource: "pods", namespaced: true}},
	createOnly: true,
	enabled:    func(cfg *config.Config) bool { return len(cfg.RuleSettings().Resources.Required) > 0 },
	conditions: func(*config.Config) []admissionregistrationv1.MatchCondition {
		return []admissionregistrationv1.MatchCondition{
			{Name: "not-a-mirror-pod", Expression: "!(has(object.metadata.annotations) && " + str(corev1.MirrorPodAnnotationKey) + " in object.metadata.annotations)"},
			{Name: "not-a-controller-copy", Expression: "!(" + controllerCopy() + ")"},
		}
	},
	tables: func(cfg *config.Config) []admissionregistrationv1.Variable {
		var rows []string
		for _, r := range cfg.RuleSettings().Resources.Required {
			set := "set " + resourcePath("resources.requests", r)
			if ex := exampleRequest(r); ex != "" {
				set += " (e.g. " + ex + ")"
			}
			rows = append(rows, "\n  "+strList([]string{string(r), resourcePath("resources.requests", r), set}))
		}
		return []admissionregistrationv1.Variable{
			// [resource, its requests field, how to set it], in the
			// configuration's order.
			{Name: "requiredResources", Expression: "[" + strings.Join(rows, ",") + "\n]"},
			// The resources the pod sets at pod level.
			{Name: "podLevelResources", Expression: expand(`
!has(object.spec.resources) ? [] :
  (has(object.spec.resources.requests) ? object.spec.resources.requests.map(r, r) : []) +
  (has(object.spec.resources.limits) ? object.spec.resources.limits.map(r, r) : [])`)},
		}
	},
	findings: func(_ *config.Config, root, _ string) string {
		// One pair per container with its lines joined: the same text as
		// one pair per finding, in the webhook's order (container by
		// container, resources in configuration order). The key is unused:
		// CREATE only.
		list := func(field, kind string) string {
			return expand(`
(has($R.spec.$F) ? $R.spec.$F : []).transformList(i, c,
  variables.requiredResources.filter(r, !(r[0] in variables.podLevelResources) && !(has(c.resources) &&
      ((has(c.resources.requests) && r[0] in c.resources.requests) || (has(c.resources.limits) && r[0] in c.resources.limits))))
    .map(r, '[resources-requests] spec.$F[' + string(i) + '].' + r[1] + ': ' +
      $K + ' "' + c.name + '": no ' + r[0] + ' request (' +
      r[2] + ', or a limit, or a LimitRange defaultRequest in namespace "' + request.namespace + '")')
).filter(lines, size(lines) > 0).map(lines, ['', lines.join('; ')])`, "$R", root, "$F", field, "$K", kind)
		}
		return list("initContainers", "(has(c.restartPolicy) && c.restartPolicy == 'Always' ? 'sidecar container' : 'init container')") +
			"\n+ " + list("containers", "'container'")
	},
}

// resourcePath appends r to a requests path as internal/rules does: a
// child for plain names, a key for names with a domain.
func resourcePath(p string, r corev1.ResourceName) string {
	if strings.ContainsAny(string(r), "./") {
		return p + "[" + string(r) + "]"
	}
	return p + "." + string(r)
}

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

// controllerCopy is the CEL condition that the request comes from a
// built-in workload controller and the object names, in its controller
// ownerReference, an owner whose template Guardrails judges.
func controllerCopy() string {
	var kinds []string
	for kind, group := range admission.TemplateOwners() {
		g := "!o.apiVersion.contains('/')"
		if group != "" {
			g = "o.apiVersion.startsWith(" + str(group+"/") + ")"
		}
		kinds = append(kinds, "(o.kind == "+str(kind)+" && "+g+")")
	}
	slices.Sort(kinds)
	return expand(`
request.userInfo.username in $U &&
has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(o, has(o.controller) && o.controller && (
  $K))`, "$U", strList(policy.BuiltinControllers()), "$K", strings.Join(kinds, " ||\n  "))
}
