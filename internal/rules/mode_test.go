package rules

import "testing"

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

func TestModeOf(t *testing.T) {
	if m, ok := ModeOf(nil); ok || m != "" {
		t.Errorf("ModeOf(nil) = %q, %v", m, ok)
	}
	if m, ok := ModeOf(map[string]string{ModeLabel: "warn"}); !ok || m != ModeWarn {
		t.Errorf("ModeOf(warn) = %q, %v", m, ok)
	}
	if _, ok := ModeOf(map[string]string{ModeLabel: "Warn"}); ok {
		t.Errorf("ModeOf(Warn) accepted")
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
