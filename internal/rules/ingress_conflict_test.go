package rules

import (
	"fmt"
	"strings"
	"testing"
)

func TestIngressConflictLookups(t *testing.T) {
	unavailable := fmt.Errorf("informer not synced: %w", ErrUnavailable)
	subject := ingTest("team-b", "shop", map[string][]string{"shop.example.com": {"/:Prefix", "/api:Prefix"}})
	c := "nginx"
	subject.Spec.IngressClassName = &c
	k := func(class, path string) IngressKey {
		return IngressKey{Class: class, Host: "shop.example.com", Path: path, PathType: "Prefix"}
	}
	other := ObjectRef{Namespace: "team-a", Name: "shop"}
	self := ObjectRef{Namespace: "team-b", Name: "shop"}
	sibling := ObjectRef{Namespace: "team-b", Name: "shop-v2"}

	for _, tc := range []struct {
		name  string
		view  *ingTestView
		want  string
		calls int // IngressClaims calls; -1 = don't care
	}{
		{"claims unavailable: one warning, stop", &ingTestView{claimErr: unavailable, defaultErr: ErrNotInInput},
			"[warn spec.rules[0].http.paths[0].path: could not check other Ingresses routing this host and path: informer not synced: cluster state unavailable]", 1},
		{"defaults unavailable: warn, still check the class as written",
			&ingTestView{defaultErr: unavailable, claims: map[IngressKey][]ObjectRef{k("nginx", "/"): {other}}},
			"[warn spec.ingressClassName: could not check the default IngressClass: informer not synced: cluster state unavailable\n" +
				" spec.rules[0].http.paths[0].path: host \"shop.example.com\" path \"/\" (Prefix) is already routed by Ingress team-a/shop (class nginx)]", 2},
		{"defaults offline: only the class as written", &ingTestView{defaultErr: ErrNotInInput,
			claims: map[IngressKey][]ObjectRef{k("", "/"): {other}}}, "[]", 2},
		{"default class: class-less claims count, reported once",
			&ingTestView{defaults: []string{"nginx"}, claims: map[IngressKey][]ObjectRef{k("", "/api"): {other}, k("nginx", "/api"): {other}}},
			"[ spec.rules[0].http.paths[1].path: host \"shop.example.com\" path \"/api\" (Prefix) is already routed by Ingress team-a/shop (class nginx)]", 4},
		{"self and sibling", &ingTestView{defaultErr: ErrNotInInput,
			claims: map[IngressKey][]ObjectRef{k("nginx", "/"): {self, sibling}}},
			"[warn spec.rules[0].http.paths[0].path: host \"shop.example.com\" path \"/\" (Prefix) is already routed by Ingress team-b/shop-v2 (class nginx)]", 2},
	} {
		got := ingRun(t, checkIngressConflict, subject, tc.view, DefaultSettings())
		if s := "[" + strings.Join(got, "\n") + "]"; s != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, s, tc.want)
		}
		if tc.calls >= 0 && tc.view.claimCalls != tc.calls {
			t.Errorf("%s: %d IngressClaims calls, want %d", tc.name, tc.view.claimCalls, tc.calls)
		}
	}
}
