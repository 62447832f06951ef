package admission

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// verdict sorts the findings of one request by what they do.
type verdict struct {
	deny  []rules.Finding
	warn  []rules.Finding
	audit []rules.Finding
	// demoted are deny findings returned as warnings, with the reason:
	// findings the old object of an UPDATE already had, findings on a pod
	// whose owning workload was judged at its own admission.
	demoted []demotedFinding
	// exempted are the rules an exemption of the configuration turned off
	// for this request while they would have reported it.
	exempted []policy.Exempted
	// notes are extra warnings (the preview of a stricter mode).
	notes []string
}

// any reports whether the verdict holds any finding.
func (v *verdict) any() bool {
	return len(v.deny)+len(v.warn)+len(v.audit)+len(v.demoted) > 0
}

type demotedFinding struct {
	rules.Finding
	why string
}

// demoteAll moves every deny finding into v.demoted with the reason why.
func (v *verdict) demoteAll(why string) {
	for _, f := range v.deny {
		f.Severity = rules.ActionWarn
		v.demoted = append(v.demoted, demotedFinding{f, why})
	}
	v.deny = nil
}

// classify caps every finding at the mode's strongest action: enforce
// keeps deny, warn turns deny into warn, audit turns everything into
// audit. A rule configured as audit stays audit in every mode.
func classify(fs []rules.Finding, mode rules.Mode) verdict {
	var v verdict
	limit := mode.Action()
	for _, f := range fs {
		f.Severity = rules.Milder(f.Severity, limit)
		switch f.Severity {
		case rules.ActionDeny:
			v.deny = append(v.deny, f)
		case rules.ActionWarn:
			v.warn = append(v.warn, f)
		case rules.ActionAudit:
			v.audit = append(v.audit, f)
		}
	}
	return v
}

// findingKey identifies a finding across the old and new object of an
// UPDATE. List indices are left out of the field path: adding a container
// in front of an old one moves the old one's finding from containers[0] to
// containers[1] without changing it (messages name the container, host or
// subject, so they still tell findings apart).
type findingKey struct{ rule, field, message string }

func keyOf(f rules.Finding) findingKey {
	return findingKey{f.Rule, anyIndex(f.Field), f.Message}
}

// anyIndex replaces each list index of a field path ("[" ASCII digits "]")
// with "[*]"; a path without one comes back as is.
func anyIndex(path string) string {
	var b []byte
	last := 0 // path[last:] is not copied to b yet
	for i := 0; i < len(path); i++ {
		if path[i] != '[' {
			continue
		}
		j := i + 1
		for j < len(path) && path[j] >= '0' && path[j] <= '9' {
			j++
		}
		if j == i+1 || j == len(path) || path[j] != ']' {
			continue
		}
		if b == nil {
			b = make([]byte, 0, len(path))
		}
		b = append(append(b, path[last:i]...), "[*]"...)
		last = j + 1
		i = j
	}
	if b == nil {
		return path
	}
	return string(append(b, path[last:]...))
}

// demotePreexisting moves the deny findings that old already had into
// v.demoted.
func (v *verdict) demotePreexisting(old []rules.Finding) {
	if len(old) == 0 || len(v.deny) == 0 {
		return
	}
	had := make(map[findingKey]bool, len(old))
	for _, f := range old {
		had[keyOf(f)] = true
	}
	kept := v.deny[:0]
	for _, f := range v.deny {
		if had[keyOf(f)] {
			f.Severity = rules.ActionWarn
			v.demoted = append(v.demoted, demotedFinding{f, "already there before this update; not denied"})
		} else {
			kept = append(kept, f)
		}
	}
	v.deny = kept
}

// findingLine is `[rule-id] field.path: message`, plus ` (hint)` when
// asked, on one line. It is what the requester reads (denials, warnings):
// never the finding's Detail.
func findingLine(f rules.Finding, hint bool) string {
	var b strings.Builder
	b.Grow(len(f.Rule) + len(f.Field) + len(f.Message) + len(f.Hint) + 8)
	b.WriteByte('[')
	b.WriteString(f.Rule)
	b.WriteString("] ")
	if f.Field != "" {
		b.WriteString(f.Field)
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	if hint && f.Hint != "" {
		b.WriteString(" (")
		b.WriteString(f.Hint)
		b.WriteByte(')')
	}
	return oneLine(b.String())
}

// denyMessage is the message kubectl prints after "denied the request: ":
// one line per finding, capped at MaxDenyLines.
func denyMessage(fs []rules.Finding) string {
	lines := make([]string, 0, min(len(fs), MaxDenyLines)+1)
	for i, f := range fs {
		if i == MaxDenyLines {
			lines = append(lines, fmt.Sprintf("... and %d more %s (run `webhook check` on the manifest for the full list)", len(fs)-MaxDenyLines, plural(len(fs)-MaxDenyLines, "finding", "findings")))
			break
		}
		lines = append(lines, denyLine(f))
	}
	return strings.Join(lines, "\n")
}

// denyLine is findingLine(f, true) capped at maxDenyLineLen. A longer
// line loses the end of its message, not its hint: the hint says what to
// do, the message's end lists more of the same (bindings, subjects). A
// hint that would leave the message less than a quarter of the line is
// cut like the rest.
func denyLine(f rules.Finding) string {
	line := findingLine(f, true)
	if len(line) <= maxDenyLineLen || f.Hint == "" {
		return rules.Truncate(line, maxDenyLineLen)
	}
	bare := f
	bare.Message = ""
	budget := maxDenyLineLen - len(findingLine(bare, true))
	if budget < maxDenyLineLen/4 {
		return rules.Truncate(line, maxDenyLineLen)
	}
	f.Message = rules.Truncate(f.Message, budget)
	return rules.Truncate(findingLine(f, true), maxDenyLineLen)
}

// denied is the denial of ref for the deny findings fs: HTTP 403 with
// denyMessage, and one status cause per finding (type: the rule id, field:
// the field path) for clients that read causes rather than the message.
func denied(ref rules.ObjectRef, fs []rules.Finding) admission.Response {
	resp := admission.Denied(denyMessage(fs))
	causes := make([]metav1.StatusCause, 0, len(fs))
	for _, f := range fs {
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseType(f.Rule), Field: f.Field, Message: oneLine(f.Message)})
	}
	resp.Result.Details = &metav1.StatusDetails{
		Name:   ref.Name,
		Group:  schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind).Group,
		Kind:   ref.Kind,
		Causes: causes,
	}
	return resp
}

// warnings renders warn findings, demoted deny findings and extra
// notes as kubectl warnings: short single lines, capped at MaxWarnings.
func warnings(v verdict, notes []string) []string {
	total := len(notes) + len(v.warn) + len(v.demoted)
	if total == 0 {
		return nil
	}
	out := make([]string, 0, min(total, MaxWarnings)+1)
	add := func(s string) bool {
		if len(out) == MaxWarnings {
			return false
		}
		out = append(out, rules.Truncate(oneLine(s), MaxWarningLen))
		return true
	}
	n := 0
	for _, s := range notes {
		if add(s) {
			n++
		}
	}
	for _, d := range v.demoted {
		if add(findingLine(d.Finding, false) + " (" + d.why + ")") {
			n++
		}
	}
	for _, f := range v.warn {
		if add(findingLine(f, false)) {
			n++
		}
	}
	if rest := total - n; rest > 0 {
		out = append(out, fmt.Sprintf("[guardrails] ... and %d more %s (run `webhook check` on the manifest for the full list)", rest, plural(rest, "warning", "warnings")))
	}
	return out
}

// auditAnnotations returns one audit annotation per rule: the key is the
// rule id (the API server prefixes it with the webhook's name, giving e.g.
// validate.guardrails.dev/resources-requests), the value the findings as
// `field: message` joined with "; ", each followed by ` [detail]` when it
// has one. The audit log is the administrators': the detail (another
// namespace, its objects) goes there, never into a denial or a warning.
func auditAnnotations(fs []rules.Finding) map[string]string {
	if len(fs) == 0 {
		return nil
	}
	fs = rules.CapPerRule(fs)
	byRule := map[string][]string{}
	var ids []string
	for _, f := range fs {
		if _, ok := byRule[f.Rule]; !ok {
			ids = append(ids, f.Rule)
		}
		s := f.Message
		if f.Field != "" {
			s = f.Field + ": " + s
		}
		if f.Detail != "" {
			s += " [" + f.Detail + "]"
		}
		byRule[f.Rule] = append(byRule[f.Rule], oneLine(s))
	}
	sort.Strings(ids)
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		out[id] = rules.Truncate(strings.Join(byRule[id], "; "), maxAuditValueLen)
	}
	return out
}

// exemptedKey is the audit annotation of a request an exemption let
// through; the API server prefixes it with the webhook's name (e.g.
// namespaced.validate.guardrails.dev/exempted).
const exemptedKey = "exempted"

// exemptedAnnotation is the value of exemptedKey: one
// `rule: reason (exemption)` per rule, joined with "; ".
func exemptedAnnotation(xs []policy.Exempted) string {
	parts := make([]string, 0, len(xs))
	for _, x := range xs {
		parts = append(parts, oneLine(fmt.Sprintf("%s: %s (%s)", x.Rule, x.Exemption.Reason, x.Exemption.ID)))
	}
	return rules.Truncate(strings.Join(parts, "; "), maxAuditValueLen)
}

// oneLine replaces control characters (newlines from hostile annotation
// values, tabs) with spaces: warnings travel as HTTP headers, and a denial
// has one line per finding.
func oneLine(s string) string {
	printableASCII := true
	for i := 0; i < len(s) && printableASCII; i++ {
		printableASCII = ' ' <= s[i] && s[i] < 0x7f // ASCII's controls are below space and DEL
	}
	if printableASCII || strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
