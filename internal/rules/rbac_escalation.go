package rules

// STUB: to be written.
var rbacEscalation = &Rule{
	ID:            "rbac-escalation",
	DefaultAction: ActionWarn,
	Kinds:         roleKinds,
	Summary:       "roles granting escalate, bind, impersonate or wildcards",
	Check:         func(in *Input) []Violation { return nil },
}
