package kept

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	rbacv1 "k8s.io/api/rbac/v1"
)

// sameCopy reports whether a and b are one copy of a string.
func sameCopy(a, b string) bool { return a == b && unsafe.StringData(a) == unsafe.StringData(b) }

// TestInternerBound: past its bound, an interner keeps strings as they
// come (tenants write some of these values).
func TestInternerBound(t *testing.T) {
	in := NewInterner(2)
	a, b := in.Intern(strings.Clone("a")), in.Intern(strings.Clone("b"))
	if !sameCopy(in.Intern(strings.Clone("a")), a) || !sameCopy(in.Intern(strings.Clone("b")), b) {
		t.Error("interned strings not shared")
	}
	c := strings.Clone("c")
	if got := in.Intern(c); !sameCopy(got, c) || len(in.seen) != 2 {
		t.Errorf("past the bound: %d strings kept", len(in.seen))
	}
	if in.Intern("") != "" {
		t.Error("empty string")
	}
}

// TestCompactRules: the rules a role keeps are the rules it had (nil and
// empty lists as they were), each list at its length, and two roles
// decoded apart share one copy of each word.
func TestCompactRules(t *testing.T) {
	in := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps", "services"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{}, Resources: []string{"pods"}, ResourceNames: []string{"web-0"}, Verbs: []string{"get"}},
		{NonResourceURLs: []string{"/healthz"}, Verbs: []string{"get"}},
	}
	var kept [2][]rbacv1.PolicyRule
	for i := range kept {
		var decoded []rbacv1.PolicyRule
		data, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &decoded); err != nil {
			t.Fatal(err)
		}
		kept[i] = compactRules(decoded)
	}
	if got := compactRules(in); !reflect.DeepEqual(got, in) {
		t.Fatalf("kept %#v\nwant %#v", got, in)
	}
	for i, r := range kept[0] {
		for _, ss := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
			if cap(ss) != len(ss) {
				t.Errorf("rule %d: a list of %d has room for %d", i, len(ss), cap(ss))
			}
		}
		for j, v := range r.Verbs {
			if !sameCopy(v, kept[1][i].Verbs[j]) {
				t.Errorf("rule %d: verb %q not interned", i, v)
			}
		}
	}
	if compactRules(nil) != nil {
		t.Error("no rules became some")
	}
}
