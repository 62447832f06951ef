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

func renderDir(t *testing.T, dir string) *rendered {
	t.Helper()
	docs, err := Build(filepath.Join(repoRoot(t), dir))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Objects(docs)
	if err != nil {
		t.Fatal(err)
	}
	return &rendered{name: dir, docs: docs, objs: objs}
}

// TestAuditComponents: the audit, preview and policy-reports components
// grant exactly what the code lists and writes, turn the audit on, and
// ship the PolicyReport CRDs; the base install grants none of it.
func TestAuditComponents(t *testing.T) {
	r := renderDir(t, "deploy/testdata/with-audit")
	auditRole := mustFind(t, r, "ClusterRole", "guardrails-audit", &rbacv1.ClusterRole{})
	if got, want := grants(auditRole.Rules), grants(audit.RBACRules()); !slices.Equal(got, want) {
		t.Errorf("ClusterRole guardrails-audit grants\n  %v\nwant (audit.RBACRules)\n  %v", got, want)
	}
	lease := mustFind(t, r, "Role", "guardrails-audit-lease", &rbacv1.Role{})
	if got, want := grants(lease.Rules), []string{"coordination.k8s.io/leases:create", "coordination.k8s.io/leases:get:guardrails-audit", "coordination.k8s.io/leases:update:guardrails-audit"}; !slices.Equal(got, want) {
		t.Errorf("Role guardrails-audit-lease grants %v, want %v", got, want)
	}
	if lease.Namespace != Namespace {
		t.Errorf("the lease Role is in %q, want %s", lease.Namespace, Namespace)
	}
	reports := mustFind(t, r, "ClusterRole", "guardrails-policy-reports", &rbacv1.ClusterRole{})
	for _, g := range grants(reports.Rules) {
		if !strings.HasPrefix(g, "wgpolicyk8s.io/") {
			t.Errorf("the policy-reports role grants %s", g)
		}
	}
	d := mustFind(t, r, "Deployment", "guardrails-webhook", &appsv1.Deployment{})
	args := d.Spec.Template.Spec.Containers[0].Args
	for _, want := range []string{"--audit-interval=1h", "--audit-policy-reports"} {
		if !slices.Contains(args, want) {
			t.Errorf("the Deployment's args %q lack %s", args, want)
		}
	}
	for _, b := range []string{"guardrails-audit", "guardrails-policy-reports"} {
		crb := mustFind(t, r, "ClusterRoleBinding", b, &rbacv1.ClusterRoleBinding{})
		if len(crb.Subjects) != 1 || crb.Subjects[0].Name != d.Spec.Template.Spec.ServiceAccountName || crb.Subjects[0].Namespace != Namespace {
			t.Errorf("ClusterRoleBinding %s binds %+v", b, crb.Subjects)
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
	}
}

// TestPreviewComponent: the preview component grants exactly what the
// preview lists.
func TestPreviewComponent(t *testing.T) {
	r := renderDir(t, "deploy/testdata/with-preview")
	role := mustFind(t, r, "ClusterRole", "guardrails-preview", &rbacv1.ClusterRole{})
	if got, want := grants(role.Rules), grants(audit.PreviewRBACRules()); !slices.Equal(got, want) {
		t.Errorf("ClusterRole guardrails-preview grants\n  %v\nwant (audit.PreviewRBACRules)\n  %v", got, want)
	}
}

// TestBaseStaysLeastPrivilege: without the components, the webhook may
// not list what it does not watch (workloads; bindings it does watch, to
// judge a role change against the bindings of that role) and holds no
// Lease.
func TestBaseStaysLeastPrivilege(t *testing.T) {
	for _, r := range installs(t) {
		for _, o := range r.objs {
			if o.GetKind() == "Role" || strings.HasPrefix(o.GetName(), "guardrails-audit") || o.GetName() == "guardrails-preview" {
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
