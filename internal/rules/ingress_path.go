package rules

// STUB: to be written.
var ingressPath = &Rule{
	ID:            "ingress-path",
	DefaultAction: ActionDeny,
	Kinds:         ingressKinds,
	Summary:       "paths that contradict their pathType or break controller config",
	Check:         func(in *Input) []Violation { return nil },
}
