package audit_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/guardrails-dev/guardrails/internal/audit"
	"github.com/guardrails-dev/guardrails/internal/clustercache"
	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/metrics"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

func ns(name, mode string) *corev1.Namespace {
	n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if mode != "" {
		n.Labels = map[string]string{rules.ModeLabel: mode}
	}
	return n
}

func podSpec(requests bool) corev1.PodSpec {
	c := corev1.Container{Name: "app", Image: "registry.example/app:1"}
	if requests {
		c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}
	}
	return corev1.PodSpec{Containers: []corev1.Container{c}}
}

func deployment(ns, name string, requests bool) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + ns + "-" + name)},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: podSpec(requests)}}}
}

func ownedBy(m *metav1.ObjectMeta, apiVersion, kind, name string, uid types.UID) {
	yes := true
	m.OwnerReferences = []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: &yes}}
}

func adminBinding(ns string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ops-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "ops"}}}
}

// cluster is the test cluster: shop in enforce, legacy in audit, plain
// unlabelled; a Deployment with its ReplicaSet and Pod, bare Pods, a
// cluster-admin binding.
func cluster(t *testing.T) (*audit.Auditor, *policy.Policy) {
	t.Helper()
	a, pol, _ := clusterWithClient(t)
	return a, pol
}

func clusterWithClient(t *testing.T) (*audit.Auditor, *policy.Policy, *fake.Clientset) {
	t.Helper()
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-5d8f", UID: "uid-rs"}, Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{Spec: podSpec(false)}}}
	ownedBy(&rs.ObjectMeta, "apps/v1", "Deployment", "web", "uid-shop-web")
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-5d8f-x2"}, Spec: podSpec(false)}
	ownedBy(&pod.ObjectMeta, "apps/v1", "ReplicaSet", "web-5d8f", "uid-rs")
	// A Pod of a custom controller is judged as itself, and so is one
	// whose owner does not exist (an ownerReference written by hand).
	custom := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "operand-0"}, Spec: podSpec(false)}
	ownedBy(&custom.ObjectMeta, "example.com/v1", "Database", "db", "uid-db")
	forged := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "forged"}, Spec: podSpec(false)}
	ownedBy(&forged.ObjectMeta, "apps/v1", "ReplicaSet", "web-5d8f", "uid-not-there")
	namespaces := []runtime.Object{ns("shop", "enforce"), ns("legacy", "audit"), ns("plain", ""), ns("kube-system", "")}
	objs := append([]runtime.Object{
		deployment("shop", "web", false),
		deployment("shop", "api", true),
		rs, pod, custom, forged,
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "bare"}, Spec: podSpec(false)},
		deployment("legacy", "old", false),
		deployment("plain", "x", false),
		// Bootstrap RBAC the API server maintains: never reported.
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "system:cluster-trust-bundle-discovery", Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:cluster-trust-bundle-discovery"},
			Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:serviceaccounts"}}},
		// Roles and RoleBindings guard the cluster: judged in the
		// stricter of their namespace's mode and clusterMode
		// (policy.ModeFor), as the webhook does; not judged where the
		// namespace has no mode (the webhook is not called there).
		adminBinding("plain"), adminBinding("legacy"),
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ops-admin"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "ops"}}},
	}, namespaces...)
	state, err := clustercache.NewStatic(clustercache.Options{}, namespaces...)
	if err != nil {
		t.Fatal(err)
	}
	client := fake.NewClientset(objs...)
	return audit.New(client, state), policy.New(config.Default()), client
}

// line is "Kind ns/name rule:severity ...", sorted by rule.
func line(o *audit.Object) string {
	var fs []string
	for _, f := range o.Findings {
		s := f.Rule + ":" + string(f.Severity)
		if !slices.Contains(fs, s) {
			fs = append(fs, s)
		}
	}
	sort.Strings(fs)
	return fmt.Sprintf("%s %s/%s %s", o.Ref.Kind, o.Ref.Namespace, o.Ref.Name, strings.Join(fs, " "))
}

func run(t *testing.T, a *audit.Auditor, pol *policy.Policy, o audit.Options) ([]string, audit.Stats) {
	t.Helper()
	var got []string
	st, err := a.Run(context.Background(), pol, o, func(ob *audit.Object) error {
		if ob.Err != nil {
			t.Errorf("%s: %v", line(ob), ob.Err)
		}
		if len(ob.Findings) > 0 {
			got = append(got, line(ob))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Failed) > 0 {
		t.Fatalf("failed kinds: %v", st.Failed)
	}
	return got, st
}

func TestRun(t *testing.T) {
	a, pol := cluster(t)
	for _, tc := range []struct {
		name string
		o    audit.Options
		want []string
		// owned, unserved
		owned, unserved int
	}{
		{"each namespace in its mode", audit.Options{}, []string{
			"ClusterRoleBinding /ops-admin rbac-cluster-admin:deny",
			"Deployment legacy/old resources-requests:audit",
			"Deployment shop/web resources-requests:deny",
			"Pod shop/bare resources-requests:deny",
			"Pod shop/forged resources-requests:deny",
			"Pod shop/operand-0 resources-requests:deny",
			"RoleBinding legacy/ops-admin rbac-cluster-admin:deny",
		}, 2, 2},
		{"assume enforce reports more", audit.Options{AssumeMode: rules.ModeEnforce}, []string{
			"ClusterRoleBinding /ops-admin rbac-cluster-admin:deny",
			"Deployment legacy/old resources-requests:deny",
			"Deployment plain/x resources-requests:deny",
			"Deployment shop/web resources-requests:deny",
			"Pod shop/bare resources-requests:deny",
			"Pod shop/forged resources-requests:deny",
			"Pod shop/operand-0 resources-requests:deny",
			"RoleBinding legacy/ops-admin rbac-cluster-admin:deny",
			"RoleBinding plain/ops-admin rbac-cluster-admin:deny",
		}, 2, 0},
		{"assume warn", audit.Options{AssumeMode: rules.ModeWarn, Namespace: "plain"}, []string{
			"Deployment plain/x resources-requests:warn",
			"RoleBinding plain/ops-admin rbac-cluster-admin:warn", // the assumed mode stands for clusterMode too
		}, 0, 0},
		{"one namespace leaves cluster-scoped kinds out", audit.Options{Namespace: "shop"}, []string{
			"Deployment shop/web resources-requests:deny",
			"Pod shop/bare resources-requests:deny",
			"Pod shop/forged resources-requests:deny",
			"Pod shop/operand-0 resources-requests:deny",
		}, 2, 0},
		{"pods alone are judged as themselves", audit.Options{Namespace: "shop", Kinds: []schema.GroupKind{{Kind: "Pod"}}}, []string{
			"Pod shop/bare resources-requests:deny",
			"Pod shop/forged resources-requests:deny",
			"Pod shop/operand-0 resources-requests:deny",
			"Pod shop/web-5d8f-x2 resources-requests:deny",
		}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, st := run(t, a, pol, tc.o)
			sort.Strings(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if st.Owned != tc.owned || st.Unserved != tc.unserved {
				t.Errorf("owned %d, unserved %d; want %d, %d", st.Owned, st.Unserved, tc.owned, tc.unserved)
			}
			if wantBootstrap := map[bool]int{true: 0, false: 1}[tc.o.Namespace != ""]; st.Bootstrap != wantBootstrap {
				t.Errorf("bootstrap objects skipped: %d, want %d", st.Bootstrap, wantBootstrap)
			}
		})
	}
}

func TestRunHonoursExemptions(t *testing.T) {
	a, _ := cluster(t)
	cfg, err := config.Parse([]byte(`apiVersion: guardrails.dev/v1alpha1
kind: Config
clusterMode: enforce
exemptions:
- namespaces: [shop]
  kinds: [Pod]
  reason: pods are rebuilt next sprint
`), "t")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := run(t, a, policy.New(cfg), audit.Options{Namespace: "shop"})
	if want := []string{"Deployment shop/web resources-requests:deny"}; !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
}

func TestTally(t *testing.T) {
	a, pol := cluster(t)
	tally := audit.NewTally(1)
	if _, err := a.Run(context.Background(), pol, audit.Options{}, func(o *audit.Object) error { tally.Add(o); return nil }); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range tally.Namespaces() {
		got = append(got, fmt.Sprintf("%q %s objects=%d clean=%d deny=%d audit=%d kept=%d dropped=%d failing-deny-rules=%d",
			n.Namespace, n.Mode, n.Objects, n.Clean, n.Count(rules.ActionDeny), n.Count(rules.ActionAudit), len(n.Results), n.Dropped, n.ByAction[rules.ActionDeny]))
	}
	// Cluster-scoped: the ClusterRoleBinding and the four Namespaces
	// (and the bootstrap-free fake has no ClusterRoles).
	want := []string{
		`"" enforce objects=5 clean=4 deny=1 audit=0 kept=1 dropped=0 failing-deny-rules=1`,
		`"legacy" audit objects=2 clean=0 deny=1 audit=2 kept=1 dropped=1 failing-deny-rules=3`,
		`"shop" enforce objects=5 clean=1 deny=8 audit=0 kept=1 dropped=3 failing-deny-rules=8`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("tally:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestPreview(t *testing.T) {
	a, pol := cluster(t)
	p := a.Preview(context.Background(), pol, "legacy", rules.ModeEnforce, audit.PreviewOptions{PerKind: 10, MaxDenied: 5})
	if p.Total != 2 || len(p.Denied) != 2 || p.Cut || len(p.Failed) > 0 {
		t.Fatalf("preview %+v, want two objects", p)
	}
	if d := p.Denied[0]; d.Ref.Kind != "RoleBinding" || d.Ref.Name != "ops-admin" || !slices.Equal(d.Rules, []string{"rbac-cluster-admin"}) {
		t.Errorf("denied[0] %+v", d)
	}
	if d := p.Denied[1]; d.Ref.Kind != "Deployment" || d.Ref.Name != "old" || !slices.Equal(d.Rules, []string{"resources-requests"}) {
		t.Errorf("denied[1] %+v", d)
	}
	p = a.Preview(context.Background(), pol, "shop", rules.ModeEnforce, audit.PreviewOptions{PerKind: 10, MaxDenied: 2})
	if p.Total != 4 || len(p.Denied) != 2 {
		t.Errorf("shop: total %d, %d listed; want 4 (web, bare, forged, operand-0; the ReplicaSet and its Pod are the Deployment's), 2 listed", p.Total, len(p.Denied))
	}
}

// TestPreviewStaysInItsNamespace: the preview answers whoever may change
// a Namespace's labels: it lists that namespace only, and names only its
// objects, whatever the rest of the cluster holds.
func TestPreviewStaysInItsNamespace(t *testing.T) {
	for _, target := range []string{"legacy", "plain", "shop"} {
		a, pol, client := clusterWithClient(t)
		p := a.Preview(context.Background(), pol, target, rules.ModeEnforce, audit.PreviewOptions{PerKind: 10, MaxDenied: 30})
		if p.Total == 0 {
			t.Errorf("%s: nothing would be denied", target)
		}
		for _, d := range p.Denied {
			if d.Ref.Namespace != target {
				t.Errorf("the preview of %s names %+v", target, d.Ref)
			}
		}
		for _, act := range client.Actions() {
			if act.GetVerb() == "list" && act.GetNamespace() != target {
				t.Errorf("the preview of %s lists %s in namespace %q", target, act.GetResource().Resource, act.GetNamespace())
			}
		}
	}
}

func TestKindTableCoversCatalogue(t *testing.T) {
	judged := map[schema.GroupKind]bool{}
	for _, r := range rules.Catalogue() {
		for _, gk := range r.Kinds {
			judged[gk] = true
		}
	}
	listed := map[schema.GroupKind]bool{}
	for _, k := range audit.Kinds() {
		listed[k.GroupKind] = true
		if !judged[k.GroupKind] {
			t.Errorf("the audit lists %v, which no rule judges", k.GroupKind)
		}
	}
	for gk := range judged {
		if !listed[gk] {
			t.Errorf("rules judge %v, which the audit does not list", gk)
		}
	}
}

func TestLookupKind(t *testing.T) {
	for in, want := range map[string]string{"Deployment": "Deployment", "deployments": "Deployment", "deployments.apps": "Deployment",
		"pod": "Pod", "clusterrolebindings.rbac.authorization.k8s.io": "ClusterRoleBinding"} {
		k, ok := audit.LookupKind(in)
		if !ok || k.GroupKind.Kind != want {
			t.Errorf("LookupKind(%q) = %v, %v; want %s", in, k.GroupKind, ok, want)
		}
	}
	for _, in := range []string{"ConfigMap", "deploy", ""} {
		if k, ok := audit.LookupKind(in); ok {
			t.Errorf("LookupKind(%q) = %v", in, k.GroupKind)
		}
	}
}

type recordingPublisher struct{ tallies []*audit.Tally }

func (r *recordingPublisher) Publish(_ context.Context, t *audit.Tally, _ time.Time) error {
	r.tallies = append(r.tallies, t)
	return nil
}

func TestBackgroundGauges(t *testing.T) {
	a, pol := cluster(t)
	pub := &recordingPublisher{}
	cur := policy.NewCurrent(pol)
	b := audit.NewBackground(a, cur, audit.BackgroundOptions{Interval: time.Hour, Publisher: pub})
	if err := b.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"resources-requests/shop/deny":    8,
		"resources-requests/legacy/audit": 2,
		"rbac-cluster-admin//deny":        1,
		"rbac-cluster-admin/legacy/deny":  1,
	}
	if got := violations(t); !maps.Equal(got, want) {
		t.Errorf("guardrails_audit_violations = %v, want %v", got, want)
	}
	if testutil.ToFloat64(metrics.AuditLastCompleted) == 0 {
		t.Error("no last completed timestamp")
	}
	if len(pub.tallies) != 1 {
		t.Fatalf("published %d times, want 1", len(pub.tallies))
	}
	// A reload that exempts shop: its series go away at the next audit.
	cfg, err := config.Parse([]byte("apiVersion: guardrails.dev/v1alpha1\nkind: Config\nclusterMode: enforce\nexemptions:\n- namespaces: [shop]\n  reason: r\n"), "t")
	if err != nil {
		t.Fatal(err)
	}
	cur.Store(policy.New(cfg))
	if err := b.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	delete(want, "resources-requests/shop/deny")
	if got := violations(t); !maps.Equal(got, want) {
		t.Errorf("after the reload guardrails_audit_violations = %v, want %v", got, want)
	}
}

type failingPublisher struct{}

func (failingPublisher) Publish(context.Context, *audit.Tally, time.Time) error {
	return errors.New("policyreports.wgpolicyk8s.io is forbidden")
}

// TestBackgroundUnpublished: a run whose PolicyReports cannot be written
// still completed (its gauges are right), and says so in
// guardrails_audit_runs_total{result="unpublished"}, which the reports'
// readers can alert on.
func TestBackgroundUnpublished(t *testing.T) {
	a, pol := cluster(t)
	b := audit.NewBackground(a, policy.NewCurrent(pol), audit.BackgroundOptions{Interval: time.Hour, Publisher: failingPublisher{}})
	unpublished := metrics.AuditRuns.WithLabelValues("unpublished")
	completed := metrics.AuditRuns.WithLabelValues("completed")
	u0, c0 := testutil.ToFloat64(unpublished), testutil.ToFloat64(completed)
	if err := b.RunOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("RunOnce = %v, want the publisher's error", err)
	}
	if got := testutil.ToFloat64(unpublished) - u0; got != 1 {
		t.Errorf("guardrails_audit_runs_total{result=unpublished} moved by %v, want 1", got)
	}
	if got := testutil.ToFloat64(completed) - c0; got != 1 {
		t.Errorf("guardrails_audit_runs_total{result=completed} moved by %v, want 1", got)
	}
}

// TestBackgroundInterval: a replica that runs the background audit
// exports its interval, leader or not (the alert on an audit that stopped
// completing compares the last completion with it).
func TestBackgroundInterval(t *testing.T) {
	a, pol := cluster(t)
	b := audit.NewBackground(a, policy.NewCurrent(pol), audit.BackgroundOptions{
		Interval:    90 * time.Minute,
		WaitForSync: func(context.Context) bool { return false },
	})
	metrics.AuditInterval.Set(0)
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(metrics.AuditInterval); got != 5400 {
		t.Errorf("guardrails_audit_interval_seconds = %v, want 5400", got)
	}
}

// violations reads guardrails_audit_violations as rule/namespace/severity
// -> value.
func violations(t *testing.T) map[string]float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 100)
	metrics.AuditViolations.Collect(ch)
	close(ch)
	out := map[string]float64{}
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			t.Fatal(err)
		}
		l := map[string]string{}
		for _, p := range d.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		out[l["rule"]+"/"+l["namespace"]+"/"+l["severity"]] = d.GetGauge().GetValue()
	}
	return out
}

// TestMirrorPods: a live pod is trusted as a mirror pod only when its
// ownerReference names its Node with that Node's UID (policy.StoredOrigin);
// a tenant's pod that copies the annotation and the node's name is judged
// like any pod, and so is every such claim while Nodes cannot be read,
// which the run reports.
func TestMirrorPods(t *testing.T) {
	yes := true
	mirror := func(name string, uid types.UID) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name,
			Annotations:     map[string]string{corev1.MirrorPodAnnotationKey: "5c1f"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "cp-1", UID: uid, Controller: &yes}}},
			Spec: func() corev1.PodSpec { s := podSpec(false); s.NodeName = "cp-1"; return s }()}
	}
	namespaces := []runtime.Object{ns("shop", "enforce")}
	objs := append([]runtime.Object{
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "cp-1", UID: "uid-cp-1"}},
		mirror("etcd-cp-1", "uid-cp-1"),
		mirror("forged", "guessed"),
	}, namespaces...)
	state, err := clustercache.NewStatic(clustercache.Options{}, namespaces...)
	if err != nil {
		t.Fatal(err)
	}
	pods := audit.Options{Namespace: "shop", Kinds: []schema.GroupKind{{Kind: "Pod"}}}

	client := fake.NewClientset(objs...)
	got, st := run(t, audit.New(client, state), policy.New(config.Default()), pods)
	if want := []string{"Pod shop/forged resources-requests:deny"}; !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
	if st.UnverifiedMirrorPods != 0 || st.NodeLookupErr != nil {
		t.Errorf("unverified %d (%v), want 0", st.UnverifiedMirrorPods, st.NodeLookupErr)
	}
	gets := 0
	for _, a := range client.Actions() {
		if a.GetVerb() == "get" && a.GetResource().Resource == "nodes" {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("%d GETs of nodes, want 1 (one per node a run asks about)", gets)
	}

	forbidden := fake.NewClientset(objs...)
	forbidden.PrependReactor("get", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "cp-1", fmt.Errorf("no"))
	})
	got, st = run(t, audit.New(forbidden, state), policy.New(config.Default()), pods)
	sort.Strings(got)
	if want := []string{"Pod shop/etcd-cp-1 resources-requests:deny", "Pod shop/forged resources-requests:deny"}; !slices.Equal(got, want) {
		t.Errorf("nodes forbidden: findings %q, want %q", got, want)
	}
	if st.UnverifiedMirrorPods != 2 || !apierrors.IsForbidden(st.NodeLookupErr) {
		t.Errorf("nodes forbidden: unverified %d (%v), want 2, forbidden", st.UnverifiedMirrorPods, st.NodeLookupErr)
	}
}

// TestForgedBootstrapLabel: the label of the API server's bootstrap RBAC
// hides nothing a tenant writes: a Deployment or a RoleBinding of its own
// namespace that copies it is judged; only RBAC named and placed as the
// bootstrap policy places it is left out.
func TestForgedBootstrapLabel(t *testing.T) {
	boot := map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}
	d := deployment("shop", "hidden", false)
	d.Labels = boot
	tenantRB := adminBinding("shop")
	tenantRB.Name, tenantRB.Labels = "system:controller:bootstrap-signer", boot
	kubeRB := adminBinding("kube-system")
	kubeRB.Name, kubeRB.Labels = "system:controller:bootstrap-signer", boot
	namespaces := []runtime.Object{ns("shop", "enforce"), ns("kube-system", "enforce")}
	state, err := clustercache.NewStatic(clustercache.Options{}, namespaces...)
	if err != nil {
		t.Fatal(err)
	}
	a := audit.New(fake.NewClientset(append([]runtime.Object{d, tenantRB, kubeRB}, namespaces...)...), state)
	got, st := run(t, a, policy.New(config.Default()), audit.Options{Kinds: []schema.GroupKind{{Group: "apps", Kind: "Deployment"}, {Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}}})
	sort.Strings(got)
	want := []string{"Deployment shop/hidden resources-requests:deny", "RoleBinding shop/system:controller:bootstrap-signer rbac-cluster-admin:deny"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
	if st.Bootstrap != 1 {
		t.Errorf("bootstrap objects left out: %d, want 1 (kube-system's)", st.Bootstrap)
	}
	p := a.Preview(context.Background(), policy.New(config.Default()), "shop", rules.ModeEnforce, audit.PreviewOptions{PerKind: 10, MaxDenied: 10})
	if p.Total != 2 {
		t.Errorf("the preview of shop finds %d objects, want 2 (the label hides nothing): %+v", p.Total, p.Denied)
	}
}
