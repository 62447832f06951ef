package rules

// STUB: to be written.
var ingressAnnotation = &Rule{
	ID:            "ingress-annotation",
	DefaultAction: ActionDeny,
	Kinds:         ingressKinds,
	Summary:       "controller annotations with values that do not parse or carry config injection",
	Check:         func(in *Input) []Violation { return nil },
}
