// Package policy joins the rule catalogue with the configuration: it
// decides each rule's action for one object and one requester (overrides
// and exemptions) and runs the rules. The CLI and the server both use it.
package policy

import (
	"strings"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Requester is who sends the object. The CLI has none.
type Requester struct {
	User   string
	Groups []string
}

// Policy evaluates objects under one configuration.
type Policy struct {
	cfg      *config.Config
	settings *rules.Settings
	rules    []*rules.Rule
}

// New returns a Policy for cfg over rs, or over the whole catalogue when
// rs is empty (tests pass their own rules).
func New(cfg *config.Config, rs ...*rules.Rule) *Policy {
	if len(rs) == 0 {
		rs = rules.Catalogue()
	}
	return &Policy{cfg: cfg, settings: cfg.Settings(), rules: rs}
}

// Rules returns the rules the policy evaluates.
func (p *Policy) Rules() []*rules.Rule { return p.rules }

// Config returns the configuration.
func (p *Policy) Config() *config.Config { return p.cfg }

// Settings returns the rule settings.
func (p *Policy) Settings() *rules.Settings { return p.settings }

// Action returns rule r's action for the object ref sent by who: off when
// an exemption matches, else the configured or default action.
func (p *Policy) Action(r *rules.Rule, ref rules.ObjectRef, who Requester) rules.Action {
	if matchAny(p.cfg.Exemptions, ref, who) {
		return rules.ActionOff
	}
	act := r.DefaultAction
	if rc, ok := p.cfg.Rules[r.ID]; ok {
		if matchAny(rc.Exemptions, ref, who) {
			return rules.ActionOff
		}
		if rc.Action != "" {
			act = rc.Action
		}
	}
	return act
}

// Evaluate runs every applicable rule on in. in.Settings is filled from the
// configuration.
func (p *Policy) Evaluate(in *rules.Input, who Requester) ([]rules.Finding, error) {
	in.Settings = p.settings
	return rules.Evaluate(p.rules, in, func(r *rules.Rule) rules.Action {
		return p.Action(r, in.Ref, who)
	})
}

// builtinControllers are the kube-controller-manager identities that stamp
// objects out of templates (with --use-service-account-credentials, each
// controller has its own service account in kube-system).
var builtinControllers = map[string]bool{
	"system:kube-controller-manager":                           true,
	"system:serviceaccount:kube-system:replicaset-controller":  true,
	"system:serviceaccount:kube-system:replication-controller": true,
	"system:serviceaccount:kube-system:deployment-controller":  true,
	"system:serviceaccount:kube-system:daemon-set-controller":  true,
	"system:serviceaccount:kube-system:statefulset-controller": true,
	"system:serviceaccount:kube-system:job-controller":         true,
	"system:serviceaccount:kube-system:cronjob-controller":     true,
}

// BuiltinController reports whether the requester is one of Kubernetes'
// workload controllers.
func (r Requester) BuiltinController() bool { return builtinControllers[r.User] }

func matchAny(es []config.Exemption, ref rules.ObjectRef, who Requester) bool {
	for i := range es {
		if match(&es[i], ref, who) {
			return true
		}
	}
	return false
}

func match(e *config.Exemption, ref rules.ObjectRef, who Requester) bool {
	if len(e.Namespaces) == 0 && len(e.Names) == 0 && len(e.Users) == 0 && len(e.Groups) == 0 {
		return false // an empty exemption exempts nothing
	}
	if len(e.Namespaces) > 0 && !matchPattern(e.Namespaces, ref.Namespace) {
		return false
	}
	if len(e.Names) > 0 && !matchPattern(e.Names, ref.Name) {
		return false
	}
	if len(e.Users) > 0 && !contains(e.Users, who.User) {
		return false
	}
	if len(e.Groups) > 0 {
		hit := false
		for _, g := range who.Groups {
			if contains(e.Groups, g) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func matchPattern(patterns []string, s string) bool {
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(s, prefix) {
				return true
			}
		} else if p == s {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
