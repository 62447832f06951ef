package rules

import (
	"fmt"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestIngressClassLookups(t *testing.T) {
	unavailable := fmt.Errorf("informer not synced: %w", ErrUnavailable)
	named := &networkingv1.Ingress{}
	c := "nginx"
	named.Spec.IngressClassName = &c
	none := &networkingv1.Ingress{}
	emptyAnn := &networkingv1.Ingress{}
	emptyAnn.Annotations = map[string]string{LegacyIngressClassAnnotation: ""}

	for _, tc := range []struct {
		name string
		obj  *networkingv1.Ingress
		view *ingTestView
		want string
	}{
		{"class unavailable", named, &ingTestView{classErr: unavailable},
			`[warn spec.ingressClassName: could not check IngressClass "nginx": informer not synced: cluster state unavailable]`},
		{"class exists", named, &ingTestView{classes: map[string]*networkingv1.IngressClass{"nginx": {}}}, `[]`},
		{"class missing", named, &ingTestView{classes: map[string]*networkingv1.IngressClass{}},
			`[ spec.ingressClassName: IngressClass "nginx" does not exist, so no ingress controller will serve this Ingress]`},
		{"defaults unavailable", none, &ingTestView{defaultErr: unavailable},
			`[warn spec.ingressClassName: could not check the default IngressClass: informer not synced: cluster state unavailable]`},
		{"defaults offline", none, &ingTestView{defaultErr: ErrNotInInput},
			`[warn spec.ingressClassName: Ingress names no ingress class: it relies on the cluster's default IngressClass, which the input does not show]`},
		{"two defaults", none, &ingTestView{defaults: []string{"a", "b"}}, `[]`},
		{"empty legacy annotation counts as none", emptyAnn, &ingTestView{},
			`[ spec.ingressClassName: Ingress names no ingress class and no IngressClass is marked as the default, so no ingress controller will serve it]`},
	} {
		got := ingRun(t, checkIngressClass, tc.obj, tc.view, DefaultSettings())
		if s := "[" + strings.Join(got, "\n") + "]"; s != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, s, tc.want)
		}
	}
}
