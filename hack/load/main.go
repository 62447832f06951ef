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
// ratios. Every answer is verified: HTTP/1.1 200 as it arrives, the
// request's UID and the expected verdict after each round, outside its
// measured time and CPU time (--check-inline: as it arrives, as the
// harness did before). The exit code is 1 when any request failed and
// never depends on timing.
//
// --ingresses and --concurrency take comma-separated lists: every number
// of cached Ingresses runs at every concurrency (a server of its own per
// configuration), with --bindings RoleBindings and ClusterRoleBindings in
// the bindings index, and a last summary gives each configuration's
// overall ratios against issue 14's goals.
//
// Then the hostile scenario: H more clients send, back to back, the
// largest Ingress a tenant can send (250 KiB of unknown ingress-nginx
// annotation names, internal/hostile) next to the C normal clients, in
// rounds interleaved with rounds of the normal clients alone; the report
// gives the normal clients' latency with and without the hostile ones and
// the ratio. The hostile requests go to Guardrails, and in rounds of their
// own to the baseline endpoint: what receiving and decoding them costs
// any handler on this server stack.
//
//	go run ./hack/load [--duration 10s] [--concurrency 1,16] [--ingresses 0,10000,50000] [--bindings 10000] [--round 500ms] [--hostile 2] [--check-inline] [--json]
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
	"runtime/pprof"
	"slices"
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
	// Bindings is the number of cached RoleBindings and
	// ClusterRoleBindings (the bindings index).
	Bindings int
	// Hostile is the number of hostile clients of the hostile scenario;
	// 0 skips it.
	Hostile int
	// CheckInline has each client check every answer as soon as it has
	// read it, inside the measured round, as the harness did until the
	// fourth pass of issue 14. By default the answers are kept and checked
	// after each round, outside its time and CPU time: decoding
	// Guardrails' answers (denials with their causes, warnings, patches)
	// costs the clients, which share the process and its two CPUs with
	// the server, several times what the baseline's bare "allowed" does.
	CheckInline bool
}

// Report is the result of a run (--json prints it).
type Report struct {
	Config struct {
		Duration    string `json:"duration"`
		Round       string `json:"round"`
		Rounds      int    `json:"roundsPerTarget"`
		Concurrency int    `json:"concurrency"`
		Ingresses   int    `json:"ingresses"`
		Bindings    int    `json:"bindings"`
		GOMAXPROCS  int    `json:"gomaxprocs"`
		GoVersion   string `json:"goVersion"`
	} `json:"config"`
	Overall KindReport   `json:"overall"`
	Kinds   []KindReport `json:"kinds"`
	// Errors counts failed requests of both targets, including the
	// preflight (one request of each kind, sequentially, before the load).
	Errors       int      `json:"errors"`
	ErrorSamples []string `json:"errorSamples"`
	// Hostile is the hostile scenario; absent with --hostile 0.
	Hostile *HostileReport `json:"hostile,omitempty"`
}

// HostileReport compares the normal clients' requests to Guardrails with
// and without the hostile clients next to them. With the hostile requests
// sent to the baseline endpoint instead, it shows what merely receiving
// them costs on this server stack.
type HostileReport struct {
	Clients int `json:"clients"`
	// Kind is the hostile request's scenario.
	Kind   string `json:"kind"`
	Rounds int    `json:"roundsPerSide"`
	// The normal clients' requests (all kinds): alone, next to hostile
	// requests to Guardrails, next to hostile requests to the baseline.
	Alone                 Stats `json:"normalAlone"`
	WithHostile           Stats `json:"normalWithHostile"`
	WithHostileToBaseline Stats `json:"normalWithHostileToBaseline"`
	// The hostile clients' requests, to Guardrails and to the baseline.
	Hostile           Stats `json:"hostile"`
	HostileToBaseline Stats `json:"hostileToBaseline"`
	// Ratios are normalWithHostile/normalAlone, BaselineRatios
	// normalWithHostileToBaseline/normalAlone.
	Ratios         Ratios `json:"ratios"`
	BaselineRatios Ratios `json:"baselineRatios"`
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
	var m Matrix
	var asJSON bool
	ingresses, concurrency := intList{10000}, intList{16}
	flag.DurationVar(&m.Duration, "duration", 10*time.Second, "measured load against each target (baseline and guardrails each get this much), per configuration")
	flag.DurationVar(&m.Round, "round", 500*time.Millisecond, "length of one interleaved round")
	flag.Var(&concurrency, "concurrency", "concurrent clients (keep-alive connections); a comma-separated list runs each")
	flag.Var(&ingresses, "ingresses", "Ingresses in the cluster view (the conflict index); a comma-separated list runs each")
	flag.IntVar(&m.Bindings, "bindings", 0, "RoleBindings and ClusterRoleBindings in the cluster view (the bindings index)")
	flag.IntVar(&m.Hostile, "hostile", 2, "hostile clients of the hostile scenario, next to the normal ones, run once on the configuration of the most Ingresses and clients (0 skips it)")
	flag.BoolVar(&m.CheckInline, "check-inline", false, "each client checks every answer as soon as it has read it, inside the measured round (default: after each round, outside its time and CPU time)")
	flag.BoolVar(&asJSON, "json", false, "print the report as JSON")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (server and clients: one process) to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the whole run to this file")
	flag.Parse()
	m.Ingresses, m.Concurrency = ingresses, concurrency
	if flag.NArg() > 0 || m.Duration <= 0 || m.Round <= 0 || slices.Min(m.Concurrency) < 1 || slices.Min(m.Ingresses) < 0 || m.Bindings < 0 || m.Hostile < 0 {
		fmt.Fprintln(os.Stderr, "usage: load [--duration D>0] [--round R>0] [--concurrency C>=1[,C…]] [--ingresses N>=0[,N…]] [--bindings B>=0] [--hostile H>=0] [--check-inline] [--json]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	rep, err := RunMatrix(ctx, m, func(r *Report) {
		if !asJSON {
			printText(os.Stdout, r)
			fmt.Println()
		}
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		printSummary(os.Stdout, rep)
	}
	if rep.Errors > 0 {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// sample is one request's outcome. Until checked reads it, answer holds
// the answer of a request that got one; err is set when the request failed
// or (after checked) its answer was not the expected one.
type sample struct {
	kind    int
	latency time.Duration
	answer  []byte
	err     error
}

// Run starts the server, runs the preflight, a warm-up and the
// interleaved rounds, and returns the report. Request failures are in
// the report; an error means the harness itself could not run.
func Run(ctx context.Context, o Options) (*Report, error) {
	quiet()
	c := cluster{ingresses: o.Ingresses, bindings: o.Bindings}
	scs, err := scenarios(c)
	if err != nil {
		return nil, err
	}
	t, err := startServer(ctx, c, o.Concurrency)
	if err != nil {
		return nil, err
	}
	defer func() { _ = t.stop() }()
	t.checkInline = o.CheckInline

	rounds := max(1, int((o.Duration+o.Round/2)/o.Round))
	rep := &Report{Kinds: make([]KindReport, len(scs))}
	rep.Config.Duration, rep.Config.Round, rep.Config.Rounds = o.Duration.String(), o.Round.String(), rounds
	rep.Config.Concurrency, rep.Config.Ingresses, rep.Config.Bindings = o.Concurrency, o.Ingresses, o.Bindings
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
		for _, s := range checked(t.round(ctx, scs, base, o.Concurrency, warm), scs, base) {
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
		cpu  time.Duration // CPU time of the process
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
			start, cpu0 := time.Now(), processCPU()
			samples := t.round(ctx, scs, base, o.Concurrency, o.Round)
			a.time += time.Since(start)
			a.cpu += processCPU() - cpu0
			for _, s := range checked(samples, scs, base) {
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
	rep.Overall.Baseline.CPUPerRequest = cpuPerRequest(b.cpu, rep.Overall.Baseline.Requests)
	rep.Overall.Guardrails.CPUPerRequest = cpuPerRequest(g.cpu, rep.Overall.Guardrails.Requests)
	rep.Overall.Ratios = ratios(rep.Overall.Guardrails, rep.Overall.Baseline)
	if o.Hostile > 0 {
		hs, err := hostileScenario()
		if err != nil {
			return nil, err
		}
		rep.Hostile = t.runHostile(ctx, scs, &hs, o, rounds, errs)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	rep.Errors, rep.ErrorSamples = errs.n, errs.samples
	if rep.ErrorSamples == nil {
		rep.ErrorSamples = []string{}
	}
	return rep, nil
}

// runHostile runs the hostile scenario: rounds of the normal clients
// alone, with o.Hostile clients sending hs back to back to the baseline
// endpoint, and with them sending it to Guardrails, interleaved (alone,
// baseline, guardrails, guardrails, baseline, alone, …). The normal
// clients always talk to Guardrails.
func (t *target) runHostile(ctx context.Context, scs []scenario, hs *scenario, o Options, rounds int, errs *errorLog) *HostileReport {
	hc := t.newClient(o.Hostile)
	defer hc.CloseIdleConnections()
	for _, base := range []bool{true, false} { // preflight
		if _, err := t.doWith(ctx, hc, hs, base); err != nil {
			errs.add(targetName(base), hs.name, err)
		}
	}
	type acc struct {
		lat  []time.Duration
		nerr int
		time time.Duration
	}
	const (
		alone = iota
		toBaseline
		toGuardrails
	)
	var normal, hostile [3]acc
	// loadedRound runs the normal clients for d, next to the hostile ones
	// when side is not alone, and returns both's samples, unchecked, and
	// the time the normal clients took (the hostile ones may take longer
	// to finish their last request: a large request waits for a slot).
	loadedRound := func(d time.Duration, side int) (ns, hss []sample, normalTime time.Duration) {
		start := time.Now()
		if side == alone {
			ns = t.round(ctx, scs, false, o.Concurrency, d)
			return ns, nil, time.Since(start)
		}
		base := side == toBaseline
		hctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		out := make([][]sample, o.Hostile)
		var wg sync.WaitGroup
		for h := range o.Hostile {
			wg.Go(func() {
				for hctx.Err() == nil {
					out[h] = append(out[h], t.sample(context.WithoutCancel(hctx), hc, hs, 0, base))
				}
			})
		}
		ns = t.round(ctx, scs, false, o.Concurrency, d)
		normalTime = time.Since(start)
		wg.Wait()
		return ns, slices.Concat(out...), normalTime
	}
	// tally checks the samples of requests of kinds (to the baseline when
	// base) and, when into is not nil, adds them to it.
	tally := func(ss []sample, kinds []scenario, base bool, into *acc) {
		for _, s := range checked(ss, kinds, base) {
			switch {
			case s.err != nil:
				errs.add(targetName(base), kinds[s.kind].name, s.err)
				if into != nil {
					into.nerr++
				}
			case into != nil:
				into.lat = append(into.lat, s.latency)
			}
		}
	}
	hostileKinds := []scenario{*hs} // the hostile clients' samples are of kind 0
	// Warm-up (not measured).
	warm := min(o.Round, 500*time.Millisecond)
	for _, side := range []int{toBaseline, toGuardrails} {
		ns, hss, _ := loadedRound(warm, side)
		tally(ns, scs, false, nil)
		tally(hss, hostileKinds, side == toBaseline, nil)
	}
	for r := 0; r < rounds && ctx.Err() == nil; r++ {
		order := []int{alone, toBaseline, toGuardrails}
		if r%2 == 1 {
			order = []int{toGuardrails, toBaseline, alone}
		}
		for _, side := range order {
			start := time.Now()
			ns, hss, normalTime := loadedRound(o.Round, side)
			normal[side].time += normalTime
			hostile[side].time += time.Since(start)
			tally(ns, scs, false, &normal[side])
			tally(hss, hostileKinds, side == toBaseline, &hostile[side])
		}
	}
	sum := func(a acc) Stats { return summarize(a.lat, a.nerr, a.time) }
	hr := &HostileReport{Clients: o.Hostile, Kind: hs.name, Rounds: rounds,
		Alone: sum(normal[alone]), WithHostileToBaseline: sum(normal[toBaseline]), WithHostile: sum(normal[toGuardrails]),
		HostileToBaseline: sum(hostile[toBaseline]), Hostile: sum(hostile[toGuardrails])}
	hr.Ratios = ratios(hr.WithHostile, hr.Alone)
	hr.BaselineRatios = ratios(hr.WithHostileToBaseline, hr.Alone)
	return hr
}

// round runs c clients against one target for d and returns every
// request's outcome, its answer not yet checked (see checked) unless
// t.checkInline. Client w sends kinds w, w+1, … in turn, so every kind is
// in flight all the time.
func (t *target) round(ctx context.Context, scs []scenario, base bool, c int, d time.Duration) []sample {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	out := make([][]sample, c)
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i++ {
				k := i % len(scs)
				out[w] = append(out[w], t.sample(context.WithoutCancel(ctx), t.client, &scs[k], k, base))
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

// sample sends sc over client and returns its outcome, the answer checked
// at once when t.checkInline, else kept for checked.
func (t *target) sample(ctx context.Context, client *http.Client, sc *scenario, kind int, base bool) sample {
	lat, answer, err := send(ctx, client, t.url, sc, base)
	if err == nil && t.checkInline {
		err, answer = check(sc, base, answer), nil
	}
	return sample{kind: kind, latency: lat, answer: answer, err: err}
}

// checked checks the answers kept in ss (the requests of scenarios
// scs[kind], to the baseline when base) and returns ss with each answer's
// error set and the answers dropped.
func checked(ss []sample, scs []scenario, base bool) []sample {
	for i := range ss {
		if s := &ss[i]; s.answer != nil {
			s.err, s.answer = check(&scs[s.kind], base, s.answer), nil
		}
	}
	return ss
}

// do posts one review and checks the answer. The latency covers sending
// the request and reading the whole answer; the checks run after.
func (t *target) do(ctx context.Context, sc *scenario, base bool) (time.Duration, error) {
	return t.doWith(ctx, t.client, sc, base)
}

// doWith is do over client.
func (t *target) doWith(ctx context.Context, client *http.Client, sc *scenario, base bool) (time.Duration, error) {
	lat, answer, err := send(ctx, client, t.url, sc, base)
	if err == nil {
		err = check(sc, base, answer)
	}
	return lat, err
}

// send posts one review of sc to url (Guardrails' path, or the baseline's
// when base) over client and returns the time from sending it to having
// read the whole answer, and the answer; an error when the request failed
// or the answer is not HTTP/1.1 200.
func send(ctx context.Context, client *http.Client, url string, sc *scenario, base bool) (time.Duration, []byte, error) {
	path := sc.path
	if base {
		path = BaselinePath
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+path, bytes.NewReader(sc.body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	data, err := io.ReadAll(resp.Body)
	lat := time.Since(start)
	resp.Body.Close()
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, nil, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, data)
	}
	if resp.ProtoMajor != 1 {
		return 0, nil, fmt.Errorf("protocol %s, want HTTP/1.1", resp.Proto)
	}
	return lat, data, nil
}

// check checks the answer to a review of sc: an AdmissionReview for its
// UID with the expected verdict (sc.check's, or allowed from the
// baseline).
func check(sc *scenario, base bool, answer []byte) error {
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(answer, &ar); err != nil || ar.Response == nil {
		return fmt.Errorf("not an AdmissionReview answer (%v): %.200s", err, answer)
	}
	if ar.Response.UID != sc.uid {
		return fmt.Errorf("answer for UID %q, want %q", ar.Response.UID, sc.uid)
	}
	verdict := sc.check
	if base {
		verdict = allowed
	}
	return verdict(ar.Response)
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
	fmt.Fprintf(w, "guardrails load: %s per target in %d interleaved rounds of %s, %d clients, %d ingresses, %d bindings, GOMAXPROCS %d, %s\n\n",
		c.Duration, c.Rounds, c.Round, c.Concurrency, c.Ingresses, c.Bindings, c.GOMAXPROCS, c.GoVersion)
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
	o := r.Overall
	fmt.Fprintf(w, "\nCPU per request (the whole process: server and clients): baseline %.1f µs, guardrails %.1f µs, ratio %.2fx\n",
		o.Baseline.CPUPerRequest, o.Guardrails.CPUPerRequest, o.Ratios.CPU)
	fmt.Fprintf(w, "ratios are guardrails/baseline (latency >1x: slower; req/s <1x: fewer). errors: %d\n", r.Errors)
	for _, s := range r.ErrorSamples {
		fmt.Fprintln(w, "  ", s)
	}
	if h := r.Hostile; h != nil {
		fmt.Fprintf(w, "\nhostile: %d clients send %s (a 250 KiB Ingress of unknown annotation names) back to back, to guardrails or to the baseline, next to the %d normal clients (to guardrails), %d interleaved rounds each side\n\n",
			h.Clients, h.Kind, c.Concurrency, h.Rounds)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "clients\thostile to\trequests\terrors\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
		row := func(name, to string, s Stats) {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", name, to, s.Requests, s.Errors, s.Throughput, s.P50, s.P90, s.P99, s.Max)
		}
		ratio := func(to string, rs Ratios) {
			fmt.Fprintf(tw, "ratio\t%s\t\t\t%.2fx\t%.2fx\t\t%.2fx\t\t\n", to, rs.Throughput, rs.P50, rs.P99)
		}
		row("normal", "(none)", h.Alone)
		row("normal", "guardrails", h.WithHostile)
		ratio("guardrails", h.Ratios)
		row("normal", "baseline", h.WithHostileToBaseline)
		ratio("baseline", h.BaselineRatios)
		row(h.Kind, "guardrails", h.Hostile)
		row(h.Kind, "baseline", h.HostileToBaseline)
		tw.Flush()
		fmt.Fprintln(w, "\nratios are normal clients next to the hostile ones / normal clients alone; \"baseline\": the hostile requests go to the endpoint that only decodes them.")
	}
}
