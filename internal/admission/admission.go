// Package admission holds the two admission handlers of `webhook serve`:
// the validating handler (/validate) runs the rule engine on the object of
// an AdmissionReview and answers with a denial, warnings or audit
// annotations according to the namespace's mode; the mutating handler
// (/mutate) fills a missing priorityClassName on critical add-ons and
// missing requests from configured defaults. Both are controller-runtime
// admission.Handlers; NewServer mounts them on controller-runtime's
// webhook server.
//
// # Modes
//
// A namespaced object takes its mode from its namespace's
// guardrails.dev/mode label, read from the informer cache (ClusterState);
// cluster-scoped objects, Namespaces included, take clusterMode from the
// configuration. enforce denies deny findings and returns warn findings as
// warnings; warn returns every finding as a warning; audit returns neither
// and records findings as audit annotations (one key per rule), in the log
// and in metrics. A rule configured with action audit is recorded the same
// way in every mode. An invalid label value counts as enforce (fail safe).
// A namespace without the label is not judged at all: the webhook
// configuration's namespaceSelector should not have sent the request.
//
// # Updates
//
// On UPDATE only the deny findings that the update introduces are denied:
// a finding (same rule, field and message) that the old object already had
// comes back as a warning. Scaling or relabelling an old Deployment during
// an incident is never blocked by a finding that predates the rule, but an
// update cannot make things worse. For the same reason an object that one of
// Kubernetes' built-in controllers stamps out of a template it owns (see
// policy.Requester.DerivedFrom: the controller's identity and an owner of a
// judged kind, never an ownerReference alone) gets its deny findings as
// warnings and, unless it is a Pod, is not mutated.
//
// # Subresources
//
// Subresources are not judged, except the UPDATEs of MetadataSubresources
// (namespaces/status, namespaces/finalize, ingresses/status): the API server
// keeps the metadata changes they carry, so the validating handler judges
// the stored object with the request's metadata.
//
// # Exemptions and the policy in force
//
// The handlers read the policy from a policy.Current (NewValidatorFor,
// NewMutatorFor) that the server's configuration reloader replaces; each
// request loads it once and is judged under that one policy. A request that
// an exemption lets through (a rule it turned off would have reported the
// object) carries the audit annotation "exempted" (the API server prefixes
// it with the webhook's name: namespaced.validate.guardrails.dev/exempted)
// whose value names each rule, the exemption's reason and its place in the
// file, and counts in guardrails_exemptions_applied_total.
//
// # Preview
//
// An UPDATE of a Namespace that raises its mode to enforce (from warn,
// audit or none; dry runs included) asks Options.Preview which existing
// objects of the namespace enforce would deny and answers with warnings
// naming them, capped, with the total (see preview.go). The listing is
// bounded in objects and time, and never denies the change.
//
// # Internal errors
//
// controller-runtime answers panics and decode errors with allowed=false,
// which the API server treats as a rejection whatever the webhook's
// failurePolicy. So the handlers apply the failure policy themselves, the
// one of the webhook entry that serves the request: the validating handler
// denies on an internal error unless that entry fails open, where it admits
// with a warning: cluster-scoped objects (their entry is failurePolicy
// Ignore; the API server's fallback policies hold what must hold) and
// namespaces that fail open (rules.NamespacePolicy.FailOpen:
// guardrails.dev/failure-policy: ignore, or a mode that never denies). The
// mutating handler never denies, it admits without a patch and with a
// warning.
//
// # Shape
//
// Both handlers read as three steps: a shared prelude (engine.prepare:
// operation, subresource, kind, mode, decoding), then judge (the policy
// evaluates the rules), demote (what must not be denied becomes a warning)
// and respond (denial, warnings, audit annotations, metrics) for the
// validating handler; plan (a typed copy is mutated) and respond (a JSON
// patch computed by diffing) for the mutating one. Every internal error is logged with the request UID
// (and the rule id for a panicking rule) and counted in
// guardrails_internal_errors_total.
package admission

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/metrics"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
	"github.com/guardrails-dev/guardrails/internal/typedjson"
)

// ClusterState is what the handlers read from the cluster: the rule
// engine's ClusterView plus namespace labels. The server's informer cache
// (internal/clustercache) implements it.
type ClusterState interface {
	rules.ClusterView
	// NamespaceLabels returns a namespace's labels: an error wrapping
	// rules.ErrUnavailable when the cache is not synced, (nil, nil) when
	// the namespace is not found, and a non-nil (possibly empty) map for
	// a namespace that exists.
	NamespaceLabels(name string) (map[string]string, error)
}

// Options tune the handlers. The zero value is the production setting.
type Options struct {
	// Rules replaces the rule catalogue (tests inject a panicking rule).
	Rules []*rules.Rule
	// NamespaceWait is how long a request waits for a namespace that is
	// not in the cache yet (a namespace created a moment before the
	// object, as `kubectl apply -f dir/` does). Default 2s.
	NamespaceWait time.Duration
	// Now replaces time.Now in latency metrics (tests).
	Now func() time.Time
	// Preview, when set, lists what a Namespace's change to a stricter
	// mode would deny (see Previewer); nil: no preview.
	Preview Previewer
	// Events, when set, records a Kubernetes Event for every audit and
	// warn finding of an admitted request (webhook serve --events).
	Events EventRecorder
}

// EventRecorder records the findings of admitted requests as Kubernetes
// Events (internal/events). Dry-run requests are never recorded: the
// webhook configurations declare sideEffects NoneOnDryRun when it is on.
type EventRecorder interface {
	// Finding records one finding, of action audit or warn, about the
	// object ref refers to; line is `[rule-id] field: message (hint)`.
	Finding(ref *corev1.ObjectReference, action rules.Action, line string)
}

// Limits of what goes back to the API server and the terminal.
const (
	// MaxDenyLines is the number of findings listed in a denial.
	MaxDenyLines = 10
	// MaxWarnings is the number of warnings returned; the API server
	// truncates warnings past 4 KiB in total anyway.
	MaxWarnings = 10
	// MaxWarningLen is the length of one warning (the API server
	// truncates longer ones to 256 characters when the total is large).
	MaxWarningLen = 256
	// MaxEventsPerRequest is the number of Events one request records
	// (--events), then one Event with the count of the rest.
	MaxEventsPerRequest = 10
	// maxDenyLineLen caps one line of a denial.
	maxDenyLineLen = 512
	// maxAuditValueLen caps one audit annotation value.
	maxAuditValueLen = 2048
)

// apiServerUser is the API server's own identity (bootstrap RBAC,
// reconcilers). Its requests are never denied, whatever the configuration.
const apiServerUser = "system:apiserver"

// engine is what both handlers share: the policy in force, the cluster
// state and the prelude that turns an AdmissionRequest into something to
// judge.
type engine struct {
	// cur is the policy in force. A request loads it once (prepare) and
	// is judged under that one policy, whatever reload happens meanwhile.
	cur     *policy.Current
	state   ClusterState
	nsWait  time.Duration
	now     func() time.Time
	preview Previewer
	events  EventRecorder
}

// fixedPolicy is the policy of cfg over o.Rules (the catalogue when
// empty), for handlers built from a configuration rather than a Current.
func fixedPolicy(cfg *config.Config, o Options) *policy.Current {
	return policy.NewCurrent(policy.New(cfg, o.Rules...))
}

func newEngine(cur *policy.Current, state ClusterState, o Options) *engine {
	e := &engine{
		cur:     cur,
		state:   state,
		nsWait:  o.NamespaceWait,
		now:     o.Now,
		preview: o.Preview,
		events:  o.Events,
	}
	if e.nsWait == 0 {
		e.nsWait = 2 * time.Second
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// instrument runs handle, one handler's answer to req, and records the
// request in the metrics: its result and latency.
func (e *engine) instrument(handler string, req admission.Request, handle func() (admission.Response, string)) admission.Response {
	start := e.now()
	resp, result := handle()
	metrics.RequestsTotal.WithLabelValues(handler, string(req.Operation), result).Inc()
	metrics.RequestDuration.WithLabelValues(handler).Observe(e.now().Sub(start).Seconds())
	return resp
}

func requester(req admission.Request) policy.Requester {
	return policy.Requester{User: req.UserInfo.Username, Groups: req.UserInfo.Groups}
}

// target is where a request is judged: its mode and failure policy.
type target struct {
	// mode is "" when the namespace has no mode label (not served).
	mode rules.Mode
	// cluster: the target is cluster-scoped objects; else namespace is
	// the namespace (both zero: not resolved yet). See scope.
	cluster   bool
	namespace string
	// failOpen is true where internal errors admit instead of denying: the
	// webhook entry serving the request is failurePolicy Ignore
	// (cluster-scoped objects, rules.NamespacePolicy.FailOpen).
	failOpen bool
}

// scope is "cluster-scoped objects" or `namespace "<name>"`, for
// messages; "" when the target is not resolved.
func (t target) scope() string {
	switch {
	case t.cluster:
		return "cluster-scoped objects"
	case t.namespace != "":
		return fmt.Sprintf("namespace %q", t.namespace)
	}
	return ""
}

// errLookup marks an error of the namespace lookup.
type errLookup struct{ err error }

func (e *errLookup) Error() string { return e.err.Error() }
func (e *errLookup) Unwrap() error { return e.err }

func isNamespaceKind(gk schema.GroupKind) bool {
	return gk.Group == "" && gk.Kind == "Namespace"
}

// resolveTarget finds the mode of the request, which policy.ModeFor
// decides from the kind and the namespace's mode: clusterMode for
// cluster-scoped objects and Namespaces; for Roles and RoleBindings the
// stricter of the namespace's mode and clusterMode; else what the
// namespace's labels ask for (rules.NamespacePolicyOf), read from the
// cache. A namespace that is not in the cache, or a cache that is not
// synced yet, is waited for up to Options.NamespaceWait: the API server
// only calls the webhook for a namespace whose label it has seen.
func (e *engine) resolveTarget(ctx context.Context, pol *policy.Policy, req admission.Request, gk schema.GroupKind) (target, error) {
	if req.Namespace == "" || isNamespaceKind(gk) {
		return target{mode: pol.ModeFor(gk, false, ""), cluster: true, failOpen: true}, nil
	}
	t := target{namespace: req.Namespace}
	labels, err := e.namespaceLabels(ctx, req.Namespace)
	if err != nil {
		return t, &errLookup{err}
	}
	np, _ := rules.NamespacePolicyOf(labels) // invalid values are served as enforce; namespace-mode-label reports them
	// The failure policy is the namespace's own (it picks the webhook
	// entry); the mode may be stricter for RBAC.
	t.mode, t.failOpen = pol.ModeFor(gk, true, np.Mode), np.FailOpen()
	return t, nil
}

func (e *engine) namespaceLabels(ctx context.Context, ns string) (map[string]string, error) {
	deadline := e.now().Add(e.nsWait)
	for {
		labels, err := e.state.NamespaceLabels(ns)
		if err == nil && labels != nil {
			return labels, nil
		}
		if !e.now().Before(deadline) {
			if err != nil {
				return nil, fmt.Errorf("namespace %q: %w", ns, err)
			}
			return nil, fmt.Errorf("namespace %q is not in the webhook's cache (created a moment ago, or the cache lags): %w", ns, rules.ErrUnavailable)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("namespace %q: %w", ns, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// internalError is an error that the failure policy decides about.
type internalError struct {
	kind string // panic, decode, lookup, patch
	rule string // for panics inside a rule
	err  error
}

// scope says which requests a handler judges.
type scope struct {
	// operations the handler judges.
	operations []admissionv1.Operation
	// kinds reports whether the handler judges a kind under a policy.
	kinds func(*policy.Policy, schema.GroupKind) bool
	// metadataSubresources: the handler judges the UPDATEs of
	// MetadataSubresources.
	metadataSubresources bool
}

// MetadataSubresources are the subresources, by kind, whose UPDATEs can
// change what the rules read although they exist to write something else.
// The API server's registry strategies of namespaces/status and
// ingresses/status reset spec from the stored object, and the one of
// namespaces/finalize resets status, but all three keep every change to
// metadata (labels, annotations, ownerReferences, finalizers): a tenant
// given `patch namespaces/status` could lower or remove guardrails.dev/mode
// or add guardrails.dev/failure-policy: ignore, and one given
// `update ingresses/status` could add a snippet annotation. The validating
// webhook configurations register them; an UPDATE of one is judged on the
// stored object carrying the request's metadata (the rest of a status
// update stays unjudged), and as every UPDATE only for what it introduces.
var MetadataSubresources = map[schema.GroupKind][]string{
	{Kind: "Namespace"}:                           {"status", "finalize"},
	{Group: "networking.k8s.io", Kind: "Ingress"}: {"status"},
}

// judgesSubresource reports whether a handler of scope sc judges req's
// subresource ("" is the object itself).
func (sc scope) judgesSubresource(req admission.Request, gk schema.GroupKind) bool {
	if req.SubResource == "" {
		return true
	}
	return sc.metadataSubresources && req.Operation == admissionv1.Update && slices.Contains(MetadataSubresources[gk], req.SubResource)
}

// request is an admission request made ready to judge by prepare.
type request struct {
	// pol is the policy the request is judged under.
	pol    *policy.Policy
	req    admission.Request
	gk     schema.GroupKind
	who    policy.Requester
	target target
	cur    object
	// old is the previous object of an UPDATE once decoded (oldObject),
	// nil otherwise.
	old *object
	// oldPending: the request carries an old object not decoded yet.
	oldPending bool
}

// oldObject returns the previous object of an UPDATE, decoding it the
// first time: nil when there is none (or the scheme does not know its
// kind), an internal error when it does not decode. prepare decodes it at
// once where the rules read it (readsOld) or the object is built from it
// (a subresource); elsewhere it is decoded only when a deny finding has to
// be compared with it (demote), which most UPDATEs never need.
func (r *request) oldObject() (*object, *internalError) {
	if !r.oldPending {
		return r.old, nil
	}
	r.oldPending = false
	o, err := decode(r.req.OldObject.Raw, r.req)
	if err != nil && !errors.Is(err, errUnknownKind) {
		return nil, &internalError{kind: "decode", err: fmt.Errorf("old object: %w", err)}
	}
	if err == nil {
		r.old = &o
	}
	return r.old, nil
}

// readsOld reports whether the rules (rules.Input.Old) or the preview
// read the old object of an UPDATE of kind gk: only namespace-mode-label
// does, on Namespaces (TestOnlyNamespaceRulesReadOld keeps this true).
func readsOld(gk schema.GroupKind) bool {
	return isNamespaceKind(gk)
}

// prepare is the prelude both handlers share: it filters what the handler
// does not judge (other operations, subresources, kinds, namespaces
// without a mode, unknown kinds, objects being deleted), resolves the
// mode, and decodes the object and, on UPDATE, the old object where it is
// read at once (see request.oldObject). For a
// subresource of MetadataSubresources the object is the old one with the
// request's metadata. It returns
// skip when there is nothing to judge, and an internal error for the
// failure policy to decide about. It fills r, which always carries the
// target found so far; the handlers keep r on their stack (a request
// prepare returned went to the heap: 640 bytes a request).
func (e *engine) prepare(ctx context.Context, req admission.Request, sc scope, r *request) (skip bool, ie *internalError) {
	*r = request{pol: e.cur.Load(), req: req, gk: schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}, who: requester(req)}
	if !slices.Contains(sc.operations, req.Operation) || !sc.kinds(r.pol, r.gk) || !sc.judgesSubresource(req, r.gk) {
		return true, nil
	}
	var err error
	if r.target, err = e.resolveTarget(ctx, r.pol, req, r.gk); err != nil {
		return false, &internalError{kind: "lookup", err: err}
	}
	if r.target.mode == "" {
		logger(ctx).V(1).Info("namespace has no mode label; not judged (check the webhook configuration's namespaceSelector)", "uid", req.UID, "namespace", req.Namespace)
		return true, nil
	}
	r.cur, err = decode(req.Object.Raw, req)
	if errors.Is(err, errUnknownKind) {
		return true, nil
	}
	if err != nil {
		return false, &internalError{kind: "decode", err: err}
	}
	if deleting(r.cur.obj) {
		return true, nil
	}
	if req.Operation == admissionv1.Update && len(req.OldObject.Raw) > 0 {
		r.oldPending = true
		if req.SubResource != "" || readsOld(r.gk) {
			if _, ie := r.oldObject(); ie != nil {
				return false, ie
			}
		}
	}
	if req.SubResource != "" && r.old != nil {
		r.cur.obj = withMetadataOf(r.old.obj, r.cur.obj)
	}
	return false, nil
}

// withMetadataOf returns a copy of old carrying cur's metadata: what an
// update of a MetadataSubresources subresource can change that the rules
// read. Kinds outside MetadataSubresources come back as cur.
func withMetadataOf(old, cur runtime.Object) runtime.Object {
	switch o := old.(type) {
	case *corev1.Namespace:
		if c, ok := cur.(*corev1.Namespace); ok {
			out := o.DeepCopy()
			c.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
			return out
		}
	case *networkingv1.Ingress:
		if c, ok := cur.(*networkingv1.Ingress); ok {
			out := o.DeepCopy()
			c.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
			return out
		}
	}
	return cur
}

// malformed answers an AdmissionReview without request (not from an API
// server), or false when req is a request.
func malformed(req admission.Request) (admission.Response, bool) {
	if req.Operation != "" {
		return admission.Response{}, false
	}
	return admission.Errored(http.StatusBadRequest, errors.New("malformed AdmissionReview: no request")), true
}

var codecs = scheme.Codecs

// object is a decoded admission object.
type object struct {
	obj runtime.Object
	ref rules.ObjectRef
}

// errUnknownKind means the scheme does not know the object's kind: it is
// not Guardrails' business.
var errUnknownKind = errors.New("unknown kind")

// decode decodes raw (the object of an AdmissionReview, in the version of
// req.Kind) into a typed object of client-go's scheme, without defaulting.
func decode(raw []byte, req admission.Request) (object, error) {
	gvk := schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind}
	if len(raw) == 0 {
		return object{}, fmt.Errorf("%s: empty object", gvk.Kind)
	}
	if !scheme.Scheme.Recognizes(gvk) {
		return object{}, errUnknownKind
	}
	obj, ok := decodeTyped(raw, gvk)
	if !ok {
		var err error
		obj, _, err = codecs.UniversalDeserializer().Decode(raw, &gvk, nil)
		if err != nil {
			if runtime.IsNotRegisteredError(err) {
				return object{}, errUnknownKind
			}
			return object{}, fmt.Errorf("decode %s: %w", gvk.Kind, err)
		}
	}
	ref := rules.RefOf(obj, gvk.GroupVersion().String(), gvk.Kind)
	if ref.Namespace == "" && !isNamespaceKind(gvk.GroupKind()) {
		ref.Namespace = req.Namespace
	}
	if ref.Name == "" {
		ref.Name = req.Name
	}
	return object{obj: obj, ref: ref}, nil
}

// decodeTyped is the universal deserializer's JSON path without its first
// pass: the deserializer reads apiVersion and kind out of raw with
// encoding/json (a whole second parse of the object), then unmarshals raw
// into a new object of that kind with sigs.k8s.io/json, case-sensitively,
// keeping integers. decodeTyped unmarshals straight into scheme.New(gvk)
// the same way and keeps the result only when the object names gvk
// itself, as the API server always writes it: then the deserializer would
// have made the same object. Anything else (not JSON, another or no
// apiVersion or kind, a decode error) is ok=false, and the caller takes
// the deserializer's path, with its errors.
func decodeTyped(raw []byte, gvk schema.GroupVersionKind) (runtime.Object, bool) {
	if !utilyaml.IsJSONBuffer(raw) {
		return nil, false
	}
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		return nil, false
	}
	// typedjson gives sigs.k8s.io/json's value and error, faster.
	if err := typedjson.Unmarshal(raw, obj); err != nil {
		return nil, false
	}
	if obj.GetObjectKind().GroupVersionKind() != gvk {
		return nil, false
	}
	return obj, true
}

// deleting reports whether obj is being deleted (deletionTimestamp set):
// updates then remove finalizers and must never be blocked.
func deleting(obj runtime.Object) bool {
	m, ok := obj.(metav1.Object)
	return ok && m.GetDeletionTimestamp() != nil
}

func logger(ctx context.Context) logr.Logger {
	return requestLogger(ctx).WithName("guardrails")
}

// requestLogger is the logger controller-runtime put into ctx for the
// request, else its global one: logf.FromContext without the WithValues
// (an allocation) it makes on every call.
func requestLogger(ctx context.Context) logr.Logger {
	if l, err := logr.FromContext(ctx); err == nil {
		return l
	}
	return logf.Log
}
