package rules

import (
	"errors"
	"fmt"
)

// ingressClass restricts the class an Ingress asks for:
//
//   - spec.ingressClassName, when set, must name an IngressClass that
//     exists (ingress-nginx and other controllers look the object up and
//     ignore Ingresses whose class they cannot find);
//   - an Ingress with neither spec.ingressClassName nor a non-empty
//     kubernetes.io/ingress.class annotation must live in a cluster that has
//     a default IngressClass (ingressclass.kubernetes.io/is-default-class:
//     "true"); otherwise no controller is obliged to serve it.
//
// Passes: an existing class; the legacy annotation with any value (it names
// a controller's --ingress-class, not an IngressClass object, so its value
// is not looked up); no class while a default exists. On CREATE the API
// server's DefaultIngressClass admission plugin has already filled in the
// default before webhooks run.
//
// Offline (`webhook check`), the input's IngressClasses stand for the
// cluster's: an input that holds some and marks none as default denies an
// Ingress without class. An input without any IngressClass cannot tell:
// an Ingress without class gets a warning that it relies on the cluster's
// default class. A named class missing from the input may exist in the
// cluster (a chart ships an Ingress, not the cluster's classes): it stays
// unjudged.
var ingressClass = &Rule{
	ID:            "ingress-class",
	DefaultAction: ActionDeny,
	DefaultNote:   "offline, no class and no IngressClass in the input: warn",
	Kinds:         ingressKinds,
	Summary:       "no ingress class while the cluster has no default, or a class that does not exist",
	Why: "An Ingress whose class does not exist, or that names no class in a cluster without a default " +
		"IngressClass, is served by no controller: the application is silently unreachable.",
	Fix: "Set spec.ingressClassName to an existing IngressClass (kubectl get ingressclass), " +
		"or ask a cluster admin to mark one IngressClass as the default.",
	Check: checkIngressClass,
}

func checkIngressClass(in *Input) []Violation {
	ing, _ := ingressSubject(in)
	if ing == nil {
		return nil
	}
	fp := ingressClassNamePath
	if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
		name := *ing.Spec.IngressClassName
		ic, err := in.Cluster.IngressClass(name)
		if err != nil {
			return LookupFailed(err, fp, fmt.Sprintf("IngressClass %q", name))
		}
		if ic == nil {
			return []Violation{{
				Field:   fp,
				Message: fmt.Sprintf("IngressClass %q does not exist, so no ingress controller will serve this Ingress", name),
				Hint:    "use the name of an existing IngressClass (kubectl get ingressclass)",
			}}
		}
		return nil
	}
	if ing.Annotations[LegacyIngressClassAnnotation] != "" {
		return nil
	}
	defaults, err := in.Cluster.DefaultIngressClasses()
	if errors.Is(err, ErrNotInInput) {
		return []Violation{{
			Field:   fp,
			Message: "Ingress names no ingress class: it relies on the cluster's default IngressClass, which the input does not show",
			Hint:    "set spec.ingressClassName, or check the input together with the cluster's IngressClasses",
			AtMost:  ActionWarn,
		}}
	}
	if err != nil {
		return LookupFailed(err, fp, "the default IngressClass")
	}
	if len(defaults) > 0 {
		return nil
	}
	return []Violation{{
		Field:   fp,
		Message: "Ingress names no ingress class and no IngressClass is marked as the default, so no ingress controller will serve it",
		Hint:    "set spec.ingressClassName to an existing IngressClass (kubectl get ingressclass)",
	}}
}
