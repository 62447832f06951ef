package report

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// junitWriter writes JUnit XML as GitLab and Jenkins read it: one
// <testsuite> per file, one <testcase> per object (classname = the file,
// name = "Kind namespace/name (doc N)"). Deny findings make a <failure>
// listing them; warnings go to <system-out>, which both systems show with
// the test case; skipped objects (unknown kinds) are <skipped>; documents
// that could not be read and rules that failed are <error>.
//
// A file's test cases are held until the next file starts, so that the
// suite's counts can lead it.
type junitWriter struct {
	w     io.Writer
	bw    *bufio.Writer
	suite *junitSuite
}

type junitSuite struct {
	XMLName  xml.Name        `xml:"testsuite"`
	Name     string          `xml:"name,attr"`
	Tests    int             `xml:"tests,attr"`
	Failures int             `xml:"failures,attr"`
	Errors   int             `xml:"errors,attr"`
	Skipped  int             `xml:"skipped,attr"`
	Cases    []junitTestCase `xml:"testcase"`
}

type junitTestCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

func (j *junitWriter) begin() {
	if j.bw == nil {
		j.bw = bufio.NewWriter(j.w)
		j.bw.WriteString(xml.Header)
		j.bw.WriteString("<testsuites name=\"guardrails\">\n")
	}
}

func (j *junitWriter) suiteFor(file string) *junitSuite {
	j.begin()
	if j.suite != nil && j.suite.Name == file {
		return j.suite
	}
	j.flushSuite()
	j.suite = &junitSuite{Name: file}
	return j.suite
}

func (j *junitWriter) flushSuite() {
	if j.suite == nil {
		return
	}
	b, err := xml.MarshalIndent(j.suite, "  ", "  ")
	if err == nil {
		j.bw.Write(b)
		j.bw.WriteByte('\n')
	}
	j.suite = nil
}

func caseName(ref rules.ObjectRef, doc, item int) string {
	if doc == 0 && ref.Kind != "" {
		return objectLabel(ref) // read from a cluster
	}
	where := fmt.Sprintf("doc %d", doc)
	if item > 0 {
		where += fmt.Sprintf(" item %d", item)
	}
	if ref.Kind == "" {
		return where
	}
	return fmt.Sprintf("%s (%s)", objectLabel(ref), where)
}

func findingText(fs []rules.Finding, sev rules.Action) string {
	var b strings.Builder
	for i := range fs {
		f := &fs[i]
		if f.Severity != sev {
			continue
		}
		fmt.Fprintf(&b, "%s [%s] %s\n", severityWord(f.Severity), f.Rule, findingLine(f))
		if f.Detail != "" {
			fmt.Fprintf(&b, "  detail: %s\n", f.Detail)
		}
		if f.Hint != "" {
			fmt.Fprintf(&b, "  hint: %s\n", f.Hint)
		}
	}
	return b.String()
}

func (j *junitWriter) Object(o *Object) error {
	s := j.suiteFor(group(o))
	tc := junitTestCase{Classname: group(o), Name: caseName(o.Ref, o.Doc, o.ListItem)}
	s.Tests++
	switch {
	case o.Skipped != "":
		tc.Skipped = &junitMessage{Message: o.Skipped}
		s.Skipped++
	default:
		if n := countSeverity(o.Findings, rules.ActionDeny); n > 0 {
			first := ""
			for i := range o.Findings {
				if o.Findings[i].Severity == rules.ActionDeny {
					first = fmt.Sprintf("[%s] %s", o.Findings[i].Rule, o.Findings[i].Message)
					break
				}
			}
			msg := first
			if n > 1 {
				msg = fmt.Sprintf("%s (and %s)", first, plural(n-1, "more deny finding"))
			}
			tc.Failure = &junitMessage{Message: msg, Type: "deny", Text: findingText(o.Findings, rules.ActionDeny)}
			s.Failures++
		}
		if out := findingText(o.Findings, rules.ActionWarn) + findingText(o.Findings, rules.ActionAudit); out != "" {
			tc.SystemOut = &junitText{Text: out}
		}
	}
	s.Cases = append(s.Cases, tc)
	return nil
}

func (j *junitWriter) Problem(p *Problem) error {
	s := j.suiteFor(p.File)
	name := caseName(p.Ref, p.Doc, p.ListItem)
	if p.Doc == 0 {
		name = "read"
	}
	typ := "input"
	if p.Rule != "" {
		typ = "rule " + p.Rule
	}
	s.Tests++
	s.Errors++
	s.Cases = append(s.Cases, junitTestCase{Classname: p.File, Name: name, Error: &junitMessage{Message: p.Message, Type: typ, Text: p.String() + "\n"}})
	return nil
}

func (j *junitWriter) Close(Summary) error {
	j.begin()
	j.flushSuite()
	j.bw.WriteString("</testsuites>\n")
	return j.bw.Flush()
}
