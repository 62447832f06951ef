package main

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/inputview"
	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

func generate(t *testing.T, mix string, n int) ([]byte, Counts) {
	t.Helper()
	var buf bytes.Buffer
	c, err := Generate(&buf, mix, n)
	if err != nil {
		t.Fatal(err)
	}
	if c.Bytes != int64(buf.Len()) {
		t.Errorf("Counts.Bytes = %d, wrote %d", c.Bytes, buf.Len())
	}
	return buf.Bytes(), c
}

// TestGenerateDeterministicPrefix: the same bytes on every run, and the
// small corpus is the start of the large one (same mix at every size).
func TestGenerateDeterministicPrefix(t *testing.T) {
	for _, mix := range []string{mixPods, mixMixed} {
		a, _ := generate(t, mix, 2000)
		b, _ := generate(t, mix, 2000)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs differ", mix)
		}
		big, _ := generate(t, mix, 4000)
		if !bytes.HasPrefix(big, a) {
			t.Errorf("%s: 2000 objects are not the start of 4000", mix)
		}
	}
	if _, err := Generate(io.Discard, "deployments", 1); err == nil {
		t.Error("unknown mix: no error")
	}
}

// judge runs the corpus through the same decoder and policy as `webhook
// check` (view first, then every object) and returns the objects by kind
// and the number of objects with a shown finding of each rule.
func judge(t *testing.T, data []byte) (kinds map[string]int, withFinding map[string]int) {
	t.Helper()
	var items []*manifest.Item
	dr := manifest.NewDocumentReader(bytes.NewReader(data))
	for {
		doc, err := dr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := manifest.DecodeDocument(doc, nil, func(it *manifest.Item) error {
			if it.Err != nil {
				return fmt.Errorf("document %d (line %d): %w", it.Doc, it.Line, it.Err)
			}
			items = append(items, it)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	view := inputview.New()
	for _, it := range items {
		view.Add(it.Object)
	}
	pol := policy.New(config.Default())
	kinds, withFinding = map[string]int{}, map[string]int{}
	for _, it := range items {
		kinds[it.Ref.Kind]++
		fs, err := pol.Evaluate(&rules.Input{Object: it.Object, Ref: it.Ref, Cluster: view}, policy.Requester{})
		if err != nil {
			t.Fatalf("%s: %v", it.Ref, err)
		}
		seen := map[string]bool{}
		for _, f := range fs.Findings {
			if (f.Severity == rules.ActionDeny || f.Severity == rules.ActionWarn) && !seen[f.Rule] {
				seen[f.Rule] = true
				withFinding[f.Rule]++
			}
		}
	}
	return kinds, withFinding
}

// TestCorpusJudged: every generated document is a valid object of the
// announced kind, each intended mistake is reported by its rule, and most
// objects are clean (a realistic corpus, not a catalogue of errors).
func TestCorpusJudged(t *testing.T) {
	for _, tc := range []struct {
		mix   string
		rules []string
	}{
		{mixPods, []string{"resources-requests", "resources-implausible", "priority-reserved-class", "priority-critical-addon"}},
		{mixMixed, []string{"resources-requests", "resources-implausible", "priority-reserved-class", "priority-critical-addon",
			"ingress-snippet", "ingress-annotation", "ingress-conflict", "ingress-wildcard-host",
			"rbac-cluster-admin", "rbac-broad-subject", "rbac-escalation"}},
	} {
		t.Run(tc.mix, func(t *testing.T) {
			const n = 2000
			data, c := generate(t, tc.mix, n)
			kinds, withFinding := judge(t, data)
			if fmt.Sprint(kinds) != fmt.Sprint(c.Kinds) {
				t.Errorf("decoded kinds %v, generator counted %v", kinds, c.Kinds)
			}
			for _, r := range tc.rules {
				if withFinding[r] == 0 {
					t.Errorf("no object with a %s finding; findings by rule: %v", r, withFinding)
				}
			}
			total := 0
			for _, k := range withFinding {
				total += k
			}
			if total > n/5 {
				t.Errorf("%d findings on %d objects: more than one object in five (%v)", total, n, withFinding)
			}
			t.Logf("%s: %d bytes; %s; objects with a finding, by rule: %v", tc.mix, c.Bytes, c, withFinding)
		})
	}
}
