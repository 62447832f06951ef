package rules

// STUB: to be written.
var namespaceModeLabel = &Rule{
	ID:            "namespace-mode-label",
	DefaultAction: ActionDeny,
	Kinds:         namespaceKinds,
	Summary:       "invalid guardrails.dev/mode label, or lowering/removing it",
	Check:         func(in *Input) []Violation { return nil },
}
