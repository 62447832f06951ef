// Package rules holds the Guardrails rule engine and every rule. Rules are
// pure functions over typed k8s.io/api objects: they read the object, the
// rule settings and a read-only ClusterView, and return violations with
// field paths. They never do I/O; the CLI and the webhook server differ only
// in how they fill the ClusterView.
//
// # Layering
//
// rules is the bottom layer: it imports no other package of Guardrails.
// Above it, config (the configuration file) and policy (actions and
// exemptions) decide what a finding does; manifest and inputview read files
// for `webhook check`; clustercache and admission serve the webhook. The
// CLI path (manifest, inputview, report) and the server path (clustercache,
// admission) never import each other, and nothing imports cmd or hack. The
// test in internal/layering enforces these arrows.
//
// # Adding a rule
//
//  1. One file, <rule_id>.go, holding the *Rule with a doc comment that
//     states the fields it restricts, what passes and what fails.
//  2. One line in Catalogue (catalogue.go), in the order of the table.
//  3. Fixtures in testdata/<rule-id>/: at least one passing and one failing
//     YAML, each failing one with the exact "# want:" findings.
//  4. The kinds it judges in the webhook configurations of deploy/base
//     (webhooks.yaml; a test in internal/deployrender fails otherwise).
//  5. `make readme` to regenerate the README's rules table.
//  6. Its parameters (Rule.Params) in the configuration's vocabulary and
//     the default configuration (internal/config/default.yaml) documented.
package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// UnmarshalJSON reads an action from a JSON string. A boolean gets a
// message of its own: YAML 1.1 reads an unquoted off (and no, n, false) as
// the boolean false, and on, yes, y, true as true, so `action: off` in a
// configuration file arrives as false.
func (a *Action) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "false":
		return errors.New(`action: YAML reads an unquoted off as the boolean false: write "off" in quotes`)
	case "true":
		return errors.New(`action: YAML reads an unquoted on, yes or true as the boolean true: want one of "deny", "warn", "audit", "off"`)
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("action: want one of \"deny\", \"warn\", \"audit\", \"off\", got %s", b)
	}
	*a = Action(s)
	return nil
}

// ObjectRef identifies the object a finding is about.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// RefOf identifies obj for findings: apiVersion and kind as given (an
// object's TypeMeta may be empty), namespace and name from its metadata,
// and generateName where the name is not set yet.
func RefOf(obj runtime.Object, apiVersion, kind string) ObjectRef {
	ref := ObjectRef{APIVersion: apiVersion, Kind: kind}
	if m, ok := obj.(metav1.Object); ok {
		ref.Namespace, ref.Name = m.GetNamespace(), m.GetName()
		if ref.Name == "" {
			ref.Name = m.GetGenerateName()
		}
	}
	return ref
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
	// Detail is what a cluster administrator may read and the tenant who
	// sent the object may not: other namespaces and their objects (the
	// namespace and Ingress that serve a host). Message and Hint must make
	// sense without it and must never repeat it. The webhook writes Detail
	// to its log and to the audit annotations only, never into a denial or
	// a warning; `webhook check` prints it (whoever runs it has the files).
	Detail string
}

// Finding is one violation of one rule by one object. Severity is the
// finding's effective action after the configuration has been applied
// (deny, warn or audit; never off).
type Finding struct {
	Rule     string    `json:"rule"`
	Severity Action    `json:"severity"`
	Object   ObjectRef `json:"object"`
	Field    string    `json:"field"`
	Message  string    `json:"message"`
	Hint     string    `json:"hint"`
	// Detail is Violation.Detail: for administrators only.
	Detail string `json:"detail,omitempty"`
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
	// Origin is what the requester vouches for about Object (a mirror
	// pod, a copy stamped out by a built-in controller); zero in the CLI.
	Origin Origin
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
	// Params are the configuration keys the rule reads, in the
	// configuration file's vocabulary (e.g. "resources.required"); `webhook
	// rules` prints them with their defaults.
	Params []string
	// Check evaluates the rule.
	Check CheckFunc
	// Unwaivable, when set, is the part of Check that exemptions do not
	// silence (a value that is wrong whoever writes it): for a requester
	// an exemption turns the rule off for, the policy still runs it and
	// reports its findings as warnings at most.
	Unwaivable CheckFunc
}

// AppliesTo reports whether the rule covers kind gk.
func (r *Rule) AppliesTo(gk schema.GroupKind) bool { return slices.Contains(r.Kinds, gk) }
