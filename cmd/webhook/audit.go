package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/guardrails-dev/guardrails/internal/audit"
	"github.com/guardrails-dev/guardrails/internal/clustercache"
	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/report"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

const auditLong = `Judge what is already in a live cluster, with the same rules, configuration
and cross-object views as the webhook, and report it like ` + "`webhook check`" + `.

Every kind a rule judges is listed with paginated LIST calls (--chunk-size
objects a call), one page at a time: memory is bounded by the cross-object
views (LimitRanges, Roles, ClusterRoles, IngressClasses, PriorityClasses,
the Ingress index, namespace labels, watched like the webhook does), not
by the number of objects. Objects a built-in controller made from a
template (a ReplicaSet's Pods, a Deployment's ReplicaSets, a CronJob's
Jobs) are reported once, at their owner.

Modes: each object is judged in its namespace's guardrails.dev/mode (and
cluster-scoped objects in the configuration's clusterMode); a finding's
severity is what that mode does with it: DENY in enforce, WARN in warn,
AUDIT in audit. Namespaces without the label are not judged, as the webhook
is not called for them. --assume-mode judges every namespace, labelled or
not, as if it were in that mode: --assume-mode enforce shows what enforcing
everywhere would deny on the objects' next change.

Output (--output): as webhook check: text (grouped by namespace, with a
per-namespace summary table), json (file and document are empty: the
objects come from the cluster), junit (objects with findings, one test
suite per namespace), sarif (logical locations only). Progress goes to
stderr when it is a terminal.

Mirror pods (the kubelet's copies of static pods) are left alone, as the
webhook leaves alone those a node sends, only when the stored pod proves it:
the mirror-pod annotation, spec.nodeName, and a single controller
ownerReference to that Node carrying the UID of the Node that exists (what
the NodeRestriction admission plugin demands of a node's pods). A pod that
only copies the annotation is judged like any pod.

Permissions: list on every kind judged (pods, deployments, ... ), get on
nodes (to verify mirror pods; the webhook's optional component
deploy/components/audit grants the same to the webhook), get/list/watch on
what the views read.

Exit code: 0 no deny findings; 1 deny findings; 2 usage, configuration or
cluster errors (a kind that could not be listed, a rule that failed).`

type auditOptions struct {
	kubeconfig  string
	context     string
	namespace   string
	kinds       []string
	assumeMode  string
	output      string
	configPath  string
	chunkSize   int64
	syncTimeout time.Duration
	// progress forces (true) or suppresses (false) progress lines; nil:
	// when stderr is a terminal.
	progress *bool
}

func newAuditCmd() *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "audit [--kubeconfig F] [--context C] [-n NS] [--kind K]... [--assume-mode enforce|warn|audit] [--output text|json|junit|sarif]",
		Short: "Judge the objects already in a cluster (what violates, what enforce would deny)",
		Long:  auditLong,
		Example: `  webhook audit                                   # every labelled namespace, in its own mode
  webhook audit -n shop --assume-mode enforce     # what labelling shop enforce would deny
  webhook audit --kind Deployment --kind Ingress -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runAudit(ctx, &o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster config)")
	f.StringVar(&o.context, "context", "", "kubeconfig context (default: the current context)")
	f.StringVarP(&o.namespace, "namespace", "n", "", "audit only this namespace (cluster-scoped kinds are left out)")
	f.StringArrayVar(&o.kinds, "kind", nil, "audit only this kind (Deployment, deployments, deployments.apps); repeatable, or comma-separated")
	f.StringVar(&o.assumeMode, "assume-mode", "", "judge every namespace as if in this mode: enforce, warn or audit")
	f.StringVarP(&o.output, "output", "o", "text", "output format: "+strings.Join(report.Formats, ", "))
	f.StringVar(&o.configPath, "config", "", "configuration file (default: the embedded default)")
	f.Int64Var(&o.chunkSize, "chunk-size", audit.DefaultPageSize, "objects per LIST call")
	f.DurationVar(&o.syncTimeout, "sync-timeout", 2*time.Minute, "time allowed to read the cross-object views")
	return cmd
}

func runAudit(ctx context.Context, o *auditOptions, stdout, stderr io.Writer) error {
	if !validFormat(o.output) {
		return usageErr("--output %q: want one of %s", o.output, strings.Join(report.Formats, ", "))
	}
	var assume rules.Mode
	if o.assumeMode != "" {
		m, ok := rules.ParseMode(o.assumeMode)
		if !ok {
			return usageErr("--assume-mode %q: want enforce, warn or audit", o.assumeMode)
		}
		assume = m
	}
	if o.chunkSize <= 0 {
		return usageErr("--chunk-size %d: want a positive number", o.chunkSize)
	}
	cfg, err := config.Load(o.configPath)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	warnExpired(cfg, stderr)
	pol := policy.New(cfg)
	kinds, err := parseKinds(o.kinds, pol)
	if err != nil {
		return usageErr("%v", err)
	}
	if o.namespace != "" {
		for _, gk := range kinds {
			if k, _ := audit.LookupKind(gk.Kind); !k.Namespaced {
				return usageErr("--kind %s is cluster-scoped: -n %s leaves it out", gk.Kind, o.namespace)
			}
		}
	}

	// client-go and controller-runtime log to stderr only what matters.
	quiet := logr.Discard()
	logf.SetLogger(quiet)
	klog.SetLogger(quiet)

	restConfig, err := auditRESTConfig(o.kubeconfig, o.context)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("kubeconfig: %w", err)}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cache, err := clustercache.New(restConfig, clustercache.Options{SecretLookups: cfg.Ingress.TLSSecretLookups})
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	cacheDone := make(chan error, 1)
	go func() { cacheDone <- cache.Start(ctx) }()
	defer func() { cancel(); <-cacheDone }()
	syncCtx, syncCancel := context.WithTimeout(ctx, o.syncTimeout)
	synced := cache.WaitForSync(syncCtx)
	syncCancel()
	if !synced {
		if ctx.Err() != nil {
			return &exitError{code: 2, err: ctx.Err()}
		}
		return &exitError{code: 2, err: fmt.Errorf("could not read the cluster within %s: %v (is the cluster reachable, and may you get/list/watch these?)", o.syncTimeout, cache.ReadyCheck(nil))}
	}

	client, err := listClientFor(restConfig)
	if err != nil {
		return &exitError{code: 2, err: err}
	}

	w, err := report.New(o.output, stdout, report.Options{Rules: ruleInfos(pol), ToolVersion: version})
	if err != nil {
		return usageErr("%v", err)
	}
	show := o.progress
	if show == nil {
		t := isTerminal(stderr)
		show = &t
	}
	a := &auditRun{w: w, stderr: stderr, assumed: assume != "", echoProblems: o.output != "text", tally: audit.NewTally(0)}
	var prog *progress
	ao := audit.Options{Namespace: o.namespace, Kinds: kinds, AssumeMode: assume, PageSize: o.chunkSize}
	if *show {
		prog = &progress{w: stderr}
		ao.Progress = prog.update
	}
	st, err := audit.New(client, cache).Run(ctx, pol, ao, a.visit)
	prog.done()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	for _, f := range st.Failed {
		if perr := a.problem(&report.Problem{File: "cluster", Message: f.Error()}); perr != nil {
			return &exitError{code: 2, err: perr}
		}
	}
	a.notes(st, o.namespace)
	if o.output == "text" {
		a.sum.Namespaces = namespaceRows(a.tally)
	}
	if err := w.Close(a.sum); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("writing the report: %w", err)}
	}
	switch {
	case a.sum.Problems > 0:
		return &exitError{code: 2, err: fmt.Errorf("the audit is incomplete: %s", plural(a.sum.Problems, "error", "errors"))}
	case a.sum.Deny > 0:
		return &exitError{code: 1}
	}
	return nil
}

func validFormat(f string) bool {
	for _, v := range report.Formats {
		if v == f {
			return true
		}
	}
	return false
}

// warnExpired prints the exemptions of cfg that have expired.
func warnExpired(cfg *config.Config, stderr io.Writer) {
	for _, e := range cfg.ExpiredExemptions(time.Now()) {
		fmt.Fprintln(stderr, "webhook: warning: config:", e)
	}
}

// parseKinds turns --kind values into group kinds, each one a kind some
// rule of pol judges.
func parseKinds(args []string, pol *policy.Policy) ([]schema.GroupKind, error) {
	var out []schema.GroupKind
	for _, a := range args {
		for _, name := range strings.Split(a, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			k, ok := audit.LookupKind(name)
			if !ok || !pol.Judges(k.GroupKind) {
				var names []string
				for _, k := range audit.Kinds() {
					if pol.Judges(k.GroupKind) {
						names = append(names, k.GroupKind.Kind)
					}
				}
				return nil, fmt.Errorf("--kind %q: not a kind the rules judge (one of %s)", name, strings.Join(names, ", "))
			}
			out = append(out, k.GroupKind)
		}
	}
	return out, nil
}

// auditRESTConfig loads the kubeconfig (explicit file, else $KUBECONFIG
// and ~/.kube/config, else the in-cluster config) with an optional
// context.
func auditRESTConfig(kubeconfig, kubeContext string) (*rest.Config, error) {
	lr := clientcmd.NewDefaultClientConfigLoadingRules()
	lr.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(lr, &clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "guardrails-audit/" + version
	// A few LIST calls in a row; the defaults (5 QPS) would throttle them.
	cfg.QPS, cfg.Burst = 20, 40
	return cfg, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// auditRun turns audited objects into the report.
type auditRun struct {
	w            report.Writer
	stderr       io.Writer
	assumed      bool
	echoProblems bool
	sum          report.Summary
	tally        *audit.Tally
}

func (a *auditRun) visit(o *audit.Object) error {
	a.tally.Add(o)
	ro := &report.Object{Group: a.group(o), Ref: o.Ref, Findings: o.Findings}
	a.sum.Add(ro)
	if len(o.Findings) > 0 {
		if err := a.w.Object(ro); err != nil {
			return err
		}
	}
	var pe *rules.PanicError
	if errors.As(o.Err, &pe) {
		return a.problem(&report.Problem{File: "cluster", Ref: o.Ref, Rule: pe.Rule, Message: fmt.Sprintf("panicked: %v", pe.Value)})
	} else if o.Err != nil {
		return a.problem(&report.Problem{File: "cluster", Ref: o.Ref, Message: o.Err.Error()})
	}
	return nil
}

func (a *auditRun) problem(p *report.Problem) error {
	a.sum.Problems++
	if a.echoProblems {
		fmt.Fprintln(a.stderr, "webhook:", p.String())
	}
	return a.w.Problem(p)
}

// group is the heading of o in the text and JUnit formats.
func (a *auditRun) group(o *audit.Object) string {
	mode := "mode " + string(o.Mode)
	if a.assumed {
		mode = "assumed mode " + string(o.Mode)
	}
	if o.Ref.Namespace == "" {
		if !a.assumed {
			mode = "clusterMode " + string(o.Mode)
		}
		return "cluster-scoped objects (" + mode + ")"
	}
	return fmt.Sprintf("namespace %s (%s)", o.Ref.Namespace, mode)
}

// notes prints on stderr what was listed but not judged.
func (a *auditRun) notes(st audit.Stats, ns string) {
	if st.Owned > 0 {
		fmt.Fprintf(a.stderr, "webhook: note: %s made by built-in controllers (ReplicaSets, Pods, Jobs) reported at their owner\n", plural(st.Owned, "object", "objects"))
	}
	if st.Bootstrap > 0 {
		fmt.Fprintf(a.stderr, "webhook: note: %s the API server maintains (kubernetes.io/bootstrapping=rbac-defaults) not judged\n", plural(st.Bootstrap, "object", "objects"))
	}
	if st.Unserved > 0 {
		where := "namespaces"
		if ns != "" {
			where = "namespace " + ns
		}
		fmt.Fprintf(a.stderr, "webhook: note: %s in %s without %s not judged (the webhook is not called there); --assume-mode judges them\n", plural(st.Unserved, "object", "objects"), where, rules.ModeLabel)
	}
	if st.UnverifiedMirrorPods > 0 {
		fmt.Fprintf(a.stderr, "webhook: warning: %s claiming to be mirror pods judged like any pod: their Node could not be read to verify the claim (%v)\n", plural(st.UnverifiedMirrorPods, "pod", "pods"), st.NodeLookupErr)
	}
	for _, k := range st.Inconsistent {
		fmt.Fprintf(a.stderr, "webhook: warning: the list of %s took longer than the API server keeps its history and went on inconsistently: objects changed meanwhile may be missing or counted twice\n", k)
	}
}

// namespaceRows is the per-namespace table of a tally.
func namespaceRows(t *audit.Tally) []report.NamespaceRow {
	ns := t.Namespaces()
	rows := make([]report.NamespaceRow, 0, len(ns))
	for _, n := range ns {
		rows = append(rows, report.NamespaceRow{
			Namespace: n.Namespace, Mode: string(n.Mode), Objects: n.Objects,
			Deny: n.Count(rules.ActionDeny), Warn: n.Count(rules.ActionWarn), Audit: n.Count(rules.ActionAudit),
		})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Namespace < rows[j].Namespace })
	return rows
}

// progress prints one self-overwriting line on a terminal.
type progress struct {
	w    io.Writer
	last time.Time
	any  bool
}

func (p *progress) update(pr audit.Progress) {
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.any = true
	fmt.Fprintf(p.w, "\r\033[K%s: %d listed, %d judged (%d judged in all)", pr.Kind, pr.Listed, pr.Judged, pr.TotalJudged)
}

func (p *progress) done() {
	if p != nil && p.any {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
