package rules

// STUB: to be written.
var rbacBroadSubject = &Rule{
	ID:            "rbac-broad-subject",
	DefaultAction: ActionDeny,
	Kinds:         bindingKinds,
	Summary:       "bindings to anonymous, unauthenticated, all authenticated users or all service accounts",
	Check:         func(in *Input) []Violation { return nil },
}
