package rules

import (
	"cmp"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Truncate cuts s to at most n bytes on a rune boundary, ending in "...":
// what a tenant wrote is bounded the same way in denials, warnings,
// audit annotations, log lines and Events.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// MaxFindingsPerRule is how many findings of one rule on one object are
// listed; CapPerRule sums up the rest in one finding. A tenant can send an
// object with thousands of findings (an Ingress with 256 KiB of annotation
// names), and every listed finding costs log, report and response bytes.
const MaxFindingsPerRule = 20

// CapPerRule keeps, for each rule, its first MaxFindingsPerRule findings,
// the strictest first (deny before warn before audit, in their order
// otherwise), and replaces the rest with one finding of the rule saying
// how many more there are, of the strictest severity among them, so that
// capping never turns a denial into a warning. Findings of a rule within
// the cap are returned as they are, in their order. fs is not modified.
func CapPerRule(fs []Finding) []Finding {
	count := map[string]int{}
	over := false
	for _, f := range fs {
		count[f.Rule]++
		over = over || count[f.Rule] > MaxFindingsPerRule
	}
	if !over {
		return fs
	}
	out := make([]Finding, 0, len(fs))
	done := map[string]bool{}
	for _, f := range fs {
		switch {
		case count[f.Rule] <= MaxFindingsPerRule:
			out = append(out, f)
		case !done[f.Rule]:
			done[f.Rule] = true
			out = append(out, capRule(fs, f.Rule)...)
		}
	}
	return out
}

// capRule returns the listed findings of rule and the finding summing up
// the rest.
func capRule(fs []Finding, rule string) []Finding {
	var of []Finding
	for _, f := range fs {
		if f.Rule == rule {
			of = append(of, f)
		}
	}
	slices.SortStableFunc(of, func(a, b Finding) int { return cmp.Compare(b.Severity.weight(), a.Severity.weight()) })
	kept, rest := of[:MaxFindingsPerRule], of[MaxFindingsPerRule:]
	// rest[0] is of the strictest severity: sorted.
	return append(kept, OmittedFinding(rule, rest[0].Severity, rest[0].Object, len(rest)))
}

// OmittedFinding is the finding that stands for n findings of rule on obj
// that are not listed, the strictest of them of severity sev.
func OmittedFinding(rule string, sev Action, obj ObjectRef, n int) Finding {
	return Finding{
		Rule:     rule,
		Severity: sev,
		Object:   obj,
		Message: fmt.Sprintf("%d more %s of this rule on this object not listed (at most %d are listed per rule)",
			n, plural(n, "finding", "findings"), MaxFindingsPerRule),
		Hint: "Fix the findings listed and check again to see the rest.",
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
