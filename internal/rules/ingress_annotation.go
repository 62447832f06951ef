package rules

import (
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ingressAnnotation restricts the values of ingress-nginx annotations
// (metadata.annotations[nginx.ingress.kubernetes.io/*]) of an Ingress.
//
// Each known annotation has a value type (ngxAnnotations in
// ingress_nginx_annotations.go). A non-empty value that does not parse for
// its type, or that carries config-injection characters (";", "{", "}",
// quotes, backslashes, line breaks, "#" starting a word, "$" where the type
// takes no NGINX variables), is a violation. Empty values pass (the
// controller ignores them).
//
// An unknown name under the prefix (a typo) and an annotation the controller
// no longer reads are violations capped at warn: the controller silently
// ignores them. The first maxListedUnknown unknown names (in sorted
// order) are reported one by one with the closest known name, the rest in
// one violation on metadata.annotations that counts them: an Ingress can
// carry thousands of annotations, and warnings deny nothing that a full
// list would have to show.
//
// Snippet annotations are known names and pass here; ingress-snippet judges
// them. Annotations of other controllers pass.
var ingressAnnotation = &Rule{
	ID:            "ingress-annotation",
	DefaultAction: ActionDeny,
	DefaultNote:   "unknown names: warn",
	Kinds:         ingressKinds,
	Summary:       "controller annotations with values that do not parse or carry config injection",
	Why: "ingress-nginx pastes annotation values into the nginx.conf it shares among all tenants: a value that does not parse " +
		"is rejected or silently replaced by a default, and a value with \";\", braces, quotes or line breaks injects " +
		"configuration (CVE-2023-5044, CVE-2025-24514, CVE-2025-1097, CVE-2025-1098) that can read every Secret the controller can. " +
		"A misspelled annotation name is ignored without a word.",
	Fix: "Give each nginx.ingress.kubernetes.io/ annotation a value of its documented type " +
		"(https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/) and fix misspelled names.",
	Check: checkIngressAnnotation,
}

// maxListedUnknown is how many unknown names are reported one by one: with
// the violation counting the rest, as many findings as a report lists
// per rule (MaxFindingsPerRule).
const maxListedUnknown = MaxFindingsPerRule - 1

func checkIngressAnnotation(in *Input) []Violation {
	ing, ok := in.Object.(*networkingv1.Ingress)
	if !ok || ing == nil {
		return nil
	}
	// Only the keys that may be reported are sorted, and of the unknown
	// names only the first maxListedUnknown are kept: an Ingress can carry
	// thousands of annotations.
	var keys, unknownKeys []string
	unknown := 0
	for key, value := range ing.Annotations {
		entry, under := lookupNgxAnnotation(key)
		switch {
		case !under:
		case entry == nil:
			unknown++
			unknownKeys = keepSmallest(unknownKeys, key, maxListedUnknown)
		case entry.typ == ngxRemoved:
			keys = append(keys, key)
		case entry.typ == ngxSnippet || entry.typ.check == nil || value == "":
			// snippets are ingress-snippet's; empty values are ignored by the controller
		default:
			keys = append(keys, key)
		}
	}
	keys = append(keys, unknownKeys...)
	slices.Sort(keys)

	var out []Violation
	annotations := metadataAnnotationsPath
	for _, key := range keys {
		entry, _ := lookupNgxAnnotation(key)
		path := annotations.Key(key)
		switch {
		case entry == nil:
			name := key[len(ingressNginxPrefix):]
			msg := fmt.Sprintf("unknown ingress-nginx annotation %q; the controller ignores it", key)
			if s := closestNgxAnnotation(name); s != "" {
				msg = fmt.Sprintf("unknown ingress-nginx annotation %q; did you mean %q?", key, s)
			} else if name == "ingress.class" {
				msg = fmt.Sprintf("unknown ingress-nginx annotation %q; did you mean %q or spec.ingressClassName?", key, LegacyIngressClassAnnotation)
			}
			out = append(out, Violation{
				Field:   path,
				Message: msg,
				Hint:    "Fix the annotation name; ingress-nginx silently ignores names it does not know.",
				AtMost:  ActionWarn,
			})
		case entry.typ == ngxRemoved:
			msg := fmt.Sprintf("ingress-nginx annotation %q was removed from the controller and is ignored", key)
			if entry.useInstead != "" {
				msg += fmt.Sprintf("; use %q instead", ingressNginxPrefix+entry.useInstead)
			}
			out = append(out, Violation{
				Field:   path,
				Message: msg,
				Hint:    "Remove the annotation or move to its replacement; current ingress-nginx releases do not read it.",
				AtMost:  ActionWarn,
			})
		default:
			if v := ngxValueViolation(key, ing.Annotations[key], entry.typ, path); v != nil {
				out = append(out, *v)
			}
		}
	}
	if more := unknown - maxListedUnknown; more > 0 {
		out = append(out, Violation{
			Field: annotations,
			Message: fmt.Sprintf("%d more unknown ingress-nginx %s, not listed; the controller ignores them",
				more, plural(more, "annotation", "annotations")),
			Hint:   "Fix or remove the annotation names ingress-nginx does not know; the first ones are listed.",
			AtMost: ActionWarn,
		})
	}
	return out
}

// keepSmallest adds s to sorted, which holds at most n strings: the
// smallest seen.
func keepSmallest(sorted []string, s string, n int) []string {
	if n <= 0 || len(sorted) == n && s >= sorted[n-1] {
		return sorted
	}
	i, _ := slices.BinarySearch(sorted, s)
	if len(sorted) == n {
		sorted = sorted[:n-1]
	}
	return slices.Insert(sorted, i, s)
}

// ngxValueViolation judges one value against its type.
func ngxValueViolation(key, value string, typ *ngxValueType, path *field.Path) *Violation {
	err := typ.check(value)
	if err == nil {
		return nil
	}
	if inj, ok := err.(ngxInjection); ok {
		return &Violation{
			Field: path,
			Message: fmt.Sprintf("annotation %q has value %s containing %q, which can inject configuration into the ingress controller; expected %s",
				key, quoteNgxValue(value), string(inj.char), typ.expect),
			Hint: "Use a plain value of the expected type: characters such as ; { } quotes, backslashes and line breaks splice raw NGINX configuration.",
		}
	}
	return &Violation{
		Field:   path,
		Message: fmt.Sprintf("annotation %q has invalid value %s; expected %s", key, quoteNgxValue(value), typ.expect),
		Hint:    "Set a value of the expected type, or remove the annotation to use the controller's default.",
	}
}
