package vap

import (
	"strconv"
	"strings"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// namespaceModeLabel judges the labels guardrails.dev/mode and
// guardrails.dev/failure-policy of Namespaces: the mode must be a mode,
// and on UPDATE must not be lowered (an invalid old value counts as
// enforce) or removed; the failure policy must be ignore or fail, and
// must not be switched to ignore. The whole rule; who may lower the mode
// is the configuration's business (exemptions; by default the group
// system:masters).
var namespaceModeLabel = check{
	rule:          "namespace-mode-label",
	covers:        "yes",
	resources:     []resource{{group: "", resource: "namespaces"}},
	namespaceKind: true,
	findings: func(_ *config.Config, root, prev string) string {
		var modes, strictness []string
		for _, m := range rules.Modes {
			modes = append(modes, string(m))
			strictness = append(strictness, str(string(m))+": "+strconv.Itoa(m.Strictness()))
		}
		kv := []string{
			"$ML", str(rules.ModeLabel), "$FL", str(rules.FailurePolicyLabel),
			"$MODES", strList(modes), "$LIST", str(strings.Join(modes, ", ")), "$STRICT", "{" + strings.Join(strictness, ", ") + "}",
			"$IGNORE", str(string(rules.FailurePolicyIgnore)), "$FPS", strList([]string{string(rules.FailurePolicyIgnore), string(rules.FailurePolicyFail)}),
			"$MF", str("metadata.labels[" + rules.ModeLabel + "]"), "$FF", str("metadata.labels[" + rules.FailurePolicyLabel + "]"),
			"$P", prev, "$R", root,
		}
		invalid := expand(`
(has($R.metadata.labels) && $ML in $R.metadata.labels && !($R.metadata.labels[$ML] in $MODES) ?
  [[$MF, $MF,
    'namespace label guardrails.dev/mode has invalid value "' + $R.metadata.labels[$ML] + '"; Guardrails treats it as enforce until it is one of ' + $LIST,
    'set guardrails.dev/mode to enforce, warn or audit (lowercase)']] : [])`, kv...)
		// The old mode as the webhook served it: an invalid value is
		// enforce. Only when the new value is absent or valid (an invalid
		// one is reported as such).
		changed := expand(`
($P != null && has($P.metadata.labels) && $ML in $P.metadata.labels ? (
  !(has($R.metadata.labels) && $ML in $R.metadata.labels) ?
    [[$MF, $MF,
      'removing namespace label guardrails.dev/mode (was "' + $OLD + '") switches Guardrails off for this namespace',
      'keep guardrails.dev/mode: ' + $OLD + '; only a cluster administrator may remove it']] :
  $R.metadata.labels[$ML] in $MODES && $STRICT[$R.metadata.labels[$ML]] < $STRICT[$OLD] ?
    [[$MF, $MF,
      'lowering namespace label guardrails.dev/mode from "' + $OLD + '" to "' + $R.metadata.labels[$ML] + '" weakens Guardrails for this namespace',
      'keep guardrails.dev/mode: ' + $OLD + ' (or raise it); only a cluster administrator may lower it']] :
  []) : [])`, append(kv, "$OLD", expand("($P.metadata.labels[$ML] in $MODES ? $P.metadata.labels[$ML] : 'enforce')", kv...))...)
		switched := "[]"
		if prev != "" {
			switched = expand(`
$P != null && $R.metadata.labels[$FL] == $IGNORE && !(has($P.metadata.labels) && $FL in $P.metadata.labels && $P.metadata.labels[$FL] == $IGNORE) ?
    [[$FF, $FF,
      'setting namespace label guardrails.dev/failure-policy to ignore lets requests through whenever the webhook cannot judge them',
      'remove guardrails.dev/failure-policy; only a cluster administrator may set it (for infrastructure namespaces)']] :
  []`, kv...)
		}
		failurePolicy := expand(`
(!(has($R.metadata.labels) && $FL in $R.metadata.labels) ? [] :
  !($R.metadata.labels[$FL] in $FPS) ?
    [[$FF, $FF,
      'namespace label guardrails.dev/failure-policy has invalid value "' + $R.metadata.labels[$FL] + '"; it must be ignore or fail (any other value means fail)',
      'set guardrails.dev/failure-policy to ignore or fail (lowercase), or remove it']] :
  $SWITCHED)`, append(kv, "$SWITCHED", switched)...)
		parts := []string{invalid}
		if prev != "" {
			parts = append(parts, changed)
		}
		parts = append(parts, failurePolicy)
		return render("namespace-mode-label", strings.Join(parts, "\n+ "))
	},
}
