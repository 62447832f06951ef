package policy

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

func ownedPod(apiVersion, kind string, controller bool) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "shop", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: apiVersion, Kind: kind, Name: "owner", UID: "u", Controller: &controller},
	}}}
}

// TestDerivedFrom: a copy is derived from its owner only when the
// controller of that owner kind sends it (issue 9.6); an ownerReference
// alone proves nothing.
func TestDerivedFrom(t *testing.T) {
	const (
		rsController = "system:serviceaccount:kube-system:replicaset-controller"
		dsController = "system:serviceaccount:kube-system:daemon-set-controller"
		kcm          = "system:kube-controller-manager"
	)
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "u", Controller: ptr(true)},
	}}}
	for _, tc := range []struct {
		name string
		user string
		obj  runtime.Object
		want string // owner kind, "" for none
	}{
		{"replicaset controller, ReplicaSet pod", rsController, ownedPod("apps/v1", "ReplicaSet", true), "ReplicaSet"},
		{"daemonset controller, DaemonSet pod", dsController, ownedPod("apps/v1", "DaemonSet", true), "DaemonSet"},
		{"kube-controller-manager, any judged owner", kcm, ownedPod("batch/v1", "Job", true), "Job"},
		{"deployment controller, ReplicaSet", "system:serviceaccount:kube-system:deployment-controller", rs, "Deployment"},
		{"tenant, forged ReplicaSet owner", "alice", ownedPod("apps/v1", "ReplicaSet", true), ""},
		{"tenant, own ConfigMap as controller", "alice", ownedPod("v1", "ConfigMap", true), ""},
		{"controller, ConfigMap owner", kcm, ownedPod("v1", "ConfigMap", true), ""},
		{"replicaset controller, DaemonSet owner", rsController, ownedPod("apps/v1", "DaemonSet", true), ""},
		{"replicaset controller, owner of another group", rsController, ownedPod("example.com/v1", "ReplicaSet", true), ""},
		{"replicaset controller, not the controller reference", rsController, ownedPod("apps/v1", "ReplicaSet", false), ""},
		{"replicaset controller, no owner", rsController, &corev1.Pod{}, ""},
		{"custom controller", "system:serviceaccount:tekton:controller", ownedPod("tekton.dev/v1", "TaskRun", true), ""},
		{"nil pod", rsController, (*corev1.Pod)(nil), ""},
		{"nil object", rsController, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			who := Requester{User: tc.user}
			owner, ok := who.DerivedFrom(tc.obj)
			if ok != (tc.want != "") || owner.Kind != tc.want {
				t.Errorf("DerivedFrom = %+v, %v; want %q", owner, ok, tc.want)
			}
			if got := who.Origin(tc.obj).Controller; got != tc.want {
				t.Errorf("Origin.Controller = %q, want %q", got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestOriginMirror: only a node's pods are mirror pods (issue 9.8).
func TestOriginMirror(t *testing.T) {
	mirror := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "etcd-n1", Namespace: "kube-system",
		Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "x"}}}
	plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "etcd-n1", Namespace: "kube-system"}}
	node := Requester{User: "system:node:n1", Groups: []string{"system:nodes", "system:authenticated"}}
	for _, tc := range []struct {
		name string
		who  Requester
		obj  runtime.Object
		want bool
	}{
		{"node, annotated", node, mirror, true},
		{"node, not annotated", node, plain, false},
		{"tenant, annotated", Requester{User: "alice", Groups: []string{"system:authenticated"}}, mirror, false},
		{"node name without the nodes group", Requester{User: "system:node:n1"}, mirror, false},
		{"nodes group with another name", Requester{User: "alice", Groups: []string{"system:nodes"}}, mirror, false},
		{"the CLI", Requester{}, mirror, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.who.Origin(tc.obj).Mirror; got != tc.want {
				t.Errorf("Origin.Mirror = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEvaluateUnwaivable: an exemption silences namespace-mode-label's
// lowering findings but an invalid value still comes back, as a warning
// (issue 10); a rule configured off stays off.
func TestEvaluateUnwaivable(t *testing.T) {
	ns := func(labels map[string]string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Labels: labels}}
	}
	masters := Requester{User: "root", Groups: []string{"system:masters"}}
	alice := Requester{User: "alice"}
	type want struct{ severity, field string }
	for _, tc := range []struct {
		name     string
		cfg      *config.Config
		who      Requester
		old, cur map[string]string
		want     []want
	}{
		{"tenant: invalid value denied", config.Default(), alice, nil, map[string]string{rules.ModeLabel: "enforced"},
			[]want{{"deny", "metadata.labels[guardrails.dev/mode]"}}},
		{"exempt admin: invalid value warned", config.Default(), masters, nil, map[string]string{rules.ModeLabel: "enforced"},
			[]want{{"warn", "metadata.labels[guardrails.dev/mode]"}}},
		{"exempt admin: invalid failure policy warned", config.Default(), masters, nil, map[string]string{rules.ModeLabel: "enforce", rules.FailurePolicyLabel: "Ignore"},
			[]want{{"warn", "metadata.labels[guardrails.dev/failure-policy]"}}},
		{"exempt admin: lowering silent", config.Default(), masters, map[string]string{rules.ModeLabel: "enforce"}, map[string]string{rules.ModeLabel: "warn"}, nil},
		{"exempt admin: removing silent", config.Default(), masters, map[string]string{rules.ModeLabel: "enforce"}, map[string]string{}, nil},
		{"rule off: silent", withRule(t, "namespace-mode-label", rules.ActionOff), alice, nil, map[string]string{rules.ModeLabel: "enforced"}, nil},
		{"rule audit, exempt admin: audit", withRule(t, "namespace-mode-label", rules.ActionAudit), masters, nil, map[string]string{rules.ModeLabel: "enforced"},
			[]want{{"audit", "metadata.labels[guardrails.dev/mode]"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(tc.cfg)
			cur := ns(tc.cur)
			in := &rules.Input{Object: cur, Ref: rules.RefOf(cur, "v1", "Namespace")}
			if tc.old != nil {
				in.Old = ns(tc.old)
			}
			res, err := p.Evaluate(in, tc.who)
			if err != nil {
				t.Fatal(err)
			}
			var got []want
			for _, f := range res.Findings {
				got = append(got, want{string(f.Severity), f.Field})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("findings %+v, want %+v", res.Findings, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("finding %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// withRule returns the default configuration with one rule's action set.
func withRule(t *testing.T, id string, action rules.Action) *config.Config {
	t.Helper()
	c := config.Default()
	rc := c.Rules[id]
	rc.Action = action
	if c.Rules == nil {
		c.Rules = map[string]config.RuleConfig{}
	}
	c.Rules[id] = rc
	return c
}
