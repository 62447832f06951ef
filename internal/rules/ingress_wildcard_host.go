package rules

import (
	"fmt"
	"slices"
	"strings"
)

// ingressWildcardHost restricts, outside the namespaces listed in
// Settings.Ingress.WildcardHostNamespaces:
//
//   - spec.rules[*].host empty on a rule that routes paths: a catch-all
//     that receives requests for every host no other Ingress claims;
//   - spec.rules[*].host "*" (bare wildcard; the API server rejects it too,
//     reported for the offline check);
//   - spec.rules[*].host "*.example.com": ingress-nginx answers with it for
//     every subdomain that no other Ingress names, including mistyped and
//     newly added hosts of other teams — a catch-all one level down;
//   - spec.defaultBackend on an Ingress without rules: ingress-nginx (and
//     Traefik) make it the controller-wide default backend, i.e. a
//     catch-all for every unknown host;
//   - metadata.annotations[nginx.ingress.kubernetes.io/server-alias]: a
//     name that is an nginx pattern ("~regex", "*.example.com",
//     "www.example.*", ".example.com") adds a catch-all to the Ingress's
//     server. ingress-nginx drops an alias only when it equals a host that
//     an Ingress serves, never a pattern.
//
// Passes: named hosts; a defaultBackend next to rules (ingress-nginx
// scopes it to the Ingress's own hosts); rules without host and without
// http (they route nothing).
var ingressWildcardHost = &Rule{
	ID:            "ingress-wildcard-host",
	DefaultAction: ActionDeny,
	Kinds:         ingressKinds,
	Summary:       "catch-all rules (no host, * or *.domain, pattern server-aliases) outside allowed namespaces",
	Why: "A rule without host, a bare \"*\" host, a wildcard host such as \"*.example.com\", a rule-less defaultBackend " +
		"or a wildcard or regex name in ingress-nginx's server-alias annotation " +
		"catches the traffic of every host (or subdomain) the controller serves that no other Ingress claims, " +
		"including mistyped and newly added hosts of other teams.",
	Fix: "Set spec.rules[].host to the host the application serves; catch-alls belong in the namespaces " +
		"listed in the configuration's wildcardHostNamespaces.",
	Params: []string{"ingress.wildcardHostNamespaces"},
	Check:  checkIngressWildcardHost,
}

func checkIngressWildcardHost(in *Input) []Violation {
	ing, ns := ingressSubject(in)
	if ing == nil || (in.Settings != nil && slices.Contains(in.Settings.Ingress.WildcardHostNamespaces, ns)) {
		return nil
	}
	const hint = "set a host such as \"app.example.com\"; catch-alls and wildcard hosts are allowed only in the namespaces listed in wildcardHostNamespaces"
	var out []Violation
	for i, r := range ing.Spec.Rules {
		switch {
		case r.Host == "*":
			out = append(out, Violation{
				Field:   ingressRuleHostPath(i),
				Message: fmt.Sprintf("rule %d has the bare wildcard host \"*\", which catches requests for every host (the API server rejects it too)", i),
				Hint:    hint,
			})
		case strings.HasPrefix(r.Host, "*."):
			out = append(out, Violation{
				Field: ingressRuleHostPath(i),
				Message: fmt.Sprintf("rule %d has the wildcard host %q, which catches requests for every subdomain of %s that no other Ingress names",
					i, r.Host, strings.TrimPrefix(r.Host, "*.")),
				Hint: hint,
			})
		case r.Host == "" && r.HTTP != nil && len(r.HTTP.Paths) > 0:
			out = append(out, Violation{
				Field:   ingressRuleHostPath(i),
				Message: fmt.Sprintf("rule %d has no host, so it catches requests for every host", i),
				Hint:    hint,
			})
		}
	}
	for _, a := range ServerAliases(ing) {
		if IsServerNamePattern(a) {
			out = append(out, Violation{
				Field:   serverAliasPath,
				Message: fmt.Sprintf("server-alias \"%s\" is a pattern, which catches requests for every host it matches that no other Ingress names", a),
				Hint:    "list only exact host names in server-alias; catch-alls and wildcard hosts are allowed only in the namespaces listed in wildcardHostNamespaces",
			})
		}
	}
	if ing.Spec.DefaultBackend != nil && len(ing.Spec.Rules) == 0 {
		out = append(out, Violation{
			Field:   ingressDefaultBackendPath,
			Message: "Ingress has a defaultBackend and no rules, so it becomes the controller's catch-all for every host",
			Hint:    "replace spec.defaultBackend with a rule for the host the application serves",
		})
	}
	return out
}
