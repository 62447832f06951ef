package vap

import (
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

var ingresses = []resource{{group: "networking.k8s.io", resource: "ingresses", namespaced: true}}

// ingressSnippetResources adds ingresses/status, whose updates keep the
// annotations they change (see admission.MetadataSubresources).
var ingressSnippetResources = append(slices.Clone(ingresses), resource{group: "networking.k8s.io", resource: "ingresses/status", namespaced: true})

// ingressSnippet judges Ingress annotations: none of
// rules.SnippetAnnotations with a non-blank value. The whole rule.
var ingressSnippet = check{
	rule:      "ingress-snippet",
	covers:    "yes",
	resources: ingressSnippetResources,
	tables: func(*config.Config) []admissionregistrationv1.Variable {
		var rows []string
		for _, a := range rules.SnippetAnnotations() {
			short := a.Key[strings.LastIndexByte(a.Key, '/')+1:]
			msg := `annotation "` + short + `" splices raw config into the ` + a.Controller + ` config of every tenant`
			if a.Controller == "ingress-nginx" {
				msg += " (CVE-2021-25742: a snippet can read every Secret the controller can)"
			}
			rows = append(rows, "\n  "+strList([]string{a.Key, msg}))
		}
		// [annotation key, message], sorted by key as the rule reports them
		// (a list: a map's order is not defined).
		return []admissionregistrationv1.Variable{{Name: "snippetAnnotations", Expression: "[" + strings.Join(rows, ",") + "\n]"}}
	},
	findings: func(_ *config.Config, root, _ string) string {
		return render("ingress-snippet", expand(`
!has($R.metadata.annotations) ? [] :
  variables.snippetAnnotations.filter(a, a[0] in $R.metadata.annotations && $R.metadata.annotations[a[0]].trim() != '')
    .map(a, ['metadata.annotations[' + a[0] + ']', 'metadata.annotations[' + a[0] + ']', a[1], $H])`,
			"$R", root, "$H", str("Remove the snippet and use the controller's dedicated annotations instead, or ask the platform team for a controller-level setting.")))
	},
}

// ingressWildcardHost judges spec.rules[*].host and spec.defaultBackend of
// Ingresses outside ingress.wildcardHostNamespaces: no rule without host
// that routes paths, no bare "*" host, no wildcard host "*.domain", no
// defaultBackend on an Ingress without rules. The whole rule.
var ingressWildcardHost = check{
	rule:      "ingress-wildcard-host",
	covers:    "yes",
	resources: ingresses,
	conditions: func(cfg *config.Config) []admissionregistrationv1.MatchCondition {
		allowed := cfg.RuleSettings().Ingress.WildcardHostNamespaces
		if len(allowed) == 0 {
			return nil
		}
		return []admissionregistrationv1.MatchCondition{{
			Name:       "not-a-wildcard-host-namespace",
			Expression: "!(request.namespace in " + strList(allowed) + ")",
		}}
	},
	findings: func(_ *config.Config, root, _ string) string {
		return render("ingress-wildcard-host", expand(`
(has($R.spec.rules) ? $R.spec.rules : []).transformList(i, r,
  (has(r.host) && (r.host == '*' || r.host.startsWith('*.'))) || ((!has(r.host) || r.host == '') && has(r.http) && has(r.http.paths) && size(r.http.paths) > 0),
  ['spec.rules[' + string(i) + '].host', 'spec.rules[*].host',
    'rule ' + string(i) + (has(r.host) && r.host == '*' ?
      ' has the bare wildcard host "*", which catches requests for every host (the API server rejects it too)' :
      has(r.host) && r.host.startsWith('*.') ?
      ' has the wildcard host "' + r.host + '", which catches requests for every subdomain of ' + r.host.substring(2) + ' that no other Ingress names' :
      ' has no host, so it catches requests for every host'),
    'set a host such as "app.example.com"; catch-alls and wildcard hosts are allowed only in the namespaces listed in wildcardHostNamespaces'])
+ (has($R.spec.defaultBackend) && (!has($R.spec.rules) || size($R.spec.rules) == 0) ?
  [['spec.defaultBackend', 'spec.defaultBackend',
    $D,
    'replace spec.defaultBackend with a rule for the host the application serves']] : [])
+ (has($R.metadata.annotations) && $K in $R.metadata.annotations ?
  $R.metadata.annotations[$K].split(',').map(a, a.trim()).filter(a, a.startsWith('~') || a.contains('*') || a.startsWith('.')).map(a,
    [$F, $F,
     'server-alias "' + a + '" is a pattern, which catches requests for every host it matches that no other Ingress names',
     'list only exact host names in server-alias; catch-alls and wildcard hosts are allowed only in the namespaces listed in wildcardHostNamespaces']) : [])`,
			"$R", root, "$D", str("Ingress has a defaultBackend and no rules, so it becomes the controller's catch-all for every host"),
			"$K", str(rules.ServerAliasAnnotation), "$F", str("metadata.annotations["+rules.ServerAliasAnnotation+"]")))
	},
}
