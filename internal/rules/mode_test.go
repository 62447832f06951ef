package rules

import (
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mode
		ok   bool
	}{
		{"enforce", ModeEnforce, true},
		{"warn", ModeWarn, true},
		{"audit", ModeAudit, true},
		{"Enforce", "", false},
		{"ENFORCE", "", false},
		{" enforce", "", false},
		{"off", "", false},
		{"deny", "", false},
		{"", "", false},
	} {
		got, ok := ParseMode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNamespacePolicyOf(t *testing.T) {
	const modeField, fpField = "metadata.labels[guardrails.dev/mode]", "metadata.labels[guardrails.dev/failure-policy]"
	for _, tc := range []struct {
		name     string
		labels   map[string]string
		want     NamespacePolicy
		failOpen bool
		errs     []string // fields of the errors
	}{
		{"no labels: not judged", nil, NamespacePolicy{FailurePolicy: FailurePolicyFail}, false, nil},
		{"enforce", map[string]string{ModeLabel: "enforce"}, NamespacePolicy{ModeEnforce, FailurePolicyFail}, false, nil},
		{"warn never denies: fails open", map[string]string{ModeLabel: "warn"}, NamespacePolicy{ModeWarn, FailurePolicyFail}, true, nil},
		{"audit never denies: fails open", map[string]string{ModeLabel: "audit"}, NamespacePolicy{ModeAudit, FailurePolicyFail}, true, nil},
		{"enforce + ignore", map[string]string{ModeLabel: "enforce", FailurePolicyLabel: "ignore"}, NamespacePolicy{ModeEnforce, FailurePolicyIgnore}, true, nil},
		{"enforce + fail", map[string]string{ModeLabel: "enforce", FailurePolicyLabel: "fail"}, NamespacePolicy{ModeEnforce, FailurePolicyFail}, false, nil},
		{"invalid mode is enforce", map[string]string{ModeLabel: "Warn"}, NamespacePolicy{ModeEnforce, FailurePolicyFail}, false, []string{modeField}},
		{"empty mode is enforce", map[string]string{ModeLabel: ""}, NamespacePolicy{ModeEnforce, FailurePolicyFail}, false, []string{modeField}},
		{"invalid failure policy is fail", map[string]string{ModeLabel: "enforce", FailurePolicyLabel: "Ignore"}, NamespacePolicy{ModeEnforce, FailurePolicyFail}, false, []string{fpField}},
		{"both invalid", map[string]string{ModeLabel: "on", FailurePolicyLabel: "true"}, NamespacePolicy{ModeEnforce, FailurePolicyFail}, false, []string{modeField, fpField}},
		{"failure policy without mode", map[string]string{FailurePolicyLabel: "ignore"}, NamespacePolicy{"", FailurePolicyIgnore}, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := NamespacePolicyOf(tc.labels)
			if got != tc.want {
				t.Errorf("policy = %+v, want %+v", got, tc.want)
			}
			if got.FailOpen() != tc.failOpen {
				t.Errorf("FailOpen() = %v, want %v", got.FailOpen(), tc.failOpen)
			}
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
			}
			if strings.Join(fields, ",") != strings.Join(tc.errs, ",") {
				t.Errorf("errors on %v, want %v (%v)", fields, tc.errs, errs)
			}
		})
	}
}

func TestModeLowers(t *testing.T) {
	for _, tc := range []struct {
		old, new Mode
		want     bool
	}{
		{ModeEnforce, ModeWarn, true},
		{ModeEnforce, ModeAudit, true},
		{ModeWarn, ModeAudit, true},
		{ModeEnforce, "", true},
		{ModeAudit, "", true},
		{ModeAudit, ModeWarn, false},
		{ModeWarn, ModeEnforce, false},
		{ModeWarn, ModeWarn, false},
		{"", ModeAudit, false},
		{"", "", false},
		{"bogus", "", false},
	} {
		if got := tc.new.Lowers(tc.old); got != tc.want {
			t.Errorf("%q.Lowers(%q) = %v, want %v", tc.new, tc.old, got, tc.want)
		}
	}
}

func TestModeAction(t *testing.T) {
	want := map[Mode]Action{ModeEnforce: ActionDeny, ModeWarn: ActionWarn, ModeAudit: ActionAudit, "": ActionOff, "x": ActionOff}
	for m, a := range want {
		if got := m.Action(); got != a {
			t.Errorf("%q.Action() = %q, want %q", m, got, a)
		}
	}
}

func TestParseFailurePolicy(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{{"ignore", true}, {"fail", true}, {"Ignore", false}, {"Fail", false}, {"", false}, {"true", false}} {
		if _, ok := ParseFailurePolicy(tc.in); ok != tc.ok {
			t.Errorf("ParseFailurePolicy(%q) ok = %v, want %v", tc.in, ok, tc.ok)
		}
	}
}
