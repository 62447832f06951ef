package main

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestMatrixConfigs(t *testing.T) {
	m := Matrix{Ingresses: []int{0, 50000, 10000}, Concurrency: []int{16, 1}, Bindings: 10000, Hostile: 2}
	type cfg struct{ ingresses, clients, bindings, hostile int }
	var got []cfg
	for _, o := range m.configs() {
		got = append(got, cfg{o.Ingresses, o.Concurrency, o.Bindings, o.Hostile})
	}
	want := []cfg{{0, 16, 10000, 0}, {0, 1, 10000, 0}, {50000, 16, 10000, 2}, {50000, 1, 10000, 0}, {10000, 16, 10000, 0}, {10000, 1, 10000, 0}}
	if !slices.Equal(got, want) {
		t.Errorf("configs %v, want %v (the hostile scenario once, at the most Ingresses and clients)", got, want)
	}
}

func TestIntListFlag(t *testing.T) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l := intList{1}
	fs.Var(&l, "n", "")
	if err := fs.Parse([]string{"-n", "0, 10000,50000"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l, intList{0, 10000, 50000}) || l.String() != "0,10000,50000" {
		t.Errorf("got %v (%s)", l, l.String())
	}
	if err := fs.Parse([]string{"-n", "1,x"}); err == nil || !strings.Contains(err.Error(), `"x" is not a number`) {
		t.Errorf("bad list: %v", err)
	}
}

func TestSummary(t *testing.T) {
	run := func(ingresses, clients int, rs Ratios, h *HostileReport) *Report {
		r := &Report{Hostile: h}
		r.Config.Ingresses, r.Config.Concurrency, r.Config.Bindings = ingresses, clients, 10000
		r.Overall.Ratios = rs
		return r
	}
	m := &MatrixReport{Runs: []*Report{
		run(0, 1, Ratios{Throughput: 0.9, P50: 1.1, P99: 1.2}, nil),
		run(50000, 16, Ratios{Throughput: 0.84, P50: 1.1, P99: 1.1}, &HostileReport{Clients: 2, Ratios: Ratios{P99: 1.3}}),
	}}
	var sb strings.Builder
	printSummary(&sb, m)
	out := sb.String()
	for _, want := range []string{
		"0     10000        1  0.90x  1.10x  1.20x      met",
		"50000     10000       16  0.84x  1.10x  1.10x  NOT met",
		"p99 with/without the hostile ones 1.30x (goal <= 1.2x: NOT met)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
