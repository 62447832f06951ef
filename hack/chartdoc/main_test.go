package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEValuesTable fails when the chart README's values table differs
// from values.yaml; run `make readme` to regenerate it.
func TestREADMEValuesTable(t *testing.T) {
	const chart = "../../deploy/helm/guardrails"
	values, err := os.ReadFile(chart + "/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Table(values)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(chart + "/README.md")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Section(readme)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("the values table of %s/README.md is stale; run `make readme`.\n got:\n%s\nwant:\n%s", chart, got, want)
	}
	if n := strings.Count(want, "\n| `"); n < 30 {
		t.Errorf("only %d rows", n)
	}
}

func TestTable(t *testing.T) {
	got, err := Table([]byte(`# File header.

# The image.
image:
  # Repository.
  repository: ghcr.io/x|y
  # Tag; empty:
  # the appVersion.
  tag: ""
section:
  # Labels, replaced as a whole.
  labels:
    a: "1"
  # Terms.
  terms: []
  # Count.
  n: 2
`))
	if err != nil {
		t.Fatal(err)
	}
	want := "| key | type | default | description |\n| --- | --- | --- | --- |\n" +
		"| `image` | object | `{\"repository\":\"ghcr.io/x\\|y\",\"tag\":\"\"}` | The image. |\n" +
		"| `section.labels` | object | `{\"a\":\"1\"}` | Labels, replaced as a whole. |\n" +
		"| `section.terms` | list | `[]` | Terms. |\n" +
		"| `section.n` | integer | `2` | Count. |\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	_, err = Table([]byte("# Documented.\na: 1\nb:\n  c: true\n"))
	if err == nil || !strings.Contains(err.Error(), "line 4: b.c has no comment") {
		t.Errorf("an undocumented value: %v", err)
	}
	if _, err := Replace([]byte("no markers"), "x"); err == nil {
		t.Error("a README without markers was accepted")
	}
}
