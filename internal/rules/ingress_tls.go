package rules

// STUB: to be written.
var ingressTLS = &Rule{
	ID:            "ingress-tls",
	DefaultAction: ActionWarn,
	Kinds:         ingressKinds,
	Summary:       "TLS hosts not served by any rule, TLS entries without secret",
	Check:         func(in *Input) []Violation { return nil },
}
