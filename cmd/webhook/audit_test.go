package main

import (
	"strings"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/audit"
)

// TestAuditUsage: bad flags end with exit 2 and say what is wrong, before
// any cluster is contacted.
func TestAuditUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--assume-mode", "Enforce"}, `--assume-mode "Enforce": want enforce, warn or audit`},
		{[]string{"audit", "--kind", "ConfigMap"}, `--kind "ConfigMap": not a kind the rules judge (one of Namespace, ClusterRole`},
		{[]string{"audit", "--kind", "deployments.apps,nope"}, `--kind "nope"`},
		{[]string{"audit", "-n", "shop", "--kind", "clusterrolebindings"}, "--kind ClusterRoleBinding is cluster-scoped: -n shop leaves it out"},
		{[]string{"audit", "-o", "yaml"}, `--output "yaml": want one of text, json, junit, sarif`},
		{[]string{"audit", "--chunk-size", "0"}, "--chunk-size 0: want a positive number"},
		{[]string{"audit", "--config", "testdata/check/config-bad.yaml"}, "config testdata/check/config-bad.yaml"},
		{[]string{"audit", "extra"}, `unknown command "extra"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, stderr, code := runCLI(t, "", tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

// TestAuditProgress: on a terminal, progress is one line rewritten in
// place (at most every 100ms) and erased at the end; a writer that is not
// a terminal gets nothing (runAudit shows progress only when isTerminal).
func TestAuditProgress(t *testing.T) {
	var b strings.Builder
	p := &progress{w: &b}
	p.update(audit.Progress{Kind: "pods", Listed: 500, Judged: 480, TotalJudged: 900})
	p.update(audit.Progress{Kind: "pods", Listed: 1000, Judged: 960, TotalJudged: 1380}) // within 100ms: skipped
	p.done()
	if want := "\r\033[Kpods: 500 listed, 480 judged (900 judged in all)\r\033[K"; b.String() != want {
		t.Errorf("progress wrote %q, want %q", b.String(), want)
	}
	var none *progress // no terminal: no progress
	none.done()
	if isTerminal(&b) {
		t.Error("a strings.Builder counts as a terminal")
	}
}
