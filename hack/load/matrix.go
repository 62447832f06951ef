package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Goals of issue 14 for Guardrails against the decode-only baseline, per
// configuration (overall, all kinds of requests).
const (
	goalThroughput = 0.85 // at least
	goalLatency    = 1.2  // p50 and p99, at most
)

// Matrix is a run over several configurations: every number of cached
// Ingresses at every concurrency, with the same number of bindings.
type Matrix struct {
	Duration    time.Duration
	Round       time.Duration
	Ingresses   []int
	Concurrency []int
	Bindings    int
	// Hostile clients of the hostile scenario, run once, on the
	// configuration of the most Ingresses and clients.
	Hostile int
	// CheckInline: see Options.CheckInline.
	CheckInline bool
}

// MatrixReport is the result of a Matrix run (--json prints it).
type MatrixReport struct {
	Runs []*Report `json:"runs"`
	// Errors counts the failed requests of every run.
	Errors int `json:"errors"`
}

// configs lists the configurations of m: Ingress counts in the order
// given, each at every concurrency.
func (m Matrix) configs() []Options {
	var out []Options
	for _, n := range m.Ingresses {
		for _, c := range m.Concurrency {
			o := Options{Duration: m.Duration, Round: m.Round, Concurrency: c, Ingresses: n, Bindings: m.Bindings, CheckInline: m.CheckInline}
			if n == slices.Max(m.Ingresses) && c == slices.Max(m.Concurrency) {
				o.Hostile = m.Hostile
			}
			out = append(out, o)
		}
	}
	return out
}

// RunMatrix runs every configuration of m in turn (each on a server of its
// own), calling done with each report as it completes.
func RunMatrix(ctx context.Context, m Matrix, done func(*Report)) (*MatrixReport, error) {
	rep := &MatrixReport{}
	for _, o := range m.configs() {
		r, err := Run(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("%d ingresses, %d clients: %w", o.Ingresses, o.Concurrency, err)
		}
		rep.Runs = append(rep.Runs, r)
		rep.Errors += r.Errors
		if done != nil {
			done(r)
		}
	}
	return rep, nil
}

// met says whether the overall ratios of r meet the goals.
func met(r Ratios) bool {
	return r.Throughput >= goalThroughput && r.P50 <= goalLatency && r.P99 <= goalLatency
}

// printSummary prints one line per configuration: the overall ratios of
// Guardrails to the baseline and whether they meet the goals; and the
// hostile scenario's ratio.
func printSummary(w io.Writer, m *MatrixReport) {
	fmt.Fprintf(w, "summary: guardrails/baseline, all kinds of requests (goals: req/s >= %.2fx, p50 and p99 <= %.1fx)\n\n", goalThroughput, goalLatency)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ingresses\tbindings\tclients\treq/s\tp50\tp99\tgoals\tCPU/request\t")
	for _, r := range m.Runs {
		c, rs := r.Config, r.Overall.Ratios
		verdict := "met"
		if !met(rs) {
			verdict = "NOT met"
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.2fx\t%.2fx\t%.2fx\t%s\t%.2fx\t\n", c.Ingresses, c.Bindings, c.Concurrency, rs.Throughput, rs.P50, rs.P99, verdict, rs.CPU)
	}
	tw.Flush()
	fmt.Fprintln(w, "(CPU/request: CPU time of the whole process per request, guardrails/baseline; the steadier figure on a shared machine)")
	for _, r := range m.Runs {
		if h := r.Hostile; h != nil {
			verdict := "met"
			if h.Ratios.P99 > goalLatency {
				verdict = "NOT met"
			}
			fmt.Fprintf(w, "\nhostile (%d ingresses, %d clients + %d hostile): normal clients' p99 with/without the hostile ones %.2fx (goal <= %.1fx: %s)\n",
				r.Config.Ingresses, r.Config.Concurrency, h.Clients, h.Ratios.P99, goalLatency, verdict)
		}
	}
	fmt.Fprintf(w, "\nerrors: %d\n", m.Errors)
}

// intList is a flag of comma-separated integers.
type intList []int

func (l *intList) String() string {
	parts := make([]string, len(*l))
	for i, n := range *l {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (l *intList) Set(s string) error {
	var out intList
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return fmt.Errorf("%q is not a number", p)
		}
		out = append(out, n)
	}
	*l = out
	return nil
}
