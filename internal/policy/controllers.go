package policy

import (
	"maps"
	"slices"
)

// BuiltinControllers returns the user names of Kubernetes' workload
// controllers (see Requester.BuiltinController), sorted; internal/vap
// gives the API server's fallback policies the same notion.
func BuiltinControllers() []string { return slices.Sorted(maps.Keys(builtinControllers)) }

// TemplateOwner is a kind whose pod template Guardrails judges on the
// owner itself.
type TemplateOwner struct {
	// Group is the owner's API group ("" for the core group).
	Group string
	// Controllers are the built-in controllers (user names, sorted) whose
	// copies of such an owner's template Requester.DerivedFrom accepts.
	Controllers []string
}

// TemplateOwners returns, by owner kind, the pairs of owner and
// controller identity that Requester.DerivedFrom accepts; internal/vap
// gives the API server's fallback policies the same notion.
func TemplateOwners() map[string]TemplateOwner {
	out := map[string]TemplateOwner{}
	for kind, group := range judgedKinds {
		o := TemplateOwner{Group: group}
		for user, kinds := range builtinControllers {
			if slices.Contains(kinds, kind) {
				o.Controllers = append(o.Controllers, user)
			}
		}
		slices.Sort(o.Controllers)
		out[kind] = o
	}
	return out
}
