package policyreport

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/guardrails-dev/guardrails/internal/audit"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// tally of one namespace in audit mode: 250 objects, each with a
// resources-requests finding of a deny rule, kept up to 200 objects.
func tally(ns string, mode rules.Mode, n int) *audit.NamespaceTally {
	t := audit.NewTally(200)
	for i := range n {
		ref := rules.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: fmt.Sprintf("web-%d", i)}
		t.Add(&audit.Object{Ref: ref, Mode: mode,
			Findings: []rules.Finding{{Rule: "resources-requests", Severity: rules.Milder(rules.ActionDeny, mode.Action()), Object: ref,
				Field: "spec.template.spec.containers[0].resources.requests.cpu", Message: `container "app": no cpu request`, Hint: "set it"}},
			Actions: []rules.Action{rules.ActionDeny}})
	}
	t.Add(&audit.Object{Ref: rules.ObjectRef{Kind: "Pod", Namespace: ns, Name: "clean"}, Mode: mode})
	return t.Namespaces()[0]
}

func TestBuildIsBounded(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	obj, sum := Build(tally("shop", rules.ModeAudit, 250), 100, at)
	if obj.GetKind() != "PolicyReport" || obj.GetNamespace() != "shop" || obj.GetName() != Name {
		t.Fatalf("report %s %s/%s", obj.GetKind(), obj.GetNamespace(), obj.GetName())
	}
	results := obj.Object["results"].([]any)
	if len(results) != 100 {
		t.Errorf("%d results, want the cap 100", len(results))
	}
	summary := obj.Object["summary"].(map[string]any)
	if summary["fail"] != int64(250) || summary["pass"] != int64(1) || summary["warn"] != int64(0) {
		t.Errorf("summary %v, want fail 250 (deny-rule findings, even in audit mode), pass 1", summary)
	}
	if got := obj.GetAnnotations()[ResultsAnnotation]; got != "100 of 250 findings" {
		t.Errorf("%s = %q", ResultsAnnotation, got)
	}
	r := results[0].(map[string]any)
	if r["policy"] != "resources-requests" || r["result"] != "fail" || r["source"] != Source || r["category"] != "resources" ||
		r["message"] != `spec.template.spec.containers[0].resources.requests.cpu: container "app": no cpu request` {
		t.Errorf("result %v", r)
	}
	props := r["properties"].(map[string]any)
	if props["mode"] != "audit" || props["action"] != "audit" || props["field"] == nil {
		t.Errorf("properties %v", props)
	}
	if ts := r["timestamp"].(map[string]any); ts["seconds"] != at.Unix() {
		t.Errorf("timestamp %v", ts)
	}
	// The content hash ignores the time: an unchanged audit is not
	// written again.
	_, later := Build(tally("shop", rules.ModeAudit, 250), 100, at.Add(time.Hour))
	if later != sum {
		t.Error("the hash depends on the time of the audit")
	}
	_, other := Build(tally("shop", rules.ModeAudit, 249), 100, at)
	if other == sum {
		t.Error("the hash ignores a changed summary")
	}
}

func TestBuildClusterReport(t *testing.T) {
	obj, _ := Build(tally("", rules.ModeEnforce, 1), 10, time.Now())
	if obj.GetKind() != "ClusterPolicyReport" || obj.GetNamespace() != "" {
		t.Errorf("cluster report is %s in %q", obj.GetKind(), obj.GetNamespace())
	}
	if _, ok := obj.Object["results"].([]any)[0].(map[string]any)["resources"].([]any)[0].(map[string]any)["namespace"]; ok {
		t.Error("a cluster-scoped resource carries a namespace")
	}
}

// TestPublishRewritesUnchangedReports: an unchanged report is not written
// again at the next audit (no churn in etcd), but is at least every
// RewriteAfter: the Writer compares with what it wrote, not with what a
// tenant may have edited since.
func TestPublishRewritesUnchangedReports(t *testing.T) {
	scheme := runtime.NewScheme()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, map[schema.GroupVersionResource]string{
		PolicyReports: "PolicyReportList", ClusterPolicyReports: "ClusterPolicyReportList",
	})
	applies := 0
	dyn.PrependReactor("patch", "policyreports", func(action k8stesting.Action) (bool, runtime.Object, error) {
		applies++
		return true, &unstructured.Unstructured{Object: map[string]any{}}, nil
	})
	w := NewWriter(dyn, 10, logr.Discard())
	tl := audit.NewTally(10)
	for _, n := range []*audit.NamespaceTally{tally("shop", rules.ModeAudit, 3)} {
		for _, o := range n.Results {
			tl.Add(o)
		}
	}
	at := time.Unix(1_800_000_000, 0)
	for i, step := range []struct {
		after time.Duration
		want  int
	}{{0, 1}, {time.Hour, 1}, {RewriteAfter - time.Hour, 2}, {time.Minute, 2}} {
		at = at.Add(step.after)
		if err := w.Publish(context.Background(), tl, at); err != nil {
			t.Fatal(err)
		}
		if applies != step.want {
			t.Errorf("publish %d (+%s): %d writes in all, want %d", i, step.after, applies, step.want)
		}
	}
}
