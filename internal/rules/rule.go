// Package rules holds the Guardrails rule engine and every rule. Rules are
// pure functions over typed k8s.io/api objects: they read the object, the
// rule settings and a read-only ClusterView, and return violations with
// field paths. They never do I/O; the CLI and the webhook server differ only
// in how they fill the ClusterView.
package rules

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Action is what a rule's findings do: deny the request, come back as a
// warning, be recorded only (audit), or nothing (off).
type Action string

const (
	ActionDeny  Action = "deny"
	ActionWarn  Action = "warn"
	ActionAudit Action = "audit"
	ActionOff   Action = "off"
)

// Severity is the effective weight of one finding after the configuration
// has been applied. It uses the same words as Action; off never appears.
type Severity = Action

// weight orders actions from the mildest to the strictest.
func (a Action) weight() int {
	switch a {
	case ActionDeny:
		return 3
	case ActionWarn:
		return 2
	case ActionAudit:
		return 1
	}
	return 0
}

// Milder returns the milder of two actions (off < audit < warn < deny).
func Milder(a, b Action) Action {
	if a.weight() <= b.weight() {
		return a
	}
	return b
}

// Valid reports whether a is one of the four actions.
func (a Action) Valid() bool { return a.weight() > 0 || a == ActionOff }

// ObjectRef identifies the object a finding is about.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// Violation is what a rule reports: the field, what is wrong there, and how
// to fix it. The engine turns it into a Finding.
type Violation struct {
	// Field is the offending field in Kubernetes notation.
	Field *field.Path
	// Message is one sentence a tenant can act on, naming the thing
	// (container, host, annotation) and what is wrong with it.
	Message string
	// Hint is a short remediation.
	Hint string
	// AtMost caps the finding's severity below the rule's action; the zero
	// value means "the rule's action". ingress-annotation uses it to warn
	// about unknown names while denying bad values.
	AtMost Action
}

// Finding is one violation of one rule by one object, with its effective
// severity.
type Finding struct {
	Rule     string    `json:"rule"`
	Severity Severity  `json:"severity"`
	Object   ObjectRef `json:"object"`
	Field    string    `json:"field"`
	Message  string    `json:"message"`
	Hint     string    `json:"hint"`
}

// Input is everything a rule may read.
type Input struct {
	// Object is a typed k8s.io/api object (pointer), e.g. *appsv1.Deployment.
	Object runtime.Object
	// Old is the previous version on UPDATE, nil otherwise.
	Old runtime.Object
	// Ref identifies Object (its TypeMeta may be empty).
	Ref ObjectRef
	// Cluster answers questions about the rest of the cluster.
	Cluster ClusterView
	// Settings are the rule parameters from the configuration.
	Settings *Settings
}

// CheckFunc is the body of a rule.
type CheckFunc func(in *Input) []Violation

// Rule is one entry of the catalogue.
type Rule struct {
	// ID is the stable identifier used in output, config, metrics and docs.
	ID string
	// DefaultAction applies unless the configuration overrides it.
	DefaultAction Action
	// DefaultNote says which findings the rule caps below its action, for the
	// docs (e.g. "unknown names: warn"); empty when none.
	DefaultNote string
	// Kinds the rule applies to.
	Kinds []schema.GroupKind
	// Summary is one line for the rules table.
	Summary string
	// Why explains why the rule matters.
	Why string
	// Fix explains how to fix a finding.
	Fix string
	// Check evaluates the rule.
	Check CheckFunc
}

// AppliesTo reports whether the rule covers kind gk.
func (r *Rule) AppliesTo(gk schema.GroupKind) bool {
	for _, k := range r.Kinds {
		if k == gk {
			return true
		}
	}
	return false
}
