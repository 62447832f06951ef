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
// It warns about, per resource rule (non-resource URL rules are not
// checked):
//   - "*" verbs and/or "*" resources (rules[i].verbs, rules[i].resources, or
//     rules[i] when both);
//   - "escalate" or "bind" on roles or clusterroles of rbac.authorization.k8s.io
//     (also when limited by resourceNames: the message says which roles);
//   - "impersonate" on users, groups, serviceaccounts, uids or userextras (also
//     when limited by resourceNames);
//
// and, for ClusterRoles only, a label rbac.authorization.k8s.io/aggregate-to-
// admin, -edit or -view set to "true" while the role grants wildcard verbs or
// resources, or any access to secrets (metadata.labels[...]): the aggregation
// controller copies those rules into the built-in role for everyone bound to it.
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
	Summary:       "roles granting escalate, bind, impersonate or wildcards",
	Why: "Escalate, bind and impersonate let a role's holders step past RBAC's own escalation checks, and \"*\" grants " +
		"every verb or resource, including ones added later by CRDs; roles aggregated into admin, edit or view hand their " +
		"rules to everyone bound to those built-in roles.",
	Fix: "List the verbs and resources the role needs, limit bind and impersonate with resourceNames, and keep wildcard " +
		"or secret access out of roles labelled for aggregation into admin, edit or view.",
	Check: checkRBACEscalation,
}

// rbacAggregateLabels maps the aggregation labels of the built-in roles to
// the role they feed.
var rbacAggregateLabels = map[string]string{
	"rbac.authorization.k8s.io/aggregate-to-admin": "admin",
	"rbac.authorization.k8s.io/aggregate-to-edit":  "edit",
	"rbac.authorization.k8s.io/aggregate-to-view":  "view",
}

var rbacImpersonable = sets.New("users", "groups", "serviceaccounts", "uids")

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
		kind, rules, cr = "ClusterRole", o.Rules, o
	case *rbacv1.Role:
		if o == nil {
			return nil
		}
		kind, rules = "Role", o.Rules
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
	rulesPath := field.NewPath("rules")
	for i, r := range rules {
		if len(r.Resources) == 0 || exempt(r) {
			continue
		}
		p := rulesPath.Index(i)
		starVerbs, starResources := rbacHasStar(r.Verbs), rbacHasStar(r.Resources)
		wildHint := "list the verbs and resources the role needs: \"*\" also covers everything added to the API later"
		switch {
		case starVerbs && starResources:
			vs = append(vs, Violation{
				Field:   p,
				Message: fmt.Sprintf("%s grants every verb on every resource (\"*\") in %s%s", kind, rbacGroupsString(r.APIGroups), rbacNamesSuffix(r)),
				Hint:    wildHint,
			})
		case starVerbs:
			vs = append(vs, Violation{
				Field:   p.Child("verbs"),
				Message: fmt.Sprintf("%s grants every verb (\"*\") on %s in %s%s", kind, rbacQuoteList(r.Resources, 5), rbacGroupsString(r.APIGroups), rbacNamesSuffix(r)),
				Hint:    wildHint,
			})
		case starResources:
			vs = append(vs, Violation{
				Field:   p.Child("resources"),
				Message: fmt.Sprintf("%s grants %s on every resource (\"*\") in %s%s", kind, rbacQuoteList(r.Verbs, 0), rbacGroupsString(r.APIGroups), rbacNamesSuffix(r)),
				Hint:    wildHint,
			})
		}
		if starVerbs {
			continue // already reported; "*" includes the verbs below
		}
		for _, v := range []string{"bind", "escalate", "impersonate"} {
			if !slices.Contains(r.Verbs, v) {
				continue
			}
			if viol, ok := rbacPowerVerb(kind, v, r); ok {
				viol.Field = p.Child("verbs")
				vs = append(vs, viol)
			}
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

// rbacPowerVerb describes what "bind", "escalate" or "impersonate" in rule r
// allows; ok is false when the rule does not reach the resources the verb
// acts on (e.g. "bind" on pods means nothing).
func rbacPowerVerb(kind, verb string, r rbacv1.PolicyRule) (Violation, bool) {
	var res []string
	starRes := rbacHasStar(r.Resources)
	switch verb {
	case "bind", "escalate":
		if !slices.Contains(r.APIGroups, rbacAPIGroup) && !rbacHasStar(r.APIGroups) {
			return Violation{}, false
		}
		for _, x := range r.Resources {
			if x == "roles" || x == "clusterroles" {
				res = append(res, x)
			}
		}
	case "impersonate":
		if !slices.Contains(r.APIGroups, "") && !slices.Contains(r.APIGroups, "authentication.k8s.io") && !rbacHasStar(r.APIGroups) {
			return Violation{}, false
		}
		for _, x := range r.Resources {
			if rbacImpersonable.Has(x) || x == "userextras" || strings.HasPrefix(x, "userextras/") {
				res = append(res, x)
			}
		}
	}
	if len(res) == 0 && !starRes {
		return Violation{}, false
	}
	on := strings.Join(rbacSortedUnique(res), ", ")
	if starRes {
		on = "every resource"
	}
	limited := len(r.ResourceNames) > 0
	if limited {
		on += " named " + rbacQuoteList(r.ResourceNames, 5)
	}
	v := Violation{}
	switch verb {
	case "bind":
		if limited {
			v.Message = fmt.Sprintf("%s grants \"bind\" on %s, so its holders can bind those roles to anyone", kind, on)
			v.Hint = "keep the resourceNames to roles that are safe to hand out, and this role to trusted subjects"
		} else {
			v.Message = fmt.Sprintf("%s grants \"bind\" on %s without resourceNames, so its holders can bind any role to anyone", kind, on)
			v.Hint = "limit \"bind\" with resourceNames to the roles that may be handed out"
		}
	case "escalate":
		v.Message = fmt.Sprintf("%s grants \"escalate\" on %s, so its holders can write roles with permissions they do not have", kind, on)
		v.Hint = "drop \"escalate\"; grant the permissions the managed roles need to their manager directly"
	case "impersonate":
		if limited {
			v.Message = fmt.Sprintf("%s grants \"impersonate\" on %s, so its holders can act as those identities", kind, on)
			v.Hint = "keep this role to trusted subjects; prefer giving the workload its own service account"
		} else {
			v.Message = fmt.Sprintf("%s grants \"impersonate\" on %s without resourceNames, so its holders can act as any such identity", kind, on)
			v.Hint = "limit \"impersonate\" with resourceNames to the identities that are needed"
		}
	}
	return v, true
}

func rbacSortedUnique(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}
