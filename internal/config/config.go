// Package config loads and validates the Guardrails configuration file: rule
// actions, exemptions, and rule settings. A bad file fails at load with the
// field and the reason, never later.
package config

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	kjson "sigs.k8s.io/json"

	"github.com/guardrails-dev/guardrails/internal/rules"
	"github.com/guardrails-dev/guardrails/internal/safeyaml"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default configuration file.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Config is the configuration file.
type Config struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// ClusterMode is the mode for cluster-scoped objects.
	ClusterMode rules.Mode `json:"clusterMode"`
	// Exemptions apply to every rule.
	Exemptions []Exemption `json:"exemptions,omitempty"`
	// Rules overrides actions and adds exemptions per rule id.
	Rules map[string]RuleConfig `json:"rules,omitempty"`
	// Settings are the rule parameters: the resources, ingress and
	// priority sections of the file (embedded, so their keys sit at the
	// top level).
	rules.Settings
}

// RuleConfig overrides one rule.
type RuleConfig struct {
	// Action replaces the rule's default action.
	Action rules.Action `json:"action,omitempty"`
	// Exemptions apply to this rule only.
	Exemptions []Exemption `json:"exemptions,omitempty"`
}

// Exemption matches requests; every field that is set must match (any of
// its values). Namespace and name values may end in "*" to match a prefix.
type Exemption struct {
	Namespaces []string `json:"namespaces,omitempty"`
	// Kinds are object kinds as in the object's kind field (Deployment,
	// ClusterRoleBinding); each must be a kind some rule judges.
	Kinds  []string `json:"kinds,omitempty"`
	Names  []string `json:"names,omitempty"`
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
	// Reason says why the exemption exists. Required: it goes into the
	// audit annotation of every request the exemption lets through.
	Reason string `json:"reason"`
	// Expires, when set, ends the exemption: from that instant on it is
	// ignored (and reported at load).
	Expires *Date `json:"expires,omitempty"`
}

// Expired reports whether the exemption has an expiry at or before now.
func (e *Exemption) Expired(now time.Time) bool {
	return e.Expires != nil && !now.Before(e.Expires.Time)
}

// Date is the expiry of an exemption: a date (2026-03-01, meaning
// 00:00 UTC that day) or an RFC 3339 time (2026-03-01T18:00:00+01:00).
type Date struct{ time.Time }

// DateLayout is the layout of a date without time.
const DateLayout = "2006-01-02"

// UnmarshalJSON reads a date or an RFC 3339 time.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expires: want a date (2026-03-01) or an RFC 3339 time, got %s", b)
	}
	if t, err := time.Parse(DateLayout, s); err == nil {
		d.Time = t
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("expires: %q is neither a date (2026-03-01) nor an RFC 3339 time (2026-03-01T18:00:00Z)", s)
	}
	d.Time = t
	return nil
}

// MarshalJSON writes a date when the time is midnight UTC, else RFC 3339.
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d Date) String() string {
	if d.Equal(d.Truncate(24*time.Hour)) && d.Location() == time.UTC {
		return d.Format(DateLayout)
	}
	return d.Format(time.RFC3339)
}

// judgedKinds are the kinds some rule of the catalogue judges: what an
// exemption's kinds may name.
var judgedKinds = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range rules.Catalogue() {
		for _, gk := range r.Kinds {
			m[gk.Kind] = true
		}
	}
	return m
}()

func judgedKindList() string {
	ks := make([]string, 0, len(judgedKinds))
	for k := range judgedKinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := Parse(defaultYAML, "embedded default")
	if err != nil {
		panic(err) // covered by a test; the embedded file is ours
	}
	return c
}

// Load reads and validates a configuration file. An empty path gives the
// embedded default.
func Load(path string) (*Config, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes and validates a configuration. Unknown fields are errors:
// a misspelt key must not silently do nothing.
func Parse(data []byte, source string) (*Config, error) {
	var c Config
	js, err := safeyaml.ToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", source, err)
	}
	// Case-sensitive and strict: "clustermode" is not "clusterMode".
	strictErrs, err := kjson.UnmarshalStrict(js, &c)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", source, err)
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("config %s: %s", source, strings.Join(msgs, "; "))
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", source, err)
	}
	return &c, nil
}

// RuleSettings returns the rule parameters of this configuration, with
// the defaults of rules.DefaultSettings where the file leaves a list unset
// (a file without resources.required still requires cpu and memory; an
// explicit empty list requires nothing).
func (c *Config) RuleSettings() *rules.Settings {
	s := c.Settings
	if s.Resources.Required == nil {
		s.Resources.Required = rules.DefaultSettings().Resources.Required
	}
	return &s
}

// ExpiredExemptions describes, one line each, the exemptions of c that
// have expired at now: they are ignored. Callers log or print them when
// they load a configuration.
func (c *Config) ExpiredExemptions(now time.Time) []string {
	var out []string
	add := func(prefix string, es []Exemption) {
		for i := range es {
			if es[i].Expired(now) {
				out = append(out, fmt.Sprintf("%s[%d] (%s) expired on %s: ignored", prefix, i, es[i].Reason, es[i].Expires))
			}
		}
	}
	add("exemptions", c.Exemptions)
	for _, id := range c.ruleIDs() {
		add("rules."+id+".exemptions", c.Rules[id].Exemptions)
	}
	return out
}

// ruleIDs returns the ids of the rules section, sorted: the order in which
// messages about it are listed.
func (c *Config) ruleIDs() []string { return slices.Sorted(maps.Keys(c.Rules)) }
