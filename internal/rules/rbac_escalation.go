package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// rbacEscalation restricts rules[*], metadata.labels and
// aggregationRule.clusterRoleSelectors of ClusterRoles and Roles.
//
// It warns about what lets a holder become someone else or reach
// everyone's credentials, per resource rule (non-resource URL rules are not
// checked):
//   - "*" in resources of every API group ("*") or of a group that holds
//     identities, credentials or control (core, rbac.authorization.k8s.io,
//     admissionregistration.k8s.io, certificates.k8s.io, apps): rules[i]
//     when verbs are "*" too, else rules[i].resources. "*" on an
//     operator's own API group passes;
//   - "escalate" or "bind" on roles or clusterroles, "impersonate" on users,
//     groups, serviceaccounts, uids or userextras, also through "*" verbs
//     and also when limited by resourceNames (the message says which);
//   - for ClusterRoles, "create" on serviceaccounts/token, pods/exec or
//     nodes/proxy without resourceNames (mint any account's token, run
//     commands in any pod).
//
// Cluster-wide access to Secrets is a property of the binding, not of the
// role: rbac-cluster-admin warns about a ClusterRoleBinding that gives it.
//
// For ClusterRoles it also warns about a label
// rbac.authorization.k8s.io/aggregate-to-admin, -edit or -view set to
// "true" while the role grants wildcard verbs or resources, or any access to
// secrets (metadata.labels[...]): the aggregation controller copies those
// rules into the built-in role for everyone bound to it.
//
// Aggregated ClusterRoles (aggregationRule set) are not judged by their rules,
// which the aggregation controller writes from the selected roles (those are
// judged on their own); they are warned about only when a selector picks up
// cluster-admin (an empty selector, or one matching
// kubernetes.io/bootstrapping=rbac-defaults).
//
// What passes: the API server's own bootstrap ClusterRoles, recognised by name
// AND the kubernetes.io/bootstrapping=rbac-defaults label AND content: a rule
// is exempt only when it stays within what that bootstrap role holds
// (cluster-admin's "*", system:aggregate-to-edit's impersonate and secrets,
// the controller roles' list/watch on "*", the clusterrole aggregation
// controller's escalate…). The API server creates them as system:apiserver,
// which the configuration exempts anyway; this keeps `webhook check` over a
// dump of a real cluster quiet, while anything added to those roles is
// still reported.
var rbacEscalation = &Rule{
	ID:            "rbac-escalation",
	DefaultAction: ActionWarn,
	Kinds:         roleKinds,
	Summary:       "roles that let their holders become someone else: escalate, bind, impersonate, token minting, wildcards over core and RBAC",
	Why: "Escalate, bind and impersonate let a role's holders step past RBAC's own escalation checks; minting service " +
		"account tokens or exec into any pod makes them any workload; \"*\" over the core, RBAC, admission, certificates or " +
		"apps API groups grants all of that and everything added later; roles aggregated into admin, edit or view hand " +
		"their rules to everyone bound to those built-in roles.",
	Fix: "List the verbs and resources the role needs, limit bind and impersonate with resourceNames, and keep wildcard " +
		"or secret access out of roles labelled for aggregation into admin, edit or view.",
	Check: checkRBACEscalation,
}

// rbacSensitiveGroups are the API groups where "*" resources reach
// identities, credentials or control of the cluster.
var rbacSensitiveGroups = sets.New("", rbacAPIGroup, rbacAdmissionGroup, rbacCertificatesGroup, "apps")

// rbacAggregateLabels maps the aggregation labels of the built-in roles to
// the role they feed.
var rbacAggregateLabels = map[string]string{
	"rbac.authorization.k8s.io/aggregate-to-admin": "admin",
	"rbac.authorization.k8s.io/aggregate-to-edit":  "edit",
	"rbac.authorization.k8s.io/aggregate-to-view":  "view",
}

func checkRBACEscalation(in *Input) []Violation {
	var (
		kind  string
		rules []rbacv1.PolicyRule
		cr    *rbacv1.ClusterRole
	)
	switch o := in.Object.(type) {
	case *rbacv1.ClusterRole:
		if o == nil {
			return nil
		}
		kind, rules, cr = KindClusterRole, o.Rules, o
	case *rbacv1.Role:
		if o == nil {
			return nil
		}
		kind, rules = KindRole, o.Rules
	default:
		return nil
	}

	if cr != nil && cr.AggregationRule != nil {
		var vs []Violation
		for j, sel := range cr.AggregationRule.ClusterRoleSelectors {
			if rbacSelectsClusterAdmin(sel) {
				vs = append(vs, Violation{
					Field:   field.NewPath("aggregationRule", "clusterRoleSelectors").Index(j),
					Message: "ClusterRole aggregates cluster-admin: this selector matches it, so the role holds every permission",
					Hint:    "select only ClusterRoles carrying a label of your own, e.g. example.com/aggregate-to-<role>: \"true\"",
				})
			}
		}
		return vs
	}

	allowed, bootstrap := rbacBootstrapGrants(cr)
	exempt := func(r rbacv1.PolicyRule) bool { return bootstrap && rbacAnyCovered(r, allowed) }

	var vs []Violation
	for i, r := range rules {
		if len(r.Resources) == 0 || exempt(r) {
			continue
		}
		p := rbacRulesPath.Index(i)
		if v, ok := rbacWildcardReach(kind, r, p); ok {
			vs = append(vs, v)
			continue // "*" over those groups includes everything below
		}
		vs = append(vs, rbacPowerVerbs(kind, r, p)...)
		if cr != nil {
			vs = append(vs, rbacIdentityAccess(r, p)...)
		}
	}

	if cr != nil {
		keys := make([]string, 0, len(rbacAggregateLabels))
		for k := range rbacAggregateLabels {
			if cr.Labels[k] == "true" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			var wild, secrets bool
			for _, r := range rules {
				if len(r.Resources) == 0 || exempt(r) {
					continue
				}
				if rbacHasStar(r.Verbs) || rbacHasStar(r.Resources) {
					wild = true
				}
				if slices.Contains(r.Resources, "secrets") && (slices.Contains(r.APIGroups, "") || rbacHasStar(r.APIGroups)) {
					secrets = true
				}
			}
			var what []string
			if wild {
				what = append(what, "wildcard permissions")
			}
			if secrets {
				what = append(what, "access to secrets")
			}
			if len(what) == 0 {
				continue
			}
			vs = append(vs, Violation{
				Field: field.NewPath("metadata", "labels").Key(k),
				Message: fmt.Sprintf("ClusterRole is aggregated into the built-in %q role while granting %s, so everyone bound to %s gets them",
					rbacAggregateLabels[k], strings.Join(what, " and "), rbacAggregateLabels[k]),
				Hint: "drop the aggregation label, or move the wildcard and secrets rules into a separate role bound only where needed",
			})
		}
	}
	return vs
}

// rbacNamesSuffix describes a rule's resourceNames restriction, if any.
func rbacNamesSuffix(r rbacv1.PolicyRule) string {
	if len(r.ResourceNames) == 0 {
		return ""
	}
	return " (limited to names " + rbacQuoteList(r.ResourceNames, 5) + ")"
}

// rbacWildcardReach reports "*" resources in every API group or in one of
// rbacSensitiveGroups.
func rbacWildcardReach(kind string, r rbacv1.PolicyRule, p *field.Path) (Violation, bool) {
	if !rbacHasStar(r.Resources) || !rbacHasStar(r.APIGroups) && !slices.ContainsFunc(r.APIGroups, rbacSensitiveGroups.Has) {
		return Violation{}, false
	}
	hint := "list the verbs and resources the role needs: \"*\" also covers everything added to the API later"
	if rbacHasStar(r.Verbs) {
		return Violation{
			Field:   p,
			Message: fmt.Sprintf("%s grants every verb on every resource (\"*\") in %s%s", kind, rbacGroupsString(r.APIGroups), rbacNamesSuffix(r)),
			Hint:    hint,
		}, true
	}
	return Violation{
		Field:   p.Child("resources"),
		Message: fmt.Sprintf("%s grants %s on every resource (\"*\") in %s%s", kind, rbacQuoteList(r.Verbs, 0), rbacGroupsString(r.APIGroups), rbacNamesSuffix(r)),
		Hint:    hint,
	}, true
}

// rbacReaches reports whether rule r grants verb on resource of group,
// whatever its resourceNames (a rule limited to names still reaches those).
func rbacReaches(r rbacv1.PolicyRule, verb, group, resource string) bool {
	r.ResourceNames = nil
	return rbacCovers(r, pr([]string{verb}, group, []string{resource}))
}

// rbacPowerVerbs reports "escalate" and "bind" on roles and clusterroles
// and "impersonate" on identities, named or through "*" verbs.
func rbacPowerVerbs(kind string, r rbacv1.PolicyRule, p *field.Path) []Violation {
	reached := func(verb, group string, resources ...string) []string {
		var out []string
		for _, res := range resources {
			if rbacReaches(r, verb, group, res) {
				out = append(out, res)
			}
		}
		return out
	}
	roles := reached("bind", rbacAPIGroup, "clusterroles", "roles")
	escRoles := reached("escalate", rbacAPIGroup, "clusterroles", "roles")
	idents := append(reached("impersonate", "", "groups", "serviceaccounts", "users"), reached("impersonate", rbacAuthnGroup, "uids", "userextras")...)
	for _, res := range r.Resources {
		if strings.HasPrefix(res, "userextras/") && rbacReaches(r, "impersonate", rbacAuthnGroup, res) {
			idents = append(idents, res)
		}
	}
	limited := len(r.ResourceNames) > 0
	names := ""
	if limited {
		names = " named " + rbacQuoteList(r.ResourceNames, 5)
	}
	var vs []Violation
	if rbacHasStar(r.Verbs) {
		// One finding for the rule: "*" names none of the verbs.
		var powers, so []string
		if len(roles) > 0 {
			powers = append(powers, "\"bind\" and \"escalate\" on "+strings.Join(roles, ", "))
			so = append(so, "write roles with permissions they do not have and bind any role to anyone")
		}
		if len(idents) > 0 {
			powers = append(powers, "\"impersonate\" on "+strings.Join(idents, ", "))
			so = append(so, "act as other identities")
		}
		if len(powers) == 0 {
			return nil
		}
		return []Violation{{
			Field: p.Child("verbs"),
			Message: fmt.Sprintf("%s grants every verb (\"*\") on %s in %s%s, that is %s, so its holders can %s",
				kind, rbacQuoteList(r.Resources, 5), rbacGroupsString(r.APIGroups), names, strings.Join(powers, " and "), strings.Join(so, " and ")),
			Hint: "list the verbs the role needs; grant the permissions the managed roles hold to their manager directly",
		}}
	}
	if slices.Contains(r.Verbs, "bind") && len(roles) > 0 {
		v := Violation{Field: p.Child("verbs")}
		if limited {
			v.Message = fmt.Sprintf("%s grants \"bind\" on %s%s, so its holders can bind those roles to anyone", kind, strings.Join(roles, ", "), names)
			v.Hint = "keep the resourceNames to roles that are safe to hand out, and this role to trusted subjects"
		} else {
			v.Message = fmt.Sprintf("%s grants \"bind\" on %s without resourceNames, so its holders can bind any role to anyone", kind, strings.Join(roles, ", "))
			v.Hint = "limit \"bind\" with resourceNames to the roles that may be handed out"
		}
		vs = append(vs, v)
	}
	if slices.Contains(r.Verbs, "escalate") && len(escRoles) > 0 {
		vs = append(vs, Violation{
			Field:   p.Child("verbs"),
			Message: fmt.Sprintf("%s grants \"escalate\" on %s%s, so its holders can write roles with permissions they do not have", kind, strings.Join(escRoles, ", "), names),
			Hint:    "drop \"escalate\"; grant the permissions the managed roles need to their manager directly",
		})
	}
	if slices.Contains(r.Verbs, "impersonate") && len(idents) > 0 {
		v := Violation{Field: p.Child("verbs")}
		if limited {
			v.Message = fmt.Sprintf("%s grants \"impersonate\" on %s%s, so its holders can act as those identities", kind, strings.Join(idents, ", "), names)
			v.Hint = "keep this role to trusted subjects; prefer giving the workload its own service account"
		} else {
			v.Message = fmt.Sprintf("%s grants \"impersonate\" on %s without resourceNames, so its holders can act as any such identity", kind, strings.Join(idents, ", "))
			v.Hint = "limit \"impersonate\" with resourceNames to the identities that are needed"
		}
		vs = append(vs, v)
	}
	return vs
}

// rbacIdentityAccess reports, for a ClusterRole, "create" on the
// subresources that hand out another identity's power: service account
// tokens, exec into pods, the kubelet's API. A rule limited by resourceNames
// reaches only those objects and passes.
func rbacIdentityAccess(r rbacv1.PolicyRule, p *field.Path) []Violation {
	if len(r.ResourceNames) > 0 {
		return nil
	}
	var vs []Violation
	for _, c := range []struct{ resource, so string }{
		{"serviceaccounts/token", "mint a token for any service account, the controllers' included"},
		{"pods/exec", "run commands in any pod, as its service account"},
		{"nodes/proxy", "run commands in any pod through the kubelet's API"},
	} {
		if !rbacCovers(r, pr([]string{"create"}, "", []string{c.resource})) {
			continue
		}
		vs = append(vs, Violation{
			Field:   p.Child("resources"),
			Message: fmt.Sprintf("ClusterRole grants \"create\" on %s, so its holders can %s", c.resource, c.so),
			Hint:    "limit the rule with resourceNames, or grant it with a Role in the namespaces that need it",
		})
	}
	return vs
}
