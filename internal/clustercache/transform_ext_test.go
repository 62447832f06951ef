package clustercache_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/guardrails-dev/guardrails/internal/clustercache"
	"github.com/guardrails-dev/guardrails/internal/ingressindex"
	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// TestTransformIngressKeepsIndexInputs indexes every Ingress of the rule
// fixtures in full, trimmed (TrimIngress), and as the server's cache holds
// them (the records of TransformIngress, through NewStatic): what the
// conflict index derives must not change. It fails when the index starts
// reading a field the transform drops.
func TestTransformIngressKeepsIndexInputs(t *testing.T) {
	files, err := filepath.Glob("../rules/testdata/ingress-*/*.yaml")
	if err != nil || len(files) == 0 {
		t.Skipf("no ingress fixtures found: %v", err)
	}
	full, trimmed := ingressindex.New(), ingressindex.New()
	var keys []rules.IngressKey
	var hosts [][2]string
	var objs []runtime.Object
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(data), "\n---") {
			obj, _, err := manifest.Decode([]byte(doc))
			if err != nil {
				continue
			}
			ing, ok := obj.(*networkingv1.Ingress)
			if !ok {
				continue
			}
			n++
			ing.Namespace = filepath.Base(f) + "/" + ing.Namespace // keep fixtures apart
			objs = append(objs, ing.DeepCopy())
			out, _ := clustercache.TrimIngress(ing.DeepCopy())
			tr := out.(*networkingv1.Ingress)
			if rules.IngressClassOf(ing) != rules.IngressClassOf(tr) || rules.IngressIsCanary(ing) != rules.IngressIsCanary(tr) {
				t.Errorf("%s: class or canary differs after transform", f)
			}
			if !reflect.DeepEqual(rules.IngressKeys(ing, "c"), rules.IngressKeys(tr, "c")) {
				t.Errorf("%s: keys differ after transform", f)
			}
			if !reflect.DeepEqual(rules.IngressHosts(ing), rules.IngressHosts(tr)) || !reflect.DeepEqual(rules.ShareHostWith(ing), rules.ShareHostWith(tr)) ||
				!ing.CreationTimestamp.Equal(&tr.CreationTimestamp) {
				t.Errorf("%s: hosts, grants or creation time differ after transform", f)
			}
			full.Set(ing)
			trimmed.Set(tr)
			for _, c := range rules.IngressKeys(ing, rules.IngressClassOf(ing)) {
				keys = append(keys, c.Key)
			}
			for _, h := range rules.IngressHosts(ing) {
				hosts = append(hosts, [2]string{rules.IngressClassOf(ing), h.Host})
			}
		}
	}
	if n == 0 {
		t.Skip("no Ingress in the fixtures")
	}
	t.Logf("%d Ingresses from %d fixture files, %d keys", n, len(files), len(keys))
	cached, err := clustercache.NewStatic(clustercache.Options{}, objs...)
	if err != nil {
		t.Fatal(err)
	}
	if full.Len() != trimmed.Len() {
		t.Errorf("indexed %d full Ingresses but %d trimmed", full.Len(), trimmed.Len())
	}
	for _, k := range keys {
		if a, b := full.Claims(k), trimmed.Claims(k); !reflect.DeepEqual(a, b) {
			t.Errorf("claims of %s: full %v, trimmed %v", k, a, b)
		}
		if a, b := full.Claims(k), must(clustercache.ClaimsOf(cached, k)); !reflect.DeepEqual(a, b) {
			t.Errorf("claims of %s: full %v, cached %v", k, a, b)
		}
	}
	for _, h := range hosts {
		if a, b := full.Host(h[0], h[1]), trimmed.Host(h[0], h[1]); !reflect.DeepEqual(a, b) {
			t.Errorf("holders of class %q host %q: full %v, trimmed %v", h[0], h[1], a, b)
		}
		if a, b := full.Host(h[0], h[1]), must(cached.IngressHost(h[0], h[1])); !reflect.DeepEqual(a, b) {
			t.Errorf("holders of class %q host %q: full %v, cached %v", h[0], h[1], a, b)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
