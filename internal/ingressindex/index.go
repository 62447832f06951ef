// Package ingressindex keeps the claims of Ingresses (class + host + path
// + pathType) in a map so that conflict lookups cost O(1) in the number of
// Ingresses. The CLI fills it from the input set, the server from informer
// events.
package ingressindex

import (
	"sort"
	"sync"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

type objKey struct{ namespace, name string }

// Index maps claims to the Ingresses that make them. It is safe for
// concurrent use.
type Index struct {
	mu     sync.RWMutex
	claims map[rules.IngressKey]map[objKey]struct{}
	byObj  map[objKey][]rules.IngressKey
}

// New returns an empty index.
func New() *Index {
	return &Index{
		claims: map[rules.IngressKey]map[objKey]struct{}{},
		byObj:  map[objKey][]rules.IngressKey{},
	}
}

// Set records the claims of ing, replacing its previous ones. The class is
// the one the Ingress names ("" when it names none). ingress-nginx canaries
// claim nothing (they deliberately repeat a main Ingress): Set only forgets
// their previous claims.
func (x *Index) Set(ing *networkingv1.Ingress) {
	if ing == nil {
		return
	}
	ok := objKey{ing.Namespace, ing.Name}
	var claims []rules.IngressClaim
	if !rules.IngressIsCanary(ing) {
		claims = rules.IngressKeys(ing, rules.IngressClassOf(ing))
	}
	keys := make([]rules.IngressKey, 0, len(claims))
	for _, c := range claims {
		keys = append(keys, c.Key)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleteLocked(ok)
	for _, k := range keys {
		set := x.claims[k]
		if set == nil {
			set = map[objKey]struct{}{}
			x.claims[k] = set
		}
		set[ok] = struct{}{}
	}
	if len(keys) > 0 {
		x.byObj[ok] = keys
	}
}

// Delete forgets the Ingress namespace/name.
func (x *Index) Delete(namespace, name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleteLocked(objKey{namespace, name})
}

func (x *Index) deleteLocked(ok objKey) {
	for _, k := range x.byObj[ok] {
		if set := x.claims[k]; set != nil {
			delete(set, ok)
			if len(set) == 0 {
				delete(x.claims, k)
			}
		}
	}
	delete(x.byObj, ok)
}

// Claims returns the Ingresses claiming key, as ObjectRefs.
func (x *Index) Claims(key rules.IngressKey) []rules.ObjectRef {
	x.mu.RLock()
	defer x.mu.RUnlock()
	set := x.claims[key]
	if len(set) == 0 {
		return nil
	}
	out := make([]rules.ObjectRef, 0, len(set))
	for ok := range set {
		out = append(out, rules.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Namespace: ok.namespace, Name: ok.name})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Len returns the number of indexed Ingresses.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byObj)
}
