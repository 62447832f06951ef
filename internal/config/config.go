// Package config loads and validates the Guardrails configuration file: rule
// actions, exemptions, and rule settings. A bad file fails at load with the
// field and the reason, never later.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-playground/validator/v10"
	"k8s.io/apimachinery/pkg/api/resource"
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
	APIVersion string `json:"apiVersion" validate:"required,eq=guardrails.dev/v1alpha1"`
	Kind       string `json:"kind" validate:"required,eq=Config"`
	// ClusterMode is the mode for cluster-scoped objects.
	ClusterMode rules.Mode `json:"clusterMode" validate:"required,oneof=enforce warn audit"`
	// Exemptions apply to every rule.
	Exemptions []Exemption `json:"exemptions,omitempty" validate:"dive"`
	// Rules overrides actions and adds exemptions per rule id.
	Rules map[string]RuleConfig `json:"rules,omitempty" validate:"dive,keys,ruleid,endkeys"`
	// Settings are the rule parameters: the resources, ingress and
	// priority sections of the file (embedded, so their keys sit at the
	// top level).
	rules.Settings
}

// RuleConfig overrides one rule.
type RuleConfig struct {
	// Action replaces the rule's default action.
	Action rules.Action `json:"action,omitempty" validate:"omitempty,oneof=deny warn audit off"`
	// Exemptions apply to this rule only.
	Exemptions []Exemption `json:"exemptions,omitempty" validate:"dive"`
}

// Exemption matches requests; every field that is set must match (any of
// its values). Namespace and name values may end in "*" to match a prefix.
type Exemption struct {
	Namespaces []string `json:"namespaces,omitempty" validate:"dive,required"`
	Names      []string `json:"names,omitempty" validate:"dive,required"`
	Users      []string `json:"users,omitempty" validate:"dive,required"`
	Groups     []string `json:"groups,omitempty" validate:"dive,required"`
	// Reason documents why the exemption exists.
	Reason string `json:"reason,omitempty"`
}

var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflectStructField) string { return jsonName(f) })
	_ = v.RegisterValidation("ruleid", func(fl validator.FieldLevel) bool {
		_, ok := rules.Lookup(fl.Field().String())
		return ok
	})
	v.RegisterStructValidation(func(sl validator.StructLevel) {
		e := sl.Current().Interface().(Exemption)
		if len(e.Namespaces)+len(e.Names)+len(e.Users)+len(e.Groups) == 0 {
			sl.ReportError(e.Reason, "reason", "reason", "nonempty", "")
		}
	}, Exemption{})
	_ = v.RegisterValidation("quantity", func(fl validator.FieldLevel) bool {
		_, err := resource.ParseQuantity(fl.Field().String())
		return err == nil
	})
	return v
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

// Validate checks every field and reports all problems at once, each with
// its field path.
func (c *Config) Validate() error {
	err := validate.Struct(c)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	msgs := make([]string, 0, len(verrs))
	for _, fe := range verrs {
		msgs = append(msgs, describe(fe))
	}
	return errors.New(strings.Join(msgs, "; "))
}

func describe(fe validator.FieldError) string {
	ns := fe.Namespace()
	if i := strings.IndexByte(ns, '.'); i >= 0 {
		ns = ns[i+1:] // drop the root type name
	}
	switch fe.Tag() {
	case "required":
		return fmt.Sprintf("%s: required", ns)
	case "required_if":
		return fmt.Sprintf("%s: required when fillDefaults is true", ns)
	case "oneof":
		return fmt.Sprintf("%s: %q is not one of [%s]", ns, fe.Value(), strings.ReplaceAll(fe.Param(), " ", ", "))
	case "eq":
		return fmt.Sprintf("%s: must be %q, got %q", ns, fe.Param(), fe.Value())
	case "ruleid":
		return fmt.Sprintf("%s: unknown rule id %q (see `webhook rules`)", ns, fe.Value())
	case "nonempty":
		return fmt.Sprintf("%s: an exemption needs at least one of namespaces, names, users, groups", strings.TrimSuffix(ns, ".reason"))
	case "quantity":
		return fmt.Sprintf("%s: %q is not a Kubernetes quantity", ns, fe.Value())
	}
	return fmt.Sprintf("%s: failed %q", ns, fe.Tag())
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
