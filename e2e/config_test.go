//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/guardrails-dev/guardrails/internal/config"
)

// suiteAddonNamespaces are the suite's namespaces where critical add-ons
// live (priority.addonNamespaces): add-ons are recognised only in
// kube-system, their upstream namespaces and these, and the suite moves
// kube-system's add-ons into namespaces of its own. e2e-mutate is
// testMutation's; the examples test puts examples/*/coredns*.yaml (kube-system
// in the files) into ex-<mode>-<dir>-<file>. Tenant scenarios use other
// namespaces, where the same labels count for nothing.
var suiteAddonNamespaces = []string{
	"e2e-mutate",
	"ex-enforce-bad-coredns-without-priority",
	"ex-warn-bad-coredns-without-priority",
	"ex-audit-bad-coredns-without-priority",
	"ex-enforce-good-coredns",
	"ex-warn-good-coredns",
	"ex-audit-good-coredns",
}

// writeSuiteConfig writes the webhook's configuration for the suite into
// dir: the embedded default with priority.addonNamespaces set to
// suiteAddonNamespaces and ingress.sharedHosts letting ownTenant serve
// sharedHost, checked by the same parser the webhook uses.
func writeSuiteConfig(dir string) (string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(config.DefaultYAML(), &doc); err != nil {
		return "", fmt.Errorf("the embedded default configuration: %w", err)
	}
	priority, _ := doc["priority"].(map[string]any)
	if priority == nil {
		priority = map[string]any{}
		doc["priority"] = priority
	}
	priority["addonNamespaces"] = suiteAddonNamespaces
	ingress, _ := doc["ingress"].(map[string]any)
	if ingress == nil {
		ingress = map[string]any{}
		doc["ingress"] = ingress
	}
	ingress["sharedHosts"] = []any{map[string]any{"hosts": []string{sharedHost}, "namespaces": []string{ownTenant}}}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return "", err
	}
	if _, err := config.Parse(data, "e2e suite configuration"); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "guardrails-config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", err
	}
	return path, nil
}
