package rules

// STUB: to be written.
var ingressSnippet = &Rule{
	ID:            "ingress-snippet",
	DefaultAction: ActionDeny,
	Kinds:         ingressKinds,
	Summary:       "snippet annotations that splice raw config into the controller",
	Check:         func(in *Input) []Violation { return nil },
}
