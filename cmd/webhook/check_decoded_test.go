package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/report"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

const decodedInput = `apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec: {limits: [{type: Container, defaultRequest: {cpu: 100m}}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: IngressClass
  metadata: {name: in-list}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: in-list, namespace: shop}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: with-managed-fields
  managedFields: [{manager: kubectl, operation: Apply}]
value: 1000
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec: {rules: [{host: shop.example.com}]}
---
apiVersion: v1
kind: Secret
metadata: {name: tls, namespace: shop}
---
apiVersion: scheduling.k8s.io/v1beta1
kind: PriorityClass
metadata: {name: removed}
value: 10
---
~
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
`

// TestCheckDecodedOnce: the second pass judges from the first pass's
// objects exactly the documents that hold only kinds the view keeps whole,
// as decoded (no managedFields trimmed), and reports what decoding them
// again would report.
func TestCheckDecodedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.yaml")
	if err := os.WriteFile(path, []byte(decodedInput), 0o600); err != nil {
		t.Fatal(err)
	}
	srcs := []source{{name: "in.yaml", path: path}}
	view, decoded := buildView(srcs)
	var docs []int
	for k := range decoded.items {
		docs = append(docs, k.doc)
	}
	slices.Sort(docs)
	// 1 LimitRange, 7 PriorityClass in a removed version (an error,
	// reported again), 9 IngressClass; not 2 and 8 (no view kind), 3 (a
	// List with a Deployment), 4 (managedFields trimmed), 5 Ingress, 6
	// Secret and 10 Role (the view keeps index entries, names, or what the
	// server's cache keeps of a role, not the objects).
	if want := []int{1, 7, 9}; !slices.Equal(docs, want) {
		t.Errorf("documents decoded for the second pass: %v, want %v", docs, want)
	}

	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	pol := policy.New(cfg)
	run := func(decoded *decodedDocs, format string) string {
		var out bytes.Buffer
		w, err := report.New(format, &out, report.Options{Rules: ruleInfos(pol), ToolVersion: "test"})
		if err != nil {
			t.Fatal(err)
		}
		c := &checker{view: view, decoded: decoded, w: w, stderr: &bytes.Buffer{}, eval: func(in *rules.Input) ([]rules.Finding, error) {
			res, err := pol.Evaluate(in, policy.Requester{})
			return res.Findings, err
		}}
		if err := c.checkSources(srcs); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(c.sum); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	for _, format := range []string{"text", "json"} {
		_, fresh := buildView(srcs)
		once := run(fresh, format)
		twice := run(&decodedDocs{items: map[docKey][]*manifest.Item{}}, format)
		if once != twice {
			t.Errorf("%s output judging the first pass's objects:\n%s\ndecoding again:\n%s", format, once, twice)
		}
		if !bytes.Contains([]byte(once), []byte("reader")) || format == "text" && !bytes.Contains([]byte(once), []byte("removed")) ||
			format == "json" && !bytes.Contains([]byte(once), []byte(`"objects":9`)) {
			t.Errorf("%s output lacks documents:\n%s", format, once)
		}
	}
}
