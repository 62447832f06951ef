// Command perfcli measures `webhook check` against kube-score v1.20.0 as
// whole processes on generated corpora (issue 14's CLI goals), and profiles
// `webhook check`. It is a measuring tool: it prints ratios next to the
// goals and never fails on timing; it exits 1 only when a tool fails to
// read a corpus, 2 on bad usage.
//
//	go run ./hack/perfcli [run] [-webhook bin/webhook] [-kube-score bin/tools/kube-score]
//	                      [-time /usr/bin/time] [-dir bin/perf] [-n 10000] [-reps 5] [-scale 10] [-scale-reps 3] [-json FILE]
//	go run ./hack/perfcli gen -mix pods|mixed [-n 10000] [-o FILE]
//	go run ./hack/perfcli profile [-mix pods|mixed] [-n 10000] [-iterations 3] [-top 15] [-dir bin/perf]
//
// `make perf-cli` builds both binaries and runs `run`; `make perf-profile`
// runs `profile` on both corpora.
//
// run: for each corpus (pods: Pods only; mixed: Deployments, Pods,
// Ingresses, Roles, ClusterRoles and their bindings; see corpus.go) it
// generates n objects into -dir, checks that both tools read all of them
// (webhook check --output json counts every object; kube-score -o json
// scores every Deployment, Pod and Ingress), runs one warm-up of each, then
// -reps paired runs in alternating order (ours then kube-score, kube-score
// then ours, ...) with each tool's default output discarded, and reports
// the medians of wall time, CPU time and peak RSS (GNU time's "maximum
// resident set size", see Tool.Measure) and their ratios. Then it runs `webhook check` alone
// on n and scale×n objects of the same mix, alternating, to show how time
// and memory grow.
package main

import (
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"
	"time"
)

func main() {
	args := os.Args[1:]
	cmd := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = runCmd(args)
	case "gen":
		err = genCmd(args)
	case "profile":
		err = profileCmd(args)
	default:
		err = usageError(fmt.Sprintf("unknown command %q: want run, gen or profile", cmd))
	}
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "perfcli:", err)
		os.Exit(2)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "perfcli:", err)
		os.Exit(1)
	}
}

type usageError string

func (e usageError) Error() string { return string(e) }

func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError(err.Error())
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0)))
	}
	return nil
}

func genCmd(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	mix := fs.String("mix", mixPods, "corpus: pods or mixed")
	n := fs.Int("n", 10000, "number of objects")
	out := fs.String("o", "-", "output file (- for stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || !validMix(*mix) {
		return usageError("gen: want -mix pods or mixed and -n >= 1")
	}
	if *out == "-" {
		_, err := Generate(os.Stdout, *mix, *n)
		return err
	}
	c, err := writeCorpus(*out, *mix, *n)
	if err == nil {
		fmt.Fprintf(os.Stderr, "%s: %d objects (%s), %s\n", *out, c.Objects, c, mib(c.Bytes))
	}
	return err
}

func validMix(mix string) bool { return mix == mixPods || mix == mixMixed }

// writeCorpus generates a corpus into path (through a temporary file, so a
// failed run leaves no half corpus).
func writeCorpus(path, mix string, n int) (Counts, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return Counts{}, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".corpus-*")
	if err != nil {
		return Counts{}, err
	}
	defer os.Remove(f.Name())
	c, err := Generate(f, mix, n)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return c, fmt.Errorf("writing %s: %w", path, err)
	}
	return c, os.Rename(f.Name(), path)
}

func corpusPath(dir, mix string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%s.yaml", mix, count(n)))
}

// count writes 10000 as 10k.
func count(n int) string {
	if n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// Report is what run measured (-json writes it).
type Report struct {
	Machine struct {
		GOOS       string `json:"goos"`
		GOARCH     string `json:"goarch"`
		CPUs       int    `json:"cpus"`
		GoVersion  string `json:"goVersion"`
		KubeScore  string `json:"kubeScore"`
		Repetition int    `json:"pairedRuns"`
	} `json:"machine"`
	Compare []Comparison `json:"compare"`
	Scaling []Scaling    `json:"scaling"`
}

// Comparison is webhook check vs kube-score on one corpus.
type Comparison struct {
	Corpus    string   `json:"corpus"`
	Objects   int      `json:"objects"`
	Bytes     int64    `json:"bytes"`
	Ours      []Sample `json:"ours"`
	KubeScore []Sample `json:"kubeScore"`
}

// Scaling is webhook check on n and scale×n objects of one mix.
type Scaling struct {
	Mix       string   `json:"mix"`
	Small     int      `json:"smallObjects"`
	Large     int      `json:"largeObjects"`
	SmallRuns []Sample `json:"small"`
	LargeRuns []Sample `json:"large"`
	// StartupRuns are webhook check on an input without objects: the
	// fixed cost of a run (loading the binary, client-go's scheme), which
	// the linearity goal leaves out: (large − startup)/(small − startup).
	StartupRuns []Sample `json:"startup,omitempty"`
}

func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	webhook := fs.String("webhook", "bin/webhook", "the webhook binary")
	kubeScore := fs.String("kube-score", "bin/tools/kube-score", "the kube-score binary (v1.20.0)")
	gnuTime := fs.String("time", "/usr/bin/time", "GNU time, which reports the peak RSS (Debian package time)")
	dir := fs.String("dir", "bin/perf", "directory for the generated corpora")
	n := fs.Int("n", 10000, "objects per corpus of the comparison")
	reps := fs.Int("reps", 5, "paired runs per corpus")
	scale := fs.Int("scale", 10, "scaling check: webhook check on n and scale×n objects (0: skip)")
	scaleReps := fs.Int("scale-reps", 3, "runs per size of the scaling check")
	jsonOut := fs.String("json", "", "also write the samples as JSON to this file")
	copyBins := fs.Bool("copy", true, "run copies of both binaries, as cp or an installer makes them, not the files go build and go install wrote: how a binary's file was written moves its peak RSS by up to 6 MiB (the page cache's layout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 100 || *reps < 1 || *scale < 0 || *scale == 1 || *scaleReps < 1 {
		return usageError("run: want -n >= 100, -reps >= 1, -scale 0 or >= 2, -scale-reps >= 1")
	}
	for _, p := range []string{*webhook, *kubeScore} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s: %w (make perf-cli builds it)", p, err)
		}
	}
	if _, err := os.Stat(*gnuTime); err != nil {
		return fmt.Errorf("%s: %w (install the Debian package time: apt-get install time)", *gnuTime, err)
	}
	if *copyBins {
		tmp, err := os.MkdirTemp("", "perfcli-bin-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		for _, p := range []*string{webhook, kubeScore} {
			c := filepath.Join(tmp, filepath.Base(*p))
			if err := copyFile(*p, c); err != nil {
				return err
			}
			*p = c
		}
	}
	ours := Tool{Name: "webhook check", Path: *webhook, Time: *gnuTime, Exits: []int{0, 1},
		Args: func(f string) []string { return []string{"check", "-f", f} }}
	ks := Tool{Name: "kube-score", Path: *kubeScore, Time: *gnuTime, Exits: []int{0, 1},
		Args: func(f string) []string { return []string{"score", f} }}

	var rep Report
	rep.Machine.GOOS, rep.Machine.GOARCH, rep.Machine.CPUs, rep.Machine.GoVersion = runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()
	rep.Machine.Repetition = *reps
	rep.Machine.KubeScore = moduleVersion(*kubeScore)
	log := func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }

	for _, mix := range []string{mixPods, mixMixed} {
		path := corpusPath(*dir, mix, *n)
		c, err := writeCorpus(path, mix, *n)
		if err != nil {
			return err
		}
		log("%s: %d objects (%s), %s", path, c.Objects, c, mib(c.Bytes))
		if err := checkOurs(ours, path, c); err != nil {
			return err
		}
		if err := checkKubeScore(ks, path, c); err != nil {
			return err
		}
		cmp := Comparison{Corpus: fmt.Sprintf("%s-%s", mix, count(*n)), Objects: c.Objects, Bytes: c.Bytes}
		// Warm-up (page cache, binaries), not counted.
		for _, t := range []Tool{ours, ks} {
			if _, err := t.Measure(path); err != nil {
				return err
			}
		}
		for r := 0; r < *reps; r++ {
			order := []Tool{ours, ks}
			if r%2 == 1 {
				order = []Tool{ks, ours}
			}
			for _, t := range order {
				s, err := t.Measure(path)
				if err != nil {
					return err
				}
				if t.Name == ours.Name {
					cmp.Ours = append(cmp.Ours, s)
				} else {
					cmp.KubeScore = append(cmp.KubeScore, s)
				}
			}
			log("  %s run %d/%d: ours %v, kube-score %v", cmp.Corpus, r+1, *reps,
				cmp.Ours[r].Wall.Round(time.Millisecond), cmp.KubeScore[r].Wall.Round(time.Millisecond))
		}
		rep.Compare = append(rep.Compare, cmp)
	}

	if *scale > 0 {
		empty := filepath.Join(*dir, "empty.yaml")
		if err := os.WriteFile(empty, []byte("# no objects: the fixed cost of a run\n"), 0o644); err != nil {
			return err
		}
		for _, mix := range []string{mixPods, mixMixed} {
			small, large := corpusPath(*dir, mix, *n), corpusPath(*dir, mix, *scale**n)
			c, err := writeCorpus(large, mix, *scale**n)
			if err != nil {
				return err
			}
			log("%s: %d objects (%s), %s", large, c.Objects, c, mib(c.Bytes))
			if err := checkOurs(ours, large, c); err != nil {
				return err
			}
			sc := Scaling{Mix: mix, Small: *n, Large: *scale * *n}
			for r := 0; r < *scaleReps; r++ {
				s, err := ours.Measure(small)
				if err != nil {
					return err
				}
				l, err := ours.Measure(large)
				if err != nil {
					return err
				}
				z, err := ours.Measure(empty)
				if err != nil {
					return err
				}
				sc.SmallRuns, sc.LargeRuns, sc.StartupRuns = append(sc.SmallRuns, s), append(sc.LargeRuns, l), append(sc.StartupRuns, z)
				log("  %s scaling run %d/%d: %s %v, %s %v", mix, r+1, *scaleReps,
					count(sc.Small), s.Wall.Round(time.Millisecond), count(sc.Large), l.Wall.Round(time.Millisecond))
			}
			rep.Scaling = append(rep.Scaling, sc)
		}
	}

	printReport(os.Stdout, &rep)
	if *jsonOut != "" {
		data, err := json.MarshalIndent(&rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(*jsonOut, append(data, '\n'), 0o644)
	}
	return nil
}

// copyFile copies an executable as cp, an installer or an image layer
// does. The peak RSS of a process
// includes the pages of its binary that the kernel maps, and how many it
// maps at start depends on how the file sits in the page cache: a binary
// as the Go linker wrote it (through a memory mapping) measured up to
// 6 MiB more than a copy of it. Copying both tools measures them alike.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// moduleVersion names a Go binary by its main module and version
// ("github.com/zegl/kube-score v1.20.0"); kube-score's own version command
// says "development" when built with go install.
func moduleVersion(bin string) string {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return ""
	}
	return bi.Main.Path + " " + bi.Main.Version
}

// Goals of issue 14 for `webhook check` against kube-score.
const (
	goalWall   = 0.10 // wall time ≤ 0.1× kube-score's
	goalMemory = 0.25 // peak RSS ≤ 0.25× kube-score's
	goalLinear = 0.10 // scale×n objects within 10% of scale× the time
)

func printReport(w io.Writer, rep *Report) {
	m := rep.Machine
	fmt.Fprintf(w, "\nwebhook check vs %s: whole processes, %d paired runs per corpus (alternating order), medians\n",
		orUnknown(m.KubeScore, "kube-score"), m.Repetition)
	fmt.Fprintf(w, "machine: %d CPUs, %s/%s, %s\n\n", m.CPUs, m.GOOS, m.GOARCH, m.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "corpus\tobjects\tinput\tours wall\tkube-score wall\twall ratio\tgoal\tours CPU\tkube-score CPU\tCPU ratio\tours peak RSS\tkube-score peak RSS\tmemory ratio\tgoal\t")
	for _, c := range rep.Compare {
		o, k := Median(c.Ours), Median(c.KubeScore)
		wr, mr := ratio(int64(o.Wall), int64(k.Wall)), ratio(o.PeakRSS, k.PeakRSS)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c.Corpus, c.Objects, mib(c.Bytes),
			secs(o.Wall), secs(k.Wall), fmtRatio(wr), verdict(wr <= goalWall, fmt.Sprintf("≤ %.2f", goalWall)),
			secs(o.CPU), secs(k.CPU), fmtRatio(ratio(int64(o.CPU), int64(k.CPU))), mib(o.PeakRSS), mib(k.PeakRSS),
			fmtRatio(mr), verdict(mr <= goalMemory && mr > 0, fmt.Sprintf("≤ %.2f", goalMemory)))
	}
	tw.Flush()
	fmt.Fprintln(w, "(CPU = user + system time; on a busy shared machine the CPU ratio is the steadier figure, the goal is on wall time)")
	if len(rep.Scaling) == 0 {
		return
	}
	fmt.Fprintf(w, "\nwebhook check alone, scaling (medians; goal: time within %.0f%% of linear, net of the fixed cost of a run, memory bounded by the cross-object views)\n\n", goalLinear*100)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "mix\tsizes\twall\ttime ×\tstartup\tnet time ×\tgoal\tCPU\tCPU ×\tpeak RSS\tmemory ×\t")
	for _, s := range rep.Scaling {
		a, b := Median(s.SmallRuns), Median(s.LargeRuns)
		var z Sample // no startup runs: nothing to take off
		if len(s.StartupRuns) > 0 {
			z = Median(s.StartupRuns)
		}
		k := float64(s.Large) / float64(s.Small)
		tr, mr := ratio(int64(b.Wall), int64(a.Wall)), ratio(b.PeakRSS, a.PeakRSS)
		net := ratio(int64(b.Wall-z.Wall), int64(a.Wall-z.Wall))
		lo, hi := k*(1-goalLinear), k*(1+goalLinear)
		memGoal := "grows with the views (Ingresses, Roles)"
		if s.Mix == mixPods {
			memGoal = "no cross-object kinds: flat"
		}
		fmt.Fprintf(tw, "%s\t%s → %s\t%s → %s\t%.2f\t%s\t%.2f\t%s\t%s → %s\t%.2f\t%s → %s\t%.2f (%s)\t\n", s.Mix, count(s.Small), count(s.Large),
			secs(a.Wall), secs(b.Wall), tr, secs(z.Wall), net, verdict(net >= lo && net <= hi, fmt.Sprintf("%.1f–%.1f", lo, hi)),
			secs(a.CPU), secs(b.CPU), ratio(int64(b.CPU), int64(a.CPU)),
			mib(a.PeakRSS), mib(b.PeakRSS), mr, memGoal)
	}
	tw.Flush()
	fmt.Fprintln(w, "(startup: webhook check on an input without objects; net time × = (large − startup)/(small − startup), what the goal reads)")
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func fmtRatio(r float64) string {
	if r == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", r)
}

func verdict(met bool, goal string) string {
	if met {
		return goal + " met"
	}
	return goal + " NOT met"
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func mib(b int64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func orUnknown(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
