package clustercache

import (
	"encoding/json"
	"fmt"
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
	// The transforms interned the class: a new copy gets theirs back.
	if c := strings.Clone("nginx-intern"); sameCopy(ingressClassNames.Intern(c), c) {
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
