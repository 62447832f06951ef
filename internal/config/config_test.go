package config

import (
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

func TestDefaultLoads(t *testing.T) {
	c := Default()
	if c.ClusterMode != "enforce" {
		t.Errorf("clusterMode = %q, want enforce", c.ClusterMode)
	}
	if got, want := c.RuleSettings(), rules.DefaultSettings(); !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("the embedded default's settings differ from rules.DefaultSettings:\n got %+v\nwant %+v", got, want)
	}
	if len(c.Exemptions) != 1 || len(c.Exemptions[0].Users) != 1 || c.Exemptions[0].Users[0] != "system:apiserver" {
		t.Errorf("default global exemptions = %+v, want only the API server", c.Exemptions)
	}
}

func TestParseErrors(t *testing.T) {
	base := "apiVersion: guardrails.dev/v1alpha1\nkind: Config\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"bad mode", base + "clusterMode: loud\n", `clusterMode: "loud" is not one of [enforce, warn, audit]`},
		{"missing mode", base, "clusterMode: required"},
		{"unknown rule", base + "clusterMode: warn\nrules:\n  resources-request: {action: warn}\n", `unknown rule id "resources-request"`},
		{"bad action", base + "clusterMode: warn\nrules:\n  ingress-tls: {action: block}\n", `rules[ingress-tls].action: "block" is not one of [deny, warn, audit, off]`},
		{"unknown field", base + "clusterMode: warn\nclustermode: warn\n", `unknown field "clustermode"`},
		{"bad quantity", base + "clusterMode: warn\nresources:\n  fillDefaults: true\n  defaults: {cpu: lots}\n", `resources.defaults[cpu]: "lots" is not a Kubernetes quantity`},
		{"defaults missing", base + "clusterMode: warn\nresources:\n  fillDefaults: true\n", "resources.defaults: required when fillDefaults is true"},
		{"wrong kind", "apiVersion: guardrails.dev/v1alpha1\nkind: Settings\nclusterMode: warn\n", `kind: must be "Config", got "Settings"`},
		{"empty exemption", base + "clusterMode: warn\nexemptions:\n- reason: everyone\n", "exemptions[0]: an exemption needs at least one of namespaces, names, users, groups"},
		{"not yaml", "{{{", "config test.yaml"},
		{"alias bomb", base + "clusterMode: warn\nnotes: &n " + strings.Repeat("x", 64<<10) + "\nmore: [" + strings.Repeat("*n, ", 100) + "*n]\n",
			"config test.yaml: aliases expand this document from 65.0 KiB to about 6.4 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test.yaml")
			if err == nil {
				t.Fatalf("Parse accepted %q", tc.yaml)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// TestParseAnchors: anchors used with measure are fine in a configuration.
func TestParseAnchors(t *testing.T) {
	c, err := Parse([]byte(`apiVersion: guardrails.dev/v1alpha1
kind: Config
clusterMode: warn
exemptions:
- {reason: platform team, namespaces: &platform [infra, monitoring]}
rules:
  ingress-tls:
    exemptions:
    - {reason: platform team, namespaces: *platform}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Rules["ingress-tls"].Exemptions[0].Namespaces; len(got) != 2 || got[1] != "monitoring" {
		t.Errorf("aliased namespaces = %q", got)
	}
}

func TestParseOverrides(t *testing.T) {
	c, err := Parse([]byte(`apiVersion: guardrails.dev/v1alpha1
kind: Config
clusterMode: warn
rules:
  ingress-tls: {action: "off"}
resources:
  required: [memory]
ingress:
  wildcardHostNamespaces: [edge]
`), "t")
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules["ingress-tls"].Action != rules.ActionOff {
		t.Errorf("ingress-tls action = %q", c.Rules["ingress-tls"].Action)
	}
	s := c.RuleSettings()
	if len(s.Resources.Required) != 1 || s.Resources.Required[0] != "memory" {
		t.Errorf("required = %v", s.Resources.Required)
	}
	if len(s.Ingress.WildcardHostNamespaces) != 1 {
		t.Errorf("wildcard namespaces = %v", s.Ingress.WildcardHostNamespaces)
	}
}

// TestDefaultDocumentsEveryParameter: the embedded default configuration
// writes out every parameter a rule reads, so that `webhook rules` and the
// README print its default.
func TestDefaultDocumentsEveryParameter(t *testing.T) {
	js, err := yaml.YAMLToJSON(DefaultYAML())
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(js, &root); err != nil {
		t.Fatal(err)
	}
	for _, r := range rules.Catalogue() {
		for _, key := range r.Params {
			var v any = root
			for _, part := range strings.Split(key, ".") {
				m, ok := v.(map[string]any)
				if !ok {
					v = nil
					break
				}
				if v, ok = m[part]; !ok {
					break
				}
			}
			if v == nil {
				t.Errorf("rule %s: parameter %s is not written out in default.yaml", r.ID, key)
			}
		}
	}
}
