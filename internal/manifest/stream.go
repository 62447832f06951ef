package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/guardrails-dev/guardrails/internal/fastyaml"
	"github.com/guardrails-dev/guardrails/internal/rules"
	"github.com/guardrails-dev/guardrails/internal/safeyaml"
	"github.com/guardrails-dev/guardrails/internal/typedjson"
)

// DefaultMaxDocumentSize caps one document (a YAML document between "---"
// separators, or one JSON value). The API server refuses requests above
// 3 MiB; the cap leaves room for big Lists and stops a stray binary file
// from being read into memory whole.
const DefaultMaxDocumentSize = 64 << 20

// Document is one YAML document or JSON value of a stream.
type Document struct {
	// Index is the document number, from 1. Documents holding nothing but
	// blank lines and comments are skipped and not numbered.
	Index int
	// Line is the line the document's first content line is on, from 1.
	// It is 0 when unknown.
	Line int
	// Data is the document's text (YAML, or JSON when JSON is true). It is
	// only valid until the next call of Next.
	Data []byte
	// JSON tells that Data is JSON.
	JSON bool
	// Err is a problem of this document found while splitting the stream
	// (an invalid separator). Later documents can still be read.
	Err error

	// dataLine is the line of Data's first byte (YAML), for error messages.
	dataLine int
}

// DocumentReader splits a stream into documents one at a time, as kubectl
// does: YAML documents separated by "---" lines, or, when the stream starts
// with "{", a sequence of JSON values. It never holds more than one
// document in memory.
type DocumentReader struct {
	// MaxDocumentSize caps a document; DefaultMaxDocumentSize when 0.
	MaxDocumentSize int

	r       *bufio.Reader
	started bool
	json    *json.Decoder
	lines   *lineCounter
	index   int
	line    int // lines consumed so far (YAML)
	buf     bytes.Buffer
	pending error // a separator error for the next document
	done    bool
	fatal   error
}

// NewDocumentReader returns a DocumentReader over r.
func NewDocumentReader(r io.Reader) *DocumentReader {
	return &DocumentReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// A StreamError is a problem that ends the stream: the document it names
// and all after it cannot be read.
type StreamError struct {
	Index int // the document number that failed
	Line  int // its line, 0 when unknown
	Err   error
}

func (e *StreamError) Error() string { return e.Err.Error() }
func (e *StreamError) Unwrap() error { return e.Err }

// Next returns the next document, or io.EOF after the last one. Any other
// error is a *StreamError and ends the stream.
func (d *DocumentReader) Next() (*Document, error) {
	if d.fatal != nil {
		return nil, d.fatal
	}
	if !d.started {
		d.started = true
		if d.MaxDocumentSize <= 0 {
			d.MaxDocumentSize = DefaultMaxDocumentSize
		}
		if d.startsWithBrace() {
			d.lines = &lineCounter{r: d.r}
			d.json = json.NewDecoder(d.lines)
		}
	}
	var doc *Document
	var err error
	if d.json != nil {
		doc, err = d.nextJSON()
	} else {
		doc, err = d.nextYAML()
	}
	if err != nil && err != io.EOF {
		d.fatal = err
	}
	return doc, err
}

// startsWithBrace peeks past leading whitespace for a "{", as
// k8s.io/apimachinery's YAMLOrJSONDecoder does.
func (d *DocumentReader) startsWithBrace() bool {
	for n := 1; ; n++ {
		b, err := d.r.Peek(n)
		if len(b) < n {
			return false
		}
		switch b[n-1] {
		case ' ', '\t', '\r', '\n':
			if err != nil || n >= d.r.Size() {
				return false
			}
			continue
		case '{':
			return true
		}
		return false
	}
}

func (d *DocumentReader) nextJSON() (*Document, error) {
	var raw json.RawMessage
	d.lines.limit = int64(d.MaxDocumentSize)
	d.lines.sinceMark = 0
	if err := d.json.Decode(&raw); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		if errors.Is(err, errTooLarge) {
			err = fmt.Errorf("document %d is larger than %d MiB", d.index+1, d.MaxDocumentSize>>20)
		} else if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("JSON: unexpected end of input")
		} else {
			err = fmt.Errorf("JSON: %w", err)
		}
		return nil, &StreamError{Index: d.index + 1, Err: err}
	}
	d.index++
	end := d.json.InputOffset()
	return &Document{Index: d.index, Line: d.lines.lineAt(end - int64(len(raw))), Data: raw, JSON: true}, nil
}

var errTooLarge = errors.New("document too large")

// nextYAML mirrors k8s.io/apimachinery's YAMLReader (a line starting with
// "---" ends a document; only spaces or a comment may follow it) and adds
// line numbers, a size cap, and a fail-fast on binary data.
func (d *DocumentReader) nextYAML() (*Document, error) {
	for !d.done {
		d.buf.Reset()
		start := d.line + 1
		firstContent := 0
		docErr := d.pending
		d.pending = nil
		for {
			lineStart := d.buf.Len()
			eof, err := d.readLine()
			if err != nil {
				return nil, &StreamError{Index: d.index + 1, Line: start, Err: err}
			}
			if eof && d.buf.Len() == lineStart {
				d.done = true
				break
			}
			d.line++
			line := d.buf.Bytes()[lineStart:]
			if bytes.HasPrefix(line, []byte("---")) {
				rest := strings.TrimSpace(string(line[3:]))
				d.buf.Truncate(lineStart)
				if rest != "" && rest[0] != '#' {
					d.pending = fmt.Errorf("invalid YAML document separator on line %d: %q", d.line, truncate(string(line), 60))
				}
				break
			}
			if firstContent == 0 && !blankOrComment(line) {
				firstContent = d.line
			}
			if d.buf.Len() > d.MaxDocumentSize {
				return nil, &StreamError{Index: d.index + 1, Line: start, Err: fmt.Errorf("document %d is larger than %d MiB", d.index+1, d.MaxDocumentSize>>20)}
			}
			if eof {
				d.done = true
				break
			}
		}
		if firstContent == 0 && docErr == nil {
			continue // blank or comment-only: skipped, not numbered
		}
		if firstContent == 0 {
			firstContent = start
		}
		d.index++
		return &Document{Index: d.index, Line: firstContent, Data: d.buf.Bytes(), Err: docErr, dataLine: start}, nil
	}
	if d.pending != nil {
		// A bad separator at the very end: report it as a document.
		d.index++
		err := d.pending
		d.pending = nil
		return &Document{Index: d.index, Line: d.line, Err: err}, nil
	}
	return nil, io.EOF
}

// readLine appends the next line to d.buf, ending it with "\n" (a "\r\n"
// ending becomes "\n"). eof tells the stream ended (the line may still hold
// data). Lines of any length are read; NUL bytes are refused at once.
func (d *DocumentReader) readLine() (eof bool, err error) {
	lineStart := d.buf.Len()
	for {
		chunk, err := d.r.ReadSlice('\n')
		if bytes.IndexByte(chunk, 0) >= 0 {
			return false, fmt.Errorf("binary data (NUL byte) on line %d: not a YAML or JSON file", d.line+1)
		}
		d.buf.Write(chunk)
		if d.buf.Len() > d.MaxDocumentSize+1 {
			return false, fmt.Errorf("document %d is larger than %d MiB", d.index+1, d.MaxDocumentSize>>20)
		}
		switch {
		case err == nil:
			b := d.buf.Bytes()
			if n := len(b); n >= 2 && b[n-2] == '\r' {
				b[n-2] = '\n'
				d.buf.Truncate(n - 1)
			}
			return false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if d.buf.Len() > lineStart {
				d.buf.WriteByte('\n')
			}
			return true, nil
		default:
			return false, err
		}
	}
}

func blankOrComment(line []byte) bool {
	t := bytes.TrimSpace(line)
	return len(t) == 0 || t[0] == '#'
}

func truncate(s string, n int) string {
	s = strings.TrimRight(s, "\r\n")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// lineCounter counts the lines of what a JSON decoder reads so that the
// line of a value can be told from its offset. It remembers the offsets of
// newlines not yet asked about (at most maxPending of them; beyond that line
// numbers are given up for the rest of the stream).
type lineCounter struct {
	r         io.Reader
	off       int64   // bytes read
	newlines  []int64 // offsets of newlines at or after the last query
	before    int     // newlines before the last query
	lost      bool
	limit     int64 // stop reading after this many bytes since the mark
	sinceMark int64
}

const maxPending = 1 << 20

func (c *lineCounter) Read(p []byte) (int, error) {
	if c.limit > 0 && c.sinceMark > c.limit {
		return 0, errTooLarge
	}
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == 0 {
			return i, fmt.Errorf("binary data (NUL byte): not a YAML or JSON file")
		}
		if b == '\n' && !c.lost {
			if len(c.newlines) >= maxPending {
				c.lost, c.newlines = true, nil
				continue
			}
			c.newlines = append(c.newlines, c.off+int64(i))
		}
	}
	c.off += int64(n)
	c.sinceMark += int64(n)
	return n, err
}

// lineAt returns the line (from 1) of the byte at offset off; offsets must
// not decrease from one call to the next. It returns 0 when lines were
// given up.
func (c *lineCounter) lineAt(off int64) int {
	if c.lost {
		return 0
	}
	i := 0
	for i < len(c.newlines) && c.newlines[i] < off {
		i++
	}
	c.before += i
	c.newlines = append(c.newlines[:0], c.newlines[i:]...)
	return c.before + 1
}

// Item is one object read from a document: the document itself, or one
// item of a List.
type Item struct {
	// Doc and Line are the document's number and line.
	Doc  int
	Line int
	// ListItem is the item's index in a List, from 1; 0 for a document
	// that is not a List.
	ListItem int
	// Object is the typed object; nil when Err is set.
	Object runtime.Object
	// Ref identifies the object (as far as known when Err is set).
	Ref rules.ObjectRef
	// Err is why the object could not be decoded: an *ErrUnknownKind for
	// kinds outside client-go's scheme (callers skip those), anything else
	// for input that is not a valid Kubernetes object.
	Err error
}

// jsonBuffers holds the buffers DecodeDocument converts YAML documents
// into: they were a sixth of the bytes webhook check allocated. Nothing
// keeps the JSON, or a slice of it, past DecodeDocument: the typed
// decoders copy what they keep (strings, RawExtension, FieldsV1; a
// List's items are copied out), errors copy what they quote when they
// are made, and fn is called before DecodeDocument returns. A buffer that
// grew past maxPooledJSON (a large document) is dropped, not kept.
var jsonBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledJSON = 64 << 10

// KindFilter selects the objects to decode by apiVersion and kind; objects
// it rejects are not decoded (nor reported). Lists are always opened.
type KindFilter func(apiVersion, kind string) bool

// DecodeDocument decodes a document into its objects and calls fn for
// each, in order: the object itself, or the items of a List (v1 List, and
// typed lists such as DeploymentList, whose items may leave out apiVersion
// and kind). A document that is null (such as "~") holds no object.
// Errors returned by fn stop the decoding and are returned.
func DecodeDocument(doc *Document, filter KindFilter, fn func(*Item) error) error {
	if doc.Err != nil {
		return fn(&Item{Doc: doc.Index, Line: doc.Line, Err: doc.Err})
	}
	js := doc.Data
	var head typeMeta
	headKnown := false
	var facts jsonFacts
	if !doc.JSON {
		var err error
		buf := jsonBuffers.Get().(*[]byte)
		if fast, h, hOK, ok := fastyaml.AppendJSONHead((*buf)[:0], doc.Data); ok {
			defer func() {
				// Nothing keeps the JSON past DecodeDocument (see jsonBuffers).
				if cap(fast) <= maxPooledJSON {
					*buf = fast[:0]
				}
				jsonBuffers.Put(buf)
			}()
			js = fast // what sigs.k8s.io/yaml would give, without its generic maps
			// No name twice in an object (fastyaml declines duplicate
			// keys), only valid UTF-8 (and only printable text).
			facts.fromYAML = true
			if hOK {
				// What decoding js into head gives, without a pass over it.
				head.APIVersion, head.Kind = h.APIVersion, h.Kind
				head.Metadata.Name, head.Metadata.Namespace, head.Metadata.GenerateName = h.Name, h.Namespace, h.GenerateName
				facts.typeKeysExact = h.TypeKeysExact
				headKnown = true
			}
		} else {
			jsonBuffers.Put(buf)
			if js, err = safeyaml.ToJSON(doc.Data); err != nil {
				return fn(&Item{Doc: doc.Index, Line: doc.Line, Err: yamlError(err, doc.dataLine)})
			}
		}
	}
	if t := bytes.TrimSpace(js); bytes.Equal(t, []byte("null")) {
		return nil
	}
	if !headKnown {
		// Into a copy: head itself passed to Unmarshal (an interface)
		// went to the heap for every document, fast path included.
		h := new(typeMeta)
		if err := typedjson.Unmarshal(js, h); err != nil {
			return fn(&Item{Doc: doc.Index, Line: doc.Line, Err: notAnObject(js, err)})
		}
		head = *h
	}
	if isList(head.APIVersion, head.Kind) {
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := typedjson.Unmarshal(js, &list); err != nil {
			return fn(&Item{Doc: doc.Index, Line: doc.Line, Ref: head.ref(), Err: fmt.Errorf("%s: items: %w", head.Kind, err)})
		}
		itemKind := ""
		if head.Kind != "List" {
			itemKind = strings.TrimSuffix(head.Kind, "List")
		}
		for i, raw := range list.Items {
			it := &Item{Doc: doc.Index, Line: doc.Line, ListItem: i + 1}
			if itemKind != "" {
				raw = fillTypeMeta(raw, head.APIVersion, itemKind)
			}
			if err := decodeOne(raw, filter, it, fn); err != nil {
				return err
			}
		}
		return nil
	}
	return decodeTyped(js, &head, filter, &Item{Doc: doc.Index, Line: doc.Line}, fn, facts)
}

// notAnObject words the error for a document that is not a mapping.
func notAnObject(js []byte, err error) error {
	t := bytes.TrimSpace(js)
	what := "not a mapping"
	if len(t) > 0 {
		switch t[0] {
		case '[':
			what = "a list, not a mapping"
		case '"':
			what = "a string, not a mapping"
		case '{':
			return fmt.Errorf("not a Kubernetes object: %w", err)
		default:
			what = "a scalar, not a mapping"
		}
	}
	return fmt.Errorf("not a Kubernetes object: the document is %s", what)
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Namespace    string `json:"namespace"`
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
	} `json:"metadata"`
}

func (t *typeMeta) ref() rules.ObjectRef {
	name := t.Metadata.Name
	if name == "" {
		name = t.Metadata.GenerateName
	}
	return rules.ObjectRef{APIVersion: t.APIVersion, Kind: t.Kind, Namespace: t.Metadata.Namespace, Name: name}
}

func decodeOne(js []byte, filter KindFilter, it *Item, fn func(*Item) error) error {
	var tm typeMeta
	if err := typedjson.Unmarshal(js, &tm); err != nil {
		it.Err = notAnObject(js, err)
		return fn(it)
	}
	return decodeTyped(js, &tm, filter, it, fn, jsonFacts{})
}

func decodeTyped(js []byte, tm *typeMeta, filter KindFilter, it *Item, fn func(*Item) error, facts jsonFacts) error {
	if filter != nil && !filter(tm.APIVersion, tm.Kind) {
		return nil
	}
	it.Object, it.Ref, it.Err = decodeWithHead(js, tm, facts)
	if it.Err != nil {
		it.Object = nil
		if it.Ref.Name == "" {
			it.Ref = tm.ref()
		}
	}
	return fn(it)
}

// isList tells a list document: v1 List (kubectl get -o yaml) or a typed
// list of client-go's scheme (DeploymentList and the like).
func isList(apiVersion, kind string) bool {
	if kind == "List" {
		return true
	}
	if !strings.HasSuffix(kind, "List") || apiVersion == "" {
		return false
	}
	return scheme.Scheme.Recognizes(schema.FromAPIVersionAndKind(apiVersion, kind))
}

// fillTypeMeta sets apiVersion and kind on a typed list's item that lacks
// them (the API server leaves them out of list items).
func fillTypeMeta(raw json.RawMessage, apiVersion, kind string) json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return raw
	}
	changed := false
	if _, ok := m["apiVersion"]; !ok {
		m["apiVersion"], _ = json.Marshal(apiVersion)
		changed = true
	}
	if _, ok := m["kind"]; !ok {
		m["kind"], _ = json.Marshal(kind)
		changed = true
	}
	if !changed {
		return raw
	}
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

// yamlError words an error of the YAML decoding: the alias check's errors
// as they are, the parser's with the file's line numbers.
func yamlError(err error, dataLine int) error {
	var ee *safeyaml.ExpansionError
	if errors.As(err, &ee) || errors.Is(err, safeyaml.ErrSelfReference) {
		return fmt.Errorf("YAML: %w", err)
	}
	return fmt.Errorf("YAML: %w", cleanYAMLError(err, dataLine))
}

var yamlLineRE = regexp.MustCompile(`\bline (\d+)\b`)

// cleanYAMLError drops the "error converting YAML to JSON: " prefix of
// sigs.k8s.io/yaml and turns the parser's line numbers, which count from
// the document's start, into lines of the file.
func cleanYAMLError(err error, dataLine int) error {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	if dataLine > 1 {
		msg = yamlLineRE.ReplaceAllStringFunc(msg, func(m string) string {
			n, err := strconv.Atoi(m[len("line "):])
			if err != nil {
				return m
			}
			return fmt.Sprintf("line %d", n+dataLine-1)
		})
	}
	return errors.New(msg)
}

// ManifestExtensions are the file name extensions ListFiles picks.
var ManifestExtensions = []string{".yaml", ".yml", ".json"}

// ListFiles returns the manifest files under dir (.yaml, .yml, .json, in
// any letter case), recursively, in lexical order (a sorted walk, so the
// order is the same on every run). Directories whose names start with "."
// (.git, .github) are not entered, and kustomization files
// (kustomization.yaml, kustomization.yml) are left out:
// they are build inputs, not objects. Symbolic links to files are
// followed; links to directories are not.
func ListFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") && d.Name() != "." && d.Name() != ".." {
				return filepath.SkipDir
			}
			return nil
		}
		if !isManifestName(d.Name()) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(path)
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		out = append(out, path)
		return nil
	})
	return out, err
}

func isManifestName(name string) bool {
	lower := strings.ToLower(name)
	switch lower {
	case "kustomization.yaml", "kustomization.yml":
		return false
	}
	for _, ext := range ManifestExtensions {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// Clone returns a copy of d whose Data stays valid after the next call of
// the reader's Next.
func (d *Document) Clone() *Document {
	c := *d
	c.Data = bytes.Clone(d.Data)
	return &c
}
