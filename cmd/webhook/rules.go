package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
	"github.com/guardrails-dev/guardrails/internal/vap"
)

func newRulesCmd() *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Print the rule catalogue",
		Long: "Print every rule with its id, default action, kinds and documentation, and what its fallback inside the API server " +
			"(`webhook vap`) judges while the webhook is down. --markdown prints the README's rules table.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if markdown {
				return writeRulesMarkdown(cmd.OutOrStdout(), rules.Catalogue())
			}
			return writeRulesText(cmd.OutOrStdout(), rules.Catalogue())
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the README rules table in Markdown")
	return cmd
}

func kindsOf(r *rules.Rule) string {
	if len(r.Kinds) == len(rules.PodKinds) && r.Kinds[0] == rules.PodKinds[0] {
		return "Pod and every workload with a pod template"
	}
	names := make([]string, 0, len(r.Kinds))
	for _, k := range r.Kinds {
		names = append(names, k.Kind)
	}
	return strings.Join(names, ", ")
}

// paramDefaults returns each rule parameter's value as the embedded
// default configuration file writes it, as compact JSON, keyed by its dotted name
// (resources.required): the one source of the defaults the docs print.
func paramDefaults() (map[string]string, error) {
	js, err := yaml.YAMLToJSON(config.DefaultYAML())
	if err != nil {
		return nil, err
	}
	var root map[string]any
	if err := json.Unmarshal(js, &root); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range rules.Catalogue() {
		for _, key := range r.Params {
			var v any = root
			for _, part := range strings.Split(key, ".") {
				m, _ := v.(map[string]any)
				v = m[part]
			}
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			out[key] = strings.ReplaceAll(string(b), ",", ", ")
		}
	}
	return out, nil
}

// paramsOf lists a rule's parameters with their defaults:
// `resources.required` = `["cpu", "memory"]`.
func paramsOf(r *rules.Rule, defaults map[string]string, code func(string) string) string {
	parts := make([]string, 0, len(r.Params))
	for _, key := range r.Params {
		parts = append(parts, fmt.Sprintf("%s = %s", code(key), code(defaults[key])))
	}
	return strings.Join(parts, ", ")
}

// defaultOf is the default action, with the findings the rule caps lower.
func defaultOf(r *rules.Rule) string {
	if r.DefaultNote != "" {
		return fmt.Sprintf("%s (%s)", r.DefaultAction, r.DefaultNote)
	}
	return string(r.DefaultAction)
}

// fallbackOf says what the rule's ValidatingAdmissionPolicy (`webhook
// vap`) judges while the webhook is down: "no" when the rule needs the
// webhook (cluster lookups, or nothing to deny).
func fallbackOf(r *rules.Rule) string {
	if c := vap.Covers(r.ID); c != "" {
		return c
	}
	return "no"
}

func writeRulesText(w io.Writer, rs []*rules.Rule) error {
	defaults, err := paramDefaults()
	if err != nil {
		return err
	}
	for i, r := range rs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (default: %s)\n", r.ID, defaultOf(r))
		fmt.Fprintf(w, "  %s\n", r.Summary)
		fmt.Fprintf(w, "  kinds: %s\n", kindsOf(r))
		fmt.Fprintf(w, "  API-server fallback: %s\n", fallbackOf(r))
		if r.Why != "" {
			fmt.Fprintf(w, "  why: %s\n", r.Why)
		}
		if r.Fix != "" {
			fmt.Fprintf(w, "  fix: %s\n", r.Fix)
		}
		if len(r.Params) > 0 {
			fmt.Fprintf(w, "  parameters (configuration, with defaults): %s\n", paramsOf(r, defaults, func(s string) string { return s }))
		}
	}
	return nil
}

func writeRulesMarkdown(w io.Writer, rs []*rules.Rule) error {
	defaults, err := paramDefaults()
	if err != nil {
		return err
	}
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	code := func(s string) string { return "`" + s + "`" }
	fmt.Fprintln(w, "| rule | default | kinds | what it catches | how to fix | parameters (defaults) | API-server fallback |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rs {
		fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | %s | %s |\n", r.ID, defaultOf(r), esc(kindsOf(r)), esc(r.Summary), esc(r.Fix),
			esc(paramsOf(r, defaults, code)), esc(fallbackOf(r)))
	}
	return nil
}
