package rules

import (
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// LegacyIngressClassAnnotation is the pre-IngressClass way to pick a
// controller; ingress-nginx and others still honour it.
const LegacyIngressClassAnnotation = "kubernetes.io/ingress.class"

// ingressNginxPrefix is the default annotation prefix of ingress-nginx
// (--annotations-prefix).
const ingressNginxPrefix = "nginx.ingress.kubernetes.io/"

// IsDefaultIngressClass reports whether ic is marked as the cluster's
// default: the API server's DefaultIngressClass admission plugin honours
// exactly the value "true" of ingressclass.kubernetes.io/is-default-class.
func IsDefaultIngressClass(ic *networkingv1.IngressClass) bool {
	return ic != nil && ic.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true"
}

// IngressClassOf returns the class an Ingress asks for: spec.ingressClassName,
// else the legacy annotation, else "" (the cluster's default class).
func IngressClassOf(ing *networkingv1.Ingress) string {
	if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
		return *ing.Spec.IngressClassName
	}
	return ing.Annotations[LegacyIngressClassAnnotation]
}

// IngressIsCanary reports whether ing is an ingress-nginx canary
// (nginx.ingress.kubernetes.io/canary: "true"). A canary deliberately repeats
// the host and paths of a main Ingress to divert part of its traffic: it
// claims nothing of its own, so the conflict index leaves it out.
func IngressIsCanary(ing *networkingv1.Ingress) bool {
	return ingressNginxBool(ing, ingressNginxPrefix+"canary")
}

// ingressNginxBool reads an ingress-nginx boolean annotation (key, with
// its prefix: a constant, not a string built per call) the way the
// controller does (strconv.ParseBool); absent or unparsable is false.
func ingressNginxBool(ing *networkingv1.Ingress, key string) bool {
	v, ok := ing.Annotations[key]
	if !ok || v == "" {
		return false // what ParseBool says, without its error
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	return err == nil && b
}

// ShareHostAnnotation on an Ingress lists the namespaces (comma-separated)
// with which its namespace shares the hosts the Ingress serves. It counts
// only on Ingresses that already serve the host (see ingress-conflict):
// a namespace cannot grant itself a host someone else serves.
const ShareHostAnnotation = "guardrails.dev/share-host-with"

// ShareHostWith returns the namespaces named by ing's ShareHostAnnotation,
// trimmed, in the order written, without empty entries.
func ShareHostWith(ing *networkingv1.Ingress) []string {
	v, ok := ing.Annotations[ShareHostAnnotation]
	if !ok {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ServerAliasAnnotation is ingress-nginx's server-alias: more names for the
// server of the Ingress's hosts (nginx's server_name), comma-separated.
const ServerAliasAnnotation = ingressNginxPrefix + "server-alias"

// ServerAliases returns the names of ing's server-alias annotation,
// trimmed, in the order written, without empty entries.
func ServerAliases(ing *networkingv1.Ingress) []string {
	v := ing.Annotations[ServerAliasAnnotation]
	if v == "" {
		return nil
	}
	var out []string
	for _, a := range strings.Split(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// IsServerNamePattern reports whether an nginx server name matches more
// than one host: a regular expression ("~…"), a wildcard ("*.example.com",
// "www.example.*") or the ".example.com" shorthand for example.com and
// all its subdomains.
func IsServerNamePattern(name string) bool {
	return strings.HasPrefix(name, "~") || strings.Contains(name, "*") || strings.HasPrefix(name, ".")
}

// NormalizeHost returns host the way controllers compare it: lower-cased
// (DNS names are case-insensitive) and without a trailing dot (the fully
// qualified "shop.example.com." is the same name).
func NormalizeHost(host string) string {
	return strings.TrimRight(strings.ToLower(strings.TrimSpace(host)), ".")
}

// IngressHostClaim is one host an Ingress serves, with the field that
// makes it serve it.
type IngressHostClaim struct {
	// Host is normalised (NormalizeHost); "" is the catch-all.
	Host string
	// from is the field (see Field): spec.rules[rule].host, the default
	// backend or the server-alias annotation.
	from hostSource
	rule int
}

type hostSource uint8

const (
	hostOfRule hostSource = iota
	hostOfDefaultBackend
	hostOfServerAlias
)

// Field paths of Ingresses, built once (paths are never changed).
var (
	ingressRulesPath          = field.NewPath("spec", "rules")
	ingressDefaultBackendPath = field.NewPath("spec", "defaultBackend")
	ingressClassNamePath      = field.NewPath("spec", "ingressClassName")
	metadataAnnotationsPath   = field.NewPath("metadata", "annotations")
	serverAliasPath           = metadataAnnotationsPath.Key(ServerAliasAnnotation)
)

// Field is the field that makes the Ingress serve the host, built when
// asked for (a finding).
func (c IngressHostClaim) Field() *field.Path {
	switch c.from {
	case hostOfDefaultBackend:
		return ingressDefaultBackendPath
	case hostOfServerAlias:
		return serverAliasPath
	}
	return ingressRuleHostPath(c.rule)
}

// ingressRuleHostPath is spec.rules[i].host.
func ingressRuleHostPath(i int) *field.Path {
	return ingressRulesPath.Index(i).Child("host")
}

// IngressHosts returns the hosts ing serves, one entry per rule that
// serves one (spec.rules[i].host), in order: a rule with a host serves it
// even without http (ingress-nginx then routes the host to the Ingress's
// default backend); a rule without host but with http serves the
// catch-all "". An Ingress with a defaultBackend and no rules serves the
// catch-all too (field spec.defaultBackend). Then each name of the
// server-alias annotation that is not a pattern (field
// metadata.annotations[nginx.ingress.kubernetes.io/server-alias]). A host
// may appear more than once.
func IngressHosts(ing *networkingv1.Ingress) []IngressHostClaim {
	if ing == nil {
		return nil
	}
	out := make([]IngressHostClaim, 0, len(ing.Spec.Rules))
	for i, r := range ing.Spec.Rules {
		if r.Host == "" && r.HTTP == nil {
			continue
		}
		out = append(out, IngressHostClaim{Host: NormalizeHost(r.Host), from: hostOfRule, rule: i})
	}
	if len(ing.Spec.Rules) == 0 && ing.Spec.DefaultBackend != nil {
		out = append(out, IngressHostClaim{Host: "", from: hostOfDefaultBackend})
	}
	// ingress-nginx answers for each server-alias name too, as long as no
	// Ingress serves that name as a host: the alias takes a host before
	// its owner serves it, or whenever the owner's Ingress is replaced.
	// Patterns are catch-alls, ingress-wildcard-host's business.
	for _, a := range ServerAliases(ing) {
		if !IsServerNamePattern(a) {
			out = append(out, IngressHostClaim{Host: NormalizeHost(a), from: hostOfServerAlias})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ingressSubject returns the Ingress under test and its namespace (from the
// object, else from the request), or nil for any other type.
func ingressSubject(in *Input) (*networkingv1.Ingress, string) {
	ing, ok := in.Object.(*networkingv1.Ingress)
	if !ok || ing == nil {
		return nil, ""
	}
	ns := ing.Namespace
	if ns == "" {
		ns = in.Ref.Namespace
	}
	return ing, ns
}

// IngressClaim is one key an Ingress claims, with the field path of the path
// entry that claims it.
type IngressClaim struct {
	Key IngressKey
	// Path is the path as written (Key.Path is normalised).
	Path string
	// rule and path index the path entry (see Field).
	rule, path int
}

// Field is the field path of the path entry,
// spec.rules[i].http.paths[j], built when asked for (a finding).
func (c IngressClaim) Field() *field.Path {
	return ingressHTTPPathPath(c.rule, c.path)
}

// ingressHTTPPathPath is spec.rules[i].http.paths[j].
func ingressHTTPPathPath(i, j int) *field.Path {
	return ingressRulesPath.Index(i).Child("http", "paths").Index(j)
}

// IngressKeys returns every key an Ingress claims. class is the class the
// Ingress names ("" when it names none); callers resolve the default class
// by also looking up the other spelling. Paths are normalised so that
// equivalent spellings collide: a Prefix path's trailing slashes are
// dropped ("/api/" and "/api" match the same requests), an empty path means
// "/", hosts are normalised (NormalizeHost). Rules without http claim
// nothing.
func IngressKeys(ing *networkingv1.Ingress, class string) []IngressClaim {
	if ing == nil {
		return nil
	}
	var out []IngressClaim
	for i, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		host := NormalizeHost(r.Host)
		for j, p := range r.HTTP.Paths {
			pt := string(networkingv1.PathTypeImplementationSpecific)
			if p.PathType != nil {
				pt = string(*p.PathType)
			}
			out = append(out, IngressClaim{
				Key:  IngressKey{Class: class, Host: host, Path: normalisePath(p.Path, pt), PathType: pt},
				Path: p.Path,
				rule: i,
				path: j,
			})
		}
	}
	return out
}

func normalisePath(path, pathType string) string {
	if path == "" {
		return "/"
	}
	if pathType == string(networkingv1.PathTypePrefix) && len(path) > 1 {
		path = strings.TrimRight(path, "/")
		if path == "" {
			path = "/"
		}
	}
	return path
}
