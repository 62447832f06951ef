// Package policyreport publishes the background audit as PolicyReports
// (wgpolicyk8s.io/v1alpha2), the format Policy Reporter, Kyverno and Trivy
// users already read: one PolicyReport named "guardrails" per namespace
// the audit judged, and one ClusterPolicyReport "guardrails" for
// cluster-scoped objects.
//
// Reports are bounded, so that they never fill etcd: each holds at most
// MaxResults results (one per finding, the first ones in list order),
// while its summary counts every finding; the annotation
// guardrails.dev/results says how many were left out. A report is updated
// in place (server-side apply) and only when its content changed; reports
// of namespaces that are no longer judged are deleted. There is never one
// object per resource.
package policyreport

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/guardrails-dev/guardrails/internal/audit"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Names of what the package writes.
const (
	// Name of every report.
	Name = "guardrails"
	// Source of every result.
	Source = "guardrails"
	// ManagedByLabel marks the reports Guardrails owns.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	managedBy      = "guardrails"
	// ResultsAnnotation says how many results the report holds of how
	// many findings.
	ResultsAnnotation = "guardrails.dev/results"
	// ModeAnnotation is the mode the namespace was judged in.
	ModeAnnotation = "guardrails.dev/mode"
	fieldManager   = "guardrails"
)

// The report resources.
var (
	PolicyReports        = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}
	ClusterPolicyReports = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "clusterpolicyreports"}
)

// DefaultMaxResults is the number of results a report holds by default.
const DefaultMaxResults = 100

// RewriteAfter is how long an unchanged report goes without being
// written again. Reports live in the tenants' namespaces, where whoever may
// write PolicyReports (roles that other tools aggregate to admin) could
// edit or delete Guardrails' report; the Writer only compares with what it
// wrote itself, so it rewrites every report at least this often, and at
// once after a restart or a change of leader.
const RewriteAfter = 6 * time.Hour

// Writer publishes audits (an audit.Publisher).
type Writer struct {
	dyn dynamic.Interface
	max int
	log logr.Logger
	// last is the content hash of each report last written, and when, by
	// namespace ("" for the cluster report).
	last map[string]lastWrite
}

type lastWrite struct {
	sum [sha256.Size]byte
	at  time.Time
}

var _ audit.Publisher = (*Writer)(nil)

// NewWriter returns a Writer of reports of at most maxResults results
// (DefaultMaxResults when 0).
func NewWriter(dyn dynamic.Interface, maxResults int, log logr.Logger) *Writer {
	if maxResults <= 0 {
		maxResults = DefaultMaxResults
	}
	return &Writer{dyn: dyn, max: maxResults, log: log, last: map[string]lastWrite{}}
}

// Publish writes the report of every namespace of t that changed (or was
// last written RewriteAfter ago) and deletes the reports of namespaces t
// does not hold.
func (w *Writer) Publish(ctx context.Context, t *audit.Tally, at time.Time) error {
	keep := map[string]bool{}
	written := 0
	for _, n := range t.Namespaces() {
		keep[n.Namespace] = true
		obj, sum := Build(n, w.max, at)
		if old, ok := w.last[n.Namespace]; ok && old.sum == sum && at.Sub(old.at) < RewriteAfter {
			continue
		}
		res := w.resource(n.Namespace)
		if _, err := res.Apply(ctx, Name, obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
			if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
				return fmt.Errorf("write %s: %w (install the PolicyReport CRDs: deploy/components/policy-reports)", describe(n.Namespace), err)
			}
			return fmt.Errorf("write %s: %w", describe(n.Namespace), err)
		}
		w.last[n.Namespace] = lastWrite{sum: sum, at: at}
		written++
	}
	deleted, err := w.deleteStale(ctx, keep)
	w.log.Info("policy reports published", "written", written, "unchanged", len(keep)-written, "deleted", deleted)
	return err
}

func (w *Writer) resource(ns string) dynamic.ResourceInterface {
	if ns == "" {
		return w.dyn.Resource(ClusterPolicyReports)
	}
	return w.dyn.Resource(PolicyReports).Namespace(ns)
}

func describe(ns string) string {
	if ns == "" {
		return "ClusterPolicyReport " + Name
	}
	return fmt.Sprintf("PolicyReport %s/%s", ns, Name)
}

// deleteStale deletes Guardrails' reports of namespaces not in keep.
func (w *Writer) deleteStale(ctx context.Context, keep map[string]bool) (int, error) {
	sel := metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + managedBy}
	deleted := 0
	lists := []struct {
		gvr     schema.GroupVersionResource
		cluster bool
	}{{PolicyReports, false}, {ClusterPolicyReports, true}}
	for _, l := range lists {
		list, err := w.dyn.Resource(l.gvr).List(ctx, sel)
		if err != nil {
			return deleted, fmt.Errorf("list %s: %w", l.gvr.Resource, err)
		}
		for _, it := range list.Items {
			ns := it.GetNamespace()
			if keep[ns] || it.GetName() != Name {
				continue
			}
			if err := w.resource(ns).Delete(ctx, it.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return deleted, fmt.Errorf("delete %s: %w", describe(ns), err)
			}
			delete(w.last, ns)
			deleted++
		}
	}
	return deleted, nil
}

// Build returns the report of one namespace's tally (a ClusterPolicyReport
// for namespace "") and the hash of its content without timestamps.
func Build(n *audit.NamespaceTally, maxResults int, at time.Time) (*unstructured.Unstructured, [sha256.Size]byte) {
	results := []any{}
	total := 0
	for _, c := range n.Counts {
		total += c
	}
	for _, o := range n.Results {
		for i, f := range o.Findings {
			if len(results) == maxResults {
				break
			}
			results = append(results, result(o, f, o.Actions[i]))
		}
	}
	kind := "PolicyReport"
	if n.Namespace == "" {
		kind = "ClusterPolicyReport"
	}
	md := map[string]any{
		"name":   Name,
		"labels": map[string]any{ManagedByLabel: managedBy},
		"annotations": map[string]any{
			ModeAnnotation:    string(n.Mode),
			ResultsAnnotation: fmt.Sprintf("%d of %d findings", len(results), total),
		},
	}
	if n.Namespace != "" {
		md["namespace"] = n.Namespace
	}
	obj := map[string]any{
		"apiVersion": PolicyReports.GroupVersion().String(),
		"kind":       kind,
		"metadata":   md,
		"summary": map[string]any{
			"pass":  int64(n.Clean),
			"fail":  int64(n.ByAction[rules.ActionDeny]),
			"warn":  int64(n.ByAction[rules.ActionWarn] + n.ByAction[rules.ActionAudit]),
			"error": int64(0),
			"skip":  int64(0),
		},
		"results": results,
	}
	b, _ := json.Marshal(obj)
	sum := sha256.Sum256(b)
	ts := map[string]any{"seconds": at.Unix(), "nanos": int64(0)}
	for _, r := range results {
		r.(map[string]any)["timestamp"] = ts
	}
	return &unstructured.Unstructured{Object: obj}, sum
}

// result is one finding as a PolicyReport result: the rule id is the
// policy, the field path, the mode and what the mode does with it are
// properties.
func result(o *audit.Object, f rules.Finding, action rules.Action) map[string]any {
	res, severity := "warn", "medium"
	switch action {
	case rules.ActionDeny:
		res, severity = "fail", "high"
	case rules.ActionAudit:
		severity = "low"
	}
	msg := f.Message
	if f.Field != "" {
		msg = f.Field + ": " + msg
	}
	ref := map[string]any{"apiVersion": o.Ref.APIVersion, "kind": o.Ref.Kind, "name": o.Ref.Name}
	if o.Ref.Namespace != "" {
		ref["namespace"] = o.Ref.Namespace
	}
	props := map[string]any{"mode": string(o.Mode), "action": string(f.Severity)}
	if f.Field != "" {
		props["field"] = f.Field
	}
	if f.Hint != "" {
		props["hint"] = f.Hint
	}
	return map[string]any{
		"source":     Source,
		"policy":     f.Rule,
		"category":   category(f.Rule),
		"severity":   severity,
		"result":     res,
		"scored":     true,
		"message":    msg,
		"resources":  []any{ref},
		"properties": props,
	}
}

// category is the rule's family: resources, ingress, rbac, priority,
// namespace.
func category(rule string) string {
	c, _, _ := strings.Cut(rule, "-")
	return c
}
