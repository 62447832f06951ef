package policy

import (
	"maps"
	"slices"
)

// BuiltinControllers returns the user names of Kubernetes' workload
// controllers (see Requester.BuiltinController), sorted; internal/vap
// gives the API server's fallback policies the same notion.
func BuiltinControllers() []string { return slices.Sorted(maps.Keys(builtinControllers)) }
