package rules

import (
	"fmt"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestHostWildcardCovers(t *testing.T) {
	for _, tc := range []struct {
		wildcard, host string
		want           bool
	}{
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", "*.example.com", false}, // equality is checked separately
		{"*.example.com", ".example.com", false},
		{"a.example.com", "a.example.com", false},
		{"*.example.com", "a.example.org", false},
	} {
		if got := hostWildcardCovers(tc.wildcard, tc.host); got != tc.want {
			t.Errorf("hostWildcardCovers(%q, %q) = %v, want %v", tc.wildcard, tc.host, got, tc.want)
		}
	}
}

func TestIngressTLSSecrets(t *testing.T) {
	unavailable := fmt.Errorf("informer not synced: %w", ErrUnavailable)
	mk := func(ann map[string]string) *networkingv1.Ingress {
		ing := ingTest("team-a", "shop", map[string][]string{"shop.example.com": {"/:Prefix"}})
		ing.Annotations = ann
		ing.Spec.TLS = []networkingv1.IngressTLS{
			{Hosts: []string{"SHOP.example.com"}, SecretName: "shop-tls"},
			{Hosts: []string{"shop.example.com"}, SecretName: "shop-tls"},
		}
		return ing
	}
	on := &Settings{Ingress: IngressSettings{TLSSecretLookups: true}}
	for _, tc := range []struct {
		name string
		obj  *networkingv1.Ingress
		view *ingTestView
		s    *Settings
		want string
	}{
		{"missing, reported once", mk(nil), &ingTestView{}, on,
			`[ spec.tls[0].secretName: TLS secret "shop-tls" does not exist in namespace "team-a"]`},
		{"exists", mk(nil), &ingTestView{secrets: map[string]bool{"team-a/shop-tls": true}}, on, `[]`},
		{"lookups off", mk(nil), &ingTestView{}, DefaultSettings(), `[]`},
		{"cert-manager creates it", mk(map[string]string{"cert-manager.io/cluster-issuer": "letsencrypt"}), &ingTestView{}, on, `[]`},
		{"tls-acme", mk(map[string]string{"kubernetes.io/tls-acme": "true"}), &ingTestView{}, on, `[]`},
		{"unavailable", mk(nil), &ingTestView{secretErr: unavailable}, on,
			`[warn spec.tls[0].secretName: could not check TLS secret "shop-tls": informer not synced: cluster state unavailable]`},
		{"offline", mk(nil), &ingTestView{secretErr: ErrNotInInput}, on, `[]`},
	} {
		got := ingRun(t, checkIngressTLS, tc.obj, tc.view, tc.s)
		if s := "[" + strings.Join(got, "\n") + "]"; s != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, s, tc.want)
		}
	}
}

func TestIngressTLSHostServed(t *testing.T) {
	ing := ingTest("a", "x", map[string][]string{"*.example.com": {"/:Prefix"}, "shop.example.org": {"/:Prefix"}})
	for host, want := range map[string]bool{
		"a.example.com":    true, // wildcard rule covers it
		"*.example.com":    true,
		"Shop.Example.org": true,
		"a.b.example.com":  false,
		"example.com":      false,
	} {
		if got := ingressTLSHostServed(ing, host); got != want {
			t.Errorf("ingressTLSHostServed(%q) = %v, want %v", host, got, want)
		}
	}
	ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{})
	if !ingressTLSHostServed(ing, "anything.example.net") {
		t.Error("a rule without host serves every host")
	}
}
