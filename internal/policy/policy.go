// Package policy joins the rule catalogue with the configuration. It is the
// one owner of the decisions the CLI, the webhook's handlers and the docs
// share:
//
//   - which rules run for a kind (RulesFor, Judges);
//   - what a rule's action is for one object and one requester (Decide):
//     the configured action, or off because an exemption matches, and which
//     exemption that was;
//   - running the rules on an object (Evaluate), with the exemptions that
//     applied, for the audit trail;
//   - what a requester vouches for about an object (Requester.Origin,
//     Requester.DerivedFrom): a copy stamped out by a built-in controller,
//     a mirror pod sent by a node. The object alone proves neither;
//   - what an object read from the cluster proves about its origin
//     (StoredOrigin), for the audit.
//
// It sits above rules and config and below the CLI (cmd/webhook) and the
// server (internal/admission); it does no I/O.
package policy

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Requester is who sends the object. The CLI has none.
type Requester struct {
	User   string
	Groups []string
}

// Policy evaluates objects under one configuration. It is immutable once
// built: a new configuration makes a new Policy (see Current).
type Policy struct {
	cfg      *config.Config
	settings *rules.Settings
	rules    []*rules.Rule
	byKind   map[schema.GroupKind][]*rules.Rule
	now      func() time.Time
}

// New returns a Policy for cfg over rs, or over the whole catalogue when
// rs is empty (tests pass their own rules).
func New(cfg *config.Config, rs ...*rules.Rule) *Policy {
	if len(rs) == 0 {
		rs = rules.Catalogue()
	}
	p := &Policy{cfg: cfg, settings: cfg.RuleSettings(), rules: rs, byKind: map[schema.GroupKind][]*rules.Rule{}, now: time.Now}
	for _, r := range rs {
		for _, gk := range r.Kinds {
			p.byKind[gk] = append(p.byKind[gk], r)
		}
	}
	return p
}

// WithClock makes the policy read the time (for exemptions' expiry) from
// now instead of time.Now, and returns it. Call it before sharing p.
func (p *Policy) WithClock(now func() time.Time) *Policy {
	p.now = now
	return p
}

// Config is the configuration the policy was built from. Read it, never
// modify it.
func (p *Policy) Config() *config.Config { return p.cfg }

// Rules returns the rules the policy evaluates, in catalogue order.
func (p *Policy) Rules() []*rules.Rule { return p.rules }

// Settings returns the rule parameters.
func (p *Policy) Settings() *rules.Settings { return p.settings }

// ClusterMode is the mode of cluster-scoped objects.
func (p *Policy) ClusterMode() rules.Mode { return p.cfg.ClusterMode }

// ModeFor returns the mode objects of kind gk are judged in: clusterMode
// for cluster-scoped objects (namespaced false) and Namespaces; for Roles
// and RoleBindings (rules.GuardsCluster) the stricter of their namespace's
// mode and clusterMode, also where the namespace has no mode; else the
// namespace's mode ("" where it has none: not judged). It is the one place
// that decides a request's mode.
func (p *Policy) ModeFor(gk schema.GroupKind, namespaced bool, namespaceMode rules.Mode) rules.Mode {
	switch {
	case !namespaced || gk.Group == "" && gk.Kind == "Namespace":
		return p.cfg.ClusterMode
	case rules.GuardsCluster(gk):
		return rules.Stricter(namespaceMode, p.cfg.ClusterMode)
	}
	return namespaceMode
}

// RulesFor returns the rules that judge kind gk, in catalogue order.
func (p *Policy) RulesFor(gk schema.GroupKind) []*rules.Rule { return p.byKind[gk] }

// Judges reports whether any rule judges kind gk.
func (p *Policy) Judges(gk schema.GroupKind) bool { return len(p.byKind[gk]) > 0 }

// Rule returns the rule of that id, if the policy evaluates it.
func (p *Policy) Rule(id string) (*rules.Rule, bool) {
	i := slices.IndexFunc(p.rules, func(r *rules.Rule) bool { return r.ID == id })
	if i < 0 {
		return nil, false
	}
	return p.rules[i], true
}

// ConfiguredAction is rule r's action before exemptions: the
// configuration's override, else the rule's default.
func (p *Policy) ConfiguredAction(r *rules.Rule) rules.Action {
	if rc, ok := p.cfg.Rules[r.ID]; ok && rc.Action != "" {
		return rc.Action
	}
	return r.DefaultAction
}

// Exemption identifies the exemption of the configuration that turned a
// rule off.
type Exemption struct {
	// ID names it by its place in the file: "exemptions[0]" (every rule)
	// or "rules.<rule-id>.exemptions[1]". Metrics and audit annotations
	// carry it.
	ID string
	// Reason is the exemption's reason.
	Reason string
}

// Decision is a rule's action for one object and one requester.
type Decision struct {
	Action rules.Action
	// Exemption is the exemption that turned the rule off, nil when none
	// did.
	Exemption *Exemption
}

// Decide returns rule r's action for the object ref sent by who: off when
// an exemption matches (global ones first, then the rule's own; expired
// ones are ignored), else the configured action.
func (p *Policy) Decide(r *rules.Rule, ref rules.ObjectRef, who Requester) Decision {
	if e := firstMatch(p.cfg.Exemptions, "exemptions", ref, who, p.now); e != nil {
		return Decision{Action: rules.ActionOff, Exemption: e}
	}
	if rc, ok := p.cfg.Rules[r.ID]; ok && len(rc.Exemptions) > 0 {
		if e := firstMatch(rc.Exemptions, "rules."+r.ID+".exemptions", ref, who, p.now); e != nil {
			return Decision{Action: rules.ActionOff, Exemption: e}
		}
	}
	return Decision{Action: p.ConfiguredAction(r)}
}

// Action is Decide's action.
func (p *Policy) Action(r *rules.Rule, ref rules.ObjectRef, who Requester) rules.Action {
	return p.Decide(r, ref, who).Action
}

// ActionOf is the action of the rule with that id, off when the policy
// does not evaluate it.
func (p *Policy) ActionOf(id string, ref rules.ObjectRef, who Requester) rules.Action {
	r, ok := p.Rule(id)
	if !ok {
		return rules.ActionOff
	}
	return p.Action(r, ref, who)
}

// Exempted is a rule that an exemption turned off for the object while
// the rule would have reported it: what the exemption let through.
type Exempted struct {
	Rule      string
	Exemption Exemption
	// Findings is how many findings the rule would have reported; 0 when
	// the rule failed (panicked) on the object.
	Findings int
}

// Result is what Evaluate found.
type Result struct {
	Findings []rules.Finding
	// Exempted lists, in catalogue order, the rules an exemption turned off
	// for this object and requester that would have reported findings. A
	// matching exemption of a rule that finds nothing let nothing through
	// and is not listed.
	Exempted []Exempted
}

// Evaluate runs every rule that judges in's kind, with the action Decide
// gives it. in.Settings is filled from the configuration and in.Origin
// from the requester (Requester.Origin). A rule that panics ends the
// evaluation with a *rules.PanicError and what was found so far.
//
// A rule that an exemption turns off runs afterwards on its own, with its
// configured action, so that Result.Exempted says what the exemption let
// through; its findings are not returned, and its panics count as
// something let through, never as an error (an exemption is also the
// break-glass for a rule that misbehaves). Such a rule still reports its
// unwaivable findings (rules.Rule.Unwaivable), as warnings at most.
//
// An unwaivable check is not waived: its panic is an error like any
// rule's (the way out is the rule's action off).
func (p *Policy) Evaluate(in *rules.Input, who Requester) (Result, error) {
	return p.EvaluateOnly(in, who, nil)
}

// EvaluateOnly is Evaluate with only the rules of in's kind that only
// keeps (all of them when only is nil): what an UPDATE needs of its old
// object, whose findings matter only for the rules that deny the new one.
func (p *Policy) EvaluateOnly(in *rules.Input, who Requester, only func(*rules.Rule) bool) (Result, error) {
	in.Origin = who.Origin(in.Object)
	return p.evaluate(in, who, only)
}

// EvaluateStored is Evaluate for an object read from the cluster, which
// no request sent (webhook audit, the background audit, the preview):
// there is no requester, so exemptions that name users or groups never
// match, and the origin is what the stored object proves (StoredOrigin).
func (p *Policy) EvaluateStored(in *rules.Input, origin rules.Origin) (Result, error) {
	in.Origin = origin
	return p.evaluate(in, Requester{}, nil)
}

// evaluate runs the rules of in's kind, those only keeps when it is not
// nil.
func (p *Policy) evaluate(in *rules.Input, who Requester, only func(*rules.Rule) bool) (Result, error) {
	in.Settings = p.settings
	gk := schema.FromAPIVersionAndKind(in.Ref.APIVersion, in.Ref.Kind).GroupKind()
	rs := p.RulesFor(gk)
	if only != nil {
		var kept []*rules.Rule
		for _, r := range rs {
			if only(r) {
				kept = append(kept, r)
			}
		}
		rs = kept
	}
	var exempted, waived []*rules.Rule
	var by []*Exemption
	fs, err := rules.Evaluate(rs, in, func(r *rules.Rule) rules.Action {
		d := p.Decide(r, in.Ref, who)
		if d.Exemption != nil && p.ConfiguredAction(r) != rules.ActionOff {
			exempted, by = append(exempted, r), append(by, d.Exemption)
			if r.Unwaivable != nil {
				waived = append(waived, r)
			}
		}
		return d.Action
	})
	res := Result{}
	for i, r := range exempted {
		action := p.ConfiguredAction(r)
		would, perr := rules.Evaluate([]*rules.Rule{r}, in, func(*rules.Rule) rules.Action { return action })
		if len(would) > 0 || perr != nil {
			res.Exempted = append(res.Exempted, Exempted{Rule: r.ID, Exemption: *by[i], Findings: len(would)})
		}
	}
	for _, r := range waived {
		if err != nil {
			break
		}
		u := *r
		u.Check, u.Unwaivable = r.Unwaivable, nil
		act := rules.Milder(p.ConfiguredAction(r), rules.ActionWarn)
		var more []rules.Finding
		more, err = rules.Evaluate([]*rules.Rule{&u}, in, func(*rules.Rule) rules.Action { return act })
		fs = append(fs, more...)
	}
	res.Findings = fs
	return res, err
}

// builtinControllers are the kube-controller-manager identities that stamp
// objects out of templates, with the owner kinds each one stamps out of.
// With --use-service-account-credentials each controller has its own
// service account in kube-system; without it they all act as
// system:kube-controller-manager.
var builtinControllers = map[string][]string{
	"system:kube-controller-manager":                           {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "CronJob", "Job", "ReplicationController"},
	"system:serviceaccount:kube-system:replicaset-controller":  {"ReplicaSet"},
	"system:serviceaccount:kube-system:replication-controller": {"ReplicationController"},
	"system:serviceaccount:kube-system:deployment-controller":  {"Deployment"},
	"system:serviceaccount:kube-system:daemon-set-controller":  {"DaemonSet"},
	"system:serviceaccount:kube-system:statefulset-controller": {"StatefulSet"},
	"system:serviceaccount:kube-system:job-controller":         {"Job"},
	"system:serviceaccount:kube-system:cronjob-controller":     {"CronJob"},
}

// judgedKinds are the owners whose pod template Guardrails judges on the
// owner itself, with their API group.
var judgedKinds = map[string]string{
	"Deployment": "apps", "ReplicaSet": "apps", "StatefulSet": "apps", "DaemonSet": "apps",
	"CronJob": "batch", "Job": "batch", "ReplicationController": "",
}

// BuiltinController reports whether the requester is one of Kubernetes'
// workload controllers.
func (r Requester) BuiltinController() bool { return len(builtinControllers[r.User]) > 0 }

// Node reports whether the requester is a node: a kubelet's identity
// (user system:node:<name> in group system:nodes). Only nodes create
// mirror pods; the NodeRestriction admission plugin limits them to their
// own.
func (r Requester) Node() bool {
	return strings.HasPrefix(r.User, "system:node:") && slices.Contains(r.Groups, "system:nodes")
}

// Owner names the workload a derived object was stamped out of.
type Owner struct {
	Kind, Name string
}

func (o Owner) String() string { return o.Kind + " " + o.Name }

// DerivedFrom returns the owner when obj is a copy that one of Kubernetes'
// built-in workload controllers stamped out of a template it owns: a
// Deployment's ReplicaSets, a ReplicaSet's or a DaemonSet's Pods, a
// CronJob's Jobs. It is the one place that decides it, for every rule and
// both handlers: the request must come from the controller of that owner
// kind (an identity no tenant has) and obj must name an owner of a kind
// Guardrails judges, in a controller ownerReference of the right API
// group. A tenant writing an ownerReference by hand gains nothing, and
// objects of custom controllers (whose templates Guardrails never saw) are
// judged as themselves. Whether the owner exists is not checked: that
// would take a cache of every workload kind, and the controller identity
// already cannot be forged.
func (r Requester) DerivedFrom(obj runtime.Object) (Owner, bool) {
	kinds := builtinControllers[r.User]
	m, ok := obj.(metav1.Object)
	if len(kinds) == 0 || !ok || m == nil || reflect.ValueOf(m).IsNil() {
		return Owner{}, false
	}
	or := metav1.GetControllerOfNoCopy(m)
	if or == nil || !slices.Contains(kinds, or.Kind) {
		return Owner{}, false
	}
	group, ok := judgedKinds[or.Kind]
	if !ok || schema.FromAPIVersionAndKind(or.APIVersion, or.Kind).Group != group {
		return Owner{}, false
	}
	return Owner{Kind: or.Kind, Name: or.Name}, true
}

// Origin is what the requester vouches for about obj, for the rules: the
// owner kind of a built-in controller's copy (DerivedFrom), and whether a
// pod with the mirror-pod annotation really is a mirror pod (sent by a
// node). The CLI's empty requester vouches for nothing.
func (r Requester) Origin(obj runtime.Object) rules.Origin {
	var o rules.Origin
	if owner, ok := r.DerivedFrom(obj); ok {
		o.Controller = owner.Kind
	}
	o.Mirror = r.Node() && rules.HasMirrorAnnotation(obj)
	return o
}

// StoredOrigin is what an object read from the cluster proves about its
// origin, where no request says who sent it (the audit and the preview).
//
// A pod is a mirror pod (Origin.Mirror) only when it carries everything
// the NodeRestriction admission plugin demands of a pod a node creates,
// and which the kubelet writes on every mirror pod: the mirror-pod
// annotation, spec.nodeName, and a single ownerReference, the controller
// one, to that Node (v1) with the UID of the Node that exists now, which
// nodeUID answers. Anyone who may create a Pod can write the annotation,
// the node's name and the reference, but not know the Node's UID without
// reading Nodes (and the garbage collector deletes a pod whose owner's
// UID does not match). A pod that claims to be a mirror pod without all
// of it, or whose Node cannot be read (nodeUID false), is judged like any
// pod. Objects a built-in controller stamped out are not vouched for
// (Origin.Controller stays empty): the audit reports them at their owner.
func StoredOrigin(obj runtime.Object, nodeUID func(name string) (types.UID, bool)) rules.Origin {
	return rules.Origin{Mirror: storedMirrorPod(obj, nodeUID)}
}

func storedMirrorPod(obj runtime.Object, nodeUID func(string) (types.UID, bool)) bool {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod == nil || !rules.HasMirrorAnnotation(pod) || pod.Spec.NodeName == "" || len(pod.OwnerReferences) != 1 {
		return false
	}
	or := pod.OwnerReferences[0]
	if or.APIVersion != "v1" || or.Kind != "Node" || or.Name != pod.Spec.NodeName || or.Controller == nil || !*or.Controller || or.UID == "" {
		return false
	}
	if nodeUID == nil {
		return false
	}
	uid, ok := nodeUID(or.Name)
	return ok && uid == or.UID
}

// aggregationControllers are the identities the clusterrole aggregation
// controller of kube-controller-manager writes with: its own service
// account (--use-service-account-credentials, the default of kubeadm and
// most distributions) or the controller manager's identity.
var aggregationControllers = map[string]bool{
	"system:serviceaccount:kube-system:clusterrole-aggregation-controller": true,
	"system:kube-controller-manager":                                       true,
}

// AggregationController reports whether the requester is the clusterrole
// aggregation controller, which copies the rules of labelled ClusterRoles
// into the aggregated ones. Its writes are never denied: the labelled
// roles were judged as part of the aggregated roles when they were
// written, and blocking the controller would only freeze the aggregated
// role.
func (r Requester) AggregationController() bool { return aggregationControllers[r.User] }

// firstMatch returns the first exemption of es that matches and has not
// expired at now(), named by its place under prefix. The clock is read
// only for a matching exemption that has an expiry: most decisions meet
// no exemption, and `webhook check` makes several per object.
func firstMatch(es []config.Exemption, prefix string, ref rules.ObjectRef, who Requester, now func() time.Time) *Exemption {
	for i := range es {
		if match(&es[i], ref, who) && (es[i].Expires == nil || !es[i].Expired(now())) {
			return &Exemption{ID: fmt.Sprintf("%s[%d]", prefix, i), Reason: es[i].Reason}
		}
	}
	return nil
}

func match(e *config.Exemption, ref rules.ObjectRef, who Requester) bool {
	if len(e.Namespaces) == 0 && len(e.Kinds) == 0 && len(e.Names) == 0 && len(e.Users) == 0 && len(e.Groups) == 0 {
		return false // an empty exemption exempts nothing
	}
	if len(e.Namespaces) > 0 && !matchPattern(e.Namespaces, ref.Namespace) {
		return false
	}
	if len(e.Kinds) > 0 && !slices.Contains(e.Kinds, ref.Kind) {
		return false
	}
	if len(e.Names) > 0 && !matchPattern(e.Names, ref.Name) {
		return false
	}
	if len(e.Users) > 0 && !slices.Contains(e.Users, who.User) {
		return false
	}
	if len(e.Groups) > 0 && !slices.ContainsFunc(who.Groups, func(g string) bool { return slices.Contains(e.Groups, g) }) {
		return false
	}
	return true
}

func matchPattern(patterns []string, s string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			return strings.HasPrefix(s, prefix)
		}
		return p == s
	})
}

// Current is the policy in force: the one pointer that the admission
// handlers, the namespace preview and the background audit read, and that
// the configuration reloader replaces. Readers take one Load per request
// or audit run and use that Policy throughout, so a reload never mixes two
// configurations in one decision.
type Current struct{ p atomic.Pointer[Policy] }

// NewCurrent returns a Current holding p.
func NewCurrent(p *Policy) *Current {
	c := &Current{}
	c.p.Store(p)
	return c
}

// Load returns the policy in force.
func (c *Current) Load() *Policy { return c.p.Load() }

// Store puts p in force.
func (c *Current) Store(p *Policy) { c.p.Store(p) }
