package admission

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/metrics"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Rule ids whose findings the mutations prevent. A mutation follows its
// rule: where the rule is off (configuration or exemption), so is the
// mutation.
const (
	ruleCriticalAddon    = "priority-critical-addon"
	ruleResourceRequests = "resources-requests"
)

// systemPriority are the values and preemption policies of the two
// system priority classes, which the API server creates and keeps (value
// and preemptionPolicy of a PriorityClass are immutable).
var systemPriority = map[string]int32{
	rules.SystemClusterCritical: 2000000000,
	rules.SystemNodeCritical:    2000001000,
}

// Mutator is the mutating handler (/mutate). It only ever fills fields
// that are unset, on CREATE, in namespaces in enforce or warn mode; it
// never denies.
type Mutator struct{ e *engine }

var _ admission.Handler = (*Mutator)(nil)

// NewMutator returns the mutating handler for cfg over state.
func NewMutator(cfg *config.Config, state ClusterState, o Options) *Mutator {
	return NewMutatorFor(fixedPolicy(cfg, o), state, o)
}

// NewMutatorFor returns the mutating handler working under the policy in
// force in cur; o.Rules is not used.
func NewMutatorFor(cur *policy.Current, state ClusterState, o Options) *Mutator {
	return &Mutator{e: newEngine(cur, state, o)}
}

// Handle answers one AdmissionRequest, with a JSON patch when something
// is filled.
func (m *Mutator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return m.e.instrument(metrics.HandlerMutate, req, func() (admission.Response, string) { return m.handle(ctx, req) })
}

// scope is what /mutate judges: creates of Pods and pod templates. CREATE
// only: filling a field on UPDATE would change a running workload's pod
// template (a rollout of, say, CoreDNS during an unrelated edit), and a
// Pod's spec is immutable after creation.
func (m *Mutator) scope() scope {
	return scope{operations: []admissionv1.Operation{admissionv1.Create}, kinds: func(_ *policy.Policy, gk schema.GroupKind) bool { return isPodKind(gk) }}
}

// mutation is one reported change: the fields it set on the typed copy
// and the warning that says so.
type mutation struct {
	rule string
	// text is the warning, e.g. "set spec.template.spec.priorityClassName to
	// system-cluster-critical (critical add-on CoreDNS, label
	// k8s-app=kube-dns)".
	text string
}

// plan is what the mutator would do to one object: the mutated typed
// copy, what changed, notes (warnings about mutations that could not be
// made), and the changes as JSON patch material (see patch.go).
type plan struct {
	obj   runtime.Object
	muts  []mutation
	notes []string
	// specPointer is the JSON pointer of the pod spec, e.g.
	// /spec/template/spec.
	specPointer string
	// sets are the pod spec's fields set, relative to specPointer, in
	// the order set.
	sets []fieldSet
	// fills are the requests filled, container by container.
	fills []requestFill
}

func (m *Mutator) handle(ctx context.Context, req admission.Request) (resp admission.Response, result string) {
	defer func() {
		if p := recover(); p != nil {
			resp, result = m.failed(ctx, req, "panic", fmt.Errorf("panic: %v", p), debug.Stack())
		}
	}()
	if resp, bad := malformed(req); bad {
		return resp, metrics.ResultError
	}
	if s := m.e.cur.Load().Settings(); !s.Priority.FillPriorityClass && !fillsRequests(s) {
		return admission.Allowed(""), metrics.ResultSkipped
	}
	var r request
	skip, ie := m.e.prepare(ctx, req, m.scope(), &r)
	if ie != nil {
		return m.failed(ctx, req, ie.kind, ie.err, nil)
	}
	if skip {
		return admission.Allowed(""), metrics.ResultSkipped
	}
	if _, ok := r.who.DerivedFrom(r.cur.obj); ok && r.gk.Kind != "Pod" {
		// A workload copy (a Deployment's ReplicaSet, a CronJob's Job) is
		// filled on its owner's template, never on the copy: a ReplicaSet
		// whose template differs from its Deployment's makes the
		// Deployment controller create yet another one. Pods are never
		// compared with their template, and a pod of an add-on that
		// predates the rule gains its priority.
		return admission.Allowed(""), metrics.ResultSkipped
	}
	return m.respond(ctx, &r, m.plan(&r))
}

func fillsRequests(s *rules.Settings) bool {
	return s.Resources.FillDefaults && len(s.Resources.Defaults) > 0
}

// respond answers with the plan: in audit mode only audit annotations of
// what would be set; else a JSON patch from the request's object to the
// mutated copy, with warnings.
func (m *Mutator) respond(ctx context.Context, r *request, p plan) (admission.Response, string) {
	// The log lines (and the named logger) are built only when the
	// logger writes them.
	info := func(msg string, kv ...any) {
		if !requestLogger(ctx).Enabled() {
			return
		}
		logger(ctx).WithValues("uid", r.req.UID, "kind", r.cur.ref.Kind, "namespace", r.cur.ref.Namespace, "name", r.cur.ref.Name).Info(msg, kv...)
	}
	if len(p.muts) == 0 {
		resp := admission.Allowed("")
		resp.Warnings = warnings(verdict{}, p.notes)
		return resp, metrics.ResultAllowed
	}
	texts := make([]string, 0, len(p.muts))
	for _, mu := range p.muts {
		texts = append(texts, mu.text)
	}
	if r.target.mode == rules.ModeAudit {
		// Audit changes nothing: record what enforce or warn would set.
		audit := map[string][]string{}
		for _, mu := range p.muts {
			audit[mu.rule] = append(audit[mu.rule], "would "+mu.text)
			metrics.DecisionsTotal.WithLabelValues(mu.rule, string(r.target.mode), "audit").Inc()
		}
		resp := admission.Allowed("")
		resp.AuditAnnotations = map[string]string{}
		for id, ts := range audit {
			resp.AuditAnnotations[id] = rules.Truncate(strings.Join(ts, "; "), maxAuditValueLen)
		}
		info("mutation not applied in audit mode", "mutations", texts)
		return resp, metrics.ResultAllowed
	}

	resp, err := patchResponse(r.req.Object.Raw, p)
	if err != nil {
		return m.failed(ctx, r.req, "patch", err, nil)
	}
	if len(resp.Patches) == 0 {
		resp = admission.Allowed("")
		resp.Warnings = warnings(verdict{}, p.notes)
		return resp, metrics.ResultAllowed
	}
	for _, mu := range p.muts {
		metrics.DecisionsTotal.WithLabelValues(mu.rule, string(r.target.mode), "mutate").Inc()
	}
	all := make([]string, 0, len(texts)+len(p.notes))
	for _, s := range texts {
		all = append(all, "[guardrails] "+s)
	}
	resp.Warnings = warnings(verdict{}, append(all, p.notes...))
	info("mutated", "mutations", texts)
	return resp, metrics.ResultPatched
}

// failed admits without a patch: the mutating handler never denies.
func (m *Mutator) failed(ctx context.Context, req admission.Request, kind string, err error, stack []byte) (admission.Response, string) {
	log := logger(ctx).WithValues("uid", req.UID, "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "errorKind", kind)
	if stack != nil {
		log = log.WithValues("stack", string(stack))
	}
	log.Error(err, "internal error; admitted without mutation")
	metrics.InternalErrors.WithLabelValues(metrics.HandlerMutate, kind, "admitted").Inc()
	resp := admission.Allowed("")
	resp.Warnings = []string{rules.Truncate(oneLine("[guardrails] internal error, object not mutated: "+err.Error()), MaxWarningLen)}
	return resp, metrics.ResultError
}

func isPodKind(gk schema.GroupKind) bool { return slices.Contains(rules.PodKinds, gk) }

// plan mutates a deep copy of the object: the priority class of a critical
// add-on, and missing requests from the configured defaults, each only
// where its rule applies to this object and requester.
//
// Most objects need nothing: the copy is made only when one of the two
// would change something or leave a note (mayChange), so that an object
// without a gap costs no deep copy.
func (m *Mutator) plan(r *request) plan {
	ps, ok := rules.PodSpecOf(r.cur.obj)
	origin := r.who.Origin(r.cur.obj)
	if !ok || ps.Spec == nil || origin.Mirror {
		return plan{obj: r.cur.obj} // the kubelet runs static pods whatever the API says
	}
	pol := r.pol
	priority := pol.Settings().Priority.FillPriorityClass && pol.ActionOf(ruleCriticalAddon, r.cur.ref, r.who) != rules.ActionOff
	requests := fillsRequests(pol.Settings()) && pol.ActionOf(ruleResourceRequests, r.cur.ref, r.who) != rules.ActionOff
	if !m.mayChange(r, origin, ps, priority, requests) {
		return plan{obj: r.cur.obj}
	}
	p := plan{obj: planCopy(r.cur.obj)}
	ps, _ = rules.PodSpecOf(p.obj)
	p.specPointer = podSpecPointer(ps.Path)
	if priority {
		m.planPriority(&p, pol.Settings(), r.cur.ref, origin, ps)
	}
	if requests {
		m.planRequests(&p, pol.Settings(), r.cur.ref, ps)
	}
	return p
}

// planCopy returns a copy of the pod workload obj that plan may change
// without changing obj: the object, the pod template on the way to the pod
// spec and the spec's container lists are copied; plan replaces the
// pointers it sets and copies a container's requests before filling them
// (planRequests). Everything else (metadata, volumes, the containers'
// other fields) is shared with obj, read only. A type it does not know
// gets a deep copy.
func planCopy(obj runtime.Object) runtime.Object {
	var out runtime.Object
	switch o := obj.(type) {
	case *corev1.Pod:
		out = shallow(o)
	case *appsv1.Deployment:
		out = shallow(o)
	case *appsv1.StatefulSet:
		out = shallow(o)
	case *appsv1.DaemonSet:
		out = shallow(o)
	case *appsv1.ReplicaSet:
		out = shallow(o)
	case *batchv1.Job:
		out = shallow(o)
	case *batchv1.CronJob:
		out = shallow(o)
	case *corev1.ReplicationController:
		c := shallow(o)
		if o.Spec.Template != nil {
			c.Spec.Template = shallow(o.Spec.Template)
		}
		out = c
	case *corev1.PodTemplate:
		out = shallow(o)
	default:
		return obj.DeepCopyObject()
	}
	if ps, ok := rules.PodSpecOf(out); ok {
		ps.Spec.InitContainers = slices.Clone(ps.Spec.InitContainers)
		ps.Spec.Containers = slices.Clone(ps.Spec.Containers)
	}
	return out
}

// shallow returns a copy of *o that shares every pointer, slice and map
// with it.
func shallow[T any](o *T) *T {
	c := *o
	return &c
}

// mayChange reports whether planPriority (when priority) or planRequests
// (when requests) would change the object or leave a note, judging the
// request's object ps without changing it: a critical add-on without a
// priority class, a container without a request the defaults fill, or
// LimitRanges that cannot be read.
func (m *Mutator) mayChange(r *request, origin rules.Origin, ps rules.PodSpecRef, priority, requests bool) bool {
	s := r.pol.Settings()
	if priority && ps.Spec.PriorityClassName == "" {
		if match, ok := rules.CriticalAddonOf(r.cur.obj, r.cur.ref, origin, s); ok && match.WantClass != "" {
			return true
		}
	}
	if requests {
		gaps, err := rules.MissingRequests(ps, slices.Sorted(maps.Keys(s.Resources.Defaults)), func() ([]*corev1.LimitRange, error) {
			return m.limitRanges(r.cur.ref.Namespace)
		})
		return err != nil || len(gaps) > 0
	}
	return false
}

// limitRanges are the LimitRanges of namespace ns; none when the cache
// does not hold them.
func (m *Mutator) limitRanges(ns string) ([]*corev1.LimitRange, error) {
	lrs, err := m.e.state.LimitRanges(ns)
	if errors.Is(err, rules.ErrNotInInput) {
		return lrs, nil
	}
	return lrs, err
}

// planPriority sets the priority class of a critical add-on that has none.
// The add-on table counts only in the namespaces where add-ons live, so a
// system class is never written into a tenant's workload.
func (m *Mutator) planPriority(p *plan, s *rules.Settings, ref rules.ObjectRef, origin rules.Origin, ps rules.PodSpecRef) {
	if ps.Spec.PriorityClassName != "" {
		return // never overwrite
	}
	match, ok := rules.CriticalAddonOf(p.obj, ref, origin, s)
	if !ok || match.WantClass == "" {
		return
	}
	want := match.WantClass
	namePath := ps.Path.Child("priorityClassName").String()
	why := fmt.Sprintf("critical add-on %s, %s", match.Addon, match.Reason)
	text := fmt.Sprintf("set %s to %s (%s)", namePath, want, why)
	if !ps.Template {
		// A bare Pod: the Priority admission plugin has already resolved
		// the (empty) class into spec.priority and spec.preemptionPolicy,
		// and checks them against the class again. Set both from the
		// class, or nothing: a name without its priority would be a lie.
		value, preempt, err := m.priorityOf(want)
		if err != nil {
			p.notes = append(p.notes, oneLine(fmt.Sprintf("[guardrails] could not set %s to %s (%s): %v", namePath, want, why, err)))
			return
		}
		p.sets = append(p.sets,
			fieldSet{name: "priority", present: ps.Spec.Priority != nil, same: ps.Spec.Priority != nil && *ps.Spec.Priority == value, value: value},
			fieldSet{name: "preemptionPolicy", present: ps.Spec.PreemptionPolicy != nil, same: ps.Spec.PreemptionPolicy != nil && *ps.Spec.PreemptionPolicy == preempt, value: preempt})
		ps.Spec.Priority, ps.Spec.PreemptionPolicy = &value, &preempt
		text = fmt.Sprintf("set %s to %s, priority %d (%s)", namePath, want, value, why)
	}
	// An empty priorityClassName may be written out: add replaces it.
	p.sets = append(p.sets, fieldSet{name: "priorityClassName", value: want})
	ps.Spec.PriorityClassName = want
	p.muts = append(p.muts, mutation{rule: ruleCriticalAddon, text: text})
}

// priorityOf returns the value and preemption policy of a PriorityClass
// from the cache; the two system classes fall back to their fixed values.
func (m *Mutator) priorityOf(name string) (int32, corev1.PreemptionPolicy, error) {
	pc, err := m.e.state.PriorityClass(name)
	if err == nil && pc != nil {
		preempt := corev1.PreemptLowerPriority
		if pc.PreemptionPolicy != nil && *pc.PreemptionPolicy != "" {
			preempt = *pc.PreemptionPolicy
		}
		return pc.Value, preempt, nil
	}
	if v, ok := systemPriority[name]; ok {
		return v, corev1.PreemptLowerPriority, nil
	}
	if err == nil {
		err = fmt.Errorf("PriorityClass %q not found", name)
	}
	return 0, "", err
}

// planRequests fills, from the configured defaults, the requests that
// resources-requests would report missing (rules.MissingRequests: limits,
// pod-level resources and LimitRange defaults count as set).
func (m *Mutator) planRequests(p *plan, s *rules.Settings, ref rules.ObjectRef, ps rules.PodSpecRef) {
	defaults := s.Resources.Defaults
	names := slices.Sorted(maps.Keys(defaults))
	gaps, err := rules.MissingRequests(ps, names, func() ([]*corev1.LimitRange, error) { return m.limitRanges(ref.Namespace) })
	if err != nil {
		p.notes = append(p.notes, oneLine(fmt.Sprintf("[guardrails] could not fill missing requests: the LimitRanges of namespace %q are unknown: %v", ref.Namespace, err)))
		return
	}
	// One mutation per container; gaps come container by container.
	for i := 0; i < len(gaps); {
		c := gaps[i].Container
		fill := requestFill{
			container:   containerPointer(ps.Spec, c),
			hadRequests: c.Resources.Requests != nil,
			// Limits or claims decoded: the request's object has a
			// resources object; else patch.go looks.
			hasResources: c.Resources.Requests != nil || c.Resources.Limits != nil || c.Resources.Claims != nil,
		}
		var sets []string
		for ; i < len(gaps) && gaps[i].Container == c; i++ {
			q, err := resource.ParseQuantity(defaults[gaps[i].Resource])
			if err != nil {
				continue // validated at config load
			}
			if len(sets) == 0 {
				// The first fill of this container: its requests are
				// still obj's (planCopy).
				c.Resources.Requests = maps.Clone(c.Resources.Requests)
			}
			if c.Resources.Requests == nil {
				c.Resources.Requests = corev1.ResourceList{}
			}
			c.Resources.Requests[gaps[i].Resource] = q
			s := q.String()
			fill.requests = append(fill.requests, resourceValue{gaps[i].Resource, s})
			sets = append(sets, string(gaps[i].Resource)+"="+s)
		}
		if len(sets) == 0 {
			continue
		}
		p.fills = append(p.fills, fill)
		word := "container"
		if gaps[i-1].Kind != rules.RegularContainer {
			word = "init container"
		}
		p.muts = append(p.muts, mutation{
			rule: ruleResourceRequests,
			text: fmt.Sprintf("set %s.resources.requests %s (%s %q had none; configured defaults)", gaps[i-1].Path, strings.Join(sets, ", "), word, c.Name),
		})
	}
}
