package rules

// STUB: to be written.
var rbacClusterAdmin = &Rule{
	ID:            "rbac-cluster-admin",
	DefaultAction: ActionDeny,
	Kinds:         bindingKinds,
	Summary:       "bindings to cluster-admin or an equivalent wildcard role",
	Check:         func(in *Input) []Violation { return nil },
}
