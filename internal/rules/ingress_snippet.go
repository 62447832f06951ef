package rules

import (
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ingressSnippet restricts metadata.annotations of an Ingress: no annotation
// that splices raw configuration into the ingress controller may carry a
// non-blank value. These are:
//
//   - ingress-nginx: the *-snippet entries of ngxAnnotations
//     (configuration-snippet, server-snippet, auth-snippet, stream-snippet,
//     modsecurity-snippet) under nginx.ingress.kubernetes.io/;
//   - NGINX Ingress Controller (F5 NGINX): nginx.org/server-snippets and
//     nginx.org/location-snippets;
//   - HAProxy Kubernetes Ingress Controller (haproxytech):
//     backend-config-snippet under haproxy.org/, haproxy.com/ and
//     ingress.kubernetes.io/;
//   - HAProxy Ingress (jcmoraisjr): config-backend under
//     haproxy-ingress.github.io/ and ingress.kubernetes.io/, and
//     haproxy-ingress.github.io/config-tcp-service;
//   - Skipper: zalando.org/skipper-routes (raw route definitions).
//
// Empty or blank values pass: the controllers ignore them. Everything else
// passes, including misspelled snippet names (ingress-annotation warns about
// those under the ingress-nginx prefix).
var ingressSnippet = &Rule{
	ID:            "ingress-snippet",
	DefaultAction: ActionDeny,
	Kinds:         ingressKinds,
	Summary:       "snippet annotations that splice raw config into the controller",
	Why: "A snippet is pasted unchecked into the configuration the ingress controller shares with every tenant: " +
		"it can break the reload for all hosts, read other tenants' traffic, or read files the controller can read — " +
		"CVE-2021-25742 used snippets to read the controller's service account token, which can read every Secret in the cluster.",
	Fix: "Replace the snippet with the controller's dedicated annotations (headers, redirects, rate limits, CORS, auth) " +
		"or ask the platform team for a controller-level setting; then remove the snippet annotation.",
	Check: checkIngressSnippet,
}

// ingressSnippetAnnotations are the raw-configuration annotations of other
// controllers than ingress-nginx, with the controller's name.
var ingressSnippetAnnotations = map[string]string{
	"haproxy-ingress.github.io/config-backend":     "HAProxy Ingress",
	"haproxy-ingress.github.io/config-tcp-service": "HAProxy Ingress",
	"haproxy.com/backend-config-snippet":           "HAProxy Kubernetes Ingress Controller",
	"haproxy.org/backend-config-snippet":           "HAProxy Kubernetes Ingress Controller",
	"ingress.kubernetes.io/backend-config-snippet": "HAProxy Kubernetes Ingress Controller",
	"ingress.kubernetes.io/config-backend":         "HAProxy Ingress",
	"nginx.org/location-snippets":                  "NGINX Ingress Controller",
	"nginx.org/server-snippets":                    "NGINX Ingress Controller",
	"zalando.org/skipper-routes":                   "Skipper",
}

// snippetController returns the controller that splices the annotation key
// into its configuration, or "" when key is not a snippet annotation.
func snippetController(key string) string {
	if e, _ := lookupNgxAnnotation(key); e != nil && e.typ == ngxSnippet {
		return "ingress-nginx"
	}
	return ingressSnippetAnnotations[key]
}

func checkIngressSnippet(in *Input) []Violation {
	ing, ok := in.Object.(*networkingv1.Ingress)
	if !ok || ing == nil {
		return nil
	}
	var keys []string // sorted below: only the snippets, of maybe thousands of annotations
	for key, value := range ing.Annotations {
		if snippetController(key) != "" && strings.TrimSpace(value) != "" {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)

	var out []Violation
	for _, key := range keys {
		controller := snippetController(key)
		// The field path names the whole key; the message uses its short name
		// so that a kubectl warning (cut at 256 characters) keeps the why.
		short := key[strings.LastIndexByte(key, '/')+1:]
		msg := fmt.Sprintf("annotation %q splices raw config into the %s config of every tenant", short, controller)
		if controller == "ingress-nginx" {
			msg += " (CVE-2021-25742: a snippet can read every Secret the controller can)"
		}
		out = append(out, Violation{
			Field:   field.NewPath("metadata", "annotations").Key(key),
			Message: msg,
			Hint:    "Remove the snippet and use the controller's dedicated annotations instead, or ask the platform team for a controller-level setting.",
		})
	}
	return out
}
