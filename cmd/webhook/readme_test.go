package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// TestREADMERulesTable fails when the README's rules table differs from
// `webhook rules --markdown`; run `make readme` to regenerate it.
func TestREADMERulesTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- rules:begin -->\n", "<!-- rules:end -->"
	s := string(readme)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q … %q markers", strings.TrimSpace(begin), end)
	}
	var want bytes.Buffer
	if err := writeRulesMarkdown(&want, rules.Catalogue()); err != nil {
		t.Fatal(err)
	}
	if got := s[i+len(begin) : j]; got != want.String() {
		t.Errorf("README rules table is stale; run `make readme`.\n got:\n%s\nwant:\n%s", got, want.String())
	}
}
