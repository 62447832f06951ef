package clustercache

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// sameCopy reports whether a and b are one copy of a string.
func sameCopy(a, b string) bool { return a == b && unsafe.StringData(a) == unsafe.StringData(b) }

// TestTransformsIntern: two objects decoded apart (each string its own
// copy) keep one copy of the namespace, class, path type, subject kind
// and API group once transformed.
func TestTransformsIntern(t *testing.T) {
	decode := func(obj, into any) {
		data, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, into); err != nil {
			t.Fatal(err)
		}
	}
	var ings [2]*cachedIngress
	var bs [2]*cachedBinding
	for i := range 2 {
		ing := &networkingv1.Ingress{}
		decode(ingress("team-intern", fmt.Sprint("web", i), "nginx-intern", fmt.Sprintf("h%d.example.com", i), "/"), ing)
		out, _ := TransformIngress(ing)
		ings[i] = out.(*cachedIngress)
		rb := &rbacv1.RoleBinding{}
		decode(rb0("team-intern", fmt.Sprint("b", i)), rb)
		outB, _ := TransformRoleBinding(rb)
		bs[i] = outB.(*cachedBinding)
	}
	if !sameCopy(ings[0].Namespace, ings[1].Namespace) {
		t.Error("Ingress namespaces not interned")
	}
	if _, ok := ingressClassNames.seen["nginx-intern"]; !ok {
		t.Error("Ingress class not interned")
	}
	if !sameCopy(bs[0].Namespace, bs[1].Namespace) || !sameCopy(bs[0].Namespace, bs[0].Subjects[1].Namespace) {
		t.Error("binding namespaces not interned")
	}
	for j := range bs[0].Subjects {
		if a, b := bs[0].Subjects[j], bs[1].Subjects[j]; !sameCopy(a.Kind, b.Kind) || !sameCopy(a.APIGroup, b.APIGroup) {
			t.Errorf("subject %d: kind or API group not interned", j)
		}
	}
	if !sameCopy(bs[0].RoleRef.Kind, bs[1].RoleRef.Kind) || !sameCopy(bs[0].RoleRef.APIGroup, bs[1].RoleRef.APIGroup) {
		t.Error("roleRef not interned")
	}
}

func rb0(ns, name string) *rbacv1.RoleBinding {
	return rb(ns, name, "Role", "r",
		rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"},
		rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: ns})
}

// TestInternerBound: past its bound, an interner keeps strings as they
// come (tenants write some of these values).
func TestInternerBound(t *testing.T) {
	in := newInterner(2)
	a, b := in.intern(strings.Clone("a")), in.intern(strings.Clone("b"))
	if !sameCopy(in.intern(strings.Clone("a")), a) || !sameCopy(in.intern(strings.Clone("b")), b) {
		t.Error("interned strings not shared")
	}
	c := strings.Clone("c")
	if got := in.intern(c); !sameCopy(got, c) || len(in.seen) != 2 {
		t.Errorf("past the bound: %d strings kept", len(in.seen))
	}
	if in.intern("") != "" {
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
