package rules

import (
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ingressConflict restricts spec.rules[*].http.paths[*]: the key host +
// path + pathType, within one ingress class, must not already be claimed by
// another Ingress. Claimed from another namespace it is a traffic hijack
// (deny); from the same namespace it is a duplicate the controller resolves
// arbitrarily (warn).
//
// Keys are normalised as IngressKeys does ("/api/" and "/api" under Prefix
// are the same key; hosts compare case-insensitively). Lookups go through
// the ClusterView's claim index, never a scan.
//
// Class resolution: the index holds each Ingress under the class it names
// ("" when none). An Ingress without a class belongs to the default class,
// so when the subject names no class the default classes are queried too,
// and when it names a default class the class "" is queried too. When the
// defaults are not knowable (offline input without IngressClasses), ""
// and a named class are treated as different classes: no guess, no false
// alarm.
//
// Namespace unknown: an Ingress without metadata.namespace in offline input
// goes wherever kubectl's context points, so a claim between it and another
// Ingress may be a duplicate as well as a hijack: it is only a warning.
//
// Passes: the Ingress's own previous version (same namespace and name);
// the same host and path under another class, another pathType or another
// host; ingress-nginx canaries (nginx.ingress.kubernetes.io/canary: "true")
// repeating a main Ingress of their own namespace — a canary that repeats an
// Ingress of another namespace is still a hijack, and canaries are not
// indexed, so a main Ingress never conflicts with its canary.
var ingressConflict = &Rule{
	ID:            "ingress-conflict",
	DefaultAction: ActionDeny,
	DefaultNote:   "same namespace: warn",
	Kinds:         ingressKinds,
	Summary:       "host + path already claimed by an Ingress in another namespace",
	Why: "Two Ingresses of one class claiming the same host and path fight over the same traffic: " +
		"the controller picks one of them, so a team in another namespace can take over an application's traffic.",
	Fix: "Use a host or path that is not routed yet, or agree with the owner of the other Ingress " +
		"to serve the path from one Ingress only.",
	Check: checkIngressConflict,
}

func checkIngressConflict(in *Input) []Violation {
	ing, ns := ingressSubject(in)
	if ing == nil {
		return nil
	}
	canary := IngressIsCanary(ing)
	class := IngressClassOf(ing)
	classes := []string{class}
	var out []Violation
	defaults, err := in.Cluster.DefaultIngressClasses()
	switch {
	case err == nil:
		if class == "" {
			classes = append(classes, defaults...)
			slices.Sort(classes[1:]) // deterministic order of findings
		} else {
			for _, d := range defaults {
				if d == class {
					classes = append(classes, "")
					break
				}
			}
		}
	case !errors.Is(err, ErrNotInInput):
		out = append(out, LookupFailed(err, field.NewPath("spec", "ingressClassName"), "the default IngressClass")...)
	}

	seen := map[string]bool{}
	for _, c := range IngressKeys(ing, class) {
		for _, cl := range classes {
			key := c.Key
			key.Class = cl
			refs, err := in.Cluster.IngressClaims(key)
			if err != nil {
				// One warning is enough: the other keys would fail alike.
				return append(out, LookupFailed(err, c.Field.Child("path"), "other Ingresses routing this host and path")...)
			}
			for _, r := range refs {
				if r.Namespace == ns && r.Name == ing.Name {
					continue
				}
				// An unknown namespace (offline input without
				// metadata.namespace) may be the other one's: no hijack claim.
				sameNS := r.Namespace == ns || r.Namespace == "" || ns == ""
				if canary && sameNS {
					continue
				}
				id := c.Field.String() + " " + r.Namespace + "/" + r.Name
				if seen[id] {
					continue
				}
				seen[id] = true
				out = append(out, ingressConflictViolation(c, r, class, cl, sameNS))
			}
		}
	}
	return out
}

func ingressConflictViolation(c IngressClaim, other ObjectRef, subjectClass, keyClass string, sameNS bool) Violation {
	what := fmt.Sprintf("host %q", c.Key.Host)
	if c.Key.Host == "" {
		what = "the catch-all rule (no host)"
	}
	cls := keyClass
	if cls == "" {
		cls = subjectClass
	}
	clsText := "no class"
	if cls != "" {
		clsText = "class " + cls
	}
	path := c.Path
	if path == "" {
		path = "/"
	}
	v := Violation{
		Field: c.Field.Child("path"),
		Message: fmt.Sprintf("%s path %q (%s) is already routed by Ingress %s (%s)",
			what, path, c.Key.PathType, ingressRefName(other), clsText),
		Hint: fmt.Sprintf("choose another host or path, or agree with the owner of Ingress %s which one serves it", ingressRefName(other)),
	}
	if sameNS {
		v.AtMost = ActionWarn
		v.Hint = fmt.Sprintf("merge this path into Ingress %s or remove one of them; the controller serves only one", ingressRefName(other))
	}
	return v
}

// ingressRefName is "namespace/name", or just the name when the namespace is not
// known (offline input without metadata.namespace).
func ingressRefName(r ObjectRef) string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}
