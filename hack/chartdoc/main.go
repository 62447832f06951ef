// Command chartdoc writes the values table of the Helm chart's README
// (deploy/helm/guardrails/README.md, between <!-- values:begin --> and
// <!-- values:end -->) from the comments of its values.yaml, so that the
// table cannot drift from the values (`make readme`; main_test.go fails
// when they differ).
//
// The comment right above a key documents it. A key with a comment is
// one row, whatever its value (resources, labels: a map you replace as a
// whole); a map without a comment is a section and its keys are the rows.
// A value without a comment is an error.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Markers around the table in the README.
const (
	beginMarker = "<!-- values:begin -->\n"
	endMarker   = "<!-- values:end -->"
)

func main() {
	chart := flag.String("chart", "deploy/helm/guardrails", "chart directory (values.yaml in, README.md rewritten)")
	flag.Parse()
	if err := run(*chart); err != nil {
		fmt.Fprintln(os.Stderr, "chartdoc:", err)
		os.Exit(1)
	}
}

func run(chart string) error {
	values, err := os.ReadFile(chart + "/values.yaml")
	if err != nil {
		return err
	}
	tbl, err := Table(values)
	if err != nil {
		return err
	}
	readme, err := os.ReadFile(chart + "/README.md")
	if err != nil {
		return err
	}
	out, err := Replace(readme, tbl)
	if err != nil {
		return fmt.Errorf("%s/README.md: %w", chart, err)
	}
	return os.WriteFile(chart+"/README.md", out, 0o644)
}

// Replace puts tbl between the markers of readme.
func Replace(readme []byte, tbl string) ([]byte, error) {
	s := string(readme)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i < 0 || j < i {
		return nil, fmt.Errorf("no %q … %q markers", strings.TrimSpace(beginMarker), endMarker)
	}
	return []byte(s[:i+len(beginMarker)] + tbl + s[j:]), nil
}

// Section returns what is between the markers of readme.
func Section(readme []byte) (string, error) {
	s := string(readme)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i < 0 || j < i {
		return "", fmt.Errorf("no %q … %q markers", strings.TrimSpace(beginMarker), endMarker)
	}
	return s[i+len(beginMarker) : j], nil
}

type row struct{ key, typ, def, doc string }

// Table renders the values table of values.yaml.
func Table(values []byte) (string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(values, &doc); err != nil {
		return "", fmt.Errorf("values.yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return "", errors.New("values.yaml: not a mapping")
	}
	var rows []row
	var errs []error
	walk(doc.Content[0], "", &rows, &errs)
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	var b strings.Builder
	b.WriteString("| key | type | default | description |\n| --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.key, r.typ, r.def, r.doc)
	}
	return b.String(), nil
}

func walk(m *yaml.Node, prefix string, rows *[]row, errs *[]error) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := prefix + k.Value
		doc := comment(k.HeadComment)
		if doc == "" && v.Kind == yaml.MappingNode && len(v.Content) > 0 {
			walk(v, key+".", rows, errs)
			continue
		}
		if doc == "" {
			*errs = append(*errs, fmt.Errorf("values.yaml line %d: %s has no comment: document it in the line above", k.Line, key))
			continue
		}
		def, typ, err := render(v)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("values.yaml line %d: %s: %w", k.Line, key, err))
			continue
		}
		*rows = append(*rows, row{key, typ, def, doc})
	}
}

// comment joins the lines of a head comment, without the "#" and the
// blank-line-separated paragraphs before the last one (a file header).
func comment(c string) string {
	paras := strings.Split(strings.TrimSpace(c), "\n\n")
	var words []string
	for _, l := range strings.Split(paras[len(paras)-1], "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		if l != "" {
			words = append(words, l)
		}
	}
	return markdownText.Replace(strings.Join(words, " "))
}

// markdownText escapes what a Markdown table cell would take as markup:
// the column separator and HTML tags (<fullname>).
var markdownText = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;")

// render returns the default as the table shows it, and its type.
func render(v *yaml.Node) (def, typ string, err error) {
	var val any
	if err := v.Decode(&val); err != nil {
		return "", "", err
	}
	switch val.(type) {
	case string:
		typ = "string"
	case int, int64, uint64:
		typ = "integer"
	case float64:
		typ = "number"
	case bool:
		typ = "boolean"
	case []any:
		typ = "list"
	case map[string]any:
		typ = "object"
	case nil:
		typ = "null"
	default:
		return "", "", fmt.Errorf("unexpected value %T", val)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(val); err != nil {
		return "", "", err
	}
	return "`" + strings.ReplaceAll(strings.TrimSpace(b.String()), "|", `\|`) + "`", typ, nil
}
