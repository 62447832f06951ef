package vap

import (
	"strings"
	"time"

	"github.com/guardrails-dev/guardrails/internal/config"
)

// exemptions returns the CEL condition that matches a request exempted
// from rule by cfg (the exemptions of every rule and the rule's own), or
// "" when there are none. It reads what internal/policy matches on: the
// object's namespace, kind and name (generateName, else the request's
// name, when the object has none; a Namespace object has no namespace) and
// the requester's user name and groups. CEL in the API server has no
// clock: exemptions expired when the policies are generated are left out,
// the others stay until the policies are generated again.
func exemptions(cfg *config.Config, rule string, namespaceKind bool) string {
	now := time.Now()
	es := append([]config.Exemption(nil), cfg.Exemptions...)
	if rc, ok := cfg.Rules[rule]; ok {
		es = append(es, rc.Exemptions...)
	}
	ns := "request.namespace"
	if namespaceKind {
		ns = "''"
	}
	const name = "(has(object.metadata.name) && object.metadata.name != '' ? object.metadata.name : " +
		"(has(object.metadata.generateName) && object.metadata.generateName != '' ? object.metadata.generateName : request.name))"
	var alts []string
	for _, e := range es {
		if e.Expired(now) {
			continue
		}
		var all []string
		if len(e.Namespaces) > 0 {
			all = append(all, patterns(ns, e.Namespaces))
		}
		if len(e.Kinds) > 0 {
			all = append(all, "request.kind.kind in "+strList(e.Kinds))
		}
		if len(e.Names) > 0 {
			all = append(all, patterns(name, e.Names))
		}
		if len(e.Users) > 0 {
			all = append(all, "request.userInfo.username in "+strList(e.Users))
		}
		if len(e.Groups) > 0 {
			all = append(all, "has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in "+strList(e.Groups)+")")
		}
		if len(all) == 0 {
			continue // an empty exemption exempts nothing
		}
		alts = append(alts, and(all...))
	}
	if len(alts) == 0 {
		return ""
	}
	return or(alts...)
}

// patterns matches expr against exemption patterns: exact values, or
// prefixes where a value ends in "*".
func patterns(expr string, ps []string) string {
	var exact, conds []string
	for _, p := range ps {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			conds = append(conds, expr+".startsWith("+str(prefix)+")")
		} else {
			exact = append(exact, p)
		}
	}
	if len(exact) > 0 {
		conds = append([]string{expr + " in " + strList(exact)}, conds...)
	}
	return or(conds...)
}
