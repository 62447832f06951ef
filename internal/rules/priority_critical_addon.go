package rules

// STUB: to be written.
var priorityCriticalAddon = &Rule{
	ID:            "priority-critical-addon",
	DefaultAction: ActionDeny,
	Kinds:         PodKinds,
	Summary:       "critical add-ons without a system priority class",
	Check:         func(in *Input) []Violation { return nil },
}
