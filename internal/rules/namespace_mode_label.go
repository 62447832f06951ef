package rules

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// namespaceModeLabel restricts the Namespace labels
//
//	metadata.labels[guardrails.dev/mode]
//	metadata.labels[guardrails.dev/failure-policy]
//
// The mode must be enforce, warn or audit (case-sensitive). The webhook
// treats any other value as enforce (fail safe), so "Warn" would enforce
// where its author wanted warnings. On UPDATE the mode must not be lowered
// (enforce → warn → audit; an invalid old value counts as enforce) or
// removed; raising it or setting it on a namespace that had none passes.
// The failure policy, when present, must be ignore or fail: any other value
// silently means fail, which is not what whoever wrote "Ignore" for
// kube-system wanted. Switching it to ignore on UPDATE is a lowering too:
// internal errors of the webhook then admit instead of deny.
//
// Who may lower the mode is the configuration's business (the embedded
// default exempts system:masters from this rule), not the rule's. An
// invalid value is reported whoever writes it: to a requester the
// configuration exempts, as a warning (Rule.Unwaivable).
var namespaceModeLabel = &Rule{
	ID:            "namespace-mode-label",
	DefaultAction: ActionDeny,
	Kinds:         namespaceKinds,
	Summary:       "invalid guardrails.dev/mode label, or lowering/removing it",
	Why: "The mode label decides whether Guardrails judges a namespace at all: a misspelt value " +
		"turns it off without a word, and a tenant who may edit its namespace could otherwise lower " +
		"or remove it to get past the rules.",
	Fix: "Use guardrails.dev/mode: enforce, warn or audit (and guardrails.dev/failure-policy: ignore " +
		"or fail); ask a cluster administrator to lower or remove the mode.",
	Check:      checkNamespaceModeLabel,
	Unwaivable: invalidNamespaceLabels,
}

func checkNamespaceModeLabel(in *Input) []Violation {
	ns, ok := in.Object.(*corev1.Namespace)
	if !ok || ns == nil {
		return nil
	}
	vs := invalidNamespaceLabels(in)
	cur, errs := NamespacePolicyOf(ns.Labels)
	modeInvalid := slices.ContainsFunc(errs, func(e *field.Error) bool { return e.Field == namespaceLabelsPath.Key(ModeLabel).String() })

	oldNS, ok := in.Old.(*corev1.Namespace)
	if !ok || oldNS == nil {
		return vs
	}
	old, _ := NamespacePolicyOf(oldNS.Labels)
	switch {
	case modeInvalid:
		// Reported as invalid; the value is served as enforce, which lowers nothing.
	case old.Mode != "" && cur.Mode == "":
		vs = append(vs, Violation{
			Field:   namespaceLabelsPath.Key(ModeLabel),
			Message: fmt.Sprintf("removing namespace label %s (was %q) switches Guardrails off for this namespace", ModeLabel, old.Mode),
			Hint:    fmt.Sprintf("keep %s: %s; only a cluster administrator may remove it", ModeLabel, old.Mode),
		})
	case cur.Mode.Lowers(old.Mode):
		vs = append(vs, Violation{
			Field:   namespaceLabelsPath.Key(ModeLabel),
			Message: fmt.Sprintf("lowering namespace label %s from %q to %q weakens Guardrails for this namespace", ModeLabel, old.Mode, cur.Mode),
			Hint:    fmt.Sprintf("keep %s: %s (or raise it); only a cluster administrator may lower it", ModeLabel, old.Mode),
		})
	}
	if cur.FailurePolicy == FailurePolicyIgnore && old.FailurePolicy != FailurePolicyIgnore {
		vs = append(vs, Violation{
			Field:   namespaceLabelsPath.Key(FailurePolicyLabel),
			Message: fmt.Sprintf("setting namespace label %s to ignore lets requests through whenever the webhook cannot judge them", FailurePolicyLabel),
			Hint:    fmt.Sprintf("remove %s; only a cluster administrator may set it (for infrastructure namespaces)", FailurePolicyLabel),
		})
	}
	return vs
}

// invalidNamespaceLabels reports mode and failure-policy values that are
// not valid, whoever writes them.
func invalidNamespaceLabels(in *Input) []Violation {
	ns, ok := in.Object.(*corev1.Namespace)
	if !ok || ns == nil {
		return nil
	}
	var vs []Violation
	_, errs := NamespacePolicyOf(ns.Labels)
	for _, e := range errs {
		switch e.Field {
		case namespaceLabelsPath.Key(ModeLabel).String():
			vs = append(vs, Violation{
				Field:   namespaceLabelsPath.Key(ModeLabel),
				Message: fmt.Sprintf("namespace label %s has invalid value %q; Guardrails treats it as enforce until it is one of %s", ModeLabel, e.BadValue, modeList()),
				Hint:    fmt.Sprintf("set %s to enforce, warn or audit (lowercase)", ModeLabel),
			})
		case namespaceLabelsPath.Key(FailurePolicyLabel).String():
			vs = append(vs, Violation{
				Field:   namespaceLabelsPath.Key(FailurePolicyLabel),
				Message: fmt.Sprintf("namespace label %s has invalid value %q; it must be ignore or fail (any other value means fail)", FailurePolicyLabel, e.BadValue),
				Hint:    fmt.Sprintf("set %s to ignore or fail (lowercase), or remove it", FailurePolicyLabel),
			})
		}
	}
	return vs
}
