package rules

import (
	"fmt"
	"runtime/debug"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PanicError reports a rule that panicked. Evaluate recovers it so one bad
// rule never takes the caller down.
type PanicError struct {
	Rule  string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("rule %s panicked: %v", e.Rule, e.Value)
}

// ActionFunc returns the action of a rule for the object being evaluated,
// after configuration and exemptions. ActionOff skips the rule.
type ActionFunc func(r *Rule) Action

// DefaultActions is an ActionFunc that uses every rule's default.
func DefaultActions(r *Rule) Action { return r.DefaultAction }

// Evaluate runs every rule of rs that applies to in's kind and returns the
// findings with their effective severity. A rule that panics stops the
// evaluation with a *PanicError; the findings gathered so far are returned.
func Evaluate(rs []*Rule, in *Input, action ActionFunc) (findings []Finding, err error) {
	gk := schema.FromAPIVersionAndKind(in.Ref.APIVersion, in.Ref.Kind).GroupKind()
	if in.Settings == nil {
		in.Settings = DefaultSettings()
	}
	if in.Cluster == nil {
		in.Cluster = EmptyView{}
	}
	for _, r := range rs {
		if !r.AppliesTo(gk) {
			continue
		}
		act := action(r)
		if act == ActionOff || act == "" {
			continue
		}
		vs, perr := runOne(r, in)
		if perr != nil {
			return findings, perr
		}
		for _, v := range vs {
			sev := act
			if v.AtMost != "" {
				sev = Milder(sev, v.AtMost)
			}
			f := Finding{
				Rule:     r.ID,
				Severity: sev,
				Object:   in.Ref,
				Message:  v.Message,
				Hint:     v.Hint,
				Detail:   v.Detail,
			}
			if v.Field != nil {
				f.Field = v.Field.String()
			}
			findings = append(findings, f)
		}
	}
	return findings, nil
}

func runOne(r *Rule, in *Input) (vs []Violation, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Rule: r.ID, Value: p, Stack: debug.Stack()}
		}
	}()
	return r.Check(in), nil
}
