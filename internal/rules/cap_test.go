package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestCapPerRule(t *testing.T) {
	f := func(rule string, sev Action, msg string) Finding {
		return Finding{Rule: rule, Severity: sev, Message: msg, Object: ObjectRef{Kind: "Pod", Name: "p"}}
	}
	// many returns n findings of rule, warnings except the given indices.
	many := func(rule string, n int, deny ...int) []Finding {
		var out []Finding
		for i := range n {
			sev := ActionWarn
			if slices.Contains(deny, i) {
				sev = ActionDeny
			}
			out = append(out, f(rule, sev, fmt.Sprint(i)))
		}
		return out
	}
	msgs := func(fs []Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Rule+" "+string(f.Severity)+" "+f.Message)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   []Finding
		want []string // all findings when nil: unchanged
	}{
		{"none", nil, nil},
		{"at the cap", append(many("a", MaxFindingsPerRule), many("b", MaxFindingsPerRule)...), nil},
		{"one over", many("a", MaxFindingsPerRule+1), append(msgs(many("a", MaxFindingsPerRule)),
			"a warn 1 more finding of this rule on this object not listed (at most 20 are listed per rule)")},
		{
			// Deny findings are listed first; the count takes the
			// strictest severity of what it stands for.
			"deny first", many("a", 30, 25, 29, 3),
			append(append([]string{"a deny 3", "a deny 25", "a deny 29"}, msgs(slices.Delete(many("a", 20), 3, 4))[:17]...),
				"a warn 10 more findings of this rule on this object not listed (at most 20 are listed per rule)"),
		},
		{
			"deny in the rest", many("a", 50, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 40),
			append(msgs(many("a", 20, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)),
				"a deny 30 more findings of this rule on this object not listed (at most 20 are listed per rule)"),
		},
		{
			// Other rules keep their place and their findings.
			"rules apart", append(append([]Finding{f("x", ActionDeny, "first")}, many("a", 25)...), f("y", ActionWarn, "last")),
			append(append([]string{"x deny first"}, msgs(many("a", 20))...),
				"a warn 5 more findings of this rule on this object not listed (at most 20 are listed per rule)", "y warn last"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			got := CapPerRule(tc.in)
			want := tc.want
			if want == nil {
				want = msgs(tc.in)
			}
			if !slices.Equal(msgs(got), want) {
				t.Errorf("got\n  %q\nwant\n  %q", msgs(got), want)
			}
			if !slices.Equal(msgs(in), msgs(tc.in)) {
				t.Error("the input was modified")
			}
			for _, g := range got {
				if strings.Contains(g.Message, "not listed") && (g.Hint == "" || g.Object != (ObjectRef{Kind: "Pod", Name: "p"})) {
					t.Errorf("summing-up finding without hint or object: %+v", g)
				}
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a longer line", 10, "a longe..."},
		{strings.Repeat("é", 200), 11, "éééé..."}, // never cuts a rune in two
	} {
		if got := Truncate(tc.in, tc.n); got != tc.want || len(got) > tc.n {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
