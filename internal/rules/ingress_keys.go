package rules

import (
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// LegacyIngressClassAnnotation is the pre-IngressClass way to pick a
// controller; ingress-nginx and others still honour it.
const LegacyIngressClassAnnotation = "kubernetes.io/ingress.class"

// IngressClassOf returns the class an Ingress asks for: spec.ingressClassName,
// else the legacy annotation, else "" (the cluster's default class).
func IngressClassOf(ing *networkingv1.Ingress) string {
	if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
		return *ing.Spec.IngressClassName
	}
	return ing.Annotations[LegacyIngressClassAnnotation]
}

// IngressClaim is one key an Ingress claims, with the field path of the path
// entry that claims it.
type IngressClaim struct {
	Key   IngressKey
	Field *field.Path
}

// IngressKeys returns every key an Ingress claims. class is the resolved
// class ("" when the Ingress names none and no default is known). Paths are
// normalised so that equivalent spellings collide: a Prefix path's
// trailing slashes are dropped ("/api/" and "/api" match the same
// requests), an empty path means "/", hosts are lower-cased.
func IngressKeys(ing *networkingv1.Ingress, class string) []IngressClaim {
	var out []IngressClaim
	rulesPath := field.NewPath("spec", "rules")
	for i, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		host := strings.ToLower(r.Host)
		for j, p := range r.HTTP.Paths {
			pt := "ImplementationSpecific"
			if p.PathType != nil {
				pt = string(*p.PathType)
			}
			out = append(out, IngressClaim{
				Key:   IngressKey{Class: class, Host: host, Path: normalisePath(p.Path, pt), PathType: pt},
				Field: rulesPath.Index(i).Child("http", "paths").Index(j),
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
