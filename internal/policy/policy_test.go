package policy

import (
	"testing"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

func TestAction(t *testing.T) {
	cfg, err := config.Parse([]byte(`apiVersion: guardrails.dev/v1alpha1
kind: Config
clusterMode: enforce
exemptions:
- users: ["system:apiserver"]
- namespaces: ["kube-*"]
  names: ["coredns"]
rules:
  ingress-tls: {action: deny}
  resources-requests:
    action: warn
    exemptions:
    - groups: [platform]
      namespaces: [batch]
  namespace-mode-label:
    exemptions:
    - groups: ["system:masters"]
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	p := New(cfg)
	get := func(id string) *rules.Rule {
		r, ok := rules.Lookup(id)
		if !ok {
			t.Fatalf("no rule %s", id)
		}
		return r
	}
	alice := Requester{User: "alice", Groups: []string{"dev"}}
	ops := Requester{User: "bob", Groups: []string{"platform"}}
	for _, tc := range []struct {
		name string
		rule string
		ref  rules.ObjectRef
		who  Requester
		want rules.Action
	}{
		{"default", "rbac-cluster-admin", rules.ObjectRef{Name: "x"}, alice, rules.ActionDeny},
		{"override", "ingress-tls", rules.ObjectRef{Namespace: "a", Name: "x"}, alice, rules.ActionDeny},
		{"override to warn", "resources-requests", rules.ObjectRef{Namespace: "a", Name: "x"}, alice, rules.ActionWarn},
		{"api server exempt everywhere", "rbac-cluster-admin", rules.ObjectRef{Name: "cluster-admin"}, Requester{User: "system:apiserver"}, rules.ActionOff},
		{"namespace prefix + name", "resources-requests", rules.ObjectRef{Namespace: "kube-system", Name: "coredns"}, alice, rules.ActionOff},
		{"namespace prefix, other name", "resources-requests", rules.ObjectRef{Namespace: "kube-system", Name: "other"}, alice, rules.ActionWarn},
		{"rule exemption needs group and namespace", "resources-requests", rules.ObjectRef{Namespace: "batch", Name: "x"}, ops, rules.ActionOff},
		{"rule exemption, wrong namespace", "resources-requests", rules.ObjectRef{Namespace: "web", Name: "x"}, ops, rules.ActionWarn},
		{"rule exemption, wrong group", "resources-requests", rules.ObjectRef{Namespace: "batch", Name: "x"}, alice, rules.ActionWarn},
		{"rule exemption only for its rule", "ingress-tls", rules.ObjectRef{Namespace: "batch", Name: "x"}, ops, rules.ActionDeny},
		{"masters may lower the mode", "namespace-mode-label", rules.ObjectRef{Name: "team-a"}, Requester{User: "root", Groups: []string{"system:masters"}}, rules.ActionOff},
		{"tenant may not", "namespace-mode-label", rules.ObjectRef{Name: "team-a"}, alice, rules.ActionDeny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Action(get(tc.rule), tc.ref, tc.who); got != tc.want {
				t.Errorf("Action = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEmptyExemptionExemptsNothing(t *testing.T) {
	if match(&config.Exemption{Reason: "oops"}, rules.ObjectRef{Name: "x"}, Requester{User: "u"}) {
		t.Error("an exemption with no criteria matched")
	}
}

func TestBuiltinController(t *testing.T) {
	for user, want := range map[string]bool{
		"system:serviceaccount:kube-system:replicaset-controller": true,
		"system:serviceaccount:kube-system:deployment-controller": true,
		"system:serviceaccount:kube-system:cronjob-controller":    true,
		"system:kube-controller-manager":                          true,
		"system:serviceaccount:kube-system:some-operator":         false,
		"system:serviceaccount:team-a:replicaset-controller":      false,
		"alice": false,
	} {
		if got := (Requester{User: user}).BuiltinController(); got != want {
			t.Errorf("BuiltinController(%q) = %v, want %v", user, got, want)
		}
	}
}
