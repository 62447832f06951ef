package admission

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	return NewValidatorFor(fixedPolicy(cfg, o), state, o)
}

// NewValidatorFor returns the validating handler judging under the policy
// in force in cur (which the server's configuration reloader replaces);
// o.Rules is not used.
func NewValidatorFor(cur *policy.Current, state ClusterState, o Options) *Validator {
	return &Validator{e: newEngine(cur, state, o)}
}

// Handle judges one AdmissionRequest.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return v.e.instrument(metrics.HandlerValidate, req, func() (admission.Response, string) { return v.handle(ctx, req) })
}

// scope is what /validate judges: creates and updates of the kinds
// some rule judges, and the metadata that updates of MetadataSubresources
// carry.
func (v *Validator) scope() scope {
	return scope{operations: []admissionv1.Operation{admissionv1.Create, admissionv1.Update}, kinds: (*policy.Policy).Judges, metadataSubresources: true}
}

func (v *Validator) handle(ctx context.Context, req admission.Request) (resp admission.Response, result string) {
	var r request // the target stays zero until prepare resolves it
	defer func() {
		// A panic outside the rules (rule panics come back as
		// *rules.PanicError) must not escape to controller-runtime, which
		// would answer allowed=false whatever the failure policy.
		if p := recover(); p != nil {
			resp, result = v.failed(ctx, req, r.target, &internalError{kind: "panic", err: fmt.Errorf("panic: %v", p)}, debug.Stack())
		}
	}()
	if resp, bad := malformed(req); bad {
		return resp, metrics.ResultError
	}
	skip, ie := v.e.prepare(ctx, req, v.scope(), &r)
	if ie == nil && !skip {
		var vd verdict
		if vd, ie = v.judge(&r); ie == nil {
			if ie = v.demote(ctx, &r, &vd); ie == nil {
				v.preview(ctx, &r, &vd)
				return v.respond(ctx, &r, vd)
			}
		}
	}
	if ie != nil {
		return v.failed(ctx, req, r.target, ie, nil)
	}
	return admission.Allowed(""), metrics.ResultSkipped
}

// judge runs the policy on the object and sorts the findings by what the
// target's mode lets them do.
func (v *Validator) judge(r *request) (verdict, *internalError) {
	in := v.input(r.cur)
	if r.old != nil {
		in.Old = r.old.obj
	}
	res, err := r.pol.Evaluate(in, r.who)
	if err != nil {
		return verdict{}, ruleError(err)
	}
	vd := classify(res.Findings, r.target.mode)
	vd.exempted = res.Exempted
	return vd, nil
}

func (v *Validator) input(o object) *rules.Input {
	return &rules.Input{Object: o.obj, Ref: o.ref, Cluster: v.e.state}
}

// demote turns into warnings the deny findings that must not block this
// request: on UPDATE, those the old object already had; every finding of
// the API server's own requests and of the clusterrole aggregation
// controller's writes of ClusterRoles; and those of a copy that a built-in
// controller stamped out of a template judged on its owner. The old object
// is decoded here when it was not yet (request.oldObject); one that does
// not decode is an internal error.
func (v *Validator) demote(ctx context.Context, r *request, vd *verdict) *internalError {
	if len(vd.deny) == 0 {
		return nil
	}
	old, ie := r.oldObject()
	if ie != nil {
		return ie
	}
	if old != nil {
		// Only the rules that deny the new object: the old object's other
		// findings would change nothing.
		denies := func(rule *rules.Rule) bool {
			return slices.ContainsFunc(vd.deny, func(f rules.Finding) bool { return f.Rule == rule.ID })
		}
		oldRes, err := r.pol.EvaluateOnly(v.input(*old), r.who, denies)
		if err == nil {
			vd.demotePreexisting(oldRes.Findings)
		} else {
			logger(ctx).Error(err, "evaluating the old object failed; judging the update as a whole", "uid", r.req.UID)
		}
	}
	if len(vd.deny) == 0 {
		return nil
	}
	if r.who.User == apiServerUser {
		// The API server's own requests are never blocked.
		vd.demoteAll("request of the API server; never denied")
	} else if r.who.AggregationController() && r.gk == (schema.GroupKind{Group: rbacv1.GroupName, Kind: "ClusterRole"}) {
		// The labelled roles were judged as part of the aggregated role.
		vd.demoteAll("the clusterrole aggregation controller's write; never denied")
	} else if owner, ok := r.who.DerivedFrom(r.cur.obj); ok {
		// The template was judged when its owner was admitted.
		vd.demoteAll(fmt.Sprintf("%s of %s; the template is judged on the %s", strings.ToLower(r.cur.ref.Kind), owner, owner.Kind))
	}
	return nil
}

// respond turns the verdict into the answer: a denial (one line and one
// status cause per finding) when deny findings remain, warnings, audit
// annotations; and counts and logs the decisions.
func (v *Validator) respond(ctx context.Context, r *request, vd verdict) (admission.Response, string) {
	mode := string(r.target.mode)
	count := func(fs []rules.Finding, action rules.Action) {
		for _, f := range fs {
			metrics.DecisionsTotal.WithLabelValues(f.Rule, mode, string(action)).Inc()
		}
	}
	count(vd.deny, rules.ActionDeny)
	count(vd.warn, rules.ActionWarn)
	for _, d := range vd.demoted {
		metrics.DecisionsTotal.WithLabelValues(d.Rule, mode, string(rules.ActionWarn)).Inc()
	}
	count(vd.audit, rules.ActionAudit)
	for _, x := range vd.exempted {
		metrics.ExemptionsApplied.WithLabelValues(x.Rule, x.Exemption.ID).Inc()
	}

	// The log lines (and the named logger) are built only when there is
	// something to log and the logger writes it.
	if (len(vd.exempted) > 0 || vd.any()) && requestLogger(ctx).Enabled() {
		log := logger(ctx)
		if len(vd.exempted) > 0 {
			log.Info("exempted", "uid", r.req.UID,
				"operation", r.req.Operation, "kind", r.cur.ref.Kind, "namespace", r.cur.ref.Namespace, "name", r.cur.ref.Name,
				"user", r.who.User, "exemptions", exemptedAnnotation(vd.exempted))
		}
		if vd.any() {
			log.Info("findings", "uid", r.req.UID,
				"operation", r.req.Operation, "kind", r.cur.ref.Kind, "namespace", r.cur.ref.Namespace, "name", r.cur.ref.Name,
				"user", r.who.User, "mode", r.target.mode, "denied", len(vd.deny) > 0, "findings", logFindings(vd))
		}
	}

	var resp admission.Response
	result := metrics.ResultAllowed
	if len(vd.deny) > 0 {
		resp = denied(r.cur.ref, vd.deny)
		result = metrics.ResultDenied
	} else {
		resp = admission.Allowed("")
	}
	resp.Warnings = warnings(vd, vd.notes)
	resp.AuditAnnotations = auditAnnotations(vd.audit)
	if len(vd.exempted) > 0 {
		if resp.AuditAnnotations == nil {
			resp.AuditAnnotations = map[string]string{}
		}
		resp.AuditAnnotations[exemptedKey] = exemptedAnnotation(vd.exempted)
	}
	if result == metrics.ResultAllowed && len(resp.Warnings) > 0 {
		result = metrics.ResultWarned
	}
	if result != metrics.ResultDenied {
		v.recordEvents(r, vd)
	}
	return resp, result
}

// recordEvents records the audit and warn findings of an admitted request
// as Events on the judged object (--events). A dry run records nothing:
// it must have no side effects.
func (v *Validator) recordEvents(r *request, vd verdict) {
	if v.e.events == nil || (r.req.DryRun != nil && *r.req.DryRun) {
		return
	}
	ref := &corev1.ObjectReference{
		APIVersion: r.cur.ref.APIVersion,
		Kind:       r.cur.ref.Kind,
		Namespace:  r.cur.ref.Namespace,
		Name:       r.cur.ref.Name,
	}
	if isNamespaceKind(r.gk) || r.req.Namespace == "" {
		ref.Namespace = ""
	}
	// The API server assigns the UID before validating admission, on
	// CREATE too: kubectl describe finds the Event by it.
	if m, ok := r.cur.obj.(metav1.Object); ok {
		ref.UID = m.GetUID()
	}
	n := 0
	record := func(action rules.Action, line string) {
		if n < MaxEventsPerRequest {
			v.e.events.Finding(ref, action, line)
		}
		n++
	}
	for _, f := range vd.audit {
		record(rules.ActionAudit, findingLine(f, true))
	}
	for _, d := range vd.demoted {
		record(rules.ActionWarn, findingLine(d.Finding, true)+" ("+d.why+")")
	}
	for _, f := range vd.warn {
		record(rules.ActionWarn, findingLine(f, true))
	}
	if n > MaxEventsPerRequest {
		v.e.events.Finding(ref, rules.ActionWarn, fmt.Sprintf("[guardrails] ... and %d more %s (run `webhook check` on the manifest for the full list)",
			n-MaxEventsPerRequest, plural(n-MaxEventsPerRequest, "finding", "findings")))
	}
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
		resp.Warnings = []string{rules.Truncate(oneLine(fmt.Sprintf("[guardrails] internal error, object not checked (%s; failure-policy ignore): %s", t.scope(), what)), MaxWarningLen)}
		return resp, metrics.ResultError
	}
	log.Error(ie.err, "internal error; denied (failure policy Fail)")
	metrics.InternalErrors.WithLabelValues(metrics.HandlerValidate, ie.kind, "denied").Inc()
	msg := fmt.Sprintf("guardrails could not check this object: %s (request %s). The failure policy of %s is Fail: retry",
		oneLine(what), req.UID, scopeOrUnknown(t))
	if t.scope() != "" && req.Namespace != "" && !isNamespaceKind(schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}) {
		msg += fmt.Sprintf(", or ask a cluster administrator to label the namespace %s=ignore (objects are then admitted unchecked on internal errors)", rules.FailurePolicyLabel)
	}
	resp := admission.Errored(http.StatusInternalServerError, errors.New(msg))
	return resp, metrics.ResultError
}

func scopeOrUnknown(t target) string {
	if s := t.scope(); s != "" {
		return s
	}
	return "this request"
}

// logFinding is the log form of a finding. The log is the
// administrators': it carries the finding's Detail.
type logFinding struct {
	Rule    string `json:"rule"`
	Action  string `json:"action"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
}

func logFindings(v verdict) []logFinding {
	v.capPerRule() // v is a copy
	out := make([]logFinding, 0, len(v.deny)+len(v.warn)+len(v.audit)+len(v.demoted))
	add := func(fs []rules.Finding, action string) {
		for _, f := range fs {
			out = append(out, logFinding{Rule: f.Rule, Action: action, Field: f.Field, Message: rules.Truncate(f.Message, maxLogMessageLen), Detail: rules.Truncate(f.Detail, maxLogMessageLen)})
		}
	}
	add(v.deny, "deny")
	for _, d := range v.demoted {
		out = append(out, logFinding{Rule: d.Rule, Action: "warn (" + d.why + ")", Field: d.Field, Message: rules.Truncate(d.Message, maxLogMessageLen), Detail: rules.Truncate(d.Detail, maxLogMessageLen)})
	}
	add(v.warn, "warn")
	add(v.audit, "audit")
	return out
}
