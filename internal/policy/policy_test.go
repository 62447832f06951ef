package policy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

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

func TestControllerCopiesAreWarnedNotDenied(t *testing.T) {
	p := New(config.Default())
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-abc12", Namespace: "shop",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-abc", UID: "1", Controller: ptr.To(true)}},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
	}
	ref := rules.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "web-abc12"}
	for _, tc := range []struct {
		name string
		who  Requester
		want rules.Severity
	}{
		{"replicaset controller", Requester{User: "system:serviceaccount:kube-system:replicaset-controller"}, rules.ActionWarn},
		{"controller manager", Requester{User: "system:kube-controller-manager"}, rules.ActionWarn},
		{"tenant forging an owner", Requester{User: "alice"}, rules.ActionDeny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := p.Evaluate(&rules.Input{Object: pod, Ref: ref}, tc.who)
			if err != nil {
				t.Fatal(err)
			}
			var got []rules.Finding
			for _, f := range fs {
				if f.Rule == "resources-requests" {
					got = append(got, f)
				}
			}
			if len(got) != 2 {
				t.Fatalf("want 2 resources-requests findings, got %+v", fs)
			}
			for _, f := range got {
				if f.Severity != tc.want {
					t.Errorf("%s: severity %s, want %s", f.Message, f.Severity, tc.want)
				}
			}
		})
	}
}
