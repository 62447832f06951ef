package ingressindex_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

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

func holders(hs []rules.HostHolder) string {
	var out []string
	for _, h := range hs {
		s := h.Namespace + ":" + h.Ingress
		if !h.Since.IsZero() {
			s += "@" + h.Since.Format("01-02")
		}
		if len(h.ShareWith) > 0 {
			s += fmt.Sprint(h.ShareWith)
		}
		out = append(out, s)
	}
	return fmt.Sprint(out)
}

func TestIndexHosts(t *testing.T) {
	day := func(d int) metav1.Time { return metav1.NewTime(time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC)) }
	at := func(ing *networkingv1.Ingress, d int, share string) *networkingv1.Ingress {
		ing.CreationTimestamp = day(d)
		if share != "" {
			ing.Annotations = map[string]string{rules.ShareHostAnnotation: share}
		}
		return ing
	}
	x := ingressindex.New()
	x.Set(at(ingress("a", "shop", "nginx", "Shop.Example.com.", "/", "/api"), 3, "b, c"))
	x.Set(at(ingress("a", "shop-old", "nginx", "shop.example.com", "/old"), 1, ""))
	x.Set(at(ingress("b", "checkout", "nginx", "shop.example.com", "/checkout"), 5, "a"))
	x.Set(at(ingress("b", "other-class", "", "shop.example.com", "/x"), 2, ""))

	check := func(what, class, host, want string) {
		t.Helper()
		if got := holders(x.Host(class, host)); got != want {
			t.Errorf("%s: Host(%q, %q) = %s, want %s", what, class, host, got, want)
		}
	}
	check("oldest Ingress per namespace, grants merged, host normalised", "nginx", "SHOP.example.com.",
		"[a:shop-old@01-01[b c] b:checkout@01-05[a]]")
	check("class keys apart", "", "shop.example.com", "[b:other-class@01-02]")
	check("unknown host", "nginx", "nope.example.com", "[]")

	// Removing the oldest Ingress of a namespace: the next one is the oldest.
	x.Delete("a", "shop-old")
	check("after deleting the oldest", "nginx", "shop.example.com", "[a:shop@01-03[b c] b:checkout@01-05[a]]")
	// Changing the annotation replaces the grants; a canary holds nothing.
	x.Set(at(ingress("a", "shop", "nginx", "shop.example.com", "/"), 3, "c"))
	check("grants replaced", "nginx", "shop.example.com", "[a:shop@01-03[c] b:checkout@01-05[a]]")
	canary := at(ingress("c", "canary", "nginx", "shop.example.com", "/"), 6, "")
	canary.Annotations = map[string]string{"nginx.ingress.kubernetes.io/canary": "true"}
	x.Set(canary)
	check("canary", "nginx", "shop.example.com", "[a:shop@01-03[c] b:checkout@01-05[a]]")
	// Without creationTimestamp (offline input) the age is unknown.
	x.Set(ingress("b", "no-time", "nginx", "shop.example.com", "/t"))
	check("unknown age", "nginx", "shop.example.com", "[a:shop@01-03[c] b:checkout[a]]")
	// Moving an Ingress to another host leaves the old one.
	x.Set(at(ingress("b", "checkout", "nginx", "pay.example.com", "/"), 5, ""))
	x.Delete("b", "no-time")
	check("moved away", "nginx", "shop.example.com", "[a:shop@01-03[c]]")
	check("moved to", "nginx", "pay.example.com", "[b:checkout@01-05]")
	x.Delete("a", "shop")
	check("last one gone", "nginx", "shop.example.com", "[]")

	// A rule with a host and no http serves the host; a rule-less Ingress
	// with a defaultBackend serves the catch-all.
	bare := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "d", Name: "bare"}}
	bare.Spec.Rules = []networkingv1.IngressRule{{Host: "bare.example.com"}}
	x.Set(bare)
	check("host without http", "", "bare.example.com", "[d:bare]")
	def := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "d", Name: "default"}}
	def.Spec.DefaultBackend = &networkingv1.IngressBackend{}
	x.Set(def)
	check("defaultBackend", "", "", "[d:default]")
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

// BenchmarkHost shows that asking who serves a host costs the same with
// 100 and with 10,000 indexed Ingresses, and with 1 or 1,000 Ingresses
// serving that host: the answer is built when an Ingress changes.
func BenchmarkHost(b *testing.B) {
	for _, tc := range []struct{ ingresses, sameHost int }{{100, 1}, {10_000, 1}, {10_000, 1_000}} {
		b.Run(fmt.Sprintf("ingresses=%d/same-host=%d", tc.ingresses, tc.sameHost), func(b *testing.B) {
			x := ingressindex.New()
			for i := 0; i < tc.ingresses; i++ {
				host := fmt.Sprintf("host-%d.example.com", i)
				if i < tc.sameHost {
					host = "shared.example.com"
				}
				ing := ingress(fmt.Sprintf("ns-%d", i%50), fmt.Sprintf("ing-%d", i), "nginx", host, fmt.Sprintf("/p%d", i))
				ing.CreationTimestamp = metav1.NewTime(time.Unix(int64(i), 0))
				x.Set(ing)
			}
			host := fmt.Sprintf("host-%d.example.com", tc.ingresses/2)
			if tc.sameHost > 1 {
				host = "shared.example.com"
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if len(x.Host("nginx", host)) == 0 {
					b.Fatal("want holders")
				}
			}
		})
	}
}

// BenchmarkSetSameHost is the write side: re-indexing one Ingress of a
// host that 1 or 1,000 Ingresses of 50 namespaces serve.
func BenchmarkSetSameHost(b *testing.B) {
	for _, n := range []int{1, 1_000} {
		b.Run(fmt.Sprintf("same-host=%d", n), func(b *testing.B) {
			x := ingressindex.New()
			for i := 0; i < n; i++ {
				ing := ingress(fmt.Sprintf("ns-%d", i%50), fmt.Sprintf("ing-%d", i), "nginx", "shared.example.com", fmt.Sprintf("/p%d", i))
				ing.CreationTimestamp = metav1.NewTime(time.Unix(int64(i), 0))
				x.Set(ing)
			}
			upd := ingress("ns-1", "ing-1", "nginx", "shared.example.com", "/changed")
			upd.CreationTimestamp = metav1.NewTime(time.Unix(1, 0))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x.Set(upd)
			}
		})
	}
}

// TestIndexClaimsMatchAScan drives the index with random writes, hosts with
// few routes and hosts with more than fit in a sorted slice (the index then
// keeps them in a map), and checks every answer of Claims against a scan
// of the Ingresses written.
func TestIndexClaimsMatchAScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1024))
	hosts := []string{"few.example.com", "many.example.com", "more.example.com"}
	var paths []string
	for i := range 40 {
		paths = append(paths, fmt.Sprintf("/p%d", i))
	}
	x := ingressindex.New()
	current := map[string]*networkingv1.Ingress{}
	check := func(step int) {
		t.Helper()
		for _, h := range hosts {
			for _, p := range paths {
				k := key("nginx", h, p)
				var want []string
				for _, ing := range current {
					for _, c := range rules.IngressKeys(ing, "nginx") {
						if c.Key == k {
							want = append(want, ing.Namespace+"/"+ing.Name)
							break
						}
					}
				}
				slices.Sort(want)
				if got := names(x.Claims(k)); !slices.Equal(got, want) {
					t.Fatalf("step %d: claims of %s = %v, want %v", step, k, got, want)
				}
			}
		}
		if x.Len() != len(current) {
			t.Fatalf("step %d: Len = %d, want %d", step, x.Len(), len(current))
		}
	}
	for step := range 600 {
		ns, name := fmt.Sprintf("ns-%d", rng.IntN(5)), fmt.Sprintf("ing-%d", rng.IntN(12))
		if rng.IntN(4) == 0 {
			x.Delete(ns, name)
			delete(current, ns+"/"+name)
		} else {
			host := hosts[0]
			ps := []string{paths[rng.IntN(4)]}
			if rng.IntN(3) > 0 {
				host = hosts[1+rng.IntN(2)]
				ps = append(ps, paths[rng.IntN(len(paths))], paths[rng.IntN(len(paths))])
			}
			ing := ingress(ns, name, "nginx", host, ps...)
			x.Set(ing)
			current[ns+"/"+name] = ing
		}
		if step%20 == 0 {
			check(step)
		}
	}
	check(600)
	for k, ing := range current {
		x.Delete(ing.Namespace, ing.Name)
		delete(current, k)
	}
	check(601)
}
