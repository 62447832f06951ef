package admission

import (
	"context"
	"fmt"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/guardrails-dev/guardrails/internal/audit"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Previewer lists what a mode would deny among the objects that already
// exist in a namespace (audit.Auditor). The validating handler asks it
// when a Namespace's mode label is raised to enforce, and answers with
// warnings, the way Pod Security Admission answers a label change.
type Previewer interface {
	Preview(ctx context.Context, pol *policy.Policy, namespace string, mode rules.Mode, o audit.PreviewOptions) audit.Preview
}

// Bounds of the preview: it runs inside the admission request (the
// webhook's timeout is 5s).
const (
	// PreviewTimeout bounds the listing.
	PreviewTimeout = 2 * time.Second
	// PreviewPerKind is the LIST limit of each kind.
	PreviewPerKind = 100
	// previewMaxObjects caps the objects named in the warnings.
	previewMaxObjects = 30
	// previewMaxLines caps the warnings that name objects.
	previewMaxLines = 4
)

// raisedToEnforce reports whether an UPDATE of a Namespace raises its mode
// to enforce (from warn, audit, or no mode), and returns the namespace's
// name. An invalid value is served as enforce already, so changing it to
// enforce raises nothing.
func raisedToEnforce(r *request) (string, bool) {
	if r.req.Operation != admissionv1.Update || r.old == nil || !isNamespaceKind(r.gk) {
		return "", false
	}
	cur, ok1 := r.cur.obj.(metav1.Object)
	old, ok2 := r.old.obj.(metav1.Object)
	if !ok1 || !ok2 {
		return "", false
	}
	np, errs := rules.NamespacePolicyOf(cur.GetLabels())
	if len(errs) > 0 || np.Mode != rules.ModeEnforce {
		return "", false
	}
	op, _ := rules.NamespacePolicyOf(old.GetLabels())
	if op.Mode.Strictness() >= np.Mode.Strictness() {
		return "", false
	}
	return cur.GetName(), true
}

// preview adds to vd, as notes, the existing objects that enforce would
// deny when the request raises a Namespace's mode to enforce. It never
// denies: a failed or cut listing is a warning too.
func (v *Validator) preview(ctx context.Context, r *request, vd *verdict) {
	if v.e.preview == nil || len(vd.deny) > 0 {
		return
	}
	ns, ok := raisedToEnforce(r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, PreviewTimeout)
	defer cancel()
	start := v.e.now()
	p := v.e.preview.Preview(ctx, r.pol, ns, rules.ModeEnforce, audit.PreviewOptions{PerKind: PreviewPerKind, MaxDenied: previewMaxObjects})
	logger(ctx).Info("preview of enforce", "uid", r.req.UID, "namespace", ns, "judged", p.Judged, "wouldDeny", p.Total,
		"cut", p.Cut, "failed", len(p.Failed), "duration", v.e.now().Sub(start).String())
	vd.notes = append(vd.notes, previewWarnings(ns, p)...)
}

// previewWarnings renders a preview as kubectl warnings: the count, then
// "Kind namespace/name [rule, ...]" entries packed into lines of at most
// MaxWarningLen, at most previewMaxLines of them, then whether the listing
// was cut or failed and how to see everything.
func previewWarnings(ns string, p audit.Preview) []string {
	var out []string
	full := fmt.Sprintf("run `webhook audit -n %s --assume-mode enforce` for the full list", ns)
	if p.Total > 0 {
		atLeast := ""
		if p.Cut || len(p.Failed) > 0 {
			atLeast = "at least "
		}
		head := fmt.Sprintf("[guardrails] mode enforce: %s%d existing %s would be denied if created now: ", atLeast, p.Total, plural(p.Total, "object", "objects"))
		out = packEntries(head, p)
	}
	if p.Cut {
		out = append(out, fmt.Sprintf("[guardrails] the preview judged %d objects (at most %d of each kind, within %s); there may be more: %s", p.Judged, PreviewPerKind, PreviewTimeout, full))
	} else if p.Total > len(p.Denied) {
		out = append(out, "[guardrails] "+full)
	}
	if len(p.Failed) > 0 {
		out = append(out, failedWarning(p.Failed))
	}
	if p.UnverifiedMirrorPods > 0 {
		why := fmt.Sprint(p.NodeLookupErr)
		if apierrors.IsForbidden(p.NodeLookupErr) {
			why = "the webhook may not get nodes (grant it with deploy/components/preview or deploy/components/audit)"
		}
		out = append(out, rules.Truncate(oneLine(fmt.Sprintf("[guardrails] %d %s claiming to be mirror pods counted like any pod: %s",
			p.UnverifiedMirrorPods, plural(p.UnverifiedMirrorPods, "pod", "pods"), why)), MaxWarningLen))
	}
	return out
}

// packEntries lists the denied objects after head, as many per line as
// fit, ending with the number left out.
func packEntries(head string, p audit.Preview) []string {
	var lines []string
	line := head
	first := true
	for i, d := range p.Denied {
		entry := fmt.Sprintf("%s %s/%s [%s]", d.Ref.Kind, d.Ref.Namespace, d.Ref.Name, strings.Join(d.Rules, ", "))
		sep := ", "
		if first {
			sep = ""
		}
		// Room for this entry and a closing ", ... and N more".
		if len(line)+len(sep)+len(entry)+24 > MaxWarningLen && !first {
			if len(lines)+1 == previewMaxLines {
				return append(lines, line+fmt.Sprintf(", ... and %d more", p.Total-i))
			}
			lines = append(lines, line)
			line, sep = "[guardrails] ... ", ""
		}
		line += sep + entry
		first = false
	}
	if rest := p.Total - len(p.Denied); rest > 0 {
		line += fmt.Sprintf(", ... and %d more", rest)
	}
	return append(lines, line)
}

// failedWarning says which kinds could not be listed, and why.
func failedWarning(failed []audit.KindError) string {
	var names []string
	forbidden := false
	for _, f := range failed {
		names = append(names, f.Resource)
		forbidden = forbidden || apierrors.IsForbidden(f.Err)
	}
	why := failed[0].Err.Error()
	if forbidden {
		why = "the webhook may not list them (grant it with deploy/components/preview or deploy/components/audit)"
	}
	return fmt.Sprintf("[guardrails] no preview of %s: %s", strings.Join(names, ", "), why)
}
