package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/inorder"
	"github.com/guardrails-dev/guardrails/internal/inputview"
	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/report"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

const checkLong = `Check Kubernetes manifests offline, as the webhook would judge them in a
namespace in enforce mode. For CI.

Input (-f, repeatable, at least one):
  FILE   a YAML or JSON file; multi-document YAML ("---") and JSON streams are
         read one document at a time. List kinds (v1 List, DeploymentList, ...)
         are opened and their items checked under the List's document number.
  DIR    every .yaml, .yml and .json file below DIR, recursively, in sorted
         order. Directories starting with "." (.git, .github) and
         kustomization.yaml files are left out; name them with -f to read them.
  -      standard input (buffered to a temporary file: it is read twice).

Objects of kinds Guardrails does not know (CRDs) are skipped, not errors.
Empty and comment-only documents are skipped and not numbered. A document
whose YAML aliases expand it to more than 4 times its size (and more than
4 MiB) is not decoded: it is bad input ("billion laughs"). An object in an
API version the API server no longer serves (Ingress in extensions/v1beta1
or networking.k8s.io/v1beta1, RBAC in rbac.authorization.k8s.io/v1beta1,
workloads in apps/v1beta2, ...) is an error naming the version that replaces
it: it could not be applied, and it is not checked.

Cross-object rules see the other objects of the input and nothing else:
LimitRanges (default requests), IngressClasses (default class, which classes
share a controller), Ingresses (who serves which host, repeated routes),
Roles and ClusterRoles (what a binding grants), PriorityClasses. What the
input cannot tell (a ClusterRole that is not in it) is not guessed: that
check is skipped. An input with IngressClasses is taken to hold them all
for the default class: none marked default denies an Ingress without class;
an input without any warns that such an Ingress relies on the cluster's
default.

Hosts: a host belongs to the namespace that serves it first. The input does
not say who came first (unless its objects carry creationTimestamp, as
kubectl get -o yaml output does), so two namespaces serving one host are
both reported, unless one of them shares it with the other
(guardrails.dev/share-host-with on its Ingress, or the configuration's
ingress.sharedHosts): the one that shares is taken as the owner. The webhook
decides by what the cluster holds.

Namespaces: an object without metadata.namespace is checked in the namespace
"" — kubectl would put it in the context's namespace, which the check cannot
know. It shares that namespace with the other objects without one: a
LimitRange without namespace applies to them, and Ingresses without namespace
are in the same namespace as each other. Between an Ingress without
namespace and one that names its namespace, the check cannot tell one
namespace from two: a host or route they share is a warning, not a denial.
Give objects their namespace (kustomize's namespace:, charts that template
metadata.namespace) for exact results.

Every finding is reported as deny or warn (the rule's action under --config;
audit and off are not printed), with its detail where it has one: the other
namespace and Ingress behind an ingress-conflict finding, which the webhook
tells only to administrators (its log and audit annotations) but which
whoever runs this check has in the files anyway.

Output (--output): text (grouped by file, for CI logs), json, junit (one test
case per object; GitLab, Jenkins), sarif (SARIF 2.1.0, code scanning).

Exit code: 0 no deny findings (warnings allowed); 1 deny findings; 2 bad
input or usage: a file that cannot be read, a document that does not parse or
is not a Kubernetes object, an object in a removed API version (named by
file and document number; every such document is reported and the rest is
still checked), a bad --config.`

type checkOptions struct {
	files      []string
	output     string
	configPath string

	// evaluate replaces the policy's evaluation in tests.
	evaluate func(*rules.Input) ([]rules.Finding, error)
}

func newCheckCmd() *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check -f FILE|DIR|- [-f ...] [--output text|json|junit|sarif] [--config FILE]",
		Short: "Check manifests offline (for CI)",
		Long:  checkLong,
		Example: `  webhook check -f deploy/
  helm template my-release ./chart -n shop | webhook check -f -
  webhook check -f k8s/ --output sarif > guardrails.sarif`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &exitError{code: 2, err: fmt.Errorf("unexpected argument %q: name inputs with -f", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(&o, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "manifest file, directory (recursive) or - for stdin; repeatable")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: "+strings.Join(report.Formats, ", "))
	cmd.Flags().StringVar(&o.configPath, "config", "", "configuration file (default: the embedded default)")
	return cmd
}

func usageErr(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

// source is one input file.
type source struct {
	name string // as shown: the path as given or found, "-" for stdin
	path string // what to open
}

func runCheck(o *checkOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(o.files) == 0 {
		return usageErr("no input: name files, directories or - (stdin) with -f")
	}
	validFormat := false
	for _, f := range report.Formats {
		validFormat = validFormat || f == o.output
	}
	if !validFormat {
		return usageErr("--output %q: want one of %s", o.output, strings.Join(report.Formats, ", "))
	}
	cfg, err := config.Load(o.configPath)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	warnExpired(cfg, stderr)
	srcs, cleanup, err := resolveInputs(o.files, stdin)
	defer cleanup()
	if err != nil {
		return &exitError{code: 2, err: err}
	}

	pol := policy.New(cfg)
	view, decoded := buildView(srcs)

	w, err := report.New(o.output, stdout, report.Options{Rules: ruleInfos(pol), ToolVersion: version})
	if err != nil {
		return usageErr("%v", err)
	}
	c := &checker{eval: o.evaluate, view: view, decoded: decoded, w: w, stderr: stderr, echoProblems: o.output != "text"}
	if c.eval == nil {
		c.eval = func(in *rules.Input) ([]rules.Finding, error) {
			res, err := pol.Evaluate(in, policy.Requester{})
			return res.Findings, err
		}
	}
	if err := c.checkSources(srcs); err != nil {
		return &exitError{code: 2, err: err}
	}
	if err := w.Close(c.sum); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("writing the report: %w", err)}
	}
	switch {
	case c.sum.Problems > 0:
		return &exitError{code: 2, err: fmt.Errorf("%s could not be checked", plural(c.sum.Problems, "document or object", "documents or objects"))}
	case c.sum.Deny > 0:
		return &exitError{code: 1}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func ruleInfos(p *policy.Policy) []report.RuleInfo {
	var out []report.RuleInfo
	for _, r := range p.Rules() {
		out = append(out, report.RuleInfo{ID: r.ID, Summary: r.Summary, Why: r.Why, Fix: r.Fix, Action: p.ConfiguredAction(r)})
	}
	return out
}

// resolveInputs turns the -f arguments into files, in order: directories
// walked in sorted order, each file once, stdin copied to a temporary file.
func resolveInputs(args []string, stdin io.Reader) (srcs []source, cleanup func(), err error) {
	cleanup = func() {}
	seen := map[string]bool{}
	add := func(name, path string) {
		key := filepath.Clean(path)
		if abs, err := filepath.Abs(path); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			srcs = append(srcs, source{name: filepath.ToSlash(name), path: path})
		}
	}
	stdinSeen := false
	for _, a := range args {
		if a == "-" {
			if stdinSeen {
				return nil, cleanup, errors.New("-f - (stdin) given twice")
			}
			stdinSeen = true
			tmp, err := os.CreateTemp("", "guardrails-stdin-*")
			if err != nil {
				return nil, cleanup, fmt.Errorf("buffering stdin: %w", err)
			}
			cleanup = func() { os.Remove(tmp.Name()) }
			_, err = io.Copy(tmp, stdin)
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, cleanup, fmt.Errorf("reading stdin: %w", err)
			}
			srcs = append(srcs, source{name: "-", path: tmp.Name()})
			continue
		}
		if a == "" {
			return nil, cleanup, errors.New("-f: empty file name")
		}
		fi, err := os.Stat(a)
		if err != nil {
			return nil, cleanup, fmt.Errorf("-f %s: %w", a, unwrapPathError(err))
		}
		if !fi.IsDir() {
			add(a, a)
			continue
		}
		files, err := manifest.ListFiles(a)
		if err != nil {
			return nil, cleanup, fmt.Errorf("-f %s: %w", a, err)
		}
		if len(files) == 0 {
			return nil, cleanup, fmt.Errorf("-f %s: no .yaml, .yml or .json files in the directory", a)
		}
		for _, f := range files {
			add(f, f)
		}
	}
	return srcs, cleanup, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// viewKinds are the kinds the input view keeps; the first pass decodes
// only these.
var viewKinds = map[string]bool{
	"LimitRange": true, "IngressClass": true, "Ingress": true, "Role": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "RoleBinding": true, "PriorityClass": true, "Secret": true,
}

// viewKeepsWhole are the kinds of viewKinds that the input view keeps as
// decoded; of the others it keeps what the rules read (hosts and paths of
// Ingresses, subjects of bindings, names of Secrets, the compacted rules of
// roles and a ClusterRole's labels: package kept). The second pass judges
// documents holding only these kinds from the first pass's objects instead
// of decoding them again: keeping them costs no memory. Roles are decoded
// again: kept whole until the second pass, they cost twice what the view
// keeps of them (on 10,000 mixed objects, 2.5 MiB of peak RSS for 1% more
// CPU).
var viewKeepsWhole = map[string]bool{
	"LimitRange": true, "IngressClass": true, "PriorityClass": true,
}

// viewNeedles are substrings a document must contain to hold an object of
// viewKinds (or a List of them). A kind spelled with escapes ("Ingr\x65ss")
// would not show literally, so documents with a backslash are looked at too.
var viewNeedles = [][]byte{[]byte("LimitRange"), []byte("Ingress"), []byte("Role"), []byte("PriorityClass"), []byte("Secret"), []byte("List"), []byte(`\`)}

func mayHoldViewKind(data []byte) bool {
	for _, n := range viewNeedles {
		if bytes.Contains(data, n) {
			return true
		}
	}
	return false
}

// buildView is the first pass: it reads every input and keeps, in an
// inputview.View, the objects cross-object rules read. Problems are left to
// the second pass, which reports them. The documents it decoded whole are
// kept in the returned decodedDocs for the second pass, which then does not
// decode them again.
func buildView(srcs []source) (*inputview.View, *decodedDocs) {
	view := inputview.New()
	decoded := &decodedDocs{items: map[docKey][]*manifest.Item{}}
	type viewJob struct {
		key      docKey
		doc      *manifest.Document
		items    []*manifest.Item
		reusable bool
	}
	_ = inorder.Run(func(emit func(*viewJob) bool) {
		for i, s := range srcs {
			f, err := os.Open(s.path)
			if err != nil {
				continue
			}
			dr := manifest.NewDocumentReader(f)
			for {
				doc, err := dr.Next()
				if err != nil {
					break
				}
				if doc.Err != nil || !mayHoldViewKind(doc.Data) {
					continue
				}
				emit(&viewJob{key: docKey{src: i, doc: doc.Index}, doc: copyDoc(doc)})
			}
			f.Close()
		}
	}, func(j *viewJob) {
		j.reusable = true
		filter := func(_, kind string) bool {
			keep := viewKinds[kind]
			// A document is judged from these objects only if they are all
			// of it, and kept whole by the view anyway.
			j.reusable = j.reusable && keep && viewKeepsWhole[kind]
			return keep
		}
		_ = manifest.DecodeDocument(j.doc, filter, func(it *manifest.Item) error {
			if it.Err == nil && !trimmed(it.Object) {
				j.reusable = false
			}
			j.items = append(j.items, it)
			return nil
		})
		releaseDoc(j.doc)
		j.doc = nil
	}, func(j *viewJob) error {
		for _, it := range j.items {
			if it.Err == nil {
				view.Add(it.Object)
			}
		}
		if j.reusable {
			decoded.items[j.key] = j.items
		}
		return nil
	})
	return view, decoded
}

// docKey names a document of the input: the source's index and the
// document's number.
type docKey struct{ src, doc int }

// decodedDocs holds what the first pass decoded for the second.
type decodedDocs struct {
	mu    sync.Mutex
	items map[docKey][]*manifest.Item
}

// take returns the items of a document the first pass decoded, once.
func (d *decodedDocs) take(k docKey) ([]*manifest.Item, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	items, ok := d.items[k]
	if ok {
		delete(d.items, k)
	}
	return items, ok
}

// trimmed drops what no rule reads and can be large (managedFields of
// `kubectl get -o yaml` output) from an object the view keeps. It reports
// whether the object was left as decoded (it had nothing to drop), so that
// the second pass may judge it.
func trimmed(obj runtime.Object) bool {
	m, err := meta.Accessor(obj)
	if err != nil || len(m.GetManagedFields()) == 0 {
		return true
	}
	m.SetManagedFields(nil)
	return false
}

// checker is the second pass.
type checker struct {
	eval         func(*rules.Input) ([]rules.Finding, error)
	view         *inputview.View
	decoded      *decodedDocs // documents the first pass decoded
	w            report.Writer
	stderr       io.Writer
	echoProblems bool // print problems on stderr (formats that do not show them)
	sum          report.Summary
}

func (c *checker) problem(p *report.Problem) error {
	c.sum.Problems++
	if c.echoProblems {
		fmt.Fprintln(c.stderr, "webhook:", p.String())
	}
	return c.w.Problem(p)
}

// checkSources is the second pass: documents are read in order, decoded
// and judged by GOMAXPROCS workers, and reported in input order.
func (c *checker) checkSources(srcs []source) error {
	return inorder.Run(func(emit func(*docJob) bool) {
		for i, s := range srcs {
			if !c.readSource(i, s, emit) {
				return
			}
		}
	}, c.judge, c.report)
}

// readSource emits the documents of s, or the problem that stops reading
// it. It returns false when the consumer stopped.
func (c *checker) readSource(index int, s source, emit func(*docJob) bool) bool {
	f, err := os.Open(s.path)
	if err != nil {
		return emit(&docJob{src: s, problem: &report.Problem{File: s.name, Message: unwrapPathError(err).Error()}})
	}
	defer f.Close()
	dr := manifest.NewDocumentReader(f)
	for {
		doc, err := dr.Next()
		if err == io.EOF {
			return true
		}
		if err != nil {
			p := &report.Problem{File: s.name, Message: err.Error()}
			var se *manifest.StreamError
			if errors.As(err, &se) {
				p.Doc, p.Line = se.Index, se.Line
			}
			return emit(&docJob{src: s, problem: p})
		}
		if items, ok := c.decoded.take(docKey{src: index, doc: doc.Index}); ok {
			if !emit(&docJob{src: s, decoded: items}) {
				return false
			}
			continue
		}
		if !emit(&docJob{src: s, doc: copyDoc(doc)}) {
			return false
		}
	}
}

// docJob is one document on its way through the second pass.
type docJob struct {
	src     source
	doc     *manifest.Document
	decoded []*manifest.Item // the document's objects, decoded by the first pass
	problem *report.Problem  // a file that cannot be read, a broken stream
	items   []judged
}

// judged is one object of a document with what the rules found.
type judged struct {
	item     *manifest.Item
	findings []rules.Finding
	err      error
}

// judge decodes a document and evaluates its objects (in a worker).
func (c *checker) judge(j *docJob) {
	eval := func(it *manifest.Item) error {
		r := judged{item: it}
		if it.Err == nil {
			r.findings, r.err = c.eval(&rules.Input{Object: it.Object, Ref: it.Ref, Cluster: c.view})
		}
		// The report needs the item's place and reference, not its
		// object: dropped now, it is not kept while the job waits for
		// its turn (up to a hundred documents are in flight).
		it.Object = nil
		j.items = append(j.items, r)
		return nil
	}
	if j.decoded != nil {
		for _, it := range j.decoded {
			_ = eval(it)
		}
		j.decoded = nil
		return
	}
	if j.doc == nil {
		return
	}
	_ = manifest.DecodeDocument(j.doc, nil, eval)
	releaseDoc(j.doc)
	j.doc = nil
}

// docCopies recycles the copies of documents that both passes hand from
// the reader (whose buffer holds one document at a time) to the workers:
// one buffer per document in flight instead of one per document.
var docCopies = sync.Pool{New: func() any { return new(manifest.Document) }}

// copyDoc returns a copy of doc that stays valid after the reader's next
// document, until releaseDoc.
func copyDoc(doc *manifest.Document) *manifest.Document {
	c := docCopies.Get().(*manifest.Document)
	buf := c.Data[:0]
	*c = *doc
	c.Data = append(buf, doc.Data...)
	return c
}

// releaseDoc gives back a copy made by copyDoc once it is decoded. Only
// YAML documents are recycled: what is decoded from YAML never shares the
// YAML text's memory (fastyaml and sigs.k8s.io/yaml write new JSON),
// whereas a JSON document is itself the decoder's input. Large copies are
// left to the garbage collector.
func releaseDoc(doc *manifest.Document) {
	if doc == nil || doc.JSON || cap(doc.Data) > 1<<20 {
		return
	}
	*doc = manifest.Document{Data: doc.Data[:0]}
	docCopies.Put(doc)
}

// report writes a judged document (in input order).
func (c *checker) report(j *docJob) error {
	if j.problem != nil {
		return c.problem(j.problem)
	}
	for _, r := range j.items {
		if err := c.checkItem(j.src, r); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) checkItem(s source, r judged) error {
	it := r.item
	var unknown *manifest.ErrUnknownKind
	switch {
	case errors.As(it.Err, &unknown):
		o := &report.Object{File: s.name, Doc: it.Doc, Line: it.Line, ListItem: it.ListItem, Ref: it.Ref,
			Skipped: fmt.Sprintf("unknown kind %s %s: not checked", it.Ref.APIVersion, it.Ref.Kind)}
		c.sum.Add(o)
		return c.w.Object(o)
	case it.Err != nil:
		return c.problem(&report.Problem{File: s.name, Doc: it.Doc, Line: it.Line, ListItem: it.ListItem, Ref: it.Ref, Message: it.Err.Error()})
	}
	findings, err := r.findings, r.err
	// Enforce mode: deny and warn findings are shown; audit and off are not.
	shown := findings[:0]
	for _, f := range findings {
		if f.Severity == rules.ActionDeny || f.Severity == rules.ActionWarn {
			shown = append(shown, f)
		}
	}
	o := &report.Object{File: s.name, Doc: it.Doc, Line: it.Line, ListItem: it.ListItem, Ref: it.Ref, Findings: shown}
	c.sum.Add(o)
	if werr := c.w.Object(o); werr != nil {
		return werr
	}
	var pe *rules.PanicError
	if errors.As(err, &pe) {
		fmt.Fprintf(c.stderr, "webhook: rule %s panicked on %s: %v\n%s\n", pe.Rule, s.name, pe.Value, pe.Stack)
		return c.problem(&report.Problem{File: s.name, Doc: it.Doc, Line: it.Line, ListItem: it.ListItem, Ref: it.Ref, Rule: pe.Rule,
			Message: fmt.Sprintf("panicked: %v", pe.Value)})
	} else if err != nil {
		return c.problem(&report.Problem{File: s.name, Doc: it.Doc, Line: it.Line, ListItem: it.ListItem, Ref: it.Ref, Message: err.Error()})
	}
	return nil
}
