package policy

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

func TestAction(t *testing.T) {
	cfg, err := config.Parse([]byte(`apiVersion: guardrails.dev/v1alpha1
kind: Config
clusterMode: enforce
exemptions:
- users: ["system:apiserver"]
  reason: the API server
- namespaces: ["kube-*"]
  names: ["coredns"]
  reason: CoreDNS sizes itself
- namespaces: [legacy]
  kinds: [CronJob]
  names: ["report-*"]
  reason: the reports are rewritten next quarter
- namespaces: [old]
  reason: expired
  expires: 2020-01-01
- namespaces: [soon]
  reason: until noon
  expires: "2030-06-01T12:00:00Z"
rules:
  ingress-tls: {action: deny}
  resources-requests:
    action: warn
    exemptions:
    - groups: [platform]
      namespaces: [batch]
      reason: platform batch jobs
  namespace-mode-label:
    exemptions:
    - groups: ["system:masters"]
      reason: admins
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	p := New(cfg).WithClock(func() time.Time { return time.Date(2030, 6, 1, 11, 59, 0, 0, time.UTC) })
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
		{"kind + name + namespace", "resources-requests", rules.ObjectRef{Kind: "CronJob", Namespace: "legacy", Name: "report-daily"}, alice, rules.ActionOff},
		{"other kind", "resources-requests", rules.ObjectRef{Kind: "Deployment", Namespace: "legacy", Name: "report-daily"}, alice, rules.ActionWarn},
		{"kind, other name", "resources-requests", rules.ObjectRef{Kind: "CronJob", Namespace: "legacy", Name: "web"}, alice, rules.ActionWarn},
		{"expired exemption ignored", "resources-requests", rules.ObjectRef{Kind: "Pod", Namespace: "old", Name: "x"}, alice, rules.ActionWarn},
		{"not expired yet", "resources-requests", rules.ObjectRef{Kind: "Pod", Namespace: "soon", Name: "x"}, alice, rules.ActionOff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Action(get(tc.rule), tc.ref, tc.who); got != tc.want {
				t.Errorf("Action = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecideNamesTheExemption(t *testing.T) {
	cfg, err := config.Parse([]byte(`apiVersion: guardrails.dev/v1alpha1
kind: Config
clusterMode: enforce
exemptions:
- users: ["system:apiserver"]
  reason: the API server
rules:
  resources-requests:
    exemptions:
    - namespaces: [batch]
      reason: batch jobs size themselves
    - groups: [platform]
      reason: platform team
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	p := New(cfg)
	rr, _ := rules.Lookup("resources-requests")
	for _, tc := range []struct {
		name   string
		ref    rules.ObjectRef
		who    Requester
		wantID string
		reason string
	}{
		{"global", rules.ObjectRef{Namespace: "batch"}, Requester{User: "system:apiserver"}, "exemptions[0]", "the API server"},
		{"rule's first", rules.ObjectRef{Namespace: "batch"}, Requester{User: "alice"}, "rules.resources-requests.exemptions[0]", "batch jobs size themselves"},
		{"rule's second", rules.ObjectRef{Namespace: "web"}, Requester{User: "bob", Groups: []string{"platform"}}, "rules.resources-requests.exemptions[1]", "platform team"},
		{"none", rules.ObjectRef{Namespace: "web"}, Requester{User: "alice"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Decide(rr, tc.ref, tc.who)
			if tc.wantID == "" {
				if d.Exemption != nil || d.Action != rules.ActionDeny {
					t.Errorf("Decide = %+v, want deny without exemption", d)
				}
				return
			}
			if d.Action != rules.ActionOff || d.Exemption == nil || d.Exemption.ID != tc.wantID || d.Exemption.Reason != tc.reason {
				t.Errorf("Decide = %+v (exemption %+v), want off by %s (%q)", d, d.Exemption, tc.wantID, tc.reason)
			}
		})
	}
}

// TestEvaluateReportsExemptions: Evaluate lists the rules an exemption
// turned off, and only rules that judge the kind.
func TestEvaluateReportsExemptions(t *testing.T) {
	cfg, err := config.Parse([]byte(`apiVersion: guardrails.dev/v1alpha1
kind: Config
clusterMode: enforce
rules:
  resources-requests:
    exemptions:
    - namespaces: [batch]
      reason: batch
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	p := New(cfg)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "batch"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}
	res, err := p.Evaluate(&rules.Input{Object: pod, Ref: rules.RefOf(pod, "v1", "Pod")}, Requester{User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Exempted) != 1 || res.Exempted[0].Rule != "resources-requests" || res.Exempted[0].Exemption.ID != "rules.resources-requests.exemptions[0]" {
		t.Errorf("Exempted = %+v, want resources-requests by rules.resources-requests.exemptions[0]", res.Exempted)
	}
	for _, f := range res.Findings {
		if f.Rule == "resources-requests" {
			t.Errorf("exempted rule reported %+v", f)
		}
	}
}

func TestRulesFor(t *testing.T) {
	p := New(config.Default())
	ids := func(rs []*rules.Rule) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(p.RulesFor(schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"})); !slices.Equal(got, []string{"rbac-cluster-admin", "rbac-broad-subject"}) {
		t.Errorf("RulesFor(ClusterRoleBinding) = %v", got)
	}
	if p.Judges(schema.GroupKind{Kind: "ConfigMap"}) {
		t.Error("ConfigMaps are judged")
	}
	for _, r := range rules.Catalogue() {
		for _, gk := range r.Kinds {
			if !slices.Contains(p.RulesFor(gk), r) {
				t.Errorf("RulesFor(%v) lacks %s", gk, r.ID)
			}
		}
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
