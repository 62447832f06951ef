// Package report writes the results of `webhook check` in the formats CI
// systems read: text for logs, JSON for scripts, JUnit XML for test
// dashboards (GitLab, Jenkins) and SARIF 2.1.0 for code scanning.
//
// Writers stream: the checker hands them one object at a time in input
// order and they keep only what their format needs to hold back.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Formats are the names accepted by New.
var Formats = []string{"text", "json", "junit", "sarif"}

// Object is one checked (or skipped) object of the input.
type Object struct {
	// File is the input file as given or found ("-" for stdin); empty
	// for objects read from a cluster (`webhook audit`).
	File string
	// Group is the heading the text and JUnit formats list the object
	// under ("namespace shop (mode enforce)" for an audit); File when
	// empty.
	Group string
	// Doc is the document number in File, from 1; List items carry the
	// List's document number. 0 for objects read from a cluster.
	Doc int
	// Line is the document's first line, 0 when unknown.
	Line int
	// ListItem is the index in a List, from 1; 0 outside Lists.
	ListItem int
	// Ref identifies the object.
	Ref rules.ObjectRef
	// Findings are the deny and warn findings, in rule catalogue order.
	Findings []rules.Finding
	// Skipped tells why the object was not checked (an unknown kind);
	// empty when it was.
	Skipped string
}

// Problem is input that could not be checked: a document that does not
// parse or is not a Kubernetes object, or a rule that failed on an object.
type Problem struct {
	File     string
	Doc      int
	Line     int
	ListItem int
	// Ref identifies the object as far as it is known.
	Ref rules.ObjectRef
	// Rule is the rule that failed, empty for input problems.
	Rule string
	// Message says what is wrong.
	Message string
}

func (p *Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Doc > 0 {
		fmt.Fprintf(&b, ": %s", docLabel(p.Doc, p.ListItem, p.Line))
	}
	if p.Ref.Kind != "" {
		fmt.Fprintf(&b, " %s", objectLabel(p.Ref))
	}
	if p.Rule != "" {
		fmt.Fprintf(&b, ": rule %s", p.Rule)
	}
	fmt.Fprintf(&b, ": %s", p.Message)
	return b.String()
}

// Summary counts the results. Objects counts checked objects (not skipped
// ones, not problems).
type Summary struct {
	Objects int
	Deny    int
	Warn    int
	// Audit counts findings that an audit-mode namespace only records
	// (`webhook audit`; `webhook check` has none).
	Audit    int
	Skipped  int
	Problems int
	// Namespaces, when set, is printed by the text format as a table
	// after the findings (`webhook audit`).
	Namespaces []NamespaceRow
}

// NamespaceRow is one line of the per-namespace table: what was judged in
// a namespace ("" for cluster-scoped objects) and in which mode.
type NamespaceRow struct {
	Namespace         string
	Mode              string
	Objects           int
	Deny, Warn, Audit int
}

// Add counts o.
func (s *Summary) Add(o *Object) {
	if o.Skipped != "" {
		s.Skipped++
		return
	}
	s.Objects++
	for _, f := range o.Findings {
		switch f.Severity {
		case rules.ActionDeny:
			s.Deny++
		case rules.ActionWarn:
			s.Warn++
		case rules.ActionAudit:
			s.Audit++
		}
	}
}

// RuleInfo describes a rule for formats that carry the catalogue (SARIF).
type RuleInfo struct {
	ID      string
	Summary string
	Why     string
	Fix     string
	// Action is the rule's configured action (its default unless the
	// configuration overrides it).
	Action rules.Action
}

// Options are what writers need besides the results.
type Options struct {
	// Rules is the catalogue, in order.
	Rules []RuleInfo
	// ToolVersion is the binary's version.
	ToolVersion string
}

// Writer receives the results in input order.
type Writer interface {
	// Object reports one object, checked or skipped.
	Object(o *Object) error
	// Problem reports input that could not be checked.
	Problem(p *Problem) error
	// Close ends the report.
	Close(s Summary) error
}

// New returns a Writer of the format (one of Formats) writing to w.
func New(format string, w io.Writer, opts Options) (Writer, error) {
	switch format {
	case "text", "":
		return &textWriter{w: w}, nil
	case "json":
		return &jsonWriter{w: w}, nil
	case "junit":
		return &junitWriter{w: w}, nil
	case "sarif":
		return newSARIFWriter(w, opts), nil
	}
	return nil, fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// group is the heading of o: Group, else File.
func group(o *Object) string {
	if o.Group != "" {
		return o.Group
	}
	return o.File
}

// objectLabel is "Kind namespace/name", "Kind name" without namespace.
func objectLabel(r rules.ObjectRef) string {
	name := r.Name
	if name == "" {
		name = "(unnamed)"
	}
	if r.Namespace != "" {
		name = r.Namespace + "/" + name
	}
	if r.Kind == "" {
		return name
	}
	return r.Kind + " " + name
}

// docLabel is "doc 2", "doc 2 item 3", with " (line 14)" when known.
func docLabel(doc, item, line int) string {
	s := fmt.Sprintf("doc %d", doc)
	if item > 0 {
		s += fmt.Sprintf(" item %d", item)
	}
	if line > 0 {
		s += fmt.Sprintf(" (line %d)", line)
	}
	return s
}

// severityWord is the upper-case severity for text formats.
func severityWord(s rules.Action) string { return strings.ToUpper(string(s)) }

// findingLine is "field: message", or the message alone without field.
func findingLine(f *rules.Finding) string {
	if f.Field == "" {
		return f.Message
	}
	return f.Field + ": " + f.Message
}

// countSeverity counts findings of severity s.
func countSeverity(fs []rules.Finding, s rules.Action) int {
	n := 0
	for i := range fs {
		if fs[i].Severity == s {
			n++
		}
	}
	return n
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// ruleIndex maps rule ids to their index in rs.
func ruleIndex(rs []RuleInfo) map[string]int {
	m := make(map[string]int, len(rs))
	for i, r := range rs {
		m[r.ID] = i
	}
	return m
}
