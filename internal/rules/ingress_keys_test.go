package rules

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ingTest builds an Ingress with one rule per host, each path "path:Type".
func ingTest(ns, name string, hosts map[string][]string) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, h := range sortedKeys(hosts) {
		r := networkingv1.IngressRule{Host: h, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{}}}
		for _, p := range hosts[h] {
			k := strings.LastIndexByte(p, ':')
			path, t := p[:k], networkingv1.PathType(p[k+1:])
			r.HTTP.Paths = append(r.HTTP.Paths, networkingv1.HTTPIngressPath{Path: path, PathType: &t})
		}
		ing.Spec.Rules = append(ing.Spec.Rules, r)
	}
	return ing
}

func sortedKeys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestIngressKeys(t *testing.T) {
	ing := ingTest("a", "x", map[string][]string{
		"Shop.Example.com": {"/api/:Prefix", "/api//:Prefix", "/:Prefix", "/api/:Exact", ":ImplementationSpecific", "/x/:ImplementationSpecific"},
	})
	ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: "nohttp.example.com"})
	ing.Spec.Rules[0].HTTP.Paths = append(ing.Spec.Rules[0].HTTP.Paths, networkingv1.HTTPIngressPath{Path: "/nil"})
	var got []string
	for _, c := range IngressKeys(ing, "nginx") {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%s|%s", c.Key.Class, c.Key.Host, c.Key.Path, c.Key.PathType, c.Path, c.Field()))
	}
	want := []string{
		"nginx|shop.example.com|/api|Prefix|/api/|spec.rules[0].http.paths[0]",
		"nginx|shop.example.com|/api|Prefix|/api//|spec.rules[0].http.paths[1]",
		"nginx|shop.example.com|/|Prefix|/|spec.rules[0].http.paths[2]",
		"nginx|shop.example.com|/api/|Exact|/api/|spec.rules[0].http.paths[3]",
		"nginx|shop.example.com|/|ImplementationSpecific||spec.rules[0].http.paths[4]",
		"nginx|shop.example.com|/x/|ImplementationSpecific|/x/|spec.rules[0].http.paths[5]",
		"nginx|shop.example.com|/nil|ImplementationSpecific|/nil|spec.rules[0].http.paths[6]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("IngressKeys:\n got %q\nwant %q", got, want)
	}
	if IngressKeys(nil, "") != nil {
		t.Error("IngressKeys(nil) not nil")
	}
}

func TestIngressClassOfAndCanary(t *testing.T) {
	ing := &networkingv1.Ingress{}
	if IngressClassOf(ing) != "" || IngressIsCanary(ing) {
		t.Error("empty Ingress has a class or is a canary")
	}
	ing.Annotations = map[string]string{LegacyIngressClassAnnotation: "nginx", "nginx.ingress.kubernetes.io/canary": "true"}
	if IngressClassOf(ing) != "nginx" || !IngressIsCanary(ing) {
		t.Error("annotations not read")
	}
	c := "internal"
	ing.Spec.IngressClassName = &c
	if IngressClassOf(ing) != "internal" {
		t.Error("spec.ingressClassName does not win")
	}
}

// ingTestView is a ClusterView with canned answers for the ingress rules.
type ingTestView struct {
	EmptyView
	classes    map[string]*networkingv1.IngressClass
	classErr   error
	defaults   []string
	defaultErr error
	claims     map[IngressKey][]ObjectRef
	claimErr   error
	secrets    map[string]bool
	secretErr  error
	claimCalls int
	classList  []*networkingv1.IngressClass
	listErr    error
	hosts      map[[2]string][]HostHolder // class, host
	hostErr    error
	hostCalls  int
}

func (v *ingTestView) IngressClasses() ([]*networkingv1.IngressClass, error) {
	if v.classList == nil && v.listErr == nil {
		return nil, ErrNotInInput
	}
	return v.classList, v.listErr
}
func (v *ingTestView) IngressHost(class, host string) ([]HostHolder, error) {
	v.hostCalls++
	return v.hosts[[2]string{class, host}], v.hostErr
}

func (v *ingTestView) IngressClass(name string) (*networkingv1.IngressClass, error) {
	return v.classes[name], v.classErr
}
func (v *ingTestView) DefaultIngressClasses() ([]string, error) { return v.defaults, v.defaultErr }
func (v *ingTestView) IngressClaims(k IngressKey, each func(ObjectRef)) error {
	v.claimCalls++
	if v.claimErr != nil {
		return v.claimErr
	}
	for _, r := range v.claims[k] {
		each(r)
	}
	return nil
}
func (v *ingTestView) SecretExists(ns, name string) (bool, error) {
	return v.secrets[ns+"/"+name], v.secretErr
}

func ingRun(t *testing.T, check CheckFunc, obj runtime.Object, view ClusterView, s *Settings) []string {
	t.Helper()
	in := &Input{Object: obj, Cluster: view, Settings: s}
	var out []string
	for _, v := range check(in) {
		out = append(out, fmt.Sprintf("%s %s: %s", v.AtMost, fieldString(v.Field), v.Message))
	}
	return out
}

func fieldString(p *field.Path) string {
	if p == nil {
		return ""
	}
	return p.String()
}

// TestIngressRulesOddInput: no panics on other types, nil objects and
// empty Ingresses.
func TestIngressRulesOddInput(t *testing.T) {
	checks := []CheckFunc{checkIngressClass, checkIngressPath, checkIngressConflict, checkIngressWildcardHost, checkIngressTLS}
	objs := []runtime.Object{nil, (*networkingv1.Ingress)(nil), &networkingv1.IngressClass{}, &networkingv1.Ingress{}}
	for _, c := range checks {
		for _, o := range objs {
			if got := ingRun(t, c, o, EmptyView{}, nil); len(got) != 0 && o != nil {
				if _, ok := o.(*networkingv1.Ingress); !ok {
					t.Errorf("%T: findings %v", o, got)
				}
			}
		}
	}
}
