package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.
// tool.driver.rules is the catalogue (shortDescription = Summary,
// fullDescription = Why, help = Fix, defaultConfiguration.level from the
// configured action); each finding is a result whose physical location is
// the file (relative path as given) and the document's first line, and
// whose logical location is the object; the field path, document number
// and hint are result properties. Problems become tool execution
// notifications, and executionSuccessful is false when there are any.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string           `json:"id"`
	Name                 string           `json:"name"`
	ShortDescription     sarifText        `json:"shortDescription"`
	FullDescription      sarifText        `json:"fullDescription"`
	Help                 sarifText        `json:"help"`
	DefaultConfiguration sarifRuleDefault `json:"defaultConfiguration"`
}

type sarifRuleDefault struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifProps        `json:"properties"`
}

type sarifProps struct {
	Document int    `json:"document"`
	ListItem int    `json:"listItem,omitempty"`
	Field    string `json:"field,omitempty"`
	Hint     string `json:"hint,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical    `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLoc `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogicalLoc struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifWriter struct {
	w        io.Writer
	bw       *bufio.Writer
	opts     Options
	index    map[string]int
	n        int
	problems []sarifNotification
}

func newSARIFWriter(w io.Writer, opts Options) *sarifWriter {
	return &sarifWriter{w: w, opts: opts, index: ruleIndex(opts.Rules)}
}

// sarifLevel maps an action to a SARIF level.
func sarifLevel(a rules.Action) string {
	switch a {
	case rules.ActionDeny:
		return "error"
	case rules.ActionWarn:
		return "warning"
	case rules.ActionAudit:
		return "note"
	}
	return "none"
}

// artifactURI turns a file name into a SARIF URI: relative paths stay
// relative (with forward slashes), absolute ones become file:// URIs.
func artifactURI(file string) string {
	if filepath.IsAbs(file) {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()
	}
	p := filepath.ToSlash(file)
	return (&url.URL{Path: p}).EscapedPath()
}

func (s *sarifWriter) begin() error {
	if s.bw != nil {
		return nil
	}
	s.bw = bufio.NewWriter(s.w)
	driver := sarifDriver{
		Name:           "guardrails",
		InformationURI: "https://github.com/guardrails-dev/guardrails",
		Version:        s.opts.ToolVersion,
		Rules:          make([]sarifRule, 0, len(s.opts.Rules)),
	}
	for _, r := range s.opts.Rules {
		driver.Rules = append(driver.Rules, sarifRule{
			ID: r.ID, Name: r.ID,
			ShortDescription:     sarifText{r.Summary},
			FullDescription:      sarifText{r.Why},
			Help:                 sarifText{r.Fix},
			DefaultConfiguration: sarifRuleDefault{Level: sarifLevel(r.Action)},
		})
	}
	tool, err := marshalIndent(sarifTool{Driver: driver}, "      ")
	if err != nil {
		return err
	}
	s.bw.WriteString("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": ")
	s.bw.Write(tool)
	s.bw.WriteString(",\n      \"results\": [")
	return nil
}

func marshalIndent(v any, prefix string) ([]byte, error) {
	b, err := marshal(v)
	if err != nil {
		return nil, err
	}
	var out strings.Builder
	if err := indentJSON(&out, b, prefix); err != nil {
		return nil, err
	}
	return []byte(out.String()), nil
}

// location is where a finding is: the file and line, and the object. An
// object read from a cluster has no file: only its logical location.
func location(file string, line int, ref rules.ObjectRef) sarifLocation {
	var loc sarifLocation
	if file != "" {
		loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(file)}}
		if line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: line}
		}
	}
	if ref.Kind != "" {
		loc.LogicalLocations = []sarifLogicalLoc{{Name: ref.Name, FullyQualifiedName: qualifiedName(ref), Kind: "resource"}}
	}
	return loc
}

// qualifiedName is "apiVersion/Kind/namespace/name" ("apps/v1/Deployment/shop/web"),
// without the namespace part for cluster-scoped objects.
func qualifiedName(ref rules.ObjectRef) string {
	parts := []string{ref.APIVersion, ref.Kind}
	if ref.Namespace != "" {
		parts = append(parts, ref.Namespace)
	}
	return strings.Join(append(parts, ref.Name), "/")
}

func fingerprint(ref rules.ObjectRef, f *rules.Finding) string {
	h := sha256.New()
	for _, s := range []string{f.Rule, ref.APIVersion, ref.Kind, ref.Namespace, ref.Name, f.Field, f.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func (s *sarifWriter) Object(o *Object) error {
	if err := s.begin(); err != nil {
		return err
	}
	for i := range o.Findings {
		f := &o.Findings[i]
		idx, ok := s.index[f.Rule]
		if !ok {
			idx = -1
		}
		res := sarifResult{
			RuleID: f.Rule, RuleIndex: idx, Level: sarifLevel(f.Severity),
			Message:             sarifText{findingLine(f)},
			Locations:           []sarifLocation{location(o.File, o.Line, o.Ref)},
			PartialFingerprints: map[string]string{"guardrails/v1": fingerprint(o.Ref, f)},
			Properties:          sarifProps{Document: o.Doc, ListItem: o.ListItem, Field: f.Field, Hint: f.Hint, Detail: f.Detail},
		}
		b, err := marshalIndent(res, "        ")
		if err != nil {
			return err
		}
		if s.n > 0 {
			s.bw.WriteByte(',')
		}
		s.bw.WriteString("\n        ")
		s.bw.Write(b)
		s.n++
	}
	return nil
}

func (s *sarifWriter) Problem(p *Problem) error {
	if err := s.begin(); err != nil {
		return err
	}
	s.problems = append(s.problems, sarifNotification{
		Level:     "error",
		Message:   sarifText{p.String()},
		Locations: []sarifLocation{location(p.File, p.Line, p.Ref)},
	})
	return nil
}

func (s *sarifWriter) Close(Summary) error {
	if err := s.begin(); err != nil {
		return err
	}
	if s.n > 0 {
		s.bw.WriteString("\n      ")
	}
	inv, err := marshalIndent([]sarifInvocation{{ExecutionSuccessful: len(s.problems) == 0, ToolExecutionNotifications: s.problems}}, "      ")
	if err != nil {
		return err
	}
	s.bw.WriteString("],\n      \"invocations\": ")
	s.bw.Write(inv)
	s.bw.WriteString("\n    }\n  ]\n}\n")
	return s.bw.Flush()
}
