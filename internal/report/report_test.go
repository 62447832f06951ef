package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// sample is a run over three files: findings of both severities, a List
// item, a cluster-scoped object, a skipped CRD, an object without findings
// and two problems (a bad document and a failed rule).
func sample() (objs []any, sum Summary) {
	dep := rules.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	ing := rules.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Namespace: "shop", Name: "web"}
	crb := rules.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "alice-admin"}
	events := []any{
		&Object{File: "deploy/app.yaml", Doc: 1, Line: 2, Ref: rules.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "shop", Name: "web"}},
		&Object{File: "deploy/app.yaml", Doc: 2, Line: 14, Ref: dep, Findings: []rules.Finding{
			{Rule: "resources-requests", Severity: rules.ActionDeny, Object: dep,
				Field:   "spec.template.spec.containers[0].resources.requests.memory",
				Message: `container "app": no memory request`,
				Hint:    `set resources.requests.memory (e.g. 128Mi), or a limit, or a LimitRange defaultRequest in namespace "shop"`},
			{Rule: "resources-implausible", Severity: rules.ActionWarn, Object: dep,
				Field:   "spec.template.spec.containers[0].resources.requests.cpu",
				Message: `container "app" requests 512 CPUs; did you mean 512m?`,
				Hint:    "write millicores with the m suffix: 512m"},
		}},
		&Object{File: "deploy/app.yaml", Doc: 3, Line: 40, Ref: ing, Findings: []rules.Finding{
			{Rule: "ingress-snippet", Severity: rules.ActionDeny, Object: ing,
				Field:   "metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]",
				Message: `annotation "nginx.ingress.kubernetes.io/configuration-snippet" splices raw configuration <into> the controller & its "tenants"`,
				Hint:    "remove the snippet"},
			{Rule: "ingress-conflict", Severity: rules.ActionDeny, Object: ing,
				Field:   "spec.rules[0].host",
				Message: `host "shop.example.com" is served by another namespace`,
				Hint:    "serve a host of your own",
				Detail:  "served by namespace team-a (Ingress shop)"},
		}},
		&Object{File: "deploy/app.yaml", Doc: 4, Line: 60, Ref: rules.ObjectRef{APIVersion: "cert-manager.io/v1", Kind: "Certificate", Namespace: "shop", Name: "web-tls"},
			Skipped: "unknown kind cert-manager.io/v1 Certificate: not checked"},
		&Problem{File: "deploy/app.yaml", Doc: 5, Line: 71, Message: "YAML: line 73: did not find expected key"},
		&Object{File: "rbac/list.yaml", Doc: 1, Line: 1, ListItem: 2, Ref: crb, Findings: []rules.Finding{
			{Rule: "rbac-cluster-admin", Severity: rules.ActionDeny, Object: crb, Field: "roleRef.name",
				Message: `ClusterRoleBinding grants cluster-admin to User "alice"`, Hint: "bind a narrower role"},
		}},
		&Object{File: "-", Doc: 1, Line: 1, Ref: rules.ObjectRef{APIVersion: "v1", Kind: "Pod", Name: "debug"}},
		&Problem{File: "-", Doc: 2, Line: 9, Ref: rules.ObjectRef{APIVersion: "v1", Kind: "Pod", Name: "odd"}, Rule: "resources-requests", Message: "panicked: runtime error: invalid memory address or nil pointer dereference"},
	}
	for _, e := range events {
		switch e := e.(type) {
		case *Object:
			sum.Add(e)
		case *Problem:
			sum.Problems++
		}
	}
	return events, sum
}

func testOptions() Options {
	return Options{ToolVersion: "test", Rules: []RuleInfo{
		{ID: "resources-requests", Summary: "a container without a CPU or memory request", Why: "The scheduler places pods by their requests.", Fix: "Set resources.requests.", Action: rules.ActionDeny},
		{ID: "resources-implausible", Summary: "resource values that are almost always a typo", Why: "512 CPUs is a typo.", Fix: "Use the right unit.", Action: rules.ActionWarn},
		{ID: "ingress-snippet", Summary: "snippet annotations", Why: "Snippets run in the shared controller.", Fix: "Remove the snippet.", Action: rules.ActionDeny},
		{ID: "rbac-cluster-admin", Summary: "bindings to cluster-admin", Why: "Full control of the cluster.", Fix: "Bind a narrower role.", Action: rules.ActionAudit},
		{ID: "ingress-conflict", Summary: "a host served by another namespace", Why: "Hosts are merged across namespaces.", Fix: "Serve your own host.", Action: rules.ActionDeny},
	}}
}

func render(t *testing.T, format string, events []any, sum Summary) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(format, &buf, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		switch e := e.(type) {
		case *Object:
			err = w.Object(e)
		case *Problem:
			err = w.Problem(e)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(sum); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run go test ./internal/report -update and review the diff)\n got:\n%s", name, path, got)
	}
}

func TestGolden(t *testing.T) {
	events, sum := sample()
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			golden(t, format, render(t, format, events, sum))
			golden(t, format+"-empty", render(t, format, nil, Summary{}))
		})
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := New("yaml", &bytes.Buffer{}, Options{}); err == nil {
		t.Fatal("want an error")
	}
}

// TestJSONShape checks the contract: exactly these keys, findings [] when
// empty, documents from 1.
func TestJSONShape(t *testing.T) {
	events, sum := sample()
	for _, tc := range []struct {
		events   []any
		sum      Summary
		findings int
	}{{events, sum, 5}, {nil, Summary{}, 0}} {
		out := render(t, "json", tc.events, tc.sum)
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if keys := sortedKeys(doc); !reflect.DeepEqual(keys, []string{"findings", "summary"}) {
			t.Errorf("top-level keys %v", keys)
		}
		if string(doc["findings"]) == "null" {
			t.Error("findings is null, want []")
		}
		var fs []map[string]any
		if err := json.Unmarshal(doc["findings"], &fs); err != nil || len(fs) != tc.findings {
			t.Fatalf("findings: %v, %d", err, len(fs))
		}
		wantKeys := []string{"apiVersion", "document", "field", "file", "hint", "kind", "message", "name", "namespace", "rule", "severity"}
		withDetail := []string{"apiVersion", "detail", "document", "field", "file", "hint", "kind", "message", "name", "namespace", "rule", "severity"}
		for _, f := range fs {
			want := wantKeys
			if f["rule"] == "ingress-conflict" {
				want = withDetail // only a finding with a detail has the key
			}
			if keys := sortedKeys(f); !reflect.DeepEqual(keys, want) {
				t.Errorf("finding keys %v", keys)
			}
			if d, _ := f["document"].(float64); d < 1 {
				t.Errorf("document %v", f["document"])
			}
			if s := f["severity"]; s != "deny" && s != "warn" {
				t.Errorf("severity %v", s)
			}
		}
		var s map[string]any
		if err := json.Unmarshal(doc["summary"], &s); err != nil {
			t.Fatal(err)
		}
		if keys := sortedKeys(s); !reflect.DeepEqual(keys, []string{"deny", "objects", "warn"}) {
			t.Errorf("summary keys %v", keys)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestJUnitParses(t *testing.T) {
	events, sum := sample()
	out := render(t, "junit", events, sum)
	var doc struct {
		Suites []junitSuite `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if len(doc.Suites) != 3 {
		t.Fatalf("want a suite per file, got %d", len(doc.Suites))
	}
	app := doc.Suites[0]
	if app.Name != "deploy/app.yaml" || app.Tests != 5 || app.Failures != 2 || app.Errors != 1 || app.Skipped != 1 || len(app.Cases) != 5 {
		t.Errorf("suite %s: tests %d failures %d errors %d skipped %d cases %d", app.Name, app.Tests, app.Failures, app.Errors, app.Skipped, len(app.Cases))
	}
	c := app.Cases[1]
	if c.Classname != "deploy/app.yaml" || c.Name != "Deployment shop/web (doc 2)" || c.Failure == nil || c.SystemOut == nil || !strings.Contains(c.SystemOut.Text, "WARN [resources-implausible]") {
		t.Errorf("case %+v", c)
	}
}

func TestSARIFShape(t *testing.T) {
	events, sum := sample()
	out := render(t, "sarif", events, sum)
	var log sarifLog
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %q runs %d", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	rs := run.Tool.Driver.Rules
	if len(rs) != 5 || rs[0].ID != "resources-requests" || rs[0].DefaultConfiguration.Level != "error" ||
		rs[1].DefaultConfiguration.Level != "warning" || rs[3].DefaultConfiguration.Level != "note" || rs[0].Help.Text == "" {
		t.Errorf("rules %+v", rs)
	}
	if len(run.Results) != 5 {
		t.Fatalf("results %d", len(run.Results))
	}
	if d := run.Results[3]; d.RuleID != "ingress-conflict" || d.Properties.Detail != "served by namespace team-a (Ingress shop)" {
		t.Errorf("the detail is not a property of its result: %+v", d)
	}
	r := run.Results[0]
	if r.RuleID != "resources-requests" || r.RuleIndex != 0 || r.Level != "error" ||
		r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "deploy/app.yaml" ||
		r.Locations[0].PhysicalLocation.Region == nil || r.Locations[0].PhysicalLocation.Region.StartLine != 14 ||
		r.Properties.Document != 2 || r.Properties.Field != "spec.template.spec.containers[0].resources.requests.memory" {
		t.Errorf("result %+v", r)
	}
	if len(run.Invocations) != 1 || run.Invocations[0].ExecutionSuccessful || len(run.Invocations[0].ToolExecutionNotifications) != 2 {
		t.Errorf("invocations %+v", run.Invocations)
	}
	if got := artifactURI("/abs/dir/a b.yaml"); got != "file:///abs/dir/a%20b.yaml" {
		t.Errorf("absolute uri %q", got)
	}
}
