package rules

// STUB: to be written.
var resourcesRequests = &Rule{
	ID:            "resources-requests",
	DefaultAction: ActionDeny,
	Kinds:         PodKinds,
	Summary:       "a container or init container without a CPU or memory request",
	Check:         func(in *Input) []Violation { return nil },
}
