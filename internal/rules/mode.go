package rules

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ModeLabel is the namespace label that opts a namespace in and says how
// findings are handled there. The webhook configuration's namespaceSelector
// keys on it: a namespace without it is never intercepted.
const ModeLabel = "guardrails.dev/mode"

// FailurePolicyLabel selects the webhook entry that serves a namespace:
// "ignore" is served by an entry with failurePolicy Ignore (kube-system and
// other infrastructure namespaces), anything else by failurePolicy Fail
// where the mode can deny (warn and audit are always served by Ignore).
const FailurePolicyLabel = "guardrails.dev/failure-policy"

// Mode is the value of ModeLabel.
type Mode string

const (
	// ModeEnforce denies deny findings; warn findings become warnings.
	ModeEnforce Mode = "enforce"
	// ModeWarn denies nothing; every finding becomes a warning.
	ModeWarn Mode = "warn"
	// ModeAudit denies and shows nothing; findings are recorded only.
	ModeAudit Mode = "audit"
)

// Modes lists the valid modes from the strictest to the mildest.
var Modes = []Mode{ModeEnforce, ModeWarn, ModeAudit}

// ParseMode returns the mode of a label value. Values are case-sensitive,
// like the namespaceSelector that matches them: "Enforce" is not a mode.
func ParseMode(s string) (Mode, bool) {
	switch m := Mode(s); m {
	case ModeEnforce, ModeWarn, ModeAudit:
		return m, true
	}
	return "", false
}

// Strictness orders modes: enforce 3 > warn 2 > audit 1 > anything else 0
// (absent or invalid, i.e. not served).
func (m Mode) Strictness() int {
	switch m {
	case ModeEnforce:
		return 3
	case ModeWarn:
		return 2
	case ModeAudit:
		return 1
	}
	return 0
}

// Lowers reports whether changing a namespace's mode from old to m weakens
// it (enforce → warn → audit → absent). Changing from an invalid or absent
// value never lowers.
func (m Mode) Lowers(old Mode) bool {
	return old.Strictness() > 0 && m.Strictness() < old.Strictness()
}

// Action is the strongest action a finding can have in mode m: deny in
// enforce, warn in warn, audit in audit. Findings are capped with Milder.
func (m Mode) Action() Action {
	switch m {
	case ModeEnforce:
		return ActionDeny
	case ModeWarn:
		return ActionWarn
	case ModeAudit:
		return ActionAudit
	}
	return ActionOff
}

// FailurePolicy is the value of FailurePolicyLabel.
type FailurePolicy string

const (
	// FailurePolicyIgnore lets requests through when the webhook is down.
	FailurePolicyIgnore FailurePolicy = "ignore"
	// FailurePolicyFail rejects requests when the webhook is down (the
	// default; the explicit value documents it).
	FailurePolicyFail FailurePolicy = "fail"
)

// ParseFailurePolicy returns the failure policy of a label value. Values
// are case-sensitive: the webhook configuration selects on "ignore"
// exactly, so "Ignore" would silently mean Fail.
func ParseFailurePolicy(s string) (FailurePolicy, bool) {
	switch p := FailurePolicy(s); p {
	case FailurePolicyIgnore, FailurePolicyFail:
		return p, true
	}
	return "", false
}

func modeList() string { return strings.Join(modeStrings(), ", ") }

// NamespacePolicy is what a namespace's labels ask of Guardrails.
type NamespacePolicy struct {
	// Mode is the effective mode: "" where the namespace has no mode
	// label (it is not judged), enforce where the value is not a mode
	// (fail safe: a typo must not switch the rules off).
	Mode Mode
	// FailurePolicy is the failure policy the namespace asks for: ignore,
	// or fail (also where the label is absent or its value invalid).
	FailurePolicy FailurePolicy
}

// FailOpen reports whether an internal error of the webhook admits a
// request in this namespace instead of denying it: where the namespace
// asks for failure-policy ignore, and where its mode never denies (warn,
// audit), which the webhook configuration serves with failurePolicy Ignore.
func (p NamespacePolicy) FailOpen() bool {
	return p.FailurePolicy == FailurePolicyIgnore || p.Mode == ModeWarn || p.Mode == ModeAudit
}

var namespaceLabelsPath = field.NewPath("metadata", "labels")

// NamespacePolicyOf reads a namespace's labels the way the webhook serves
// them, in the manner of Pod Security Admission's PolicyToEvaluate: the
// effective policy, and an error (with its field path) for each label
// value that is not valid. It is the one parser of ModeLabel and
// FailurePolicyLabel: the handlers, the namespace-mode-label rule and the
// cluster-scoped defaults all call it.
func NamespacePolicyOf(labels map[string]string) (NamespacePolicy, field.ErrorList) {
	p := NamespacePolicy{FailurePolicy: FailurePolicyFail}
	var errs field.ErrorList
	if v, ok := labels[ModeLabel]; ok {
		m, valid := ParseMode(v)
		if !valid {
			m = ModeEnforce
			errs = append(errs, field.NotSupported(namespaceLabelsPath.Key(ModeLabel), v, modeStrings()))
		}
		p.Mode = m
	}
	if v, ok := labels[FailurePolicyLabel]; ok {
		fp, valid := ParseFailurePolicy(v)
		if !valid {
			fp = FailurePolicyFail
			errs = append(errs, field.NotSupported(namespaceLabelsPath.Key(FailurePolicyLabel), v,
				[]string{string(FailurePolicyIgnore), string(FailurePolicyFail)}))
		}
		p.FailurePolicy = fp
	}
	return p, errs
}

func modeStrings() []string {
	out := make([]string, len(Modes))
	for i, m := range Modes {
		out[i] = string(m)
	}
	return out
}
