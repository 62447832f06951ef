package admission

import (
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// maxLogMessageLen caps the message of one finding in the log.
const maxLogMessageLen = maxDenyLineLen

// capPerRule lists at most rules.MaxFindingsPerRule findings of each rule
// in each list of the verdict and sums up the rest in one finding (see
// rules.CapPerRule), for the log and the audit annotations: they stay
// small whatever the object holds. The UPDATE comparison, the metrics and
// the answer (which lists ten findings and counts the rest) see every
// finding.
func (v *verdict) capPerRule() {
	v.deny = rules.CapPerRule(v.deny)
	v.warn = rules.CapPerRule(v.warn)
	v.audit = rules.CapPerRule(v.audit)
	v.demoted = capDemoted(v.demoted)
}

// capDemoted is rules.CapPerRule for demoted findings (all warnings): the
// first ones of each rule, then one finding per rule for the rest.
func capDemoted(ds []demotedFinding) []demotedFinding {
	if len(ds) <= rules.MaxFindingsPerRule {
		return ds
	}
	listed := map[string]int{}
	var out []demotedFinding
	var over []demotedFinding // the first omitted finding of each rule
	omitted := map[string]int{}
	for _, d := range ds {
		if listed[d.Rule] < rules.MaxFindingsPerRule {
			listed[d.Rule]++
			out = append(out, d)
			continue
		}
		if omitted[d.Rule] == 0 {
			over = append(over, d)
		}
		omitted[d.Rule]++
	}
	for _, d := range over {
		out = append(out, demotedFinding{rules.OmittedFinding(d.Rule, d.Severity, d.Object, omitted[d.Rule]), d.why})
	}
	return out
}
