package ingressindex_test

import (
	"fmt"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/guardrails-dev/guardrails/internal/ingressindex"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

func ingress(ns, name, class, host string, paths ...string) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if class != "" {
		ing.Spec.IngressClassName = &class
	}
	r := networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{}}}
	for _, p := range paths {
		r.HTTP.Paths = append(r.HTTP.Paths, networkingv1.HTTPIngressPath{Path: p, PathType: &prefix})
	}
	ing.Spec.Rules = []networkingv1.IngressRule{r}
	return ing
}

func key(class, host, path string) rules.IngressKey {
	return rules.IngressKey{Class: class, Host: host, Path: path, PathType: "Prefix"}
}

func names(refs []rules.ObjectRef) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Namespace+"/"+r.Name)
	}
	return out
}

func TestIndex(t *testing.T) {
	x := ingressindex.New()
	x.Set(ingress("b", "shop", "nginx", "Shop.example.com", "/api/", "/"))
	x.Set(ingress("a", "shop", "nginx", "shop.example.com", "/api"))
	x.Set(ingress("c", "other", "", "shop.example.com", "/api"))

	if got := fmt.Sprint(names(x.Claims(key("nginx", "shop.example.com", "/api")))); got != "[a/shop b/shop]" {
		t.Errorf("claims /api = %s, want [a/shop b/shop] (sorted, /api/ normalised)", got)
	}
	if got := names(x.Claims(key("", "shop.example.com", "/api"))); fmt.Sprint(got) != "[c/other]" {
		t.Errorf("claims without class = %v", got)
	}
	if x.Len() != 3 {
		t.Errorf("Len = %d, want 3", x.Len())
	}

	// Replacing an Ingress drops its old claims.
	x.Set(ingress("b", "shop", "nginx", "shop.example.com", "/v2"))
	if got := names(x.Claims(key("nginx", "shop.example.com", "/api"))); fmt.Sprint(got) != "[a/shop]" {
		t.Errorf("after update: %v", got)
	}
	if got := names(x.Claims(key("nginx", "shop.example.com", "/"))); got != nil {
		t.Errorf("stale claim of / left: %v", got)
	}

	// Canaries claim nothing; turning an Ingress into a canary forgets it.
	c := ingress("a", "shop", "nginx", "shop.example.com", "/api")
	c.Annotations = map[string]string{"nginx.ingress.kubernetes.io/canary": "true"}
	x.Set(c)
	if got := x.Claims(key("nginx", "shop.example.com", "/api")); got != nil {
		t.Errorf("canary indexed: %v", names(got))
	}

	x.Delete("b", "shop")
	x.Delete("c", "other")
	x.Delete("nope", "nope")
	x.Set(nil)
	if x.Len() != 0 {
		t.Errorf("Len after deletes = %d", x.Len())
	}
}

// BenchmarkClaims shows that a lookup costs the same with 100 and with
// 10,000 indexed Ingresses (a map lookup, not a scan).
func BenchmarkClaims(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("ingresses=%d", n), func(b *testing.B) {
			x := ingressindex.New()
			for i := 0; i < n; i++ {
				x.Set(ingress(fmt.Sprintf("ns-%d", i%50), fmt.Sprintf("ing-%d", i), "nginx",
					fmt.Sprintf("host-%d.example.com", i), "/", "/api"))
			}
			k := key("nginx", fmt.Sprintf("host-%d.example.com", n/2), "/api")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if len(x.Claims(k)) != 1 {
					b.Fatal("want one claim")
				}
			}
		})
	}
}
