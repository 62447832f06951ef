package report

import (
	"bufio"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// textWriter prints findings grouped by file, for CI logs:
//
//	deploy/app.yaml
//	  doc 2 Deployment shop/web (line 14)
//	    DENY [resources-requests] spec.template.spec.containers[0].resources.requests.memory: container "app": no memory request
//	         hint: set resources.requests.memory (e.g. 128Mi), ...
//
// A finding with an administrator detail (rules.Finding.Detail) gets a
// "detail:" line before its hint.
//
//	3 objects, 1 deny, 0 warn
//
// Objects without findings are not printed. No colour.
type textWriter struct {
	w        io.Writer
	bw       *bufio.Writer
	lastFile string
	any      bool
}

func (t *textWriter) out() *bufio.Writer {
	if t.bw == nil {
		t.bw = bufio.NewWriter(t.w)
	}
	return t.bw
}

func (t *textWriter) file(name string) {
	w := t.out()
	if t.any && name == t.lastFile {
		return
	}
	if t.any {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, name)
	t.lastFile, t.any = name, true
}

func (t *textWriter) Object(o *Object) error {
	if len(o.Findings) == 0 {
		return nil
	}
	t.file(group(o))
	w := t.out()
	if o.Doc > 0 {
		fmt.Fprintf(w, "  %s %s\n", docLabelNoLine(o.Doc, o.ListItem), objectLabelWithLine(o.Ref, o.Line))
	} else {
		fmt.Fprintf(w, "  %s\n", objectLabel(o.Ref))
	}
	for i := range o.Findings {
		f := &o.Findings[i]
		fmt.Fprintf(w, "    %s [%s] %s\n", severityWord(f.Severity), f.Rule, findingLine(f))
		if f.Detail != "" {
			fmt.Fprintf(w, "         detail: %s\n", f.Detail)
		}
		if f.Hint != "" {
			fmt.Fprintf(w, "         hint: %s\n", f.Hint)
		}
	}
	return nil
}

func (t *textWriter) Problem(p *Problem) error {
	t.file(p.File)
	w := t.out()
	head := "  "
	if p.Doc > 0 {
		head += docLabelNoLine(p.Doc, p.ListItem)
	}
	if p.Ref.Kind != "" {
		head += " " + objectLabelWithLine(p.Ref, p.Line)
	} else if p.Line > 0 {
		head += fmt.Sprintf(" (line %d)", p.Line)
	}
	fmt.Fprintln(w, head)
	if p.Rule != "" {
		fmt.Fprintf(w, "    ERROR [%s] %s\n", p.Rule, p.Message)
	} else {
		fmt.Fprintf(w, "    ERROR %s\n", p.Message)
	}
	return nil
}

func (t *textWriter) Close(s Summary) error {
	w := t.out()
	if t.any {
		fmt.Fprintln(w)
	}
	if len(s.Namespaces) > 0 {
		namespaceTable(w, s.Namespaces)
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s, %d deny, %d warn", plural(s.Objects, "object"), s.Deny, s.Warn)
	if s.Audit > 0 {
		fmt.Fprintf(w, ", %d audit", s.Audit)
	}
	if s.Skipped > 0 {
		fmt.Fprintf(w, "; %d skipped (unknown kinds)", s.Skipped)
	}
	if s.Problems > 0 {
		fmt.Fprintf(w, "; %s", plural(s.Problems, "error"))
	}
	fmt.Fprintln(w)
	return w.Flush()
}

func docLabelNoLine(doc, item int) string { return docLabel(doc, item, 0) }

// objectLabelWithLine is "Kind namespace/name (line 14)".
func objectLabelWithLine(r rules.ObjectRef, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s (line %d)", objectLabel(r), line)
	}
	return objectLabel(r)
}

// namespaceTable prints the per-namespace summary:
//
//	NAMESPACE        MODE     OBJECTS  DENY  WARN  AUDIT
//	(cluster-scoped) enforce  12       1     0     0
//	shop             enforce  40       3     1     0
func namespaceTable(w io.Writer, rows []NamespaceRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tMODE\tOBJECTS\tDENY\tWARN\tAUDIT")
	for _, r := range rows {
		ns := r.Namespace
		if ns == "" {
			ns = "(cluster-scoped)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", ns, r.Mode, r.Objects, r.Deny, r.Warn, r.Audit)
	}
	tw.Flush()
}
