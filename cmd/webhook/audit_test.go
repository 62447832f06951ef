package main

import (
	"strings"
	"testing"
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
