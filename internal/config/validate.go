package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// The values the file's enumerations take, in the order messages list them.
var (
	clusterModes = []string{string(rules.ModeEnforce), string(rules.ModeWarn), string(rules.ModeAudit)}
	ruleActions  = []string{string(rules.ActionDeny), string(rules.ActionWarn), string(rules.ActionAudit), string(rules.ActionOff)}
)

// Validate checks every field and reports all problems at once, each with
// its field path in the file (rules[ingress-tls].action,
// resources.defaults[cpu]), in the order of the file's sections; the rules
// section in the order of its ids.
func (c *Config) Validate() error {
	var p problems
	p.equal("apiVersion", c.APIVersion, "guardrails.dev/v1alpha1")
	p.equal("kind", c.Kind, "Config")
	p.oneOf("clusterMode", string(c.ClusterMode), clusterModes, true)
	p.exemptions("exemptions", c.Exemptions)
	for _, id := range c.ruleIDs() {
		path := "rules[" + id + "]"
		if _, ok := rules.Lookup(id); !ok {
			p.add(path, "unknown rule id %q (see `webhook rules`)", id)
		}
		rc := c.Rules[id]
		p.oneOf(path+".action", string(rc.Action), ruleActions, false)
		p.exemptions(path+".exemptions", rc.Exemptions)
	}
	p.settings(&c.Settings)
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "; "))
}

// problems are the messages of what is wrong, "path: reason" each.
type problems []string

func (p *problems) add(path, format string, a ...any) {
	*p = append(*p, path+": "+fmt.Sprintf(format, a...))
}

// equal requires value to be want.
func (p *problems) equal(path, value, want string) {
	switch value {
	case want:
	case "":
		p.add(path, "required")
	default:
		p.add(path, "must be %q, got %q", want, value)
	}
}

// oneOf requires value to be one of allowed; empty is allowed when the
// field is optional.
func (p *problems) oneOf(path, value string, allowed []string, required bool) {
	switch {
	case value == "" && required:
		p.add(path, "required")
	case value != "" && !slices.Contains(allowed, value):
		p.add(path, "%q is not one of [%s]", value, strings.Join(allowed, ", "))
	}
}

// nonEmpty requires every entry of list to be set.
func nonEmpty[T ~string](p *problems, path string, list []T) {
	for i, v := range list {
		if v == "" {
			p.add(fmt.Sprintf("%s[%d]", path, i), "required")
		}
	}
}

// atLeastOne requires list to have an entry, and every entry to be set.
func (p *problems) atLeastOne(path string, list []string) {
	if len(list) == 0 {
		p.add(path, "needs at least 1 entry")
	}
	nonEmpty(p, path, list)
}

func (p *problems) exemptions(path string, es []Exemption) {
	for i := range es {
		e := &es[i]
		at := fmt.Sprintf("%s[%d]", path, i)
		nonEmpty(p, at+".namespaces", e.Namespaces)
		for j, k := range e.Kinds {
			switch {
			case k == "":
				p.add(fmt.Sprintf("%s.kinds[%d]", at, j), "required")
			case !judgedKinds[k]:
				p.add(fmt.Sprintf("%s.kinds[%d]", at, j), "%q is not a kind any rule judges (one of %s)", k, judgedKindList())
			}
		}
		nonEmpty(p, at+".names", e.Names)
		nonEmpty(p, at+".users", e.Users)
		nonEmpty(p, at+".groups", e.Groups)
		if e.Reason == "" {
			p.add(at+".reason", "required: say why the exemption exists (it is recorded with every request it lets through)")
		}
		if len(e.Namespaces)+len(e.Kinds)+len(e.Names)+len(e.Users)+len(e.Groups) == 0 {
			p.add(at, "an exemption needs at least one of namespaces, kinds, names, users, groups")
		}
	}
}

// settings checks the resources, ingress and priority sections.
func (p *problems) settings(s *rules.Settings) {
	nonEmpty(p, "resources.required", s.Resources.Required)
	if s.Resources.FillDefaults && s.Resources.Defaults == nil {
		p.add("resources.defaults", "required when fillDefaults is true")
	}
	for _, name := range slices.Sorted(maps.Keys(s.Resources.Defaults)) {
		path := fmt.Sprintf("resources.defaults[%s]", name)
		if name == "" {
			p.add(path, "required: a resource name")
			continue
		}
		q := s.Resources.Defaults[name]
		if _, err := resource.ParseQuantity(q); err != nil {
			p.add(path, "%q is not a Kubernetes quantity", q)
		}
	}
	nonEmpty(p, "ingress.wildcardHostNamespaces", s.Ingress.WildcardHostNamespaces)
	for i, sh := range s.Ingress.SharedHosts {
		at := fmt.Sprintf("ingress.sharedHosts[%d]", i)
		p.atLeastOne(at+".hosts", sh.Hosts)
		p.atLeastOne(at+".namespaces", sh.Namespaces)
	}
	nonEmpty(p, "priority.addonNamespaces", s.Priority.AddonNamespaces)
	nonEmpty(p, "priority.criticalClasses", s.Priority.CriticalClasses)
}
