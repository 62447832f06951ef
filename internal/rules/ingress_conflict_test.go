package rules

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestIngressConflictLookups(t *testing.T) {
	unavailable := fmt.Errorf("informer not synced: %w", ErrUnavailable)
	subject := ingTest("team-b", "shop", map[string][]string{"shop.example.com": {"/:Prefix", "/api:Prefix"}})
	c := "nginx"
	subject.Spec.IngressClassName = &c
	k := func(class, path string) IngressKey {
		return IngressKey{Class: class, Host: "shop.example.com", Path: path, PathType: "Prefix"}
	}
	h := func(class string) [2]string { return [2]string{class, "shop.example.com"} }
	class := func(name, controller string, def bool) *networkingv1.IngressClass {
		ic := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: networkingv1.IngressClassSpec{Controller: controller}}
		if def {
			ic.Annotations = map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}
		}
		return ic
	}
	teamA := HostHolder{Namespace: "team-a", Ingress: "shop"}
	self := ObjectRef{Namespace: "team-b", Name: "shop"}
	sibling := ObjectRef{Namespace: "team-b", Name: "shop-v2"}
	other := ObjectRef{Namespace: "team-a", Name: "shop"}

	for _, tc := range []struct {
		name       string
		view       *ingTestView
		want       string
		hostCalls  int
		claimCalls int
	}{
		{"hosts unavailable: one warning, stop", &ingTestView{hostErr: unavailable},
			"[warn spec.rules: could not check which namespaces serve these hosts: informer not synced: cluster state unavailable]", 1, 0},
		{"claims unavailable: one warning, stop", &ingTestView{claimErr: unavailable},
			"[warn spec.rules: could not check other Ingresses routing these hosts and paths: informer not synced: cluster state unavailable]", 1, 1},
		{"classes unavailable: warn, still check the class as written",
			&ingTestView{listErr: unavailable, hosts: map[[2]string][]HostHolder{h("nginx"): {teamA}}},
			"[warn spec.ingressClassName: could not check the IngressClasses: informer not synced: cluster state unavailable\n" +
				" spec.rules[0].host: host \"shop.example.com\" is served by another namespace {served by namespace team-a (Ingress shop)}]", 1, 2},
		{"offline without classes: a class-less holder is another controller",
			&ingTestView{hosts: map[[2]string][]HostHolder{h(""): {teamA}}}, "[]", 1, 2},
		{"default class of the same controller: its class-less holders count, the host is reported once, paths not",
			&ingTestView{classList: []*networkingv1.IngressClass{class("nginx", "k8s.io/ingress-nginx", false), class("other", "k8s.io/ingress-nginx", true)},
				hosts:  map[[2]string][]HostHolder{h(""): {teamA}, h("other"): {teamA}},
				claims: map[IngressKey][]ObjectRef{k("", "/api"): {other}}},
			"[ spec.rules[0].host: host \"shop.example.com\" is served by another namespace {served by namespace team-a (Ingress shop)}]", 3, 6},
		{"another controller's classes are not asked",
			&ingTestView{classList: []*networkingv1.IngressClass{class("nginx", "k8s.io/ingress-nginx", false), class("traefik", "traefik.io/ingress-controller", true)},
				hosts: map[[2]string][]HostHolder{h(""): {teamA}, h("traefik"): {teamA}}},
			"[]", 1, 2},
		{"self and sibling: the sibling is a duplicate", &ingTestView{
			claims: map[IngressKey][]ObjectRef{k("nginx", "/"): {self, sibling}}},
			"[ spec.rules[0].http.paths[0].path: host \"shop.example.com\" path \"/\" (Prefix) is already routed by Ingress shop-v2 of this namespace]", 1, 2},
		{"shared host: another namespace's route is a duplicate, named in the detail only", &ingTestView{
			hosts:  map[[2]string][]HostHolder{h("nginx"): {{Namespace: "team-a", Ingress: "shop", ShareWith: []string{"team-b"}}}},
			claims: map[IngressKey][]ObjectRef{k("nginx", "/api"): {other}}},
			"[ spec.rules[0].http.paths[1].path: host \"shop.example.com\" path \"/api\" (Prefix) is already routed by an Ingress of another namespace {routed by Ingress team-a/shop}]", 1, 2},
		{"many namespaces on the host: the detail names five", &ingTestView{
			hosts: map[[2]string][]HostHolder{h("nginx"): manyHolders(7, nil)}},
			"[ spec.rules[0].host: host \"shop.example.com\" is served by another namespace {served by namespace ns-0 (Ingress shop); " +
				"served by namespace ns-1 (Ingress shop); served by namespace ns-2 (Ingress shop); served by namespace ns-3 (Ingress shop); " +
				"served by namespace ns-4 (Ingress shop); and 2 more}]", 1, 2},
		{"a shared route claimed by many namespaces: the detail names five", &ingTestView{
			hosts:  map[[2]string][]HostHolder{h("nginx"): manyHolders(1, []string{"team-b"})},
			claims: map[IngressKey][]ObjectRef{k("nginx", "/api"): manyRefs(6)}},
			"[ spec.rules[0].http.paths[1].path: host \"shop.example.com\" path \"/api\" (Prefix) is already routed by an Ingress of another namespace " +
				"{routed by Ingress ns-0/shop; routed by Ingress ns-1/shop; routed by Ingress ns-2/shop; routed by Ingress ns-3/shop; " +
				"routed by Ingress ns-4/shop; and 1 more}]", 1, 2},
		{"many Ingresses of this namespace on the route: the message names five", &ingTestView{
			claims: map[IngressKey][]ObjectRef{k("nginx", "/"): append([]ObjectRef{self}, siblings(7)...)}},
			"[ spec.rules[0].http.paths[0].path: host \"shop.example.com\" path \"/\" (Prefix) is already routed by Ingress " +
				"shop-0, shop-1, shop-2, shop-3, shop-4 and 2 more of this namespace]", 1, 2},
	} {
		got := ingRunDetail(t, checkIngressConflict, subject, tc.view, DefaultSettings())
		if s := "[" + strings.Join(got, "\n") + "]"; s != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, s, tc.want)
		}
		if tc.view.hostCalls != tc.hostCalls || tc.view.claimCalls != tc.claimCalls {
			t.Errorf("%s: %d IngressHost and %d IngressClaims calls, want %d and %d", tc.name, tc.view.hostCalls, tc.view.claimCalls, tc.hostCalls, tc.claimCalls)
		}
	}
}

// manyHolders returns n holders of a host, Ingress "shop" of namespaces
// ns-0 … ns-(n-1), each sharing it with shareWith.
func manyHolders(n int, shareWith []string) []HostHolder {
	out := make([]HostHolder, n)
	for i := range out {
		out[i] = HostHolder{Namespace: fmt.Sprintf("ns-%d", i), Ingress: "shop", ShareWith: shareWith}
	}
	return out
}

// manyRefs returns Ingress "shop" of namespaces ns-0 … ns-(n-1).
func manyRefs(n int) []ObjectRef {
	out := make([]ObjectRef, n)
	for i := range out {
		out[i] = ObjectRef{Namespace: fmt.Sprintf("ns-%d", i), Name: "shop"}
	}
	return out
}

// siblings returns Ingresses shop-0 … shop-(n-1) of namespace team-b.
func siblings(n int) []ObjectRef {
	out := make([]ObjectRef, n)
	for i := range out {
		out[i] = ObjectRef{Namespace: "team-b", Name: fmt.Sprintf("shop-%d", i)}
	}
	return out
}

// ingRunDetail is ingRun with each finding's detail in braces.
func ingRunDetail(t *testing.T, check CheckFunc, ing *networkingv1.Ingress, view ClusterView, s *Settings) []string {
	t.Helper()
	var out []string
	for _, v := range check(&Input{Object: ing, Cluster: view, Settings: s}) {
		line := fmt.Sprintf("%s %s: %s", v.AtMost, fieldString(v.Field), v.Message)
		if v.Detail != "" {
			line += " {" + v.Detail + "}"
		}
		out = append(out, line)
	}
	return out
}

func TestDecideHost(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }
	hold := func(ns string, since time.Time, share ...string) HostHolder {
		return HostHolder{Namespace: ns, Ingress: ns + "-ing", Since: since, ShareWith: share}
	}
	var unknown time.Time
	for _, tc := range []struct {
		name     string
		ns       string
		holders  []HostHolder
		blockers string // "" when allowed
	}{
		{"free host", "b", nil, ""},
		{"own host", "a", []HostHolder{hold("a", day(1))}, ""},
		{"another namespace's host", "b", []HostHolder{hold("a", day(1))}, "a"},
		{"granted by the owner", "b", []HostHolder{hold("a", day(1), "b")}, ""},
		{"granted by a guest only", "c", []HostHolder{hold("a", day(1), "b"), hold("b", day(2), "c")}, "a"},
		{"a guest with an older Ingress does not take over", "c", []HostHolder{hold("a", day(5), "b"), hold("b", day(1), "c")}, "a"},
		{"the owner adds more after sharing", "a", []HostHolder{hold("a", day(1), "b"), hold("b", day(2))}, ""},
		{"a guest adds more", "b", []HostHolder{hold("a", day(1), "b"), hold("b", day(2))}, ""},
		{"revoked guest", "b", []HostHolder{hold("a", day(1)), hold("b", day(2))}, "a"},
		{"mutual: members add", "b", []HostHolder{hold("a", day(1), "b"), hold("b", day(2), "a")}, ""},
		{"mutual: a newcomer needs both", "c", []HostHolder{hold("a", day(1), "b", "c"), hold("b", day(2), "a")}, "b"},
		{"mutual: one member cannot let a newcomer in", "c", []HostHolder{hold("a", day(1), "b"), hold("b", day(2), "a", "c")}, "a"},
		{"contested: the first comer owns it", "a", []HostHolder{hold("a", day(1)), hold("x", day(2))}, ""},
		{"contested: the latecomer does not", "x", []HostHolder{hold("a", day(1)), hold("x", day(2))}, "a"},
		{"contested: a newcomer needs the first comer only", "c", []HostHolder{hold("a", day(1), "c"), hold("x", day(2))}, ""},
		{"contested, same age: by name", "x", []HostHolder{hold("a", day(1)), hold("x", day(1))}, "a"},
		{"contested, age unknown: every candidate owns it", "a", []HostHolder{hold("a", unknown), hold("x", day(2))}, "x"},
		{"age unknown: the one who grants is the owner", "b", []HostHolder{hold("a", unknown, "b"), hold("b", unknown)}, ""},
		{"age unknown: and may add", "a", []HostHolder{hold("a", unknown, "b"), hold("b", unknown)}, ""},
		{"an owner group is reached from outside: not an owner", "d",
			[]HostHolder{hold("a", day(1), "b"), hold("b", day(2), "c"), hold("c", day(3), "b")}, "a"},
	} {
		v := decideHost(tc.ns, tc.holders)
		var got []string
		for _, b := range v.blockers {
			got = append(got, b.Namespace)
		}
		if v.ok != (tc.blockers == "") || strings.Join(got, ",") != tc.blockers {
			t.Errorf("%s: ok=%v blockers=%v, want blockers %q", tc.name, v.ok, got, tc.blockers)
		}
	}
}

// TestDecideHostWithoutSharing: when no holder shares the host with
// another holder, decideHost skips the table of who grants whom; over
// random holder sets (sharing with outsiders only, or not at all, ages
// known or not) it decides as the full computation does.
func TestDecideHostWithoutSharing(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	names := []string{"a", "b", "c", "d", "e", "f"}
	for range 2000 {
		var holders []HostHolder
		for _, ns := range names[:1+rnd.IntN(len(names))] {
			h := HostHolder{Namespace: ns, Ingress: ns + "-ing"}
			if rnd.IntN(5) > 0 {
				h.Since = time.Date(2025, 1, 1+rnd.IntN(3), 0, 0, 0, 0, time.UTC)
			}
			if rnd.IntN(3) == 0 {
				h.ShareWith = []string{"outsider", "z"}[:1+rnd.IntN(2)]
			}
			holders = append(holders, h)
		}
		for _, ns := range append(names, "outsider") {
			fast, full := decideHostWith(ns, holders, false), decideHostWith(ns, holders, true)
			if !reflect.DeepEqual(fast, full) {
				t.Fatalf("ns %s, holders %+v: %+v without the table, %+v with it", ns, holders, fast, full)
			}
		}
	}
}

func TestMergeHolders(t *testing.T) {
	t1 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	got := mergeHolders(
		[]HostHolder{{Namespace: "b", Ingress: "late", Since: t2, ShareWith: []string{"x"}}, {Namespace: "c", Ingress: "c", Since: t1}},
		[]HostHolder{{Namespace: "a", Ingress: "a", Since: t1}, {Namespace: "b", Ingress: "early", Since: t1, ShareWith: []string{"y", "x"}}, {Namespace: "c", Ingress: "c2"}},
	)
	want := "[{a a 2025-01-01 00:00:00 +0000 UTC []} {b early 2025-01-01 00:00:00 +0000 UTC [x y]} {c c 0001-01-01 00:00:00 +0000 UTC []}]"
	if s := fmt.Sprint(got); s != want {
		t.Errorf("mergeHolders:\n got %s\nwant %s", s, want)
	}
}
