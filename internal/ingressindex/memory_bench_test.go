package ingressindex

import (
	"fmt"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/guardrails-dev/guardrails/internal/heapcost"
)

// BenchmarkIndexMemory reports the live heap (after GC) the index holds
// per Ingress of one host and two paths, 10,000 of them over 200
// namespaces (B/ingress), besides the Ingresses themselves.
//
//	go test ./internal/ingressindex/ -run '^$' -bench IndexMemory
func BenchmarkIndexMemory(b *testing.B) {
	const n = 10_000
	prefix := networkingv1.PathTypePrefix
	class := "nginx"
	ings := make([]*networkingv1.Ingress, n)
	for i := range ings {
		ings[i] = &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("team-%d", i%200), Name: fmt.Sprintf("app-%d", i),
				CreationTimestamp: metav1.NewTime(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second))},
			Spec: networkingv1.IngressSpec{IngressClassName: &class, Rules: []networkingv1.IngressRule{{
				Host: fmt.Sprintf("app-%d.example.com", i),
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
					{Path: "/", PathType: &prefix}, {Path: "/api", PathType: &prefix},
				}}},
			}}},
		}
	}
	var perIngress float64
	for b.Loop() {
		perIngress = heapcost.PerObject(n, func() any {
			x := New()
			for _, ing := range ings {
				x.Set(ing)
			}
			return x
		})
	}
	b.ReportMetric(perIngress, "B/ingress")
}
