// Package ingressindex keeps what Ingresses claim in one map keyed by
// class + host, so that the lookups of ingress-conflict cost the same
// whatever the number of Ingresses. Each class + host holds:
//
//   - the namespaces serving it, each with its oldest Ingress for the host
//     and the namespaces it shares the host with (Host). The answer is
//     built when an Ingress changes, so a lookup is one map read;
//   - its routes, path + pathType → the Ingresses routing it (Claims): a
//     slice sorted by path, searched in halves (a host has few routes; one
//     with thousands costs a dozen comparisons).
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

// Entry is what one Ingress puts in the index, computed once from the
// Ingress (EntryOf): its identity, what it contributes to the hosts it
// serves (creation time, the namespaces it shares them with) and the keys
// it claims. The index keeps a pointer to it until the Ingress is set
// again or deleted, so a caller may embed it in what it keeps of the
// Ingress anyway (the server's informer store does) to pay for it once.
// An Entry is never modified once given to the index.
type Entry struct {
	Namespace, Name string
	since           time.Time
	share           []string
	routes          []entryRoute
	hosts           []hostKey
}

// entryRoute is one key an Ingress claims: its class + host (an index in
// Entry.hosts), path and pathType.
type entryRoute struct {
	host           int
	path, pathType string
}

// EntryOf returns the Entry of ing, nil for nil. The class is the one the
// Ingress names ("" when it names none). ingress-nginx canaries claim
// nothing (they deliberately repeat a main Ingress).
func EntryOf(ing *networkingv1.Ingress) *Entry {
	if ing == nil {
		return nil
	}
	e := &Entry{Namespace: ing.Namespace, Name: ing.Name}
	if rules.IngressIsCanary(ing) {
		return e
	}
	class := rules.IngressClassOf(ing)
	for _, h := range rules.IngressHosts(ing) {
		if k := (hostKey{class, h.Host}); !slices.Contains(e.hosts, k) {
			e.hosts = append(e.hosts, k)
		}
	}
	if keys := rules.IngressKeys(ing, class); len(keys) > 0 {
		e.routes = make([]entryRoute, len(keys))
		for i, c := range keys {
			k := hostKey{c.Key.Class, c.Key.Host}
			h := slices.Index(e.hosts, k)
			if h < 0 {
				// IngressHosts names every host a route names; were it not
				// so, an Ingress routing a host serves it all the same.
				h = len(e.hosts)
				e.hosts = append(e.hosts, k)
			}
			e.routes[i] = entryRoute{host: h, path: c.Key.Path, pathType: pathType(c.Key.PathType)}
		}
	}
	e.hosts = slices.Clip(e.hosts)
	e.since = ing.CreationTimestamp.Time
	e.share = rules.ShareHostWith(ing)
	return e
}

// pathType returns the constant spelling of the path types the API
// server accepts (so that 10,000 Ingresses do not each keep their own
// copy), pt itself for any other value.
func pathType(pt string) string {
	switch networkingv1.PathType(pt) {
	case networkingv1.PathTypePrefix:
		return string(networkingv1.PathTypePrefix)
	case networkingv1.PathTypeExact:
		return string(networkingv1.PathTypeExact)
	case networkingv1.PathTypeImplementationSpecific:
		return string(networkingv1.PathTypeImplementationSpecific)
	}
	return pt
}

// before orders Ingresses for "oldest": known creation times first, older
// first, then by name.
func before(a, b *Entry) bool {
	if a.since.IsZero() != b.since.IsZero() {
		return !a.since.IsZero()
	}
	if !a.since.Equal(b.since) {
		return a.since.Before(b.since)
	}
	return a.Name < b.Name
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
	namespace string
	ingresses []*Entry       // the oldest first (before), the others in no order
	share     map[string]int // namespace → Ingresses naming it; nil when none
	unknown   int            // Ingresses without creationTimestamp
	shareWith []string       // the keys of share, sorted
}

// find returns the index of the Ingress name in h.ingresses, or -1.
func (h *nsHolding) find(name string) int {
	return slices.IndexFunc(h.ingresses, func(e *Entry) bool { return e.Name == name })
}

// add records the Ingress c, which the namespace does not hold yet (Set
// removes an Ingress's previous version first).
func (h *nsHolding) add(c *Entry) {
	h.ingresses = append(h.ingresses, c)
	if last := len(h.ingresses) - 1; before(c, h.ingresses[0]) {
		h.ingresses[0], h.ingresses[last] = c, h.ingresses[0]
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
	h.refresh()
}

func (h *nsHolding) remove(name string) {
	i := h.find(name)
	if i < 0 {
		return
	}
	c := h.ingresses[i]
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
	if i == 0 && len(h.ingresses) > 1 {
		oldest := 0
		for j, o := range h.ingresses {
			if before(o, h.ingresses[oldest]) {
				oldest = j
			}
		}
		h.ingresses[0], h.ingresses[oldest] = h.ingresses[oldest], h.ingresses[0]
	}
	h.refresh()
}

// refresh rebuilds shareWith (a new slice: the old one may be in a
// reader's hands).
func (h *nsHolding) refresh() {
	share := make([]string, 0, len(h.share))
	for s := range h.share {
		share = append(share, s)
	}
	slices.Sort(share)
	h.shareWith = share
}

// holder is the namespace's answer in Host: its oldest Ingress for the
// host, since when (unknown when any of its Ingresses has no creation
// time) and the namespaces it shares the host with.
func (h *nsHolding) holder() rules.HostHolder {
	out := rules.HostHolder{Namespace: h.namespace, ShareWith: h.shareWith}
	if len(h.ingresses) > 0 {
		out.Ingress = h.ingresses[0].Name
		if h.unknown == 0 {
			out.Since = h.ingresses[0].since
		}
	}
	return out
}

// hostEntry is one class + host: the namespaces serving it, the answer
// of Host (rebuilt on every change) and the routes of the host.
//
// A host's routes are a slice sorted by path and pathType while they are
// few (most hosts have a handful: a slice costs a few words per route
// where a map costs a hundred bytes), a map once they are more than
// maxSortedRoutes (a host with thousands of paths: inserting into a sorted
// slice would move all of them on every write).
type hostEntry struct {
	byNS    []*nsHolding // sorted by namespace (a host has few)
	holders []rules.HostHolder
	routes  []route               // sorted by path and pathType; nil once many is set
	many    map[routeKey][]*Entry // the routes, once there are many
}

const maxSortedRoutes = 16

type routeKey struct{ path, pathType string }

// route is one path + pathType of a class + host and the Ingresses
// routing it, sorted by namespace and name.
type route struct {
	routeKey
	claimants []*Entry
}

func compareRoute(a route, b routeKey) int {
	if c := strings.Compare(a.path, b.path); c != 0 {
		return c
	}
	return strings.Compare(a.pathType, b.pathType)
}

// claimants returns the Ingresses routing k, sorted by namespace and name.
func (e *hostEntry) claimants(k routeKey) []*Entry {
	if e.many != nil {
		return e.many[k]
	}
	if i, found := slices.BinarySearchFunc(e.routes, k, compareRoute); found {
		return e.routes[i].claimants
	}
	return nil
}

// addClaim records that the Ingress c routes k.
func (e *hostEntry) addClaim(k routeKey, c *Entry) {
	if e.many != nil {
		e.many[k] = insertEntry(e.many[k], c)
		return
	}
	i, found := slices.BinarySearchFunc(e.routes, k, compareRoute)
	if !found {
		e.routes = slices.Insert(e.routes, i, route{routeKey: k})
	}
	e.routes[i].claimants = insertEntry(e.routes[i].claimants, c)
	if len(e.routes) > maxSortedRoutes {
		e.many = make(map[routeKey][]*Entry, len(e.routes))
		for _, r := range e.routes {
			e.many[r.routeKey] = r.claimants
		}
		e.routes = nil
	}
}

// removeClaim forgets that the Ingress ok routes k.
func (e *hostEntry) removeClaim(k routeKey, ok objKey) {
	if e.many != nil {
		if cs := removeEntry(e.many[k], ok); len(cs) > 0 {
			e.many[k] = cs
		} else {
			delete(e.many, k)
		}
		return
	}
	if i, found := slices.BinarySearchFunc(e.routes, k, compareRoute); found {
		if e.routes[i].claimants = removeEntry(e.routes[i].claimants, ok); len(e.routes[i].claimants) == 0 {
			e.routes = slices.Delete(e.routes, i, i+1)
		}
	}
}

// insertEntry inserts c in es, sorted by namespace and name, unless there.
func insertEntry(es []*Entry, c *Entry) []*Entry {
	if i, found := slices.BinarySearchFunc(es, objKey{c.Namespace, c.Name}, compareEntry); !found {
		return slices.Insert(es, i, c)
	}
	return es
}

// removeEntry removes the Ingress ok from es.
func removeEntry(es []*Entry, ok objKey) []*Entry {
	if i, found := slices.BinarySearchFunc(es, ok, compareEntry); found {
		return slices.Delete(es, i, i+1)
	}
	return es
}

// empty reports whether nothing serves or routes the host any more.
func (e *hostEntry) empty() bool { return len(e.byNS) == 0 && len(e.routes) == 0 && len(e.many) == 0 }

func (e *hostEntry) search(ns string) (int, bool) {
	return slices.BinarySearchFunc(e.byNS, ns, func(h *nsHolding, ns string) int { return strings.Compare(h.namespace, ns) })
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
	h := &nsHolding{namespace: ns}
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
		out[i] = h.holder()
	}
	e.holders = out
}

// Index maps routes and hosts to the Ingresses that claim them. It is safe
// for concurrent use.
type Index struct {
	mu    sync.RWMutex
	hosts map[hostKey]*hostEntry
	byObj map[objKey]*Entry
}

// New returns an empty index.
func New() *Index {
	return &Index{
		hosts: map[hostKey]*hostEntry{},
		byObj: map[objKey]*Entry{},
	}
}

// Set records the claims of ing, replacing its previous ones (Put of its
// EntryOf).
func (x *Index) Set(ing *networkingv1.Ingress) {
	x.Put(EntryOf(ing))
}

// Put records the claims of the Ingress e describes, replacing its
// previous ones. The index keeps e: never modify it afterwards.
func (x *Index) Put(e *Entry) {
	if e == nil {
		return
	}
	ok := objKey{e.Namespace, e.Name}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleteLocked(ok)
	for _, k := range e.hosts {
		he := x.host(k)
		he.holding(ok.namespace).add(e)
		he.rebuild()
	}
	for _, k := range e.routes {
		x.host(e.hosts[k.host]).addClaim(routeKey{k.path, k.pathType}, e)
	}
	if len(e.routes) > 0 || len(e.hosts) > 0 {
		x.byObj[ok] = e
	}
}

// host returns the entry of k, created when missing.
func (x *Index) host(k hostKey) *hostEntry {
	he := x.hosts[k]
	if he == nil {
		he = &hostEntry{}
		x.hosts[k] = he
	}
	return he
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
		hk := in.hosts[k.host]
		he := x.hosts[hk]
		if he == nil {
			continue
		}
		he.removeClaim(routeKey{k.path, k.pathType}, ok)
		if he.empty() {
			delete(x.hosts, hk)
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
		if e.empty() {
			delete(x.hosts, k)
			continue
		}
		e.rebuild()
	}
	delete(x.byObj, ok)
}

// Claims returns the Ingresses claiming key, as ObjectRefs.
func (x *Index) Claims(key rules.IngressKey) []rules.ObjectRef {
	var out []rules.ObjectRef
	x.EachClaim(key, func(r rules.ObjectRef) { out = append(out, r) })
	return out
}

// EachClaim calls each for every Ingress claiming key, sorted by namespace
// and name, under the index's read lock: each must not write to the index.
func (x *Index) EachClaim(key rules.IngressKey, each func(rules.ObjectRef)) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	he := x.hosts[hostKey{key.Class, key.Host}]
	if he == nil {
		return
	}
	for _, e := range he.claimants(routeKey{key.Path, key.PathType}) {
		each(rules.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Namespace: e.Namespace, Name: e.Name})
	}
}

// compareEntry orders Ingresses by namespace and name.
func compareEntry(a *Entry, b objKey) int {
	if c := strings.Compare(a.Namespace, b.namespace); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.name)
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
