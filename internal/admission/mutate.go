package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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

// mirrorPodAnnotation marks the API copy of a kubelet static pod.
const mirrorPodAnnotation = "kubernetes.io/config.mirror"

// Mutator is the mutating handler (/mutate). It only ever fills fields
// that are unset, on CREATE, in namespaces in enforce or warn mode; it
// never denies.
type Mutator struct{ e *engine }

var _ admission.Handler = (*Mutator)(nil)

// NewMutator returns the mutating handler for cfg over state.
func NewMutator(cfg *config.Config, state ClusterState, o Options) *Mutator {
	return &Mutator{e: newEngine(cfg, state, o)}
}

// Handle answers one AdmissionRequest, with a JSON patch when something
// is filled.
func (m *Mutator) Handle(ctx context.Context, req admission.Request) admission.Response {
	start := m.e.now()
	resp, result := m.handle(ctx, req)
	metrics.RequestsTotal.WithLabelValues(metrics.HandlerMutate, string(req.Operation), result).Inc()
	metrics.RequestDuration.WithLabelValues(metrics.HandlerMutate).Observe(m.e.now().Sub(start).Seconds())
	return resp
}

// change is one field the mutator sets.
type change struct {
	// path locates the field in the object's JSON: string keys and int
	// indices.
	path []any
	// value is the JSON value to set.
	value any
	// replace allows replacing an existing value (spec.priority and
	// spec.preemptionPolicy of a bare Pod, which the Priority admission
	// plugin computed before the webhook ran).
	replace bool
}

// mutation is one reported change: one or more fields, one warning.
type mutation struct {
	rule    string
	changes []change
	// text is the warning, e.g. "set spec.priorityClassName to
	// system-cluster-critical (critical add-on CoreDNS, label
	// k8s-app=kube-dns)".
	text string
}

func (m *Mutator) handle(ctx context.Context, req admission.Request) (resp admission.Response, result string) {
	log := logger(ctx).WithValues("uid", req.UID)
	defer func() {
		if p := recover(); p != nil {
			resp, result = m.failed(ctx, req, "panic", fmt.Errorf("panic: %v", p), debug.Stack())
		}
	}()
	if req.Operation == "" {
		// Not from an API server: an AdmissionReview without request.
		return admission.Errored(http.StatusBadRequest, errors.New("malformed AdmissionReview: no request")), metrics.ResultError
	}
	// CREATE only: filling a field on UPDATE would change a running
	// workload's pod template (a rollout of, say, CoreDNS during an
	// unrelated edit), and a Pod's spec is immutable after creation.
	if req.Operation != admissionv1.Create || req.SubResource != "" {
		return admission.Allowed(""), metrics.ResultSkipped
	}
	gk := schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}
	if !isPodKind(gk) {
		return admission.Allowed(""), metrics.ResultSkipped
	}
	fillClass := m.e.cfg.Priority.FillPriorityClass
	fillRequests := m.e.cfg.Resources.FillDefaults && len(m.e.cfg.Resources.Defaults) > 0
	if !fillClass && !fillRequests {
		return admission.Allowed(""), metrics.ResultSkipped
	}
	t, err := m.e.resolveTarget(ctx, req)
	if err != nil {
		return m.failed(ctx, req, "lookup", err, nil)
	}
	if t.mode == "" {
		return admission.Allowed(""), metrics.ResultSkipped
	}
	cur, err := decode(req.Object.Raw, req)
	if errors.Is(err, errUnknownKind) {
		return admission.Allowed(""), metrics.ResultSkipped
	}
	if err != nil {
		return m.failed(ctx, req, "decode", err, nil)
	}

	who := requester(req)
	if _, ok := derivedFrom(cur.obj, who); ok && gk.Kind != "Pod" {
		// A workload copy (a Deployment's ReplicaSet, a CronJob's Job) is
		// filled on its owner's template, never on the copy: a ReplicaSet
		// whose template differs from its Deployment's makes the
		// Deployment controller create yet another one. Pods are never
		// compared with their template, and a pod of an add-on that
		// predates the rule gains its priority.
		return admission.Allowed(""), metrics.ResultSkipped
	}
	muts, notes := m.plan(cur, who, fillClass, fillRequests)
	if len(muts) == 0 {
		resp = admission.Allowed("")
		resp.Warnings = warnings(verdict{}, notes)
		return resp, metrics.ResultAllowed
	}

	texts := make([]string, 0, len(muts))
	for _, mu := range muts {
		texts = append(texts, mu.text)
	}
	if t.mode == rules.ModeAudit {
		// Audit changes nothing: record what enforce or warn would set.
		audit := map[string][]string{}
		for _, mu := range muts {
			audit[mu.rule] = append(audit[mu.rule], "would "+mu.text)
			metrics.DecisionsTotal.WithLabelValues(mu.rule, string(t.mode), "audit").Inc()
		}
		resp = admission.Allowed("")
		resp.AuditAnnotations = map[string]string{}
		for id, ts := range audit {
			resp.AuditAnnotations[id] = truncate(strings.Join(ts, "; "), maxAuditValueLen)
		}
		log.Info("mutation not applied in audit mode", "kind", cur.ref.Kind, "namespace", cur.ref.Namespace, "name", cur.ref.Name, "mutations", texts)
		return resp, metrics.ResultAllowed
	}

	patched, err := applyChanges(req.Object.Raw, muts)
	if err != nil {
		return m.failed(ctx, req, "patch", err, nil)
	}
	resp = admission.PatchResponseFromRaw(req.Object.Raw, patched)
	if !resp.Allowed {
		msg := "creating the patch failed"
		if resp.Result != nil {
			msg = resp.Result.Message
		}
		return m.failed(ctx, req, "patch", errors.New(msg), nil)
	}
	if len(resp.Patches) == 0 {
		resp = admission.Allowed("")
		resp.Warnings = warnings(verdict{}, notes)
		return resp, metrics.ResultAllowed
	}
	for _, mu := range muts {
		metrics.DecisionsTotal.WithLabelValues(mu.rule, string(t.mode), "mutate").Inc()
	}
	all := make([]string, 0, len(texts)+len(notes))
	for _, s := range texts {
		all = append(all, "[guardrails] "+s)
	}
	resp.Warnings = warnings(verdict{}, append(all, notes...))
	log.Info("mutated", "kind", cur.ref.Kind, "namespace", cur.ref.Namespace, "name", cur.ref.Name, "mutations", texts)
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
	resp.Warnings = []string{truncate(oneLine("[guardrails] internal error, object not mutated: "+err.Error()), MaxWarningLen)}
	return resp, metrics.ResultError
}

func isPodKind(gk schema.GroupKind) bool {
	for _, k := range rules.PodKinds {
		if k == gk {
			return true
		}
	}
	return false
}

// plan returns the mutations for obj and notes (warnings about mutations
// that could not be made).
func (m *Mutator) plan(cur object, who policy.Requester, fillClass, fillRequests bool) (muts []mutation, notes []string) {
	ps, ok := rules.PodSpecOf(cur.obj)
	if !ok || ps.Spec == nil {
		return nil, nil
	}
	if !ps.Template && ps.PodMeta != nil && ps.PodMeta.Annotations[mirrorPodAnnotation] != "" {
		return nil, nil // the kubelet runs static pods whatever the API says
	}
	base := jsonPath(ps.Path.String())
	if fillClass && m.e.ruleAction(ruleCriticalAddon, cur.ref, who) != rules.ActionOff {
		mu, note := m.planPriority(cur, ps, base)
		if mu != nil {
			muts = append(muts, *mu)
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	if fillRequests && m.e.ruleAction(ruleResourceRequests, cur.ref, who) != rules.ActionOff {
		ms, note := m.planRequests(cur, ps, base)
		muts = append(muts, ms...)
		if note != "" {
			notes = append(notes, note)
		}
	}
	return muts, notes
}

func (m *Mutator) planPriority(cur object, ps rules.PodSpecRef, base []any) (*mutation, string) {
	if ps.Spec.PriorityClassName != "" {
		return nil, "" // never overwrite
	}
	match, ok := rules.CriticalAddonOf(cur.obj, cur.ref, m.e.pol.Settings())
	if !ok || match.WantClass == "" {
		return nil, ""
	}
	want := match.WantClass
	namePath := ps.Path.Child("priorityClassName").String()
	why := fmt.Sprintf("critical add-on %s, %s", match.Addon, match.Reason)
	mu := &mutation{
		rule:    ruleCriticalAddon,
		changes: []change{{path: appendPath(base, "priorityClassName"), value: want}},
		text:    fmt.Sprintf("set %s to %s (%s)", namePath, want, why),
	}
	if ps.Template {
		return mu, ""
	}
	// A bare Pod: the Priority admission plugin has already resolved the
	// (empty) class into spec.priority and spec.preemptionPolicy, and
	// checks them against the class again. Set both from the class, or
	// nothing: a name without its priority would be a lie.
	value, preempt, err := m.priorityOf(want)
	if err != nil {
		return nil, oneLine(fmt.Sprintf("[guardrails] could not set %s to %s (%s): %v", namePath, want, why, err))
	}
	mu.changes = append(mu.changes,
		change{path: appendPath(base, "priority"), value: json.Number(strconv.FormatInt(int64(value), 10)), replace: true},
		change{path: appendPath(base, "preemptionPolicy"), value: preempt, replace: true},
	)
	mu.text = fmt.Sprintf("set %s to %s, priority %d (%s)", namePath, want, value, why)
	return mu, ""
}

// priorityOf returns the value and preemption policy of a PriorityClass
// from the cache; the two system classes fall back to their fixed values.
func (m *Mutator) priorityOf(name string) (int32, string, error) {
	pc, err := m.e.state.PriorityClass(name)
	if err == nil && pc != nil {
		preempt := string(corev1.PreemptLowerPriority)
		if pc.PreemptionPolicy != nil && *pc.PreemptionPolicy != "" {
			preempt = string(*pc.PreemptionPolicy)
		}
		return pc.Value, preempt, nil
	}
	if v, ok := systemPriority[name]; ok {
		return v, string(corev1.PreemptLowerPriority), nil
	}
	if err == nil {
		err = fmt.Errorf("PriorityClass %q not found", name)
	}
	return 0, "", err
}

func (m *Mutator) planRequests(cur object, ps rules.PodSpecRef, base []any) ([]mutation, string) {
	defaults := m.e.cfg.Resources.Defaults
	names := make([]corev1.ResourceName, 0, len(defaults))
	for r := range defaults {
		names = append(names, r)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })

	var limitRangeDefaults map[corev1.ResourceName]bool
	lookedUp := false
	var lookupErr error
	var muts []mutation
	visit := func(list string, cs []corev1.Container) {
		for i := range cs {
			c := &cs[i]
			var missing []corev1.ResourceName
			for _, r := range names {
				if _, ok := c.Resources.Requests[r]; ok {
					continue
				}
				if _, ok := c.Resources.Limits[r]; ok {
					continue // the API server copies the limit to the request
				}
				if pl := ps.Spec.Resources; pl != nil {
					if _, ok := pl.Requests[r]; ok {
						continue
					}
					if _, ok := pl.Limits[r]; ok {
						continue
					}
				}
				missing = append(missing, r)
			}
			if len(missing) == 0 {
				continue
			}
			if !lookedUp {
				lookedUp = true
				lrs, err := m.e.state.LimitRanges(cur.ref.Namespace)
				if err != nil && !errors.Is(err, rules.ErrNotInInput) {
					lookupErr = err
				}
				limitRangeDefaults = rules.LimitRangeDefaults(lrs)
			}
			if lookupErr != nil {
				return
			}
			cpath := ps.Path.Child(list).Index(i)
			var sets []string
			var changes []change
			for _, r := range missing {
				if limitRangeDefaults[r] {
					continue // the namespace's LimitRange fills it at pod creation
				}
				q, err := resource.ParseQuantity(defaults[r])
				if err != nil {
					continue // validated at config load
				}
				val := q.String()
				changes = append(changes, change{path: appendPath(base, list, i, "resources", "requests", string(r)), value: val})
				sets = append(sets, fmt.Sprintf("%s=%s", r, val))
			}
			if len(changes) == 0 {
				continue
			}
			muts = append(muts, mutation{
				rule:    ruleResourceRequests,
				changes: changes,
				text:    fmt.Sprintf("set %s.resources.requests %s (%s %q had none; configured defaults)", cpath, strings.Join(sets, ", "), containerWord(list), c.Name),
			})
		}
	}
	visit("initContainers", ps.Spec.InitContainers)
	visit("containers", ps.Spec.Containers)
	if lookupErr != nil {
		return nil, oneLine(fmt.Sprintf("[guardrails] could not fill missing requests: the LimitRanges of namespace %q are unknown: %v", cur.ref.Namespace, lookupErr))
	}
	return muts, ""
}

func containerWord(list string) string {
	if list == "initContainers" {
		return "init container"
	}
	return "container"
}

// jsonPath turns a dotted field path without indices (spec.template.spec)
// into JSON path segments.
func jsonPath(p string) []any {
	parts := strings.Split(p, ".")
	out := make([]any, len(parts))
	for i, s := range parts {
		out[i] = s
	}
	return out
}

func appendPath(base []any, more ...any) []any {
	out := make([]any, 0, len(base)+len(more))
	return append(append(out, base...), more...)
}

// applyChanges sets the mutations' fields in a generic decoding of raw
// (numbers kept as written) and returns the new JSON. Only missing fields
// are set, except where a change says replace.
func applyChanges(raw []byte, muts []mutation) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("decode object: %w", err)
	}
	for _, mu := range muts {
		for _, c := range mu.changes {
			if err := setPath(root, c.path, c.value, c.replace); err != nil {
				return nil, err
			}
		}
	}
	return json.Marshal(root)
}

func setPath(node any, path []any, value any, replace bool) error {
	for i, seg := range path {
		last := i == len(path)-1
		switch s := seg.(type) {
		case string:
			obj, ok := node.(map[string]any)
			if !ok {
				return fmt.Errorf("set %v: %v is not an object", path, path[:i])
			}
			if last {
				if cur, exists := obj[s]; exists && !replace && cur != nil && cur != "" {
					return nil // never overwrite what the user set
				}
				obj[s] = value
				return nil
			}
			next, ok := obj[s]
			if !ok || next == nil {
				if _, isIndex := path[i+1].(int); isIndex {
					return fmt.Errorf("set %v: %v is missing", path, path[:i+1])
				}
				next = map[string]any{}
				obj[s] = next
			}
			node = next
		case int:
			arr, ok := node.([]any)
			if !ok || s < 0 || s >= len(arr) {
				return fmt.Errorf("set %v: no element %d", path, s)
			}
			if last {
				return fmt.Errorf("set %v: cannot replace a list element", path)
			}
			node = arr[s]
		}
	}
	return nil
}
