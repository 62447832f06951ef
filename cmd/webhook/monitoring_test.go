package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql/parser"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"
)

// The monitoring component: alerts, dashboard, runbooks. The chart renders
// copies of the first two (internal/deployrender keeps them equal).
const (
	alertsFile    = "../../deploy/components/monitoring/prometheusrule.yaml"
	dashboardFile = "../../deploy/components/monitoring/dashboard.json"
	runbooksFile  = "../../deploy/components/monitoring/README.md"
)

// prometheusMade are series that Prometheus makes itself, not the webhook.
var prometheusMade = map[string]string{
	"up": "Prometheus' own per-target series (1 when the last scrape worked)",
}

// targetLabels are the labels Prometheus attaches to every scraped series
// (prometheus-operator's ServiceMonitor targets).
var targetLabels = []string{"job", "instance", "namespace", "pod", "service", "container", "endpoint"}

type alertRule struct {
	Alert       string            `json:"alert"`
	Record      string            `json:"record"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func loadAlerts(t *testing.T) []alertRule {
	t.Helper()
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Metadata   map[string]any `json:"metadata"`
		Spec       struct {
			Groups []struct {
				Name  string      `json:"name"`
				Rules []alertRule `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(b, &pr); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	var out []alertRule
	for _, g := range pr.Spec.Groups {
		out = append(out, g.Rules...)
	}
	if pr.Kind != "PrometheusRule" || len(out) < 6 {
		t.Fatalf("%s: kind %s with %d rules", alertsFile, pr.Kind, len(out))
	}
	return out
}

// dashboardQuery is one PromQL expression of the dashboard.
type dashboardQuery struct{ panel, expr string }

func loadDashboard(t *testing.T) []dashboardQuery {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string            `json:"title"`
		Type    string            `json:"type"`
		Targets []json.RawMessage `json:"targets"`
		Panels  []json.RawMessage `json:"panels"`
	}
	var d struct {
		UID    string            `json:"uid"`
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var out []dashboardQuery
	var walk func([]json.RawMessage)
	walk = func(ps []json.RawMessage) {
		for _, raw := range ps {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("%s: panel: %v", dashboardFile, err)
			}
			for _, tr := range p.Targets {
				var target struct {
					Expr string `json:"expr"`
				}
				if err := json.Unmarshal(tr, &target); err != nil {
					t.Fatal(err)
				}
				if strings.TrimSpace(target.Expr) == "" {
					t.Errorf("dashboard panel %q: a target without expr", p.Title)
					continue
				}
				out = append(out, dashboardQuery{p.Title, target.Expr})
			}
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("dashboard panel %q has no query", p.Title)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	if d.UID == "" || len(out) < 8 {
		t.Fatalf("%s: uid %q, %d queries", dashboardFile, d.UID, len(out))
	}
	return out
}

// grafanaVars are the variables Grafana substitutes before the query
// reaches Prometheus, with a value of the same shape.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "6h")

func parse(t *testing.T, where, expr string) parser.Expr {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: %v\n%s", where, err, expr)
		return nil
	}
	return e
}

// metricNames returns the metric names an expression selects.
func metricNames(t *testing.T, where string, e parser.Expr) []string {
	t.Helper()
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		if name == "" {
			for _, m := range vs.LabelMatchers {
				if m.Name == "__name__" {
					name = m.Value
				}
			}
		}
		if name == "" {
			t.Errorf("%s: a selector without metric name: %s", where, vs)
			return nil
		}
		out = append(out, name)
		return nil
	})
	return out
}

// registered reports whether the webhook binary registers a metric of
// that name in controller-runtime's registry (the one its /metrics
// serves): registering a probe of the same name fails exactly then. It
// sees every registration made by the packages the binary links, whether
// or not the metric has a sample yet.
func registered(name string) bool {
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "probe of monitoring_test.go"})
	if err := crmetrics.Registry.Register(probe); err != nil {
		return true
	}
	crmetrics.Registry.Unregister(probe)
	return false
}

// checkName fails unless name is a metric the webhook registers (or one
// of its histogram's series, or a series Prometheus makes).
func checkName(t *testing.T, where, name string) {
	t.Helper()
	if _, ok := prometheusMade[name]; ok || registered(name) {
		return
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && registered(base) {
			return
		}
	}
	t.Errorf("%s: metric %s is registered by nothing the webhook runs (renamed? removed? not yet merged?)", where, name)
}

// TestRegisteredProbe: the probe tells a registered metric from one that
// is not (a test of the test).
func TestRegisteredProbe(t *testing.T) {
	if !registered("guardrails_admission_requests_total") || !registered("guardrails_serving_certificate_expiry_timestamp_seconds") {
		t.Error("the webhook's own metrics are not found")
	}
	if registered("guardrails_no_such_metric_total") {
		t.Error("a metric nobody registers is found")
	}
	if registered("guardrails_no_such_metric_total") {
		t.Error("the probe stayed registered")
	}
}

// outputLabels are the labels an expression's result can carry, following
// its outermost aggregation: the `by` labels, or every target label and
// matcher label when the selector is not aggregated.
func outputLabels(e parser.Expr) []string {
	switch n := e.(type) {
	case *parser.AggregateExpr:
		if n.Without {
			return nil
		}
		return n.Grouping
	case *parser.BinaryExpr:
		if _, ok := n.LHS.(*parser.NumberLiteral); ok {
			return outputLabels(n.RHS)
		}
		return outputLabels(n.LHS)
	case *parser.ParenExpr:
		return outputLabels(n.Expr)
	case *parser.Call:
		for _, a := range n.Args {
			if l := outputLabels(a); l != nil {
				return l
			}
		}
		return nil
	case *parser.VectorSelector:
		out := slices.Clone(targetLabels)
		for _, m := range n.LabelMatchers {
			out = append(out, m.Name)
		}
		return out
	case *parser.MatrixSelector:
		return outputLabels(n.VectorSelector)
	}
	return nil
}

var labelRef = regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)

// TestAlerts: every alert parses with Prometheus' parser, selects only
// metrics the webhook registers, is labelled with a severity, has a
// summary and description that name only labels its result carries, and
// links a runbook that exists.
func TestAlerts(t *testing.T) {
	runbooks, err := os.ReadFile(runbooksFile)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range loadAlerts(t) {
		where := "alert " + r.Alert
		if r.Alert == "" {
			t.Errorf("a rule without alert name (recording rules belong elsewhere): %s", r.Expr)
			continue
		}
		if seen[r.Alert] {
			t.Errorf("%s: defined twice", where)
		}
		seen[r.Alert] = true
		e := parse(t, where, r.Expr)
		if e == nil {
			continue
		}
		if e.Type() != parser.ValueTypeVector {
			t.Errorf("%s: expression of type %s, want a vector", where, e.Type())
		}
		for _, name := range metricNames(t, where, e) {
			checkName(t, where, name)
		}
		if r.For != "" {
			if _, err := parser.NewParser(parser.Options{}).ParseExpr("up[" + r.For + "]"); err != nil {
				t.Errorf("%s: for %q: %v", where, r.For, err)
			}
		}
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q, want critical or warning", where, s)
		}
		for _, a := range []string{"summary", "description", "runbook_url"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s: no %s", where, a)
			}
		}
		out := outputLabels(e)
		for _, a := range []string{"summary", "description"} {
			for _, m := range labelRef.FindAllStringSubmatch(r.Annotations[a], -1) {
				if !slices.Contains(out, m[1]) {
					t.Errorf("%s: %s uses $labels.%s, which the result does not carry (it has %v)", where, a, m[1], out)
				}
			}
		}
		anchor := strings.ToLower(r.Alert)
		if !strings.HasSuffix(r.Annotations["runbook_url"], "/deploy/components/monitoring/README.md#"+anchor) {
			t.Errorf("%s: runbook_url %q, want the README's #%s", where, r.Annotations["runbook_url"], anchor)
		}
		if !strings.Contains(string(runbooks), "\n### "+r.Alert+"\n") {
			t.Errorf("%s: no runbook (### %s) in %s", where, r.Alert, runbooksFile)
		}
	}
	for _, want := range []string{"GuardrailsWebhookDown", "GuardrailsWebhookNotReady", "GuardrailsAdmissionLatencyHigh",
		"GuardrailsInternalErrors", "GuardrailsDenialsRisingSharply", "GuardrailsServingCertificateExpiresSoon",
		"GuardrailsConfigReloadFailing", "GuardrailsAuditNotCompleting"} {
		if !seen[want] {
			t.Errorf("no alert %s", want)
		}
	}
}

// TestDashboard: every query of the dashboard parses (after Grafana's
// variables) and selects only metrics the webhook registers.
func TestDashboard(t *testing.T) {
	for _, q := range loadDashboard(t) {
		where := fmt.Sprintf("dashboard panel %q", q.panel)
		expr := grafanaVars.Replace(q.expr)
		if strings.Contains(expr, "$") {
			t.Errorf("%s: a variable the test does not know: %s", where, q.expr)
			continue
		}
		if e := parse(t, where, expr); e != nil {
			for _, name := range metricNames(t, where, e) {
				checkName(t, where, name)
			}
		}
	}
}

var (
	// tableMetric is a row of the runbooks' metrics table.
	tableMetric = regexp.MustCompile("(?m)^\\| `(guardrails_[a-z0-9_]+)` \\|")
	// definedMetric is a metric's name where the code defines it.
	definedMetric = regexp.MustCompile(`Name:\s*"(guardrails_[a-z0-9_]+)"`)
)

// TestMetricsTable: the metrics table of the runbooks lists every
// guardrails_* metric the code defines, and only metrics the webhook
// registers.
func TestMetricsTable(t *testing.T) {
	b, err := os.ReadFile(runbooksFile)
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	for _, m := range tableMetric.FindAllStringSubmatch(string(b), -1) {
		inTable[m[1]] = true
		checkName(t, runbooksFile+" metrics table", m[1])
	}
	defined := 0
	err = filepath.WalkDir("../../internal", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range definedMetric.FindAllStringSubmatch(string(src), -1) {
			defined++
			if !inTable[m[1]] {
				t.Errorf("%s defines %s, which the metrics table of %s does not list", p, m[1], runbooksFile)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if defined < 10 || len(inTable) < 10 {
		t.Errorf("%d metrics defined, %d in the table: the patterns no longer match", defined, len(inTable))
	}
}
