package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

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
	}
	return nil
}

func writeRulesMarkdown(w io.Writer, rs []*rules.Rule) error {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	fmt.Fprintln(w, "| rule | default | kinds | what it catches | how to fix | API-server fallback |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for _, r := range rs {
		fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | %s |\n", r.ID, defaultOf(r), esc(kindsOf(r)), esc(r.Summary), esc(r.Fix), esc(fallbackOf(r)))
	}
	return nil
}
