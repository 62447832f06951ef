package rules

// STUB: to be written.
var resourcesImplausible = &Rule{
	ID:            "resources-implausible",
	DefaultAction: ActionWarn,
	Kinds:         PodKinds,
	Summary:       "resource values that are almost always a typo",
	Check:         func(in *Input) []Violation { return nil },
}
