package rules

// STUB: to be written.
var ingressClass = &Rule{
	ID:            "ingress-class",
	DefaultAction: ActionDeny,
	Kinds:         ingressKinds,
	Summary:       "no ingress class while the cluster has no default, or a class that does not exist",
	Check:         func(in *Input) []Violation { return nil },
}
