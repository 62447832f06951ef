package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

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

// mirrorPod is a pod as the kubelet writes a mirror pod on node cp-1
// (UID uid-cp-1), changed by edit.
func mirrorPod(edit func(*corev1.Pod)) *corev1.Pod {
	yes := true
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-cp-1", Namespace: "kube-system",
			Annotations:     map[string]string{corev1.MirrorPodAnnotationKey: "5c1f"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "cp-1", UID: "uid-cp-1", Controller: &yes}}},
		Spec: corev1.PodSpec{NodeName: "cp-1", Containers: []corev1.Container{{Name: "kube-apiserver"}}},
	}
	if edit != nil {
		edit(p)
	}
	return p
}

// TestStoredOrigin: a pod read from the cluster is a mirror pod only with
// all that NodeRestriction demands of a node's pod, and the UID of the
// Node that exists; anything a tenant can write alone is judged like any
// pod.
func TestStoredOrigin(t *testing.T) {
	nodes := func(name string) (types.UID, bool) {
		if name == "cp-1" {
			return "uid-cp-1", true
		}
		return "", false
	}
	no := false
	for _, tc := range []struct {
		name  string
		obj   runtime.Object
		nodes func(string) (types.UID, bool)
		want  bool
	}{
		{"the kubelet's mirror pod", mirrorPod(nil), nodes, true},
		{"the Node cannot be read", mirrorPod(nil), func(string) (types.UID, bool) { return "", false }, false},
		{"no node lookup", mirrorPod(nil), nil, false},
		{"annotation alone", mirrorPod(func(p *corev1.Pod) { p.OwnerReferences = nil }), nodes, false},
		{"no annotation", mirrorPod(func(p *corev1.Pod) { p.Annotations = nil }), nodes, false},
		{"another Node's UID", mirrorPod(func(p *corev1.Pod) { p.OwnerReferences[0].UID = "guessed" }), nodes, false},
		{"a Node that does not exist", mirrorPod(func(p *corev1.Pod) {
			p.OwnerReferences[0].Name, p.Spec.NodeName = "cp-9", "cp-9"
		}), nodes, false},
		{"owner is not the pod's node", mirrorPod(func(p *corev1.Pod) { p.Spec.NodeName = "worker-1" }), nodes, false},
		{"not the controller reference", mirrorPod(func(p *corev1.Pod) { p.OwnerReferences[0].Controller = &no }), nodes, false},
		{"a second owner", mirrorPod(func(p *corev1.Pod) {
			p.OwnerReferences = append(p.OwnerReferences, metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "x", UID: "u"})
		}), nodes, false},
		{"another API version", mirrorPod(func(p *corev1.Pod) { p.OwnerReferences[0].APIVersion = "example.com/v1" }), nodes, false},
		{"not a pod", &appsv1.Deployment{}, nodes, false},
		{"nil pod", (*corev1.Pod)(nil), nodes, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := StoredOrigin(tc.obj, tc.nodes)
			if got.Mirror != tc.want || got.Controller != "" {
				t.Errorf("StoredOrigin = %+v, want Mirror %v", got, tc.want)
			}
		})
	}
}

// TestEvaluateStored: the audit's evaluation trusts a verified mirror pod
// (resources-requests leaves it alone) and no requester: an exemption that
// names a user does not match.
func TestEvaluateStored(t *testing.T) {
	p := New(mustParse(t, "exemptions:\n- users: [alice]\n  reason: r\n"))
	for _, tc := range []struct {
		name   string
		origin rules.Origin
		want   int
	}{
		{"verified mirror pod", rules.Origin{Mirror: true}, 0},
		{"unverified", rules.Origin{}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := mirrorPod(nil)
			res, err := p.EvaluateStored(&rules.Input{Object: pod, Ref: rules.RefOf(pod, "v1", "Pod")}, tc.origin)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range res.Findings {
				if f.Rule == "resources-requests" {
					n++
				}
			}
			if n != tc.want || len(res.Exempted) != 0 {
				t.Errorf("resources-requests findings %d, exempted %+v; want %d findings, none exempted", n, res.Exempted, tc.want)
			}
		})
	}
}

// TestExemptedAndUnwaivable: the two halves of Evaluate together. The
// exemption of system:masters from namespace-mode-label leaves a trail
// (Result.Exempted) whenever it changes the answer: a lowering it lets
// through silently, an invalid value it turns from a denial into a
// warning; a tenant's request and an admin's clean one carry none. An
// unwaivable check that fails is an error, exemption or not.
func TestExemptedAndUnwaivable(t *testing.T) {
	ns := func(labels map[string]string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Labels: labels}}
	}
	masters := Requester{User: "root", Groups: []string{"system:masters"}}
	const byMasters = "rules.namespace-mode-label.exemptions[0]"
	for _, tc := range []struct {
		name               string
		who                Requester
		old, cur           map[string]string
		findings, exempted string
	}{
		{"admin lowers: let through silently", masters, map[string]string{rules.ModeLabel: "enforce"}, map[string]string{rules.ModeLabel: "audit"}, "", byMasters + " 1"},
		{"admin writes an invalid value: a warning", masters, nil, map[string]string{rules.ModeLabel: "Enforce"}, "warn", byMasters + " 1"},
		{"admin lowers to an invalid value: one warning", masters, map[string]string{rules.ModeLabel: "enforce"}, map[string]string{rules.ModeLabel: "Warn"}, "warn", byMasters + " 1"},
		{"admin raises: nothing to let through", masters, map[string]string{rules.ModeLabel: "warn"}, map[string]string{rules.ModeLabel: "enforce"}, "", ""},
		{"tenant lowers: denied, no exemption", Requester{User: "alice"}, map[string]string{rules.ModeLabel: "enforce"}, map[string]string{rules.ModeLabel: "audit"}, "deny", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := ns(tc.cur)
			in := &rules.Input{Object: cur, Ref: rules.RefOf(cur, "v1", "Namespace")}
			if tc.old != nil {
				in.Old = ns(tc.old)
			}
			res, err := New(config.Default()).Evaluate(in, tc.who)
			if err != nil {
				t.Fatal(err)
			}
			var fs, xs []string
			for _, f := range res.Findings {
				fs = append(fs, string(f.Severity))
			}
			for _, x := range res.Exempted {
				xs = append(xs, fmt.Sprintf("%s %d", x.Exemption.ID, x.Findings))
			}
			if got := strings.Join(fs, ","); got != tc.findings {
				t.Errorf("findings %q, want %q (%+v)", got, tc.findings, res.Findings)
			}
			if got := strings.Join(xs, ","); got != tc.exempted {
				t.Errorf("exempted %q, want %q", got, tc.exempted)
			}
		})
	}

	r, ok := rules.Lookup("namespace-mode-label")
	if !ok {
		t.Fatal("no rule namespace-mode-label")
	}
	boom := *r
	boom.Unwaivable = func(*rules.Input) []rules.Violation { panic("bug") }
	cur := ns(map[string]string{rules.ModeLabel: "enforce"})
	_, err := New(config.Default(), &boom).Evaluate(&rules.Input{Object: cur, Ref: rules.RefOf(cur, "v1", "Namespace")}, masters)
	var pe *rules.PanicError
	if !errors.As(err, &pe) {
		t.Errorf("a panicking unwaivable check of an exempted rule: err %v, want a *rules.PanicError", err)
	}
}
