// Package ingressindex keeps what Ingresses claim in maps, so that the
// lookups of ingress-conflict cost the same whatever the number of
// Ingresses:
//
//   - routes: class + host + path + pathType → the Ingresses routing it
//     (Claims);
//   - hosts: class + host → the namespaces serving it, each with its oldest
//     Ingress for the host and the namespaces it shares the host with
//     (Host). The answer is built when an Ingress changes, so a lookup is
//     one map read.
//
// The CLI fills it from the input set, the server from informer events.
package ingressindex

import (
	"slices"
	"strings"
	"sync"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

type objKey struct{ namespace, name string }

type hostKey struct{ class, host string }

// hostIngress is what one Ingress contributes to a host.
type hostIngress struct {
	since time.Time
	share []string
}

// before orders contributions for "oldest": known creation times first,
// older first, then by name.
func before(a hostIngress, aName string, b hostIngress, bName string) bool {
	if a.since.IsZero() != b.since.IsZero() {
		return !a.since.IsZero()
	}
	if !a.since.Equal(b.since) {
		return a.since.Before(b.since)
	}
	return aName < bName
}

// nsHolding is one namespace serving one class + host, kept up to date
// incrementally: adding or removing an Ingress costs the number of
// namespaces it shares with, except removing the oldest one (a scan of
// the namespace's Ingresses for the host).
//
// Most hosts are served by one Ingress of one namespace: the Ingresses are
// a slice (a map costs hundreds of bytes for one entry), and share exists
// only once an Ingress shares the host.
type nsHolding struct {
	ingresses []namedIngress
	share     map[string]int // namespace → Ingresses naming it; nil when none
	unknown   int            // Ingresses without creationTimestamp
	holder    rules.HostHolder
}

type namedIngress struct {
	name string
	hostIngress
}

// find returns the index of the Ingress name in h.ingresses, or -1.
func (h *nsHolding) find(name string) int {
	return slices.IndexFunc(h.ingresses, func(n namedIngress) bool { return n.name == name })
}

// contribution returns what the Ingress name contributes (zero when none).
func (h *nsHolding) contribution(name string) hostIngress {
	if i := h.find(name); i >= 0 {
		return h.ingresses[i].hostIngress
	}
	return hostIngress{}
}

func (h *nsHolding) add(name string, c hostIngress) {
	if i := h.find(name); i >= 0 {
		h.ingresses[i].hostIngress = c
	} else {
		h.ingresses = append(h.ingresses, namedIngress{name, c})
	}
	if len(c.share) > 0 && h.share == nil {
		h.share = map[string]int{}
	}
	for _, s := range c.share {
		h.share[s]++
	}
	if c.since.IsZero() {
		h.unknown++
	}
	if h.holder.Ingress == "" || before(c, name, h.contribution(h.holder.Ingress), h.holder.Ingress) {
		h.holder.Ingress = name
	}
	h.refresh()
}

func (h *nsHolding) remove(name string) {
	i := h.find(name)
	if i < 0 {
		return
	}
	c := h.ingresses[i].hostIngress
	h.ingresses = slices.Delete(h.ingresses, i, i+1)
	for _, s := range c.share {
		if h.share[s]--; h.share[s] <= 0 {
			delete(h.share, s)
		}
	}
	if len(h.share) == 0 {
		h.share = nil
	}
	if c.since.IsZero() {
		h.unknown--
	}
	if h.holder.Ingress == name {
		h.holder.Ingress = ""
		var oldest hostIngress
		for _, o := range h.ingresses {
			if h.holder.Ingress == "" || before(o.hostIngress, o.name, oldest, h.holder.Ingress) {
				h.holder.Ingress, oldest = o.name, o.hostIngress
			}
		}
	}
	h.refresh()
}

// refresh rebuilds the holder's Since and ShareWith (a new slice: the old
// one may be in a reader's hands).
func (h *nsHolding) refresh() {
	h.holder.Since = time.Time{}
	if h.unknown == 0 {
		h.holder.Since = h.contribution(h.holder.Ingress).since
	}
	share := make([]string, 0, len(h.share))
	for s := range h.share {
		share = append(share, s)
	}
	slices.Sort(share)
	h.holder.ShareWith = share
}

// hostEntry is one class + host: the namespaces serving it, and the
// answer of Host, rebuilt on every change.
type hostEntry struct {
	byNS    []*nsHolding // sorted by namespace (a host has few)
	holders []rules.HostHolder
}

func (e *hostEntry) search(ns string) (int, bool) {
	return slices.BinarySearchFunc(e.byNS, ns, func(h *nsHolding, ns string) int { return strings.Compare(h.holder.Namespace, ns) })
}

// lookup returns the namespace's holding, nil when none.
func (e *hostEntry) lookup(ns string) *nsHolding {
	if i, ok := e.search(ns); ok {
		return e.byNS[i]
	}
	return nil
}

// holding returns the namespace's holding, created (and placed in order)
// when missing.
func (e *hostEntry) holding(ns string) *nsHolding {
	i, ok := e.search(ns)
	if ok {
		return e.byNS[i]
	}
	h := &nsHolding{holder: rules.HostHolder{Namespace: ns}}
	e.byNS = slices.Insert(e.byNS, i, h)
	return h
}

// drop forgets the namespace's holding.
func (e *hostEntry) drop(ns string) {
	if i, ok := e.search(ns); ok {
		e.byNS = slices.Delete(e.byNS, i, i+1)
	}
}

// rebuild assembles the answer of Host in a new slice (readers may hold
// the old one): one holder per namespace, in order. It costs the number
// of namespaces serving the host.
func (e *hostEntry) rebuild() {
	out := make([]rules.HostHolder, len(e.byNS))
	for i, h := range e.byNS {
		out[i] = h.holder
	}
	e.holders = out
}

// indexed is what one Ingress put in the index, to take it out again.
type indexed struct {
	routes []rules.IngressKey
	hosts  []hostKey
}

// Index maps routes and hosts to the Ingresses that claim them. It is safe
// for concurrent use.
type Index struct {
	mu     sync.RWMutex
	claims map[rules.IngressKey][]objKey // sorted by namespace and name
	hosts  map[hostKey]*hostEntry
	byObj  map[objKey]indexed
}

// New returns an empty index.
func New() *Index {
	return &Index{
		claims: map[rules.IngressKey][]objKey{},
		hosts:  map[hostKey]*hostEntry{},
		byObj:  map[objKey]indexed{},
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
	var in indexed
	var contrib hostIngress
	if !rules.IngressIsCanary(ing) {
		class := rules.IngressClassOf(ing)
		for _, c := range rules.IngressKeys(ing, class) {
			in.routes = append(in.routes, c.Key)
		}
		for _, h := range rules.IngressHosts(ing) {
			if k := (hostKey{class, h.Host}); !slices.Contains(in.hosts, k) {
				in.hosts = append(in.hosts, k)
			}
		}
		contrib = hostIngress{since: ing.CreationTimestamp.Time, share: rules.ShareHostWith(ing)}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleteLocked(ok)
	for _, k := range in.routes {
		claimants := x.claims[k]
		if i, found := slices.BinarySearchFunc(claimants, ok, compareObj); !found {
			x.claims[k] = slices.Insert(claimants, i, ok)
		}
	}
	for _, k := range in.hosts {
		e := x.hosts[k]
		if e == nil {
			e = &hostEntry{}
			x.hosts[k] = e
		}
		e.holding(ok.namespace).add(ok.name, contrib)
		e.rebuild()
	}
	if len(in.routes) > 0 || len(in.hosts) > 0 {
		x.byObj[ok] = in
	}
}

// Delete forgets the Ingress namespace/name.
func (x *Index) Delete(namespace, name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleteLocked(objKey{namespace, name})
}

func (x *Index) deleteLocked(ok objKey) {
	in, found := x.byObj[ok]
	if !found {
		return
	}
	for _, k := range in.routes {
		claimants := x.claims[k]
		if i, found := slices.BinarySearchFunc(claimants, ok, compareObj); found {
			if len(claimants) == 1 {
				delete(x.claims, k)
			} else {
				x.claims[k] = slices.Delete(claimants, i, i+1)
			}
		}
	}
	for _, k := range in.hosts {
		e := x.hosts[k]
		if e == nil {
			continue
		}
		if h := e.lookup(ok.namespace); h != nil {
			h.remove(ok.name)
			if len(h.ingresses) == 0 {
				e.drop(ok.namespace)
			}
		}
		if len(e.byNS) == 0 {
			delete(x.hosts, k)
			continue
		}
		e.rebuild()
	}
	delete(x.byObj, ok)
}

// Claims returns the Ingresses claiming key, as ObjectRefs.
func (x *Index) Claims(key rules.IngressKey) []rules.ObjectRef {
	x.mu.RLock()
	defer x.mu.RUnlock()
	claimants := x.claims[key]
	if len(claimants) == 0 {
		return nil
	}
	out := make([]rules.ObjectRef, 0, len(claimants))
	for _, ok := range claimants {
		out = append(out, rules.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Namespace: ok.namespace, Name: ok.name})
	}
	return out
}

// compareObj orders Ingresses by namespace and name.
func compareObj(a, b objKey) int {
	if c := strings.Compare(a.namespace, b.namespace); c != 0 {
		return c
	}
	return strings.Compare(a.name, b.name)
}

// Host returns the namespaces serving host (normalised) through Ingresses
// of class key class, sorted by namespace. The slice is shared with the
// index and replaced, never changed, on writes: read it, do not modify it.
func (x *Index) Host(class, host string) []rules.HostHolder {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if e := x.hosts[hostKey{class, rules.NormalizeHost(host)}]; e != nil {
		return e.holders
	}
	return nil
}

// Len returns the number of indexed Ingresses.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byObj)
}
