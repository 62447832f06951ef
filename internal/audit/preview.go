package audit

import (
	"context"
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Preview is what a mode would deny among the objects of a namespace
// that already exist.
type Preview struct {
	// Denied are the objects that would be denied, at most the preview's
	// cap, in kind order.
	Denied []PreviewObject
	// Total is the number of objects that would be denied among those
	// judged (Denied may hold fewer).
	Total int
	// Judged is the number of objects judged.
	Judged int
	// Cut is true when the listing stopped before the end (the per-kind
	// limit, or the deadline): there may be more.
	Cut bool
	// Failed are the kinds that could not be listed.
	Failed []KindError
	// UnverifiedMirrorPods were judged like any pod although they claim
	// to be mirror pods: their Node could not be read, for
	// NodeLookupErr (policy.StoredOrigin).
	UnverifiedMirrorPods int
	NodeLookupErr        error
}

// PreviewObject is one object a mode would deny, with the rules that
// would deny it.
type PreviewObject struct {
	Ref   rules.ObjectRef
	Rules []string
}

// PreviewOptions bound a preview.
type PreviewOptions struct {
	// PerKind is the LIST limit of each kind (one page, no continue).
	PerKind int64
	// MaxDenied caps Preview.Denied.
	MaxDenied int
}

// Preview judges the objects of namespace under pol as if the namespace
// were in mode, listing each namespaced kind the policy judges at once,
// one page of at most o.PerKind objects each, within ctx's deadline. It
// never lists past the first page: a preview answers inside an admission
// request, so what it could not list is reported as Cut. Objects a
// built-in controller made are left to their owner.
func (a *Auditor) Preview(ctx context.Context, pol *policy.Policy, namespace string, mode rules.Mode, o PreviewOptions) Preview {
	if o.PerKind <= 0 {
		o.PerKind = 100
	}
	kinds := kindsFor(pol, nil, namespace)
	// List every kind at once, then judge in the order of the table, so
	// that owners are known before what they own.
	type page struct {
		items []runtime.Object
		cut   bool
		err   error
	}
	pages := make([]page, len(kinds))
	var wg sync.WaitGroup
	for i, k := range kinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			items, meta, err := k.list(ctx, a.client, namespace, metav1.ListOptions{Limit: o.PerKind})
			pages[i] = page{items: items, cut: meta.Continue != "" || err != nil && ctx.Err() != nil, err: err}
		}()
	}
	wg.Wait()
	var p Preview
	listed := owners{}
	nodes := newNodeUIDs(ctx, a.client)
	for i, pg := range pages {
		p.Cut = p.Cut || pg.cut
		if pg.err != nil {
			p.Failed = append(p.Failed, KindError{Resource: kinds[i].Resource, Err: pg.err})
			continue
		}
		denied, judged := previewKind(pol, a.state, nodes, kinds[i], pg.items, mode, listed)
		p.Judged += judged
		p.Total += len(denied)
		for _, d := range denied {
			if len(p.Denied) < o.MaxDenied {
				p.Denied = append(p.Denied, d)
			}
		}
	}
	p.UnverifiedMirrorPods, p.NodeLookupErr = nodes.unverified, nodes.err
	return p
}

// previewKind judges one page in mode and returns the objects with deny
// findings.
func previewKind(pol *policy.Policy, view rules.ClusterView, nodes *nodeUIDs, k Kind, items []runtime.Object, mode rules.Mode, listed owners) ([]PreviewObject, int) {
	var out []PreviewObject
	judged := 0
	for _, obj := range items {
		listed.note(k.GroupKind, obj)
		if listed.reportedAtOwner(obj) || apiServerMaintained(k.GroupKind, obj) {
			continue
		}
		judged++
		ob := judge(pol, view, nodes, obj, rules.RefOf(obj, k.APIVersion(), k.GroupKind.Kind), mode)
		var ids []string
		for _, f := range ob.Findings {
			if f.Severity == rules.ActionDeny && !slices.Contains(ids, f.Rule) {
				ids = append(ids, f.Rule)
			}
		}
		if len(ids) > 0 {
			out = append(out, PreviewObject{Ref: ob.Ref, Rules: ids})
		}
	}
	return out, judged
}
