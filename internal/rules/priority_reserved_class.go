package rules

// STUB: to be written.
var priorityReservedClass = &Rule{
	ID:            "priority-reserved-class",
	DefaultAction: ActionDeny,
	Kinds:         PodKinds,
	Summary:       "non-critical workloads using a system priority class",
	Check:         func(in *Input) []Violation { return nil },
}
