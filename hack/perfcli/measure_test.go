package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	s := func(wall, rss int64) Sample {
		return Sample{Wall: time.Duration(wall), CPU: time.Duration(wall / 2), PeakRSS: rss}
	}
	for _, tc := range []struct {
		name string
		in   []Sample
		want Sample
	}{
		{"none", nil, Sample{}},
		{"odd: each figure on its own", []Sample{s(9, 1), s(1, 7), s(5, 3)}, Sample{Wall: 5, CPU: 2, PeakRSS: 3}},
		{"even: mean of the middle two", []Sample{s(4, 10), s(1, 40), s(2, 20), s(8, 30)}, Sample{Wall: 3, CPU: 1, PeakRSS: 25}},
	} {
		if got := Median(tc.in); got != tc.want {
			t.Errorf("%s: Median = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestMeasure runs small shell commands through GNU time: the peak RSS is
// read, and a run that fails or complains is an error, not a sample.
func TestMeasure(t *testing.T) {
	const gnuTime = "/usr/bin/time"
	if _, err := os.Stat(gnuTime); err != nil {
		t.Skip("GNU time is not installed (Debian package time)")
	}
	sh := func(script string) Tool {
		return Tool{Name: "sh", Path: "/bin/sh", Time: gnuTime, Exits: []int{0, 1},
			Args: func(string) []string { return []string{"-c", script} }}
	}
	for _, tc := range []struct {
		script  string
		exit    int
		wantErr string
	}{
		{"exit 0", 0, ""},
		{"echo findings; exit 1", 1, ""}, // time's "Command exited with non-zero status 1" line
		{"exit 3", 3, "exit 3"},
		{"echo 'cannot parse document 7' >&2; exit 1", 1, "cannot parse document 7"},
	} {
		s, err := sh(tc.script).Measure("unused")
		if tc.wantErr == "" && err != nil {
			t.Errorf("%q: %v", tc.script, err)
		}
		if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%q: error %v, want one containing %q", tc.script, err, tc.wantErr)
		}
		if s.Exit != tc.exit || s.PeakRSS <= 0 || s.PeakRSS > 1<<30 || s.Wall <= 0 {
			t.Errorf("%q: sample %+v, want exit %d, a peak RSS and a wall time", tc.script, s, tc.exit)
		}
	}
}

// TestPrintReport: ratios are ours/kube-score and large/small, each next
// to its goal with the right verdict.
func TestPrintReport(t *testing.T) {
	const mi = 1 << 20
	rep := &Report{}
	rep.Machine.Repetition = 1
	rep.Compare = []Comparison{
		{Corpus: "pods-10k", Objects: 10000, Bytes: 15 * mi,
			Ours:      []Sample{{Wall: 1 * time.Second, CPU: time.Second, PeakRSS: 40 * mi}},
			KubeScore: []Sample{{Wall: 20 * time.Second, CPU: 10 * time.Second, PeakRSS: 400 * mi}}},
		{Corpus: "mixed-10k", Objects: 10000, Bytes: 11 * mi,
			Ours:      []Sample{{Wall: 5 * time.Second, CPU: time.Second, PeakRSS: 60 * mi}},
			KubeScore: []Sample{{Wall: 10 * time.Second, CPU: 10 * time.Second, PeakRSS: 200 * mi}}},
	}
	rep.Scaling = []Scaling{
		{Mix: mixPods, Small: 10000, Large: 100000,
			SmallRuns: []Sample{{Wall: 2 * time.Second, CPU: time.Second, PeakRSS: 50 * mi}},
			LargeRuns: []Sample{{Wall: 21 * time.Second, CPU: 10 * time.Second, PeakRSS: 50 * mi}}},
		{Mix: mixMixed, Small: 10000, Large: 100000,
			SmallRuns: []Sample{{Wall: 2 * time.Second, CPU: time.Second, PeakRSS: 60 * mi}},
			LargeRuns: []Sample{{Wall: 30 * time.Second, CPU: 10 * time.Second, PeakRSS: 180 * mi}}},
		// Under 9× in all, but linear once the fixed cost of a run is
		// taken off: (3.1 − 0.05)/(0.38 − 0.05) = 9.24.
		{Mix: "startup", Small: 10000, Large: 100000,
			SmallRuns:   []Sample{{Wall: 380 * time.Millisecond, CPU: time.Second, PeakRSS: 45 * mi}},
			LargeRuns:   []Sample{{Wall: 3100 * time.Millisecond, CPU: 10 * time.Second, PeakRSS: 45 * mi}},
			StartupRuns: []Sample{{Wall: 50 * time.Millisecond, CPU: 50 * time.Millisecond, PeakRSS: 30 * mi}}},
	}
	var out bytes.Buffer
	printReport(&out, rep)
	lines := strings.Split(out.String(), "\n")
	for _, want := range [][]string{
		{"pods-10k", "0.050", "≤ 0.10 met", "0.100", "≤ 0.25 met"},
		{"mixed-10k", "0.500", "≤ 0.10 NOT met", "0.300", "≤ 0.25 NOT met"},
		{"pods ", "10.50", "9.0–11.0 met", "1.00 (no cross-object kinds: flat)"},
		{"mixed ", "15.00", "15.00", "9.0–11.0 NOT met", "3.00"},
		{"startup ", "8.16", "0.05s", "9.24", "9.0–11.0 met"},
	} {
		found := false
		for _, l := range lines {
			ok := strings.HasPrefix(l, want[0])
			for _, w := range want[1:] {
				ok = ok && strings.Contains(l, w)
			}
			found = found || ok
		}
		if !found {
			t.Errorf("no line starting %q with %q in:\n%s", want[0], want[1:], out.String())
		}
	}
}
