package rules

import (
	"slices"
	"time"
)

// Host ownership (ingress-conflict). ingress-nginx, like most controllers,
// merges every rule of one host into one server, whatever the namespace
// of the Ingress: whoever adds a path to a host takes that part of its
// traffic. So a host belongs to the namespaces that serve it, and another
// namespace may join only with their consent.
//
// Who owns a host is decided from the namespaces that serve it now (the
// holders, merged over the classes of one controller) and their
// guardrails.dev/share-host-with annotations (a grant from the holder T to
// the namespace U is an edge T → U):
//
//   - Holders that grant each other, directly or through others, form one
//     group (a strongly connected component of the grant graph). The
//     groups that no other group grants to are the owning candidates: a
//     namespace named by a holder is that holder's guest, whatever it
//     writes in its own annotation, so a guest cannot turn its host into
//     its own by naming the owner back.
//   - Several candidates (a contested host: two namespaces serving it, no
//     grant between them) are ordered by age when it is known (the
//     creationTimestamp of each group's oldest Ingress for the host): the
//     first one owns the host, as it would have been admitted first. When
//     the age is not known (offline input without creationTimestamp),
//     every candidate owns it: each one would be denied if applied after
//     the others.
//   - A namespace may serve the host when it belongs to the owning group
//     or every owner names it. A newcomer is never a holder, so its own
//     annotation grants it nothing; an old Ingress that gains the host is
//     a newcomer for it too, its age does not count.
//
// Deleting the owner's last Ingress for the host ends its ownership: its
// guests become the candidates. Removing a namespace from the annotation
// stops it from adding Ingresses for the host; its existing ones stay (an
// admission webhook cannot evict them) and their updates are judged as
// before (findings they already had come back as warnings).

// hostVerdict is whether a namespace may serve a host.
type hostVerdict struct {
	ok bool
	// blockers are the owners whose consent is missing.
	blockers []HostHolder
}

// mergeHolders merges the holders of one host found under several class
// keys of one controller: one entry per namespace, its oldest Ingress, the
// union of its grants.
func mergeHolders(lists ...[]HostHolder) []HostHolder {
	if len(lists) == 1 {
		return lists[0]
	}
	var out []HostHolder
	for _, l := range lists {
		for _, h := range l {
			i := slices.IndexFunc(out, func(o HostHolder) bool { return o.Namespace == h.Namespace })
			if i < 0 {
				h.ShareWith = slices.Clone(h.ShareWith)
				out = append(out, h)
				continue
			}
			o := &out[i]
			switch {
			case o.Since.IsZero() || h.Since.IsZero():
				o.Since = time.Time{}
			case h.Since.Before(o.Since):
				o.Since, o.Ingress = h.Since, h.Ingress
			}
			for _, s := range h.ShareWith {
				if !slices.Contains(o.ShareWith, s) {
					o.ShareWith = append(o.ShareWith, s)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b HostHolder) int {
		switch {
		case a.Namespace < b.Namespace:
			return -1
		case a.Namespace > b.Namespace:
			return 1
		}
		return 0
	})
	return out
}

// decideHost says whether namespace ns may serve a host that holders
// serve (ns itself may be among them).
func decideHost(ns string, holders []HostHolder) hostVerdict {
	return decideHostWith(ns, holders, false)
}

// decideHostWith is decideHost; fullReach computes who grants whom even
// when no holder grants another (tests compare both ways).
func decideHostWith(ns string, holders []HostHolder, fullReach bool) hostVerdict {
	if !slices.ContainsFunc(holders, func(h HostHolder) bool { return h.Namespace != ns }) {
		return hostVerdict{ok: true}
	}
	n := len(holders)
	// Namespaces are looked up by name only to follow ShareWith: a host
	// held by many namespaces, none sharing it, needs no index (it is
	// decided for each Ingress on the host).
	var index map[string]int
	if slices.ContainsFunc(holders, func(h HostHolder) bool { return len(h.ShareWith) > 0 }) {
		index = make(map[string]int, n)
		for i, h := range holders {
			index[h.Namespace] = i
		}
	}
	// A holder is a candidate when no holder outside its group grants it.
	var candidates []int
	same := func(i, j int) bool { return i == j }
	if fullReach || grantsAnother(holders, index) {
		reach := hostReach(holders, index)
		same = func(i, j int) bool { return reach[i][j] && reach[j][i] }
		for j := range holders {
			granted := false
			for i := range holders {
				if reach[i][j] && !same(i, j) {
					granted = true
					break
				}
			}
			if !granted {
				candidates = append(candidates, j)
			}
		}
	} else {
		// Nobody grants another: each holder is a group of its own and a
		// candidate.
		candidates = make([]int, n)
		for j := range candidates {
			candidates[j] = j
		}
	}
	owners := candidates
	if first, ok := oldestGroup(holders, candidates, same); ok {
		owners = nil
		for _, c := range candidates {
			if same(c, first) {
				owners = append(owners, c)
			}
		}
	}
	self := slices.IndexFunc(holders, func(h HostHolder) bool { return h.Namespace == ns })
	isHolder := self >= 0
	var v hostVerdict
	for _, o := range owners {
		if isHolder && same(o, self) || slices.Contains(holders[o].ShareWith, ns) {
			continue
		}
		v.blockers = append(v.blockers, holders[o])
	}
	v.ok = len(v.blockers) == 0
	return v
}

// grantsAnother tells whether a holder shares the host with another
// holder. When none does, each holder is its own group and grants nobody
// (hostReach is the identity): the common case, a host held by one
// namespace or contested, decided without the n×n table.
func grantsAnother(holders []HostHolder, index map[string]int) bool {
	for i, h := range holders {
		for _, g := range h.ShareWith {
			if j, ok := index[g]; ok && j != i {
				return true
			}
		}
	}
	return false
}

// hostReach returns reach[i][j]: holder i grants holder j, directly or
// through others.
func hostReach(holders []HostHolder, index map[string]int) [][]bool {
	n := len(holders)
	reach := make([][]bool, n)
	for i := range holders {
		reach[i] = make([]bool, n)
		reach[i][i] = true
		stack := []int{i}
		for len(stack) > 0 {
			t := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, g := range holders[t].ShareWith {
				if j, ok := index[g]; ok && !reach[i][j] {
					reach[i][j] = true
					stack = append(stack, j)
				}
			}
		}
	}
	return reach
}

// oldestGroup returns a member of the candidates' oldest group, false when
// the candidates form one group or an age is unknown.
func oldestGroup(holders []HostHolder, candidates []int, same func(i, j int) bool) (int, bool) {
	first, several := candidates[0], false
	for _, c := range candidates {
		if holders[c].Since.IsZero() {
			return 0, false
		}
		if !same(c, first) {
			several = true
		}
		if h, f := holders[c], holders[first]; h.Since.Before(f.Since) || h.Since.Equal(f.Since) && h.Namespace < f.Namespace {
			first = c
		}
	}
	return first, several
}
