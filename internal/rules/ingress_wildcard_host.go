package rules

// STUB: to be written.
var ingressWildcardHost = &Rule{
	ID:            "ingress-wildcard-host",
	DefaultAction: ActionDeny,
	Kinds:         ingressKinds,
	Summary:       "catch-all rules (no host or bare *) outside allowed namespaces",
	Check:         func(in *Input) []Violation { return nil },
}
