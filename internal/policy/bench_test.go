package policy_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/inputview"
	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// BenchmarkEvaluate measures the whole rule set on a typical Deployment,
// Ingress and ClusterRoleBinding (testdata/bench.yaml) against a view with
// 10k Ingresses and a few hundred ClusterRoles. The "decode" sub-benchmark
// is the baseline of the same run: decoding the object's JSON into its
// typed struct, which every request pays anyway. Compare the ratio
// evaluate/decode, not absolute times (shared, noisy machines).
func BenchmarkEvaluate(b *testing.B) {
	data, err := os.ReadFile("testdata/bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	view := inputview.New()
	view.Complete = true
	view.Add(&networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}}})
	for i := 0; i < 10000; i++ {
		pt := networkingv1.PathTypePrefix
		view.Add(&networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns-%d", i%200), Name: fmt.Sprintf("ing-%d", i)},
			Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx"), Rules: []networkingv1.IngressRule{{
				Host:             fmt.Sprintf("app-%d.example.com", i),
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pt}}}},
			}}},
		})
	}
	for i := 0; i < 300; i++ {
		view.Add(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%d", i)}})
	}
	view.Add(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
	}})
	p := policy.New(config.Default())
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			b.Fatal(err)
		}
		obj, ref, err := manifest.DecodeJSON(js)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(ref.Kind+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, _, err := manifest.DecodeJSON(js); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(ref.Kind+"/evaluate", func(b *testing.B) {
			b.ReportAllocs()
			var res policy.Result
			for i := 0; i < b.N; i++ {
				res, err = p.Evaluate(&rules.Input{Object: obj, Ref: ref, Cluster: view}, policy.Requester{User: "alice"})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(res.Findings)), "findings")
		})
	}
}
