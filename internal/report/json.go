package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// jsonFinding is one finding of the JSON report: exactly these keys.
type jsonFinding struct {
	Rule       string       `json:"rule"`
	Severity   rules.Action `json:"severity"`
	File       string       `json:"file"`
	Document   int          `json:"document"`
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Namespace  string       `json:"namespace"`
	Name       string       `json:"name"`
	Field      string       `json:"field"`
	Message    string       `json:"message"`
	Hint       string       `json:"hint"`
	// Detail is the finding's administrator detail (other namespaces and
	// their objects), present only when the finding has one: whoever runs
	// the CLI has the files it comes from.
	Detail string `json:"detail,omitempty"`
}

type jsonSummary struct {
	Objects int `json:"objects"`
	Deny    int `json:"deny"`
	Warn    int `json:"warn"`
	// Audit is only present when there are audit findings (`webhook
	// audit` of namespaces in audit mode).
	Audit int `json:"audit,omitempty"`
}

// jsonWriter prints one object:
//
//	{"findings":[{"rule":…,"severity":…,"file":…,"document":N,"apiVersion":…,
//	  "kind":…,"namespace":…,"name":…,"field":…,"message":…,"hint":…}],
//	 "summary":{"objects":N,"deny":N,"warn":N}}
//
// plus "detail" in a finding that has one (see rules.Finding.Detail),
// one finding per line. Problems are not part of it (the CLI prints them on
// stderr and exits 2).
type jsonWriter struct {
	w     io.Writer
	bw    *bufio.Writer
	n     int
	begun bool
}

func (j *jsonWriter) begin() {
	if !j.begun {
		j.bw = bufio.NewWriter(j.w)
		j.bw.WriteString(`{"findings":[`)
		j.begun = true
	}
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func (j *jsonWriter) Object(o *Object) error {
	j.begin()
	for i := range o.Findings {
		f := &o.Findings[i]
		b, err := marshal(jsonFinding{
			Rule: f.Rule, Severity: f.Severity, File: o.File, Document: o.Doc,
			APIVersion: o.Ref.APIVersion, Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name,
			Field: f.Field, Message: f.Message, Hint: f.Hint, Detail: f.Detail,
		})
		if err != nil {
			return err
		}
		if j.n > 0 {
			j.bw.WriteByte(',')
		}
		j.bw.WriteString("\n  ")
		j.bw.Write(b)
		j.n++
	}
	return nil
}

func (j *jsonWriter) Problem(*Problem) error { j.begin(); return nil }

func (j *jsonWriter) Close(s Summary) error {
	j.begin()
	if j.n > 0 {
		j.bw.WriteString("\n")
	}
	b, err := marshal(jsonSummary{Objects: s.Objects, Deny: s.Deny, Warn: s.Warn, Audit: s.Audit})
	if err != nil {
		return err
	}
	j.bw.WriteString(`],"summary":`)
	j.bw.Write(b)
	j.bw.WriteString("}\n")
	return j.bw.Flush()
}

// indentJSON writes src indented by two spaces, every line after the first
// starting with prefix.
func indentJSON(w io.Writer, src []byte, prefix string) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, src, prefix, "  "); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
