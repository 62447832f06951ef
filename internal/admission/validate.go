package admission

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/metrics"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Validator is the validating handler (/validate).
type Validator struct{ e *engine }

var _ admission.Handler = (*Validator)(nil)

// NewValidator returns the validating handler for cfg over state.
func NewValidator(cfg *config.Config, state ClusterState, o Options) *Validator {
	return &Validator{e: newEngine(cfg, state, o)}
}

// Handle judges one AdmissionRequest.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	start := v.e.now()
	resp, result := v.handle(ctx, req)
	metrics.RequestsTotal.WithLabelValues(metrics.HandlerValidate, string(req.Operation), result).Inc()
	metrics.RequestDuration.WithLabelValues(metrics.HandlerValidate).Observe(v.e.now().Sub(start).Seconds())
	return resp
}

// internalError is an error that the failure policy decides about.
type internalError struct {
	kind string // panic, decode, lookup
	rule string // for panics inside a rule
	err  error
}

func (v *Validator) handle(ctx context.Context, req admission.Request) (resp admission.Response, result string) {
	log := logger(ctx).WithValues("uid", req.UID)
	var t target
	defer func() {
		// A panic outside the rules (rule panics come back as
		// *rules.PanicError) must not escape to controller-runtime, which
		// would answer allowed=false whatever the failure policy.
		if p := recover(); p != nil {
			resp, result = v.failed(ctx, req, t, &internalError{kind: "panic", err: fmt.Errorf("panic: %v", p)}, debug.Stack())
		}
	}()

	if req.Operation == "" {
		// Not from an API server: an AdmissionReview without request.
		return admission.Errored(http.StatusBadRequest, errors.New("malformed AdmissionReview: no request")), metrics.ResultError
	}
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed(""), metrics.ResultSkipped
	}
	if req.SubResource != "" {
		return admission.Allowed(""), metrics.ResultSkipped
	}
	gk := schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}
	if !v.e.covers(gk) {
		return admission.Allowed(""), metrics.ResultSkipped
	}

	var err error
	t, err = v.e.resolveTarget(ctx, req)
	if err != nil {
		return v.failed(ctx, req, t, &internalError{kind: "lookup", err: err}, nil)
	}
	if t.mode == "" {
		log.V(1).Info("namespace has no mode label; not judged (check the webhook configuration's namespaceSelector)", "namespace", req.Namespace)
		return admission.Allowed(""), metrics.ResultSkipped
	}

	cur, err := decode(req.Object.Raw, req)
	if errors.Is(err, errUnknownKind) {
		return admission.Allowed(""), metrics.ResultSkipped
	}
	if err != nil {
		return v.failed(ctx, req, t, &internalError{kind: "decode", err: err}, nil)
	}
	if isNamespaceKind(gk) {
		if m, ok := cur.obj.(interface{ GetLabels() map[string]string }); ok {
			t.failOpen = m.GetLabels()[rules.FailurePolicyLabel] == string(rules.FailurePolicyIgnore)
		}
	}
	if deleting(cur.obj) {
		return admission.Allowed(""), metrics.ResultSkipped
	}

	var old *object
	if req.Operation == admissionv1.Update && len(req.OldObject.Raw) > 0 {
		o, err := decode(req.OldObject.Raw, req)
		if err != nil && !errors.Is(err, errUnknownKind) {
			return v.failed(ctx, req, t, &internalError{kind: "decode", err: fmt.Errorf("old object: %w", err)}, nil)
		}
		if err == nil {
			old = &o
		}
	}

	who := requester(req)
	in := &rules.Input{Object: cur.obj, Ref: cur.ref, Cluster: v.e.state}
	if old != nil {
		in.Old = old.obj
	}
	findings, err := v.e.evaluate(in, who)
	if err != nil {
		return v.failed(ctx, req, t, ruleError(err), nil)
	}
	verdict := classify(findings, t.mode)

	if old != nil && len(verdict.deny) > 0 {
		// Deny only what the update introduces: evaluate the old object
		// the same way and demote the findings it already had.
		oldIn := &rules.Input{Object: old.obj, Ref: old.ref, Cluster: v.e.state}
		oldFindings, err := v.e.evaluate(oldIn, who)
		if err == nil {
			verdict.demotePreexisting(oldFindings)
		} else {
			log.Error(err, "evaluating the old object failed; judging the update as a whole")
		}
	}
	if len(verdict.deny) > 0 {
		if who.User == apiServerUser {
			// The API server's own requests are never blocked.
			verdict.demoteAll("request of the API server; never denied")
		} else if owner, ok := derivedFrom(cur.obj, who); ok {
			// The template was judged when its owner was admitted.
			verdict.demoteAll(fmt.Sprintf("%s of %s; the template is judged on the %s", strings.ToLower(cur.ref.Kind), owner, owner.kind))
		}
	}

	for _, f := range verdict.deny {
		metrics.DecisionsTotal.WithLabelValues(f.Rule, string(t.mode), string(rules.ActionDeny)).Inc()
	}
	for _, f := range verdict.warn {
		metrics.DecisionsTotal.WithLabelValues(f.Rule, string(t.mode), string(rules.ActionWarn)).Inc()
	}
	for _, d := range verdict.demoted {
		metrics.DecisionsTotal.WithLabelValues(d.Rule, string(t.mode), string(rules.ActionWarn)).Inc()
	}
	for _, f := range verdict.audit {
		metrics.DecisionsTotal.WithLabelValues(f.Rule, string(t.mode), string(rules.ActionAudit)).Inc()
	}

	if len(findings) > 0 {
		log.Info("findings",
			"operation", req.Operation, "kind", cur.ref.Kind, "namespace", cur.ref.Namespace, "name", cur.ref.Name,
			"user", who.User, "mode", t.mode, "denied", len(verdict.deny) > 0, "findings", logFindings(verdict))
	}

	if len(verdict.deny) > 0 {
		resp = admission.Denied(denyMessage(verdict.deny))
		result = metrics.ResultDenied
	} else {
		resp = admission.Allowed("")
		result = metrics.ResultAllowed
	}
	resp.Warnings = warnings(verdict, nil)
	resp.AuditAnnotations = auditAnnotations(verdict.audit)
	if result == metrics.ResultAllowed && len(resp.Warnings) > 0 {
		result = metrics.ResultWarned
	}
	return resp, result
}

// ruleError turns an evaluation error into an internal error.
func ruleError(err error) *internalError {
	var pe *rules.PanicError
	if errors.As(err, &pe) {
		return &internalError{kind: "panic", rule: pe.Rule, err: err}
	}
	return &internalError{kind: "panic", err: err}
}

// failed answers an internal error by the failure policy of the target:
// deny (HTTP 500 in the status, InternalError for kubectl) where the
// webhook entry is Fail, admit with a warning where the namespace asks
// for failure-policy ignore.
func (v *Validator) failed(ctx context.Context, req admission.Request, t target, ie *internalError, stack []byte) (admission.Response, string) {
	log := logger(ctx).WithValues("uid", req.UID, "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "errorKind", ie.kind)
	if ie.rule != "" {
		log = log.WithValues("rule", ie.rule)
	}
	what := ie.err.Error()
	var pe *rules.PanicError
	if errors.As(ie.err, &pe) {
		if stack == nil {
			stack = pe.Stack
		}
		what = fmt.Sprintf("rule %s failed: %v", pe.Rule, pe.Value)
	}
	if stack != nil {
		log = log.WithValues("stack", string(stack))
	}
	if t.failOpen {
		log.Error(ie.err, "internal error; admitted unchecked (failure-policy ignore)")
		metrics.InternalErrors.WithLabelValues(metrics.HandlerValidate, ie.kind, "admitted").Inc()
		resp := admission.Allowed("")
		resp.Warnings = []string{truncate(oneLine(fmt.Sprintf("[guardrails] internal error, object not checked (%s; failure-policy ignore): %s", t.scope, what)), MaxWarningLen)}
		return resp, metrics.ResultError
	}
	log.Error(ie.err, "internal error; denied (failure policy Fail)")
	metrics.InternalErrors.WithLabelValues(metrics.HandlerValidate, ie.kind, "denied").Inc()
	msg := fmt.Sprintf("guardrails could not check this object: %s (request %s). The failure policy of %s is Fail: retry",
		oneLine(what), req.UID, scopeOrUnknown(t))
	if t.scope != "" && req.Namespace != "" && !isNamespaceKind(schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}) {
		msg += fmt.Sprintf(", or ask a cluster administrator to label the namespace %s=ignore (objects are then admitted unchecked on internal errors)", rules.FailurePolicyLabel)
	}
	resp := admission.Errored(http.StatusInternalServerError, errors.New(msg))
	return resp, metrics.ResultError
}

func scopeOrUnknown(t target) string {
	if t.scope == "" {
		return "this request"
	}
	return t.scope
}

// logFinding is the log form of a finding.
type logFinding struct {
	Rule    string `json:"rule"`
	Action  string `json:"action"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func logFindings(v verdict) []logFinding {
	v.capPerRule() // v is a copy
	out := make([]logFinding, 0, len(v.deny)+len(v.warn)+len(v.audit)+len(v.demoted))
	add := func(fs []rules.Finding, action string) {
		for _, f := range fs {
			out = append(out, logFinding{Rule: f.Rule, Action: action, Field: f.Field, Message: truncate(f.Message, maxLogMessageLen)})
		}
	}
	add(v.deny, "deny")
	for _, d := range v.demoted {
		out = append(out, logFinding{Rule: d.Rule, Action: "warn (" + d.why + ")", Field: d.Field, Message: truncate(d.Message, maxLogMessageLen)})
	}
	add(v.warn, "warn")
	add(v.audit, "audit")
	return out
}

// ownerRef names the workload a derived object was stamped out of.
type ownerRef struct{ kind, name string }

func (o ownerRef) String() string { return o.kind + " " + o.name }

// judgedKinds are the owners whose pod template Guardrails judges on the
// owner itself, by group.
var judgedKinds = map[string]string{
	"Deployment": "apps", "ReplicaSet": "apps", "StatefulSet": "apps", "DaemonSet": "apps",
	"CronJob": "batch", "Job": "batch", "ReplicationController": "",
}

// derivedFrom returns the owner when obj is a copy that one of Kubernetes'
// built-in workload controllers stamped out of a template it owns: a
// Deployment's ReplicaSets, a ReplicaSet's Pods, a CronJob's Jobs. The
// request must come from that controller and obj must name the owner in
// a controller ownerReference, so a tenant writing an ownerReference by
// hand gains nothing. Such copies are judged on their owner: denying them
// only stops replacements (a node drain, a rollout restart of a workload
// that predates the rule). The mutator leaves workload copies alone too
// (see Mutator.handle).
// Objects of custom controllers (whose templates Guardrails never saw)
// are judged as themselves.
func derivedFrom(obj runtime.Object, who policy.Requester) (ownerRef, bool) {
	m, ok := obj.(metav1.Object)
	if !ok || !who.BuiltinController() {
		return ownerRef{}, false
	}
	or := metav1.GetControllerOfNoCopy(m)
	if or == nil {
		return ownerRef{}, false
	}
	group, ok := judgedKinds[or.Kind]
	if ok && schema.FromAPIVersionAndKind(or.APIVersion, or.Kind).Group == group {
		return ownerRef{kind: or.Kind, name: or.Name}, true
	}
	return ownerRef{}, false
}
