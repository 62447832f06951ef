package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/hostile"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// objectRequest is a CREATE of obj in ns.
func objectRequest(t testing.TB, obj runtime.Object, ns string) admission.Request {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "4b1d0d2c-0000-4000-8000-000000000001",
		Kind:      metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Resource:  metav1.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: strings.ToLower(gvk.Kind) + "s"},
		Namespace: ns,
		Name:      obj.(metav1.Object).GetName(),
		Operation: admissionv1.Create,
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

// jsonLogger returns the server's kind of logger (zap, JSON) writing to w.
func jsonLogger(w *bytes.Buffer) logr.Logger {
	return zap.New(zap.JSONEncoder(), zap.WriteTo(w))
}

// findingsLogLine returns the one "findings" line of a JSON log.
func findingsLogLine(t *testing.T, log string) string {
	t.Helper()
	var found []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `"msg":"findings"`) {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d findings lines in the log:\n%.2000s", len(found), log)
	}
	return found[0]
}

// TestHostileIngressBounded: the largest Ingress a tenant can send, with
// 2,782 unknown ingress-nginx annotation names, gets an answer, warnings
// and a log line of a few KiB: the first names listed with suggestions,
// the rest counted.
func TestHostileIngressBounded(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	var log bytes.Buffer
	ctx := logf.IntoContext(context.Background(), jsonLogger(&log))
	resp := v.Handle(ctx, objectRequest(t, hostile.Ingress("team-enforce", "flood"), "team-enforce"))
	if !resp.Allowed {
		t.Fatalf("denied: %v", resp.Result)
	}
	if len(resp.Warnings) != MaxWarnings+1 || !strings.HasPrefix(resp.Warnings[MaxWarnings], "[guardrails] ... and 10 more warnings") {
		t.Errorf("warnings %q", resp.Warnings)
	}
	line := findingsLogLine(t, log.String())
	if len(line) > 8<<10 {
		t.Errorf("findings log line of %d bytes", len(line))
	}
	for _, s := range []string{`"field":"metadata.annotations","message":"2763 more unknown ingress-nginx annotations, not listed; the controller ignores them"`,
		`unknown ingress-nginx annotation \"nginx.ingress.kubernetes.io/proxy-connect-timeout-of-upstream-server-for-tenant-app-0000000\"`} {
		if !strings.Contains(line, s) {
			t.Errorf("log line lacks %s:\n%s", s, line)
		}
	}
}

// TestLogAndAuditCappedPerRule: whatever a rule finds, the log line and
// the audit annotations list at most rules.MaxFindingsPerRule findings of
// it and count the rest; the denial still counts every finding.
func TestLogAndAuditCappedPerRule(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	many := func(ns string) admission.Request { return manyContainers(t, ns, "busybox") }
	var log bytes.Buffer
	ctx := logf.IntoContext(context.Background(), jsonLogger(&log))
	resp := v.Handle(ctx, many("team-enforce"))
	if resp.Allowed || !strings.Contains(resp.Result.Message, "... and 390 more findings") {
		t.Fatalf("got %+v", resp.Result)
	}
	line := findingsLogLine(t, log.String())
	if n := strings.Count(line, `"rule":"resources-requests"`); n != rules.MaxFindingsPerRule+1 {
		t.Errorf("%d findings of resources-requests in the log line, want %d", n, rules.MaxFindingsPerRule+1)
	}
	if !strings.Contains(line, `"action":"deny","message":"380 more findings of this rule on this object not listed (at most 20 are listed per rule)"`) {
		t.Errorf("log line lacks the count:\n%s", line)
	}

	resp = v.Handle(ctx, many("team-audit"))
	if a := resp.AuditAnnotations["resources-requests"]; strings.Count(a, "; ") > rules.MaxFindingsPerRule || len(a) > maxAuditValueLen {
		t.Errorf("audit annotation of %d bytes: %s", len(a), a)
	}
}

func TestCapDemoted(t *testing.T) {
	var ds []demotedFinding
	for i := range 30 {
		ds = append(ds, demotedFinding{rules.Finding{Rule: "a", Severity: rules.ActionWarn, Message: fmt.Sprint(i)}, "old"})
		if i < 3 {
			ds = append(ds, demotedFinding{rules.Finding{Rule: "b", Severity: rules.ActionWarn, Message: fmt.Sprint(i)}, "older"})
		}
	}
	got := capDemoted(ds)
	if len(got) != rules.MaxFindingsPerRule+1+3 {
		t.Fatalf("%d findings", len(got))
	}
	last := got[len(got)-1]
	if last.Rule != "a" || last.why != "old" || !strings.HasPrefix(last.Message, "10 more findings of this rule") {
		t.Errorf("last %+v", last)
	}
	if got[1].Rule != "b" || got[0].Message != "0" || got[len(got)-2].Message != "19" {
		t.Errorf("order changed: %+v", got)
	}
}
