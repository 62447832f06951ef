package rules

// STUB: to be written.
var ingressConflict = &Rule{
	ID:            "ingress-conflict",
	DefaultAction: ActionDeny,
	Kinds:         ingressKinds,
	Summary:       "host + path already claimed by an Ingress in another namespace",
	Check:         func(in *Input) []Violation { return nil },
}
