// Command load is Guardrails' load harness. It starts the real admission
// server in-process (admission.NewServer with the validating and mutating
// handlers over a static cluster view of N Ingresses, TLS on loopback,
// HTTP/1.1, as `webhook serve` wires it) next to a baseline handler on the
// same server stack that allows everything once the AdmissionReview is
// decoded, and drives both with the same mix of realistic AdmissionReviews
// from C keep-alive clients. Targets run in short interleaved rounds
// (baseline, guardrails, guardrails, baseline, …) so machine noise hits
// both alike; the report gives, per request kind and overall, throughput
// and latency percentiles of each target and the guardrails/baseline
// ratios. Every answer is verified (HTTP 200, the request's UID, the
// expected verdict); the exit code is 1 when any request failed and never
// depends on timing.
//
//	go run ./hack/load [--duration 10s] [--concurrency 16] [--ingresses 10000] [--round 500ms] [--json]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"text/tabwriter"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/klog/v2"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/go-logr/logr"
)

// Options of one run.
type Options struct {
	// Duration of the measured load against each target.
	Duration time.Duration
	// Round is the length of one interleaved round.
	Round       time.Duration
	Concurrency int
	Ingresses   int
}

// Report is the result of a run (--json prints it).
type Report struct {
	Config struct {
		Duration    string `json:"duration"`
		Round       string `json:"round"`
		Rounds      int    `json:"roundsPerTarget"`
		Concurrency int    `json:"concurrency"`
		Ingresses   int    `json:"ingresses"`
		GOMAXPROCS  int    `json:"gomaxprocs"`
		GoVersion   string `json:"goVersion"`
	} `json:"config"`
	Overall KindReport   `json:"overall"`
	Kinds   []KindReport `json:"kinds"`
	// Errors counts failed requests of both targets, including the
	// preflight (one request of each kind, sequentially, before the load).
	Errors       int      `json:"errors"`
	ErrorSamples []string `json:"errorSamples"`
}

// KindReport compares both targets on one kind of request (or all).
type KindReport struct {
	Kind       string `json:"kind"`
	Path       string `json:"path,omitempty"`
	Baseline   Stats  `json:"baseline"`
	Guardrails Stats  `json:"guardrails"`
	Ratios     Ratios `json:"ratios"`
}

func main() {
	var o Options
	var asJSON bool
	flag.DurationVar(&o.Duration, "duration", 10*time.Second, "measured load against each target (baseline and guardrails each get this much)")
	flag.DurationVar(&o.Round, "round", 500*time.Millisecond, "length of one interleaved round")
	flag.IntVar(&o.Concurrency, "concurrency", 16, "concurrent clients (keep-alive connections)")
	flag.IntVar(&o.Ingresses, "ingresses", 10000, "Ingresses in the cluster view (the conflict index)")
	flag.BoolVar(&asJSON, "json", false, "print the report as JSON")
	flag.Parse()
	if flag.NArg() > 0 || o.Duration <= 0 || o.Round <= 0 || o.Concurrency < 1 || o.Ingresses < 0 {
		fmt.Fprintln(os.Stderr, "usage: load [--duration D>0] [--round R>0] [--concurrency C>=1] [--ingresses N>=0] [--json]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		printText(os.Stdout, rep)
	}
	if rep.Errors > 0 {
		os.Exit(1)
	}
}

// sample is one request's outcome.
type sample struct {
	kind    int
	latency time.Duration
	err     error
}

// Run starts the server, runs the preflight, a warm-up and the
// interleaved rounds, and returns the report. Request failures are in
// the report; an error means the harness itself could not run.
func Run(ctx context.Context, o Options) (*Report, error) {
	quiet()
	scs, err := scenarios(o.Ingresses)
	if err != nil {
		return nil, err
	}
	t, err := startServer(ctx, o.Ingresses, o.Concurrency)
	if err != nil {
		return nil, err
	}
	defer func() { _ = t.stop() }()

	rounds := max(1, int((o.Duration+o.Round/2)/o.Round))
	rep := &Report{Kinds: make([]KindReport, len(scs))}
	rep.Config.Duration, rep.Config.Round, rep.Config.Rounds = o.Duration.String(), o.Round.String(), rounds
	rep.Config.Concurrency, rep.Config.Ingresses = o.Concurrency, o.Ingresses
	rep.Config.GOMAXPROCS, rep.Config.GoVersion = runtime.GOMAXPROCS(0), runtime.Version()

	errs := &errorLog{}
	// Preflight: each kind once on each target; a wrong verdict here is
	// reported at once instead of drowned in the load.
	for _, base := range []bool{true, false} {
		for i := range scs {
			if _, err := t.do(ctx, &scs[i], base); err != nil {
				errs.add(targetName(base), scs[i].name, err)
			}
		}
	}
	// Warm-up (not measured): connections, TLS sessions, caches.
	warm := min(o.Round, 500*time.Millisecond)
	for _, base := range []bool{true, false} {
		for _, s := range t.round(ctx, scs, base, o.Concurrency, warm) {
			if s.err != nil {
				errs.add(targetName(base), scs[s.kind].name, s.err)
			}
		}
	}

	type acc struct {
		lat  [][]time.Duration // per kind
		errs []int
		all  []time.Duration
		nerr int
		time time.Duration
	}
	accs := map[bool]*acc{}
	for _, base := range []bool{true, false} {
		accs[base] = &acc{lat: make([][]time.Duration, len(scs)), errs: make([]int, len(scs))}
	}
	// ABBA order: baseline, guardrails, guardrails, baseline, …
	for r := 0; r < rounds && ctx.Err() == nil; r++ {
		order := []bool{true, false}
		if r%2 == 1 {
			order = []bool{false, true}
		}
		for _, base := range order {
			a := accs[base]
			start := time.Now()
			samples := t.round(ctx, scs, base, o.Concurrency, o.Round)
			a.time += time.Since(start)
			for _, s := range samples {
				if s.err != nil {
					a.errs[s.kind]++
					a.nerr++
					errs.add(targetName(base), scs[s.kind].name, s.err)
					continue
				}
				a.lat[s.kind] = append(a.lat[s.kind], s.latency)
				a.all = append(a.all, s.latency)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, g := accs[true], accs[false]
	for i, sc := range scs {
		kr := KindReport{Kind: sc.name, Path: sc.path,
			Baseline:   summarize(b.lat[i], b.errs[i], b.time),
			Guardrails: summarize(g.lat[i], g.errs[i], g.time)}
		kr.Ratios = ratios(kr.Guardrails, kr.Baseline)
		rep.Kinds[i] = kr
	}
	rep.Overall = KindReport{Kind: "overall", Baseline: summarize(b.all, b.nerr, b.time), Guardrails: summarize(g.all, g.nerr, g.time)}
	rep.Overall.Ratios = ratios(rep.Overall.Guardrails, rep.Overall.Baseline)
	rep.Errors, rep.ErrorSamples = errs.n, errs.samples
	if rep.ErrorSamples == nil {
		rep.ErrorSamples = []string{}
	}
	return rep, nil
}

// round runs c clients against one target for d and returns every
// request's outcome. Client w sends kinds w, w+1, … in turn, so every
// kind is in flight all the time.
func (t *target) round(ctx context.Context, scs []scenario, base bool, c int, d time.Duration) []sample {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	out := make([][]sample, c)
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i++ {
				k := i % len(scs)
				lat, err := t.do(context.WithoutCancel(ctx), &scs[k], base)
				out[w] = append(out[w], sample{kind: k, latency: lat, err: err})
			}
		})
	}
	wg.Wait()
	var all []sample
	for _, s := range out {
		all = append(all, s...)
	}
	return all
}

// do posts one review and checks the answer. The latency covers sending
// the request and reading the whole answer; the checks run after.
func (t *target) do(ctx context.Context, sc *scenario, base bool) (time.Duration, error) {
	path := sc.path
	if base {
		path = BaselinePath
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url+path, bytes.NewReader(sc.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, err
	}
	data, err := io.ReadAll(resp.Body)
	lat := time.Since(start)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, data)
	}
	if resp.ProtoMajor != 1 {
		return 0, fmt.Errorf("protocol %s, want HTTP/1.1", resp.Proto)
	}
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &ar); err != nil || ar.Response == nil {
		return 0, fmt.Errorf("not an AdmissionReview answer (%v): %.200s", err, data)
	}
	if ar.Response.UID != sc.uid {
		return 0, fmt.Errorf("answer for UID %q, want %q", ar.Response.UID, sc.uid)
	}
	check := sc.check
	if base {
		check = allowed
	}
	if err := check(ar.Response); err != nil {
		return 0, err
	}
	return lat, nil
}

func targetName(base bool) string {
	if base {
		return "baseline"
	}
	return "guardrails"
}

// errorLog counts failures and keeps the first few distinct ones.
type errorLog struct {
	mu      sync.Mutex
	n       int
	samples []string
}

func (e *errorLog) add(target, kind string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	msg := fmt.Sprintf("%s %s: %v", target, kind, err)
	if len(e.samples) < 10 && !contains(e.samples, msg) {
		e.samples = append(e.samples, msg)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// quiet silences controller-runtime's and client-go's loggers (the
// handlers log through the request context).
func quiet() {
	logf.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())
}

func printText(w io.Writer, r *Report) {
	c := r.Config
	fmt.Fprintf(w, "guardrails load: %s per target in %d interleaved rounds of %s, %d clients, %d ingresses, GOMAXPROCS %d, %s\n\n",
		c.Duration, c.Rounds, c.Round, c.Concurrency, c.Ingresses, c.GOMAXPROCS, c.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\ttarget\trequests\terrors\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	row := func(kind, target string, s Stats) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", kind, target, s.Requests, s.Errors, s.Throughput, s.P50, s.P90, s.P99, s.Max)
	}
	for _, k := range append(r.Kinds, r.Overall) {
		row(k.Kind, "baseline", k.Baseline)
		row("", "guardrails", k.Guardrails)
		fmt.Fprintf(tw, "\tratio\t\t\t%.2fx\t%.2fx\t\t%.2fx\t\t\n", k.Ratios.Throughput, k.Ratios.P50, k.Ratios.P99)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nratios are guardrails/baseline (latency >1x: slower; req/s <1x: fewer). errors: %d\n", r.Errors)
	for _, s := range r.ErrorSamples {
		fmt.Fprintln(w, "  ", s)
	}
}
