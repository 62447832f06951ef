package config

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

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
		{"missing apiVersion and kind", "apiVersion: \"\"\nclusterMode: warn\n", "apiVersion: required; kind: required"},
		{"wrong apiVersion", "apiVersion: guardrails.dev/v1\nkind: Config\nclusterMode: warn\n", `apiVersion: must be "guardrails.dev/v1alpha1", got "guardrails.dev/v1"`},
		{"unknown rule", base + "clusterMode: warn\nrules:\n  resources-request: {action: warn}\n", "rules[resources-request]: unknown rule id \"resources-request\" (see `webhook rules`)"},
		{"bad action", base + "clusterMode: warn\nrules:\n  ingress-tls: {action: block}\n", `rules[ingress-tls].action: "block" is not one of [deny, warn, audit, off]`},
		{"rules in id order", base + "clusterMode: warn\nrules:\n  zz-rule: {}\n  ingress-tls: {action: block}\n  aa-rule: {}\n",
			`rules[aa-rule]: unknown rule id "aa-rule" (see ` + "`webhook rules`" + `); rules[ingress-tls].action: "block" is not one of [deny, warn, audit, off]; rules[zz-rule]: unknown`},
		{"unquoted off", base + "clusterMode: warn\nrules:\n  ingress-tls: {action: off}\n", `action: YAML reads an unquoted off as the boolean false: write "off" in quotes`},
		{"unquoted yes", base + "clusterMode: warn\nrules:\n  ingress-tls: {action: yes}\n", `action: YAML reads an unquoted on, yes or true as the boolean true`},
		{"action not a string", base + "clusterMode: warn\nrules:\n  ingress-tls: {action: 3}\n", `action: want one of "deny", "warn", "audit", "off", got 3`},
		{"unknown field", base + "clusterMode: warn\nclustermode: warn\n", `unknown field "clustermode"`},
		{"bad quantity", base + "clusterMode: warn\nresources:\n  fillDefaults: true\n  defaults: {cpu: lots}\n", `resources.defaults[cpu]: "lots" is not a Kubernetes quantity`},
		{"empty resource name", base + "clusterMode: warn\nresources:\n  fillDefaults: true\n  defaults: {\"\": \"1\"}\n", `resources.defaults[]: required: a resource name`},
		{"defaults missing", base + "clusterMode: warn\nresources:\n  fillDefaults: true\n", "resources.defaults: required when fillDefaults is true"},
		{"empty required resource", base + "clusterMode: warn\nresources:\n  required: [cpu, \"\"]\n", "resources.required[1]: required"},
		{"wrong kind", "apiVersion: guardrails.dev/v1alpha1\nkind: Settings\nclusterMode: warn\n", `kind: must be "Config", got "Settings"`},
		{"empty exemption", base + "clusterMode: warn\nexemptions:\n- reason: everyone\n", "exemptions[0]: an exemption needs at least one of namespaces, kinds, names, users, groups"},
		{"no reason", base + "clusterMode: warn\nexemptions:\n- users: [ci]\n", "exemptions[0].reason: required: say why"},
		{"no reason in a rule", base + "clusterMode: warn\nrules:\n  ingress-tls:\n    exemptions:\n    - users: [ci]\n      reason: \"\"\n", "rules[ingress-tls].exemptions[0].reason: required"},
		{"unknown kind", base + "clusterMode: warn\nexemptions:\n- kinds: [Deploymnet]\n  reason: typo\n", `exemptions[0].kinds[0]: "Deploymnet" is not a kind any rule judges (one of ClusterRole, ClusterRoleBinding, CronJob,`},
		{"empty exemption values", base + "clusterMode: warn\nexemptions:\n- kinds: [Pod, \"\"]\n  namespaces: [\"\"]\n  names: [\"\"]\n  users: [\"\"]\n  groups: [\"\"]\n  reason: typo\n",
			"exemptions[0].namespaces[0]: required; exemptions[0].kinds[1]: required; exemptions[0].names[0]: required; exemptions[0].users[0]: required; exemptions[0].groups[0]: required"},
		{"bad expiry", base + "clusterMode: warn\nexemptions:\n- users: [ci]\n  reason: r\n  expires: next week\n", `expires: "next week" is neither a date (2026-03-01) nor an RFC 3339 time`},
		{"expiry not a string", base + "clusterMode: warn\nexemptions:\n- users: [ci]\n  reason: r\n  expires: 20260301\n", "expires: want a date"},
		{"not yaml", "{{{", "config test.yaml"},
		{"shared host without namespaces", base + "clusterMode: warn\ningress:\n  sharedHosts:\n  - hosts: [a.example.com]\n", "ingress.sharedHosts[0].namespaces: needs at least 1 entry"},
		{"shared host with an empty host", base + "clusterMode: warn\ningress:\n  sharedHosts:\n  - hosts: [\"\"]\n    namespaces: [a]\n", "ingress.sharedHosts[0].hosts[0]: required"},
		{"empty namespace lists", base + "clusterMode: warn\ningress:\n  wildcardHostNamespaces: [\"\"]\npriority:\n  addonNamespaces: [a, \"\"]\n  criticalClasses: [\"\"]\n",
			"ingress.wildcardHostNamespaces[0]: required; priority.addonNamespaces[1]: required; priority.criticalClasses[0]: required"},
		{"alias bomb", base + "clusterMode: warn\nnotes: &n " + strings.Repeat("x", 64<<10) + "\nmore: [" + strings.Repeat("*n, ", 100) + "*n]\n",
			"config test.yaml: aliases expand this document from 65.0 KiB to about 6.4 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test.yaml")
			if err == nil {
				t.Fatalf("Parse accepted %q", tc.yaml)
			}
			// The problems follow "config test.yaml: ": want is the
			// beginning of one of them, so a field path cannot gain a
			// prefix unnoticed.
			msg := err.Error()
			problems := "; " + strings.TrimPrefix(msg, "config test.yaml: ")
			if !strings.HasPrefix(msg, tc.want) && !strings.Contains(problems, "; "+tc.want) {
				t.Errorf("error %q has no problem starting %q", msg, tc.want)
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
  sharedHosts:
  - hosts: [api.example.com, "*.apps.example.com"]
    namespaces: [platform, team-a]
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
	if !s.Ingress.SharedWith("x.apps.example.com", "team-a") || s.Ingress.SharedWith("api.example.com", "team-b") {
		t.Errorf("sharedHosts = %+v", s.Ingress.SharedHosts)
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

func TestExemptionExpiry(t *testing.T) {
	c, err := Parse([]byte(`apiVersion: guardrails.dev/v1alpha1
kind: Config
clusterMode: enforce
exemptions:
- users: [ci]
  reason: forever
- namespaces: [legacy]
  reason: migration to requests
  expires: 2026-03-01
rules:
  ingress-tls:
    exemptions:
    - namespaces: [edge]
      reason: certificates from the load balancer
      expires: "2026-03-01T12:00:00+01:00"
`), "t")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Exemptions[1].Expires.Time; !got.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a date expires at 00:00 UTC; got %v", got)
	}
	if got := c.Rules["ingress-tls"].Exemptions[0].Expires.Time; !got.Equal(time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("an RFC 3339 time keeps its offset; got %v", got)
	}
	for _, tc := range []struct {
		now  time.Time
		want []string
	}{
		{time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), nil},
		{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), []string{"exemptions[1] (migration to requests) expired on 2026-03-01: ignored"}},
		{time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), []string{
			"exemptions[1] (migration to requests) expired on 2026-03-01: ignored",
			"rules.ingress-tls.exemptions[0] (certificates from the load balancer) expired on 2026-03-01T12:00:00+01:00: ignored",
		}},
	} {
		if got := c.ExpiredExemptions(tc.now); !slices.Equal(got, tc.want) {
			t.Errorf("ExpiredExemptions(%v) = %q, want %q", tc.now, got, tc.want)
		}
	}
	if c.Exemptions[0].Expired(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("an exemption without expires expired")
	}
}
