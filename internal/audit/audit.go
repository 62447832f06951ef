// Package audit judges what is already in a live cluster with the same
// policy the admission handlers use: `webhook audit` (what already
// violates, what a stricter mode would deny), the background audit of
// `webhook serve --audit-interval` (gauges, PolicyReports), and the
// preview a Namespace gets when its mode label is raised to enforce.
//
// Objects are read with paginated LIST calls (limit/continue), one page at
// a time, judged and dropped: memory is bounded by the cross-object view
// (State, the informer cache of internal/clustercache) and one page, never
// by the number of objects. Objects that a built-in controller stamped out
// of its template (a ReplicaSet's Pods, a Deployment's ReplicaSets, a
// CronJob's Jobs) are reported once, at their owner, as the admission
// handler judges them: when their controller ownerReference names, by UID,
// an owner listed earlier in the same run (owners come first in the kind
// table). An ownerReference written by hand to an owner that does not
// exist hides nothing. Objects the API server maintains itself (bootstrap
// RBAC) are not reported.
//
// Each object is judged in the mode the admission handler would judge its
// write in (policy.ModeFor: its namespace's mode from the namespace's
// labels; clusterMode for cluster-scoped objects; for Roles and
// RoleBindings the stricter of the two), or in the mode Options.AssumeMode
// names, which stands for every namespace's mode and clusterMode alike: a
// finding's severity is the rule's action capped by that mode (deny, warn
// or audit). Objects of namespaces without a mode label, Roles and
// RoleBindings included, are not judged unless a mode is assumed, exactly
// as the webhook is not called for them.
//
// The package does no admission and reads no files: it must not import
// internal/admission or the CLI path (manifest, inputview, report).
package audit

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// State is what the audit reads besides the objects it lists: the rules'
// cross-object view and namespace labels. The server's informer cache
// (internal/clustercache) implements it.
type State interface {
	rules.ClusterView
	// NamespaceLabels returns a namespace's labels: (nil, nil) when the
	// namespace does not exist, an error wrapping rules.ErrUnavailable
	// when the answer is not known yet.
	NamespaceLabels(name string) (map[string]string, error)
}

// Auditor lists and judges objects of one cluster.
type Auditor struct {
	client kubernetes.Interface
	state  State
}

// New returns an Auditor that lists with client and looks the rest of the
// cluster up in state.
func New(client kubernetes.Interface, state State) *Auditor {
	return &Auditor{client: client, state: state}
}

// DefaultPageSize is the number of objects one LIST call asks for.
const DefaultPageSize = 500

// Options narrow a run.
type Options struct {
	// Namespace limits the run to one namespace (cluster-scoped kinds are
	// then left out); "" audits every namespace.
	Namespace string
	// Kinds limits the run to these kinds; empty: every kind a rule of
	// the policy judges.
	Kinds []schema.GroupKind
	// AssumeMode judges every object as if its namespace (and clusterMode)
	// were in this mode, unlabelled namespaces included; "" uses each
	// namespace's own mode.
	AssumeMode rules.Mode
	// PageSize is the limit of one LIST call; 0 means DefaultPageSize.
	PageSize int64
	// Progress, when set, is called after every page.
	Progress func(Progress)
}

// Progress is where a run is.
type Progress struct {
	// Kind is the resource being listed.
	Kind string
	// Listed and Judged count this kind's objects so far; Listed includes
	// objects reported at their owner or in namespaces not judged.
	Listed, Judged int
	// TotalJudged counts the objects judged in the whole run so far.
	TotalJudged int
}

// Object is one judged object.
type Object struct {
	Ref rules.ObjectRef
	// Mode is the mode it was judged in (policy.ModeFor, or the assumed
	// mode).
	Mode rules.Mode
	// NamespaceMode is the mode of its namespace (clusterMode for
	// cluster-scoped objects; the assumed mode when one is assumed). It
	// differs from Mode for Roles and RoleBindings, which are judged in
	// the stricter of it and clusterMode.
	NamespaceMode rules.Mode
	// Findings are its findings, their severity capped by Mode (deny,
	// warn, audit), in catalogue order.
	Findings []rules.Finding
	// Actions are, for each finding, the rule's action before Mode capped
	// it: what the finding is (a deny finding in an audit namespace is
	// still a violation of a deny rule).
	Actions []rules.Action
	// Exempted are the rules an exemption turned off for it that would
	// have reported it.
	Exempted []policy.Exempted
	// Err is a rule's failure on the object (a *rules.PanicError); the
	// findings are those found before it.
	Err error
}

// Stats count a run.
type Stats struct {
	// Judged objects (with or without findings).
	Judged int
	// Listed objects, judged or not.
	Listed int
	// Owned objects were not judged: a built-in controller made them from
	// the template of an owner judged in the same run.
	Owned int
	// Unserved objects were not judged: their namespace has no mode label
	// (and no mode was assumed), or does not exist any more.
	Unserved int
	// Bootstrap objects were not judged: the API server maintains them
	// (label kubernetes.io/bootstrapping=rbac-defaults).
	Bootstrap int
	// Failed are the kinds that could not be listed (or not to the end),
	// with the error.
	Failed []KindError
	// UnverifiedMirrorPods were judged like any pod although they claim
	// to be mirror pods (policy.StoredOrigin): their Node could not be
	// read, for NodeLookupErr.
	UnverifiedMirrorPods int
	NodeLookupErr        error
	// Inconsistent are the kinds whose list outlived the API server's
	// history and went on with an inconsistent continue token: objects
	// changed meanwhile may be missing or judged twice.
	Inconsistent []string
}

// KindError is a kind the run could not list.
type KindError struct {
	Resource string
	Err      error
}

func (e KindError) Error() string { return fmt.Sprintf("%s: %v", e.Resource, e.Err) }

// errStop ends a run from a visit function; Run returns the visit's error.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }

// kindsFor returns the kinds of the table that pol judges, narrowed to
// only (if any) and to namespaced kinds when ns is set.
func kindsFor(pol *policy.Policy, only []schema.GroupKind, ns string) []Kind {
	var out []Kind
	for _, k := range kindTable {
		if !pol.Judges(k.GroupKind) {
			continue
		}
		if len(only) > 0 && !containsGK(only, k.GroupKind) {
			continue
		}
		if ns != "" && !k.Namespaced {
			continue
		}
		out = append(out, k)
	}
	return out
}

func containsGK(gks []schema.GroupKind, gk schema.GroupKind) bool {
	for _, g := range gks {
		if g == gk {
			return true
		}
	}
	return false
}

// Run lists every kind of the run and judges each object under pol,
// calling visit for every judged object in list order (kind by kind, then
// namespace and name). A kind that cannot be listed is recorded in
// Stats.Failed and the run goes on; an error of visit or of ctx ends it.
func (a *Auditor) Run(ctx context.Context, pol *policy.Policy, o Options, visit func(*Object) error) (st Stats, err error) {
	limit := o.PageSize
	if limit <= 0 {
		limit = DefaultPageSize
	}
	kinds := kindsFor(pol, o.Kinds, o.Namespace)
	known := owners{}
	modes := newModeCache(a.state, pol, o.AssumeMode)
	nodes := newNodeUIDs(ctx, a.client)
	defer func() { st.UnverifiedMirrorPods, st.NodeLookupErr = nodes.unverified, nodes.err }()
	for _, k := range kinds {
		listed, judged := 0, 0
		inconsistent, err := eachPage(ctx, a.client, k, o.Namespace, limit, func(items []runtime.Object) error {
			for _, obj := range items {
				listed++
				st.Listed++
				known.note(k.GroupKind, obj)
				if known.reportedAtOwner(obj) {
					st.Owned++
					continue
				}
				if apiServerMaintained(k.GroupKind, obj) {
					st.Bootstrap++
					continue
				}
				ref := rules.RefOf(obj, k.APIVersion(), k.GroupKind.Kind)
				mode, nsMode, err := modes.of(k, ref.Namespace)
				if err != nil {
					return errStop{err}
				}
				if mode == "" {
					st.Unserved++
					continue
				}
				ob := judge(pol, a.state, nodes, obj, ref, mode)
				ob.NamespaceMode = nsMode
				judged++
				st.Judged++
				if err := visit(ob); err != nil {
					return errStop{err}
				}
			}
			if o.Progress != nil {
				o.Progress(Progress{Kind: k.Resource, Listed: listed, Judged: judged, TotalJudged: st.Judged})
			}
			return nil
		})
		if inconsistent {
			st.Inconsistent = append(st.Inconsistent, k.Resource)
		}
		var stop errStop
		switch {
		case errors.As(err, &stop):
			return st, stop.err
		case ctx.Err() != nil:
			return st, ctx.Err()
		case err != nil:
			st.Failed = append(st.Failed, KindError{Resource: k.Resource, Err: err})
		}
	}
	return st, nil
}

// judge evaluates one object in mode and caps its findings; it is judged
// with the origin nodes find it proves (mirror pods).
func judge(pol *policy.Policy, view rules.ClusterView, nodes *nodeUIDs, obj runtime.Object, ref rules.ObjectRef, mode rules.Mode) *Object {
	res, err := pol.EvaluateStored(&rules.Input{Object: obj, Ref: ref, Cluster: view}, nodes.origin(obj))
	limit := mode.Action()
	fs := res.Findings[:0]
	var actions []rules.Action
	for _, f := range res.Findings {
		action := f.Severity
		f.Severity = rules.Milder(f.Severity, limit)
		if f.Severity != rules.ActionOff {
			fs = append(fs, f)
			actions = append(actions, action)
		}
	}
	return &Object{Ref: ref, Mode: mode, Findings: fs, Actions: actions, Exempted: res.Exempted, Err: err}
}

// modeCache answers the mode of each namespace once per run.
type modeCache struct {
	state  State
	pol    *policy.Policy
	assume rules.Mode
	byNS   map[string]rules.Mode
}

func newModeCache(state State, pol *policy.Policy, assume rules.Mode) *modeCache {
	return &modeCache{state: state, pol: pol, assume: assume, byNS: map[string]rules.Mode{}}
}

// of returns the mode objects of kind k in namespace ns are judged in
// ("" when they are not judged), as policy.ModeFor decides it for the
// admission handler, and the mode of the namespace itself.
func (m *modeCache) of(k Kind, ns string) (mode, nsMode rules.Mode, err error) {
	if m.assume != "" {
		return m.assume, m.assume, nil
	}
	if !k.Namespaced {
		mode = m.pol.ModeFor(k.GroupKind, false, "")
		return mode, mode, nil
	}
	nsMode, ok := m.byNS[ns]
	if !ok {
		labels, err := m.state.NamespaceLabels(ns)
		if err != nil {
			return "", "", fmt.Errorf("namespace %q: %w", ns, err)
		}
		np, _ := rules.NamespacePolicyOf(labels) // invalid values are served as enforce
		nsMode = np.Mode
		m.byNS[ns] = nsMode
	}
	if nsMode == "" {
		// Never sent to the webhook (its namespaceSelector), Roles and
		// RoleBindings included.
		return "", "", nil
	}
	return m.pol.ModeFor(k.GroupKind, true, nsMode), nsMode, nil
}

// NamespaceTally is what a run found in one namespace ("" for
// cluster-scoped objects).
type NamespaceTally struct {
	Namespace string
	// Mode is the namespace's mode (its Roles and RoleBindings may have
	// been judged in a stricter one).
	Mode rules.Mode
	// Objects judged, and how many of them had no finding.
	Objects, Clean int
	// Counts are the findings by rule and severity.
	Counts map[RuleSeverity]int
	// ByAction counts the findings by the rule's action before the mode
	// capped it (Object.Actions).
	ByAction map[rules.Action]int
	// Results are the first objects with findings, at most the tally's
	// cap; Dropped counts the others.
	Results []*Object
	Dropped int
}

// RuleSeverity keys the counts of a tally.
type RuleSeverity struct {
	Rule     string
	Severity rules.Action
}

// Count returns the number of findings of that severity.
func (n *NamespaceTally) Count(sev rules.Action) int {
	total := 0
	for k, c := range n.Counts {
		if k.Severity == sev {
			total += c
		}
	}
	return total
}

// Tally sums a run by namespace. Its memory is bounded by the number of
// namespaces times (rules + the results cap).
type Tally struct {
	max  int
	byNS map[string]*NamespaceTally
}

// NewTally returns a Tally that keeps at most maxResults objects with
// findings per namespace (0 keeps none, only counts).
func NewTally(maxResults int) *Tally {
	return &Tally{max: maxResults, byNS: map[string]*NamespaceTally{}}
}

// Add counts o.
func (t *Tally) Add(o *Object) {
	n := t.byNS[o.Ref.Namespace]
	if n == nil {
		n = &NamespaceTally{Namespace: o.Ref.Namespace, Mode: o.Mode, Counts: map[RuleSeverity]int{}, ByAction: map[rules.Action]int{}}
		t.byNS[o.Ref.Namespace] = n
	}
	if o.NamespaceMode != "" {
		n.Mode = o.NamespaceMode
	}
	n.Objects++
	if len(o.Findings) == 0 {
		n.Clean++
		return
	}
	for i, f := range o.Findings {
		n.Counts[RuleSeverity{f.Rule, f.Severity}]++
		n.ByAction[o.Actions[i]]++
	}
	if len(n.Results) < t.max {
		n.Results = append(n.Results, o)
	} else {
		n.Dropped++
	}
}

// Namespaces returns the tallies sorted by namespace (cluster-scoped
// first).
func (t *Tally) Namespaces() []*NamespaceTally {
	out := make([]*NamespaceTally, 0, len(t.byNS))
	for _, n := range t.byNS {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}
