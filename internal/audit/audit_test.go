package audit_test

import (
	"context"
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
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

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

// cluster is the test cluster: shop in enforce, legacy in audit, plain
// unlabelled; a Deployment with its ReplicaSet and Pod, bare Pods, a
// cluster-admin binding.
func cluster(t *testing.T) (*audit.Auditor, *policy.Policy) {
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
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ops-admin"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "ops"}}},
	}, namespaces...)
	state, err := clustercache.NewStatic(clustercache.Options{}, namespaces...)
	if err != nil {
		t.Fatal(err)
	}
	return audit.New(fake.NewClientset(objs...), state), policy.New(config.Default())
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
		}, 2, 1},
		{"assume enforce reports more", audit.Options{AssumeMode: rules.ModeEnforce}, []string{
			"ClusterRoleBinding /ops-admin rbac-cluster-admin:deny",
			"Deployment legacy/old resources-requests:deny",
			"Deployment plain/x resources-requests:deny",
			"Deployment shop/web resources-requests:deny",
			"Pod shop/bare resources-requests:deny",
			"Pod shop/forged resources-requests:deny",
			"Pod shop/operand-0 resources-requests:deny",
		}, 2, 0},
		{"assume warn", audit.Options{AssumeMode: rules.ModeWarn, Namespace: "plain"}, []string{
			"Deployment plain/x resources-requests:warn",
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
		`"legacy" audit objects=1 clean=0 deny=0 audit=2 kept=1 dropped=0 failing-deny-rules=2`,
		`"shop" enforce objects=5 clean=1 deny=8 audit=0 kept=1 dropped=3 failing-deny-rules=8`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("tally:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestPreview(t *testing.T) {
	a, pol := cluster(t)
	p := a.Preview(context.Background(), pol, "legacy", rules.ModeEnforce, audit.PreviewOptions{PerKind: 10, MaxDenied: 5})
	if p.Total != 1 || len(p.Denied) != 1 || p.Cut || len(p.Failed) > 0 {
		t.Fatalf("preview %+v, want one object", p)
	}
	if d := p.Denied[0]; d.Ref.Kind != "Deployment" || d.Ref.Name != "old" || !slices.Equal(d.Rules, []string{"resources-requests"}) {
		t.Errorf("denied %+v", d)
	}
	p = a.Preview(context.Background(), pol, "shop", rules.ModeEnforce, audit.PreviewOptions{PerKind: 10, MaxDenied: 2})
	if p.Total != 4 || len(p.Denied) != 2 {
		t.Errorf("shop: total %d, %d listed; want 4 (web, bare, forged, operand-0; the ReplicaSet and its Pod are the Deployment's), 2 listed", p.Total, len(p.Denied))
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
