package deployrender

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/guardrails-dev/guardrails/internal/audit"
	"github.com/guardrails-dev/guardrails/internal/policyreport"
)

// grants flattens rules into "group/resource:verb[:name]" strings, sorted.
func grants(rs []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rs {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					if len(r.ResourceNames) == 0 {
						out = append(out, g+"/"+res+":"+v)
					}
					for _, n := range r.ResourceNames {
						out = append(out, g+"/"+res+":"+v+":"+n)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestAuditComponents: the audit, preview and policy-reports components
// (kustomize and the chart's values) grant exactly what the code lists
// and writes, turn the audit on, and ship the PolicyReport CRDs; the
// base install grants none of it.
func TestAuditComponents(t *testing.T) {
	n := 0
	for _, r := range installs(t) {
		if !r.audit {
			continue
		}
		n++
		t.Run(r.name, func(t *testing.T) { checkAudit(t, r) })
	}
	if n == 0 {
		t.Fatal("no install with the audit component")
	}
}

func checkAudit(t *testing.T, r *rendered) {
	auditRole := mustFind(t, r, "ClusterRole", "guardrails-audit", &rbacv1.ClusterRole{})
	if got, want := grants(auditRole.Rules), grants(audit.RBACRules()); !slices.Equal(got, want) {
		t.Errorf("ClusterRole guardrails-audit grants\n  %v\nwant (audit.RBACRules)\n  %v", got, want)
	}
	for _, g := range grants(audit.PreviewRBACRules()) {
		if !slices.Contains(grants(auditRole.Rules), g) {
			t.Errorf("the audit's role lacks %s, which the preview lists (the chart renders no preview role with the audit)", g)
		}
	}
	lease := mustFind(t, r, "Role", "guardrails-audit-lease", &rbacv1.Role{})
	if got, want := grants(lease.Rules), []string{"coordination.k8s.io/leases:create", "coordination.k8s.io/leases:get:guardrails-audit", "coordination.k8s.io/leases:update:guardrails-audit"}; !slices.Equal(got, want) {
		t.Errorf("Role guardrails-audit-lease grants %v, want %v", got, want)
	}
	if lease.Namespace != Namespace {
		t.Errorf("the lease Role is in %q, want %s", lease.Namespace, Namespace)
	}
	leaseBinding := mustFind(t, r, "RoleBinding", "guardrails-audit-lease", &rbacv1.RoleBinding{})
	d := mustFind(t, r, "Deployment", "guardrails-webhook", &appsv1.Deployment{})
	if leaseBinding.RoleRef.Name != lease.Name || leaseBinding.Namespace != Namespace || len(leaseBinding.Subjects) != 1 ||
		leaseBinding.Subjects[0].Name != d.Spec.Template.Spec.ServiceAccountName || leaseBinding.Subjects[0].Namespace != Namespace {
		t.Errorf("RoleBinding guardrails-audit-lease %+v", leaseBinding)
	}
	args := d.Spec.Template.Spec.Containers[0].Args
	want := []string{"--audit-interval=1h"}
	if r.policyReports {
		want = append(want, "--audit-policy-reports=true")
	}
	for _, w := range want {
		if !slices.Contains(args, w) {
			t.Errorf("the Deployment's args %q lack %s", args, w)
		}
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--leader-election-") {
			t.Errorf("arg %s: the Lease must be the default guardrails-audit in the pod's namespace (the Role names it)", a)
		}
	}
	bindings := []string{"guardrails-audit"}
	if r.policyReports {
		bindings = append(bindings, "guardrails-policy-reports")
	}
	for _, b := range bindings {
		crb := mustFind(t, r, "ClusterRoleBinding", b, &rbacv1.ClusterRoleBinding{})
		if len(crb.Subjects) != 1 || crb.Subjects[0].Name != d.Spec.Template.Spec.ServiceAccountName || crb.Subjects[0].Namespace != Namespace || crb.RoleRef.Name != b {
			t.Errorf("ClusterRoleBinding %s binds %+v to %s", b, crb.Subjects, crb.RoleRef.Name)
		}
	}
	if !r.policyReports {
		if Find(r.objs, "ClusterRole", "guardrails-policy-reports") != nil || Find(r.objs, "CustomResourceDefinition", "policyreports.wgpolicyk8s.io") != nil {
			t.Error("PolicyReports RBAC or CRDs without the policy-reports component")
		}
		return
	}
	reports := mustFind(t, r, "ClusterRole", "guardrails-policy-reports", &rbacv1.ClusterRole{})
	for _, g := range grants(reports.Rules) {
		if !strings.HasPrefix(g, "wgpolicyk8s.io/") {
			t.Errorf("the policy-reports role grants %s", g)
		}
	}
	for _, want := range []struct {
		name, kind, scope string
	}{
		{policyreport.PolicyReports.Resource + "." + policyreport.PolicyReports.Group, "PolicyReport", "Namespaced"},
		{policyreport.ClusterPolicyReports.Resource + "." + policyreport.ClusterPolicyReports.Group, "ClusterPolicyReport", "Cluster"},
	} {
		crd := Find(r.objs, "CustomResourceDefinition", want.name)
		if crd == nil {
			t.Errorf("no CRD %s", want.name)
			continue
		}
		kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(crd.Object, "spec", "scope")
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		if kind != want.kind || scope != want.scope || len(versions) != 1 {
			t.Errorf("CRD %s: kind %q scope %q, %d versions", want.name, kind, scope, len(versions))
			continue
		}
		v := versions[0].(map[string]any)
		if v["name"] != policyreport.PolicyReports.Version || v["served"] != true || v["storage"] != true {
			t.Errorf("CRD %s version %v", want.name, v)
		}
		if r.chart && crd.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("CRD %s: helm uninstall would delete it, and every report with it", want.name)
		}
	}
}

// TestPreviewComponent: the preview component (kustomize and the chart's
// preview.enabled) grants exactly what the preview lists.
func TestPreviewComponent(t *testing.T) {
	n := 0
	for _, r := range installs(t) {
		if !r.preview {
			continue
		}
		n++
		role := mustFind(t, r, "ClusterRole", "guardrails-preview", &rbacv1.ClusterRole{})
		if got, want := grants(role.Rules), grants(audit.PreviewRBACRules()); !slices.Equal(got, want) {
			t.Errorf("%s: ClusterRole guardrails-preview grants\n  %v\nwant (audit.PreviewRBACRules)\n  %v", r.name, got, want)
		}
		crb := mustFind(t, r, "ClusterRoleBinding", "guardrails-preview", &rbacv1.ClusterRoleBinding{})
		if crb.RoleRef.Name != role.Name || len(crb.Subjects) != 1 || crb.Subjects[0].Name != "guardrails-webhook" || crb.Subjects[0].Namespace != Namespace {
			t.Errorf("%s: ClusterRoleBinding guardrails-preview %+v", r.name, crb)
		}
	}
	if n == 0 {
		t.Fatal("no install with the preview component")
	}
}

// TestChartAuditWithPreview: with audit.enabled the chart renders no
// preview role of its own (the audit's grants a superset: TestAuditComponents).
func TestChartAuditWithPreview(t *testing.T) {
	helm := helmBinary(t)
	docs, err := HelmTemplate(helm, filepath.Join(repoRoot(t), ChartDir), "guardrails", Namespace,
		"--set", "audit.enabled=true", "--set", "preview.enabled=true")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Objects(docs)
	if err != nil {
		t.Fatal(err)
	}
	if Find(objs, "ClusterRole", "guardrails-preview") != nil || Find(objs, "ClusterRole", "guardrails-audit") == nil {
		t.Error("audit and preview: want the audit's role only")
	}
}

// TestChartAuditLease: a release named otherwise has its own Lease, which
// its Role names and its webhook is told to use.
func TestChartAuditLease(t *testing.T) {
	helm := helmBinary(t)
	docs, err := HelmTemplate(helm, filepath.Join(repoRoot(t), ChartDir), "edge", "platform-policy", "--set", "audit.enabled=true")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Objects(docs)
	if err != nil {
		t.Fatal(err)
	}
	r := &rendered{name: "release edge", docs: docs, objs: objs}
	lease := mustFind(t, r, "Role", "edge-guardrails-audit-lease", &rbacv1.Role{})
	if got, want := grants(lease.Rules), []string{"coordination.k8s.io/leases:create", "coordination.k8s.io/leases:get:edge-guardrails-audit", "coordination.k8s.io/leases:update:edge-guardrails-audit"}; !slices.Equal(got, want) || lease.Namespace != "platform-policy" {
		t.Errorf("Role %s/%s grants %v, want %v", lease.Namespace, lease.Name, got, want)
	}
	d := mustFind(t, r, "Deployment", "edge-guardrails-webhook", &appsv1.Deployment{})
	if args := d.Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, "--leader-election-id=edge-guardrails-audit") {
		t.Errorf("args %q: want --leader-election-id=edge-guardrails-audit", args)
	}
}

// TestBaseStaysLeastPrivilege: without the components, the webhook may
// not list what it does not watch (workloads; bindings it does watch, to
// judge a role change against the bindings of that role) and holds no
// Lease.
func TestBaseStaysLeastPrivilege(t *testing.T) {
	for _, r := range installs(t) {
		for _, o := range r.objs {
			switch {
			case r.audit && (o.GetName() == "guardrails-audit" || o.GetName() == "guardrails-audit-lease"):
			case r.preview && !r.audit && o.GetName() == "guardrails-preview":
			case r.policyReports && o.GetName() == "guardrails-policy-reports":
			case o.GetKind() == "Role" || strings.HasPrefix(o.GetName(), "guardrails-audit") || o.GetName() == "guardrails-preview" || o.GetName() == "guardrails-policy-reports":
				t.Errorf("%s: %s %s belongs in an optional component", r.name, o.GetKind(), o.GetName())
			}
		}
		cr := mustFind(t, r, "ClusterRole", ClusterRoleName, &rbacv1.ClusterRole{})
		for _, g := range grants(cr.Rules) {
			for _, res := range []string{"/pods:", "/deployments:", "/leases:"} {
				if strings.Contains(g, res) {
					t.Errorf("%s: the base ClusterRole grants %s", r.name, g)
				}
			}
		}
	}
}

// TestChartPolicyReportsWithoutCRDs: audit.policyReports.installCRDs=false
// (Kyverno or Policy Reporter installed the CRDs) leaves the CRDs out and
// keeps the grant to write the reports.
func TestChartPolicyReportsWithoutCRDs(t *testing.T) {
	helm := helmBinary(t)
	docs, err := HelmTemplate(helm, filepath.Join(repoRoot(t), ChartDir), "guardrails", Namespace,
		"--set", "audit.enabled=true", "--set", "audit.policyReports.enabled=true", "--set", "audit.policyReports.installCRDs=false")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Objects(docs)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			t.Errorf("CRD %s rendered with installCRDs=false", o.GetName())
		}
	}
	if Find(objs, "ClusterRole", "guardrails-policy-reports") == nil {
		t.Error("no ClusterRole guardrails-policy-reports")
	}
}
