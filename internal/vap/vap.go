// Package vap generates the API server's fallback for Guardrails: one
// ValidatingAdmissionPolicy and one ValidatingAdmissionPolicyBinding
// (admissionregistration.k8s.io/v1, CEL) per rule check that needs no
// cluster lookup. They run inside the API server, so they hold while
// every webhook replica is down, and they cannot lock a cluster out: an
// expression has no network to wait on.
//
// The policies judge what the webhook judges, with the same inputs:
//
//   - the same rule tables (internal/rules exports them), the same
//     configuration (rule actions, exemptions, settings, clusterMode);
//   - the same namespaces: the bindings select namespaces whose
//     guardrails.dev/mode can deny (enforce, and invalid values, which the
//     webhook serves as enforce) and leave out the webhook's own
//     namespace. warn and audit namespaces are left out: nothing is
//     denied there, and a second copy of every warning while the webhook
//     is up would only be noise. Cluster-scoped kinds are bound when
//     clusterMode is enforce;
//   - the same requesters: never the API server itself (system:apiserver),
//     never an exempted request, never an object being deleted;
//   - the same UPDATE semantics: only findings the old object did not have
//     deny (the webhook's key: rule, field path without list indices,
//     message);
//   - the same text: each finding is `[rule-id] field: message (hint)`,
//     findings joined with "; " (the API server allows no line breaks),
//     after the API server's own prefix "ValidatingAdmissionPolicy
//     'guardrails-<rule-id>' with binding '…' denied request: ".
//
// Only rules whose action is deny get a policy: a policy only adds a
// denial.
//
// The expressions need Kubernetes 1.33 or newer: they index lists with
// CEL's two-variable comprehensions (transformList), which the API server
// offers from its compatibility version 1.32 on. Every expression is
// linear in the size of the object (no indexOf, no nested scans), and the
// API server bounds each one's cost anyway. The checks that need a cluster lookup (a role's rules, the
// namespace's LimitRanges for pod templates, other Ingresses) stay with
// the webhook; Check.Covers says what each policy judges.
package vap

import (
	"fmt"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// DefaultNamespace is the webhook's own namespace in deploy/.
const DefaultNamespace = "guardrails-system"

// NamePrefix starts the name of every generated object:
// guardrails-<rule-id>.
const NamePrefix = "guardrails-"

// Labels every generated object carries.
var objectLabels = map[string]string{
	"app.kubernetes.io/name":      "guardrails",
	"app.kubernetes.io/part-of":   "guardrails",
	"app.kubernetes.io/component": "api-server-fallback",
}

// RuleLabel names the rule a generated object judges for.
const RuleLabel = "guardrails.dev/rule"

// Options tune the generated objects.
type Options struct {
	// Namespace is the webhook's own namespace, never judged (default
	// DefaultNamespace).
	Namespace string
}

// Pair is the policy of one rule and its binding.
type Pair struct {
	Policy  *admissionregistrationv1.ValidatingAdmissionPolicy
	Binding *admissionregistrationv1.ValidatingAdmissionPolicyBinding
}

// resource is one resource a check judges, in version v1 of its group.
type resource struct {
	group, resource string
	namespaced      bool
}

// check is the fallback of one rule.
type check struct {
	rule string
	// covers says, for the docs, what the policy judges.
	covers string
	// resources the policy matches (CREATE and UPDATE, or CREATE only).
	resources []resource
	// createOnly: the findings cannot appear on UPDATE (a Pod's containers
	// and resources are immutable there).
	createOnly bool
	// namespaceKind: the policy judges Namespaces, whose own labels a
	// binding's namespaceSelector is matched against.
	namespaceKind bool
	// enabled says whether cfg gives the check anything to judge (nil:
	// always).
	enabled func(cfg *config.Config) bool
	// conditions are the check's own matchConditions: requests the rule
	// never judges.
	conditions func(cfg *config.Config) []admissionregistrationv1.MatchCondition
	// tables are the variables holding the rule's constant tables, which
	// findings reads.
	tables func(cfg *config.Config) []admissionregistrationv1.Variable
	// findings returns the CEL list of the findings of the object at
	// root, each a pair [key, line]: key tells whether an UPDATE's old
	// object had the same finding (the webhook's: field path without list
	// indices, and message), line is what the denial shows, `[rule-id]
	// field: message (hint)`. prev is the CEL of the previous version, or
	// "" when judging the previous version itself. (See render.)
	findings func(cfg *config.Config, root, prev string) string
}

// checks is every fallback, in the order of the rule catalogue.
func checks() []check {
	return []check{
		resourcesRequests,
		ingressSnippet,
		ingressWildcardHost,
		rbacClusterAdmin,
		rbacBroadSubject,
		namespaceModeLabel,
	}
}

// Covers returns what the fallback policy of a rule judges ("" when the
// rule has none), for `webhook rules`.
func Covers(ruleID string) string {
	for _, c := range checks() {
		if c.rule == ruleID {
			return c.covers
		}
	}
	return ""
}

// Generate returns the policy and binding of every rule whose action in
// cfg is deny and that has a fallback, in catalogue order.
func Generate(cfg *config.Config, o Options) ([]Pair, error) {
	if cfg == nil {
		return nil, fmt.Errorf("vap: no configuration")
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	clusterEnforced := cfg.ClusterMode == rules.ModeEnforce
	pol := policy.New(cfg)
	var out []Pair
	for _, c := range checks() {
		r, ok := rules.Lookup(c.rule)
		if !ok {
			return nil, fmt.Errorf("vap: no rule %q in the catalogue", c.rule)
		}
		if pol.ConfiguredAction(r) != rules.ActionDeny || c.enabled != nil && !c.enabled(cfg) {
			continue
		}
		bound := c.resources
		if !clusterEnforced {
			bound = slices.DeleteFunc(slices.Clone(bound), func(res resource) bool { return !res.namespaced })
			if len(bound) == 0 {
				continue // nothing this rule judges can be denied
			}
		}
		p, err := c.policy(cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, Pair{Policy: p, Binding: c.binding(o.Namespace, bound, len(bound) < len(c.resources))})
	}
	return out, nil
}

func meta(rule string) metav1.ObjectMeta {
	labels := map[string]string{RuleLabel: rule}
	for k, v := range objectLabels {
		labels[k] = v
	}
	return metav1.ObjectMeta{Name: NamePrefix + rule, Labels: labels}
}

func (c check) ruleSet(resources []resource) []admissionregistrationv1.NamedRuleWithOperations {
	ops := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	if c.createOnly {
		ops = ops[:1]
	}
	var out []admissionregistrationv1.NamedRuleWithOperations
	for _, r := range resources {
		scope := admissionregistrationv1.ClusterScope
		if r.namespaced {
			scope = admissionregistrationv1.NamespacedScope
		}
		out = append(out, admissionregistrationv1.NamedRuleWithOperations{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{
				Operations: ops,
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{r.group},
					APIVersions: []string{"v1"},
					Resources:   []string{r.resource},
					Scope:       &scope,
				},
			},
		})
	}
	return out
}

// maxMessageBytes keeps messageExpression's result under the API server's
// limit (5 KiB; a longer result falls back to the static message).
const maxMessageBytes = 4800

func (c check) policy(cfg *config.Config) (*admissionregistrationv1.ValidatingAdmissionPolicy, error) {
	fail := admissionregistrationv1.Fail
	equivalent := admissionregistrationv1.Equivalent
	forbidden := metav1.StatusReasonForbidden

	conds := []admissionregistrationv1.MatchCondition{
		{Name: "not-the-api-server", Expression: "request.userInfo.username != " + str(apiServerUser)},
	}
	if e := exemptions(cfg, c.rule, c.namespaceKind); e != "" {
		conds = append(conds, admissionregistrationv1.MatchCondition{Name: "not-exempted", Expression: "!(" + e + ")"})
	}
	conds = append(conds, admissionregistrationv1.MatchCondition{Name: "not-being-deleted", Expression: "!has(object.metadata.deletionTimestamp)"})
	if c.conditions != nil {
		conds = append(conds, c.conditions(cfg)...)
	}

	preexisting := "oldObject == null ? [] : (\n  " + indent(c.findings(cfg, "oldObject", ""), 2) + "\n).map(f, f[0])"
	if c.createOnly {
		preexisting = "[]"
	}
	var vars []admissionregistrationv1.Variable
	if c.tables != nil {
		vars = c.tables(cfg)
	}
	vars = append(vars, []admissionregistrationv1.Variable{
		{Name: "findings", Expression: c.findings(cfg, "object", "oldObject")},
		{Name: "preexisting", Expression: preexisting},
		{Name: "introduced", Expression: "variables.findings.filter(f, !(f[0] in variables.preexisting))"},
		{Name: "message", Expression: "variables.introduced.map(f, f[1]).join('; ')"},
	}...)
	msg := fmt.Sprintf("bytes(variables.message).size() <= %d ? variables.message :\n"+
		"  variables.message.substring(0, %d) + ' ... (truncated; run `webhook check` on the manifest for every finding)'",
		maxMessageBytes, maxMessageBytes/4)

	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: meta(c.rule),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{
				ResourceRules: c.ruleSet(c.resources),
				MatchPolicy:   &equivalent,
			},
			MatchConditions: conds,
			Variables:       vars,
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "size(variables.introduced) == 0",
				MessageExpression: msg,
				Message:           fmt.Sprintf("[%s] denied by Guardrails' fallback policy; run `webhook check` on the manifest for the findings", c.rule),
				Reason:            &forbidden,
			}},
		},
	}, nil
}

// binding binds the policy in every namespace whose mode can deny but the
// webhook's own; restrict narrows it to resources (clusterMode is not
// enforce: cluster-scoped kinds are left out).
func (c check) binding(ownNamespace string, resources []resource, restrict bool) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	sel := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: rules.ModeLabel, Operator: metav1.LabelSelectorOpExists},
		{Key: rules.ModeLabel, Operator: metav1.LabelSelectorOpNotIn, Values: nonDenyingModes()},
		{Key: namespaceNameLabel, Operator: metav1.LabelSelectorOpNotIn, Values: []string{ownNamespace}},
	}}
	if c.namespaceKind {
		// Matched against the Namespace's own labels: every Namespace but
		// the webhook's own, whatever its mode (removing the label must be
		// judged), like the webhook's cluster entry.
		sel = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: namespaceNameLabel, Operator: metav1.LabelSelectorOpNotIn, Values: []string{ownNamespace}},
		}}
	}
	mr := &admissionregistrationv1.MatchResources{NamespaceSelector: sel}
	if restrict {
		mr.ResourceRules = c.ruleSet(resources)
	}
	return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: meta(c.rule),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        NamePrefix + c.rule,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources:    mr,
		},
	}
}

// render turns a CEL list of findings as [field, key field, message,
// hint] into the [key, line] pairs of check.findings.
func render(rule, tuples string) string {
	return "(\n  " + indent(tuples, 2) + "\n).map(x, [x[1] + ': ' + x[2], " + str("["+rule+"] ") + " + x[0] + ': ' + x[2] + ' (' + x[3] + ')'])"
}

// namespaceNameLabel is the label the API server sets on every Namespace
// to its name.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// apiServerUser is the API server's own identity: never judged, whatever
// the configuration (like the webhook configuration's matchConditions).
const apiServerUser = "system:apiserver"

// nonDenyingModes are the modes in which nothing is denied.
func nonDenyingModes() []string {
	var out []string
	for _, m := range rules.Modes {
		if m.Action() != rules.ActionDeny {
			out = append(out, string(m))
		}
	}
	return out
}
