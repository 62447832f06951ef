package clustercache

import (
	"fmt"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/rules"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// benchCache holds 10k Ingresses over 200 namespaces, each namespace with a
// LimitRange, plus a few hundred ClusterRoles.
func benchCache(b *testing.B) *Cache {
	b.Helper()
	var objs []runtime.Object
	for i := 0; i < 200; i++ {
		ns := fmt.Sprintf("ns-%d", i)
		objs = append(objs,
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"guardrails.dev/mode": "enforce"}}},
			&corev1.LimitRange{ObjectMeta: om(ns, "defaults")})
	}
	for i := 0; i < 10_000; i++ {
		objs = append(objs, ingress(fmt.Sprintf("ns-%d", i%200), fmt.Sprintf("ing-%d", i), "nginx",
			fmt.Sprintf("host-%d.example.com", i), "/", "/api"))
	}
	for i := 0; i < 500; i++ {
		objs = append(objs, &rbacv1.ClusterRole{ObjectMeta: om("", fmt.Sprintf("role-%d", i))})
	}
	c, err := NewStatic(Options{}, objs...)
	if err != nil {
		b.Fatal(err)
	}
	if c.index.Len() != 10_000 {
		b.Fatalf("indexed %d Ingresses", c.index.Len())
	}
	return c
}

// countClaims counts the Ingresses claiming key, as the rules go through
// them: without a list.
func countClaims(c *Cache, key rules.IngressKey) (int, error) {
	n := 0
	err := c.IngressClaims(key, func(rules.ObjectRef) { n++ })
	return n, err
}

func BenchmarkLookups(b *testing.B) {
	c := benchCache(b)
	b.Run("IngressClaims", func(b *testing.B) {
		k := key("nginx", "host-5000.example.com", "/api")
		b.ReportAllocs()
		for b.Loop() {
			if n, err := countClaims(c, k); err != nil || n != 1 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("IngressClaims-miss", func(b *testing.B) {
		k := key("nginx", "nobody.example.com", "/")
		b.ReportAllocs()
		for b.Loop() {
			if n, err := countClaims(c, k); err != nil || n != 0 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("IngressHost", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r, err := c.IngressHost("nginx", "host-5000.example.com"); err != nil || len(r) != 1 {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("LimitRanges", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r, err := c.LimitRanges("ns-100"); err != nil || len(r) != 1 {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("NamespaceLabels", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if l, err := c.NamespaceLabels("ns-100"); err != nil || l == nil {
				b.Fatal(l, err)
			}
		}
	})
	b.Run("ClusterRole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r, err := c.ClusterRole("role-250"); err != nil || r == nil {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("DefaultIngressClasses", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.DefaultIngressClasses(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
