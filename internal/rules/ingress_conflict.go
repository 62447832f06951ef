package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ingressConflict restricts the hosts and paths an Ingress routes, on its
// ingress controller:
//
//   - spec.rules[*].host (and spec.defaultBackend of a rule-less Ingress,
//     the catch-all): a host that Ingresses of another namespace serve on
//     the same controller is theirs. ingress-nginx merges every rule of a
//     host into one server block whatever the namespace, so any path, any
//     pathType, regex or not, added to someone else's host takes part of
//     its traffic. Denied unless the namespaces that own the host share it
//     (guardrails.dev/share-host-with on one of their Ingresses for the
//     host, see ingress_host_owner.go for who owns a host) or the
//     configuration's ingress.sharedHosts lists the host for this
//     namespace. Hosts compare case-insensitively, a trailing dot ignored.
//   - spec.rules[*].http.paths[*].path: the same host, path and pathType
//     already routed by another Ingress (the controller serves only one of
//     them; ingress-nginx's own admission rejects the second). Denied,
//     also within one namespace and on a shared host.
//   - an ingress-nginx canary (canary: "true") belongs to the namespace of
//     its main Ingress: it must not divert a path that an Ingress of
//     another namespace routes. Canaries claim nothing themselves: they
//     neither hold a host nor duplicate their main Ingress.
//   - metadata.annotations[guardrails.dev/share-host-with]: an entry that
//     is not a namespace name (warn).
//
// Controller: Ingresses whose IngressClasses have the same spec.controller
// meet on one controller; an Ingress without class belongs to the default
// classes' controller. Without IngressClasses to tell (offline input
// without any), each class name is its own controller and "no class" is
// one more: no guess, no false alarm.
//
// What a tenant reads names neither the other namespace nor its objects (a
// server-side dry run would make the webhook an oracle of who serves what):
// "served by another namespace". The finding's Detail, for the webhook's
// log, the audit annotations and `webhook check`, names them.
//
// Namespace unknown: an Ingress without metadata.namespace in offline
// input goes wherever kubectl's context points, so a host or path it
// shares with an Ingress that names its namespace may be a duplicate as
// well as a hijack: only a warning. Ingresses without namespace are in one
// namespace with each other.
//
// Lookups go through the ClusterView's indexes (IngressHost,
// IngressClaims), never a scan of all Ingresses.
var ingressConflict = &Rule{
	ID:            "ingress-conflict",
	DefaultAction: ActionDeny,
	DefaultNote:   "namespace unknown offline: warn",
	Kinds:         ingressKinds,
	Summary:       "a host served by another namespace on the same controller, or a host + path already routed",
	Why: "An ingress controller merges every rule of a host into one server, whatever the namespace: a team that " +
		"adds a path to another team's host, or repeats one of its routes, takes over part of that application's traffic.",
	Fix: "Serve a host of your own. To share a host on purpose, the namespace that serves it lists yours in the " +
		"guardrails.dev/share-host-with annotation of one of its Ingresses for the host, or a cluster admin adds it " +
		"to ingress.sharedHosts; routes within a shared host stay distinct.",
	Params: []string{"ingress.sharedHosts"},
	Check:  checkIngressConflict,
}

func checkIngressConflict(in *Input) []Violation {
	ing, ns := ingressSubject(in)
	if ing == nil {
		return nil
	}
	classes, out := ingressControllerClasses(in, IngressClassOf(ing))
	out = append(out, shareHostWithProblems(ing)...)

	hostVs, flagged, err := ingressHostViolations(in, ing, ns, classes)
	if err != nil {
		return append(out, LookupFailed(err, ingressRulesPath, "which namespaces serve these hosts")...)
	}
	out = append(out, hostVs...)

	pathVs, err := ingressPathDuplicates(in, ing, ns, classes, flagged)
	if err != nil {
		return append(out, LookupFailed(err, ingressRulesPath, "other Ingresses routing these hosts and paths")...)
	}
	return append(out, pathVs...)
}

// ingressControllerClasses returns the class keys of the indexes that
// reach the same controller as an Ingress of class class ("" for none),
// sorted: the classes with the same spec.controller, and "" when a default
// class has it. Without IngressClasses to tell, just class.
func ingressControllerClasses(in *Input, class string) ([]string, []Violation) {
	all, err := in.Cluster.IngressClasses()
	if err != nil {
		if errors.Is(err, ErrNotInInput) {
			return []string{class}, nil
		}
		return []string{class}, LookupFailed(err, ingressClassNamePath, "the IngressClasses")
	}
	controllers := map[string]bool{}
	for _, ic := range all {
		if class == "" && IsDefaultIngressClass(ic) || class != "" && ic.Name == class {
			controllers[ic.Spec.Controller] = true
		}
	}
	keys := []string{class}
	for _, ic := range all {
		if !controllers[ic.Spec.Controller] {
			continue
		}
		if ic.Name != class && !slices.Contains(keys, ic.Name) {
			keys = append(keys, ic.Name)
		}
		if IsDefaultIngressClass(ic) && !slices.Contains(keys, "") {
			keys = append(keys, "")
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// ingressHostViolations judges the hosts ing serves; flagged holds the
// hosts it reported.
func ingressHostViolations(in *Input, ing *networkingv1.Ingress, ns string, classes []string) ([]Violation, map[string]bool, error) {
	var out []Violation
	var flagged map[string]bool // allocated for the first host reported
	var verdicts map[string]hostVerdict
	for _, hc := range IngressHosts(ing) {
		v, seen := verdicts[hc.Host]
		if !seen {
			lists := make([][]HostHolder, 0, len(classes))
			for _, cl := range classes {
				hs, err := in.Cluster.IngressHost(cl, hc.Host)
				if err != nil {
					return out, flagged, err
				}
				lists = append(lists, hs)
			}
			holders := mergeHolders(lists...)
			if in.Settings != nil && in.Settings.Ingress.SharedWith(hc.Host, ns) {
				v = hostVerdict{ok: true}
			} else {
				v = decideHost(ns, holders)
			}
			if verdicts == nil {
				verdicts = map[string]hostVerdict{}
			}
			verdicts[hc.Host] = v
		}
		if v.ok {
			continue
		}
		if flagged == nil {
			flagged = map[string]bool{}
		}
		flagged[hc.Host] = true
		out = append(out, hostViolation(hc, ns, v.blockers))
	}
	return out, flagged, nil
}

func hostText(host string) string {
	if host == "" {
		return "the catch-all (no host)"
	}
	return fmt.Sprintf("host %q", host)
}

func hostViolation(hc IngressHostClaim, ns string, blockers []HostHolder) Violation {
	unknown := ns == ""
	for _, b := range blockers {
		unknown = unknown || b.Namespace == ""
	}
	v := Violation{
		Field:   hc.Field(),
		Message: fmt.Sprintf("%s is served by another namespace", hostText(hc.Host)),
		Hint: "serve a host of your own, or ask the namespace that serves it to add yours to the " +
			ShareHostAnnotation + " annotation of one of its Ingresses for the host",
		Detail: cappedDetail(len(blockers), func(i int) string {
			b := blockers[i]
			d := fmt.Sprintf("served by namespace %s (Ingress %s)", nsText(b.Namespace), b.Ingress)
			if len(b.ShareWith) > 0 {
				d += fmt.Sprintf(", which shares it with %s only", strings.Join(b.ShareWith, ", "))
			}
			return d
		}),
	}
	if unknown {
		v.Message = fmt.Sprintf("%s is served by an Ingress that may be in another namespace (metadata.namespace is not set)", hostText(hc.Host))
		v.Hint = "set metadata.namespace; in another namespace than the Ingresses that serve the host, this one would be denied"
		v.AtMost = ActionWarn
	}
	return v
}

// detailMax is the number of other Ingresses a finding's Detail names;
// the rest are counted. A route claimed from namespace after namespace
// would otherwise name every claimant in the finding of every claimant:
// output (and audit annotations) quadratic in their number.
const detailMax = 5

// cappedDetail joins item(0) … item(n-1) with "; ", naming at most
// detailMax of them.
func cappedDetail(n int, item func(i int) string) string {
	var b strings.Builder
	for i := range min(n, detailMax) {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(item(i))
	}
	if n > detailMax {
		fmt.Fprintf(&b, "; and %d more", n-detailMax)
	}
	return b.String()
}

// nsText names a namespace for the detail, "(not set)" for the unknown one.
func nsText(ns string) string {
	if ns == "" {
		return "(not set)"
	}
	return ns
}

// ingressPathDuplicates reports the routes of ing that another Ingress
// already routes (host, path and pathType), and canary routes that belong
// to another namespace. Hosts already reported as another namespace's
// are not reported again path by path.
func ingressPathDuplicates(in *Input, ing *networkingv1.Ingress, ns string, classes []string, flagged map[string]bool) ([]Violation, error) {
	canary := IngressIsCanary(ing)
	var out []Violation
	for _, c := range IngressKeys(ing, IngressClassOf(ing)) {
		// An index key lists an Ingress once; only an Ingress listed under
		// several classes of the controller needs to be counted once.
		var seen map[ObjectRef]bool
		var same, other routeClaimants
		for _, cl := range classes {
			key := c.Key
			key.Class = cl
			err := in.Cluster.IngressClaims(key, func(r ObjectRef) {
				if r.Namespace == ns && r.Name == ing.Name {
					return
				}
				if len(classes) > 1 {
					if seen[r] {
						return
					}
					if seen == nil {
						seen = map[ObjectRef]bool{}
					}
					seen[r] = true
				}
				if r.Namespace == ns {
					same.add(r)
				} else {
					other.add(r)
				}
			})
			if err != nil {
				return out, err
			}
		}
		if same.n == 0 && other.n == 0 {
			continue // nothing to report: no route text, no field path
		}
		route := fmt.Sprintf("%s path %q (%s)", hostText(c.Key.Host), pathText(c.Path), c.Key.PathType)
		fp := c.Field().Child("path")
		switch {
		case canary && other.n > 0 && !flagged[c.Key.Host]:
			out = append(out, pathViolation(fp, ns, other,
				fmt.Sprintf("canary for %s, which an Ingress of another namespace routes: a canary belongs to the namespace of its main Ingress", route),
				"put the canary in the namespace of the Ingress it splits traffic from"))
		case canary:
			// A canary repeats a main Ingress of its namespace on purpose
			// (and one on another namespace's host is reported already).
		case other.n > 0 && !flagged[c.Key.Host]:
			out = append(out, pathViolation(fp, ns, other,
				fmt.Sprintf("%s is already routed by an Ingress of another namespace", route),
				"use a path of your own on the shared host; the controller serves only one Ingress per route"))
		case same.n > 0:
			names := make([]string, len(same.first))
			for i, r := range same.first {
				names[i] = r.Name
			}
			list := strings.Join(names, ", ")
			if more := same.n - len(same.first); more > 0 {
				list += fmt.Sprintf(" and %d more", more)
			}
			out = append(out, Violation{
				Field:   fp,
				Message: fmt.Sprintf("%s is already routed by Ingress %s of this namespace", route, list),
				Hint:    fmt.Sprintf("merge the path into Ingress %s or remove one of them; the controller serves only one", names[0]),
			})
		}
	}
	return out, nil
}

// routeClaimants tallies the other Ingresses routing a key on one side
// (the judged Ingress's namespace, or the others): all are counted, the
// first detailMax kept to be named. A route claimed by k Ingresses is
// looked at for each of them: keeping every claimant would make the
// findings and the work quadratic in k.
type routeClaimants struct {
	first   []ObjectRef
	n       int
	unknown bool // one has no namespace (offline input)
}

func (c *routeClaimants) add(r ObjectRef) {
	c.n++
	c.unknown = c.unknown || r.Namespace == ""
	if len(c.first) < detailMax {
		c.first = append(c.first, r)
	}
}

func pathText(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// pathViolation is a finding on a route that Ingresses of other namespaces
// route too: they are named in its Detail, the first detailMax of them. An
// Ingress or claimant without namespace (offline input) makes it a warning
// that says so.
func pathViolation(fp *field.Path, ns string, others routeClaimants, msg, hint string) Violation {
	v := Violation{Field: fp, Message: msg, Hint: hint, Detail: cappedDetail(others.n, func(i int) string {
		return "routed by Ingress " + ingressRefName(others.first[i])
	})}
	if ns == "" || others.unknown {
		v.Message = strings.Replace(msg, "another namespace", "what may be another namespace (metadata.namespace is not set)", 1)
		v.AtMost = ActionWarn
	}
	return v
}

// ingressRefName is "namespace/name", or just the name when the namespace
// is not known (offline input without metadata.namespace).
func ingressRefName(r ObjectRef) string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// shareHostWithProblems warns about entries of the ShareHostAnnotation
// that cannot be namespace names: a typo shares nothing.
func shareHostWithProblems(ing *networkingv1.Ingress) []Violation {
	var bad []string
	for _, s := range ShareHostWith(ing) {
		if len(validation.IsDNS1123Label(s)) > 0 {
			bad = append(bad, fmt.Sprintf("%q", s))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return []Violation{{
		Field:   metadataAnnotationsPath.Key(ShareHostAnnotation),
		Message: fmt.Sprintf("%s %s not a namespace name, so the host is not shared with it", strings.Join(bad, ", "), plural(len(bad), "is", "are")),
		Hint:    "list namespace names separated by commas, e.g. \"team-b,team-c\"",
		AtMost:  ActionWarn,
	}}
}
