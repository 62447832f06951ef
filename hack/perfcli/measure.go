package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sample is one whole-process run.
type Sample struct {
	Wall time.Duration `json:"wallNs"`
	// CPU is user + system time of the process.
	CPU time.Duration `json:"cpuNs"`
	// PeakRSS is the peak resident set size in bytes (0: not measured).
	PeakRSS int64 `json:"peakRSSBytes"`
	Exit    int   `json:"exit"`
}

// Median is the median of each figure of the samples taken separately
// (for an even count, the mean of the middle two).
func Median(ss []Sample) Sample {
	if len(ss) == 0 {
		return Sample{}
	}
	med := func(get func(Sample) int64) int64 {
		v := make([]int64, len(ss))
		for i, s := range ss {
			v[i] = get(s)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return Sample{
		Wall:    time.Duration(med(func(s Sample) int64 { return int64(s.Wall) })),
		CPU:     time.Duration(med(func(s Sample) int64 { return int64(s.CPU) })),
		PeakRSS: med(func(s Sample) int64 { return s.PeakRSS }),
		Exit:    ss[0].Exit,
	}
}

// Tool is a command-line program under measurement.
type Tool struct {
	Name string
	Path string
	// Time is GNU time (/usr/bin/time), which runs the tool and reports
	// its peak RSS.
	Time string
	// Args are the arguments that check one corpus file.
	Args func(file string) []string
	// Exits are the exit codes of a successful run (findings included).
	Exits []int
}

// Measure runs the tool on the file once with its output discarded and
// returns wall time, CPU time and peak RSS.

// The peak RSS is GNU time's %M (ru_maxrss of the tool, which time forks
// from its own small process). Go's os/exec cannot measure it itself: it
// starts children with vfork semantics (CLONE_VM), and Linux records the
// high-water RSS of the address space a process leaves at execve in that
// process's ru_maxrss, so every child would report at least the harness's
// own peak. An exit code outside Exits, or
// anything on stderr, is an error naming the tool, the file and what it
// printed: a tool that fails to read the corpus must not be timed.
func (t Tool) Measure(file string) (Sample, error) {
	return t.run(t.Args(file), nil)
}

// run runs the tool with args; stdout goes to out (nil: discarded).
func (t Tool) run(args []string, out io.Writer) (Sample, error) {
	report, err := os.CreateTemp("", "perfcli-time-*")
	if err != nil {
		return Sample{}, err
	}
	report.Close()
	defer os.Remove(report.Name())
	var stderr bytes.Buffer
	cmd := exec.Command(t.Time, append([]string{"--format", "maxrss=%M", "--output", report.Name(), t.Path}, args...)...)
	cmd.Stdout = out
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		return Sample{}, fmt.Errorf("%s: %w", t.Name, err)
	}
	s := Sample{
		Wall: wall,
		// time's own CPU and that of its child, the tool.
		CPU:  cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(),
		Exit: cmd.ProcessState.ExitCode(),
	}
	if data, err := os.ReadFile(report.Name()); err == nil {
		if m := maxRSSLine.FindSubmatch(data); m != nil {
			kib, _ := strconv.ParseInt(string(m[1]), 10, 64)
			s.PeakRSS = kib * 1024
		}
	}
	if s.PeakRSS == 0 {
		return s, fmt.Errorf("%s: no peak RSS from %s (exit %d): %s", t.Name, t.Time, s.Exit, head(stderr.String()))
	}
	if !slices.Contains(t.Exits, s.Exit) {
		return s, fmt.Errorf("%s %s: exit %d (want %v): %s", t.Name, strings.Join(args, " "), s.Exit, t.Exits, head(stderr.String()))
	}
	if stderr.Len() > 0 {
		return s, fmt.Errorf("%s %s: printed on stderr: %s", t.Name, strings.Join(args, " "), head(stderr.String()))
	}
	return s, nil
}

// maxRSSLine is the line of GNU time's report (--format maxrss=%M); a
// first line "Command exited with non-zero status N" may precede it.
var maxRSSLine = regexp.MustCompile(`(?m)^maxrss=(\d+)$`)

func head(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	if s == "" {
		return "(nothing on stderr)"
	}
	return s
}

// checkOurs runs `webhook check --output json` once and checks that it
// read every object of the corpus and reported deny findings.
func checkOurs(t Tool, file string, c Counts) error {
	var out bytes.Buffer
	if _, err := t.run([]string{"check", "-f", file, "--output", "json"}, &out); err != nil {
		return err
	}
	var rep struct {
		Summary struct {
			Objects, Deny, Warn int
		} `json:"summary"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return fmt.Errorf("%s on %s: output is not the JSON report: %w", t.Name, file, err)
	}
	if rep.Summary.Objects != c.Objects || rep.Summary.Deny == 0 {
		return fmt.Errorf("%s on %s: checked %d objects with %d deny findings, want %d objects and some deny findings",
			t.Name, file, rep.Summary.Objects, rep.Summary.Deny, c.Objects)
	}
	return nil
}

// kubeScoreKinds are the kinds of the corpora kube-score scores; it
// accepts and skips the others (RBAC).
var kubeScoreKinds = []string{"Deployment", "Ingress", "Pod"}

// checkKubeScore runs `kube-score score -o json` once and checks that it
// scored every object of the kinds it knows: an object it failed to parse
// would be missing from its report.
func checkKubeScore(t Tool, file string, c Counts) error {
	cmd := exec.Command(t.Path, "score", "-o", "json", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	var objects []struct {
		TypeMeta struct {
			Kind string `json:"kind"`
		} `json:"type_meta"`
	}
	decErr := json.NewDecoder(stdout).Decode(&objects)
	_, _ = io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); !slices.Contains(t.Exits, code) {
		return fmt.Errorf("%s score -o json %s: exit %d: %s (%v)", t.Name, file, code, head(stderr.String()), err)
	}
	if decErr != nil {
		return fmt.Errorf("%s score -o json %s: output is not its JSON report: %w (stderr: %s)", t.Name, file, decErr, head(stderr.String()))
	}
	got := map[string]int{}
	for _, o := range objects {
		got[o.TypeMeta.Kind]++
	}
	for _, k := range kubeScoreKinds {
		if got[k] != c.Kinds[k] {
			return fmt.Errorf("%s on %s: scored %d objects of kind %s, the corpus holds %d (scored: %v)", t.Name, file, got[k], k, c.Kinds[k], got)
		}
	}
	return nil
}
