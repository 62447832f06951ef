// Command auditperf measures the peak memory of `webhook audit` against a
// live cluster holding many objects: the sandbox of internal/sandbox (real
// kube-apiserver and etcd, the webhook registered), filled with generated
// objects in steps (e.g. 0, 10 000, 100 000), and `webhook audit` run as a
// whole process under GNU time after each step. The run with no generated
// objects is the baseline of the same run; the report gives each step's
// peak RSS, wall and CPU time, and their ratios to the baseline and to the
// previous step. It is the documented harness of issue 12 (`make
// perf-audit`), never part of `make test`.
//
// The objects: per 100, 90 Pods and 10 Deployments, spread over 20
// namespaces created without guardrails.dev/mode (so the webhook is not
// called while they are created), about one in eight without requests.
// After the objects are created, a third of the namespaces is labelled
// audit, a third warn; `webhook audit --assume-mode enforce -o json` then
// judges every one of them, writing the report to /dev/null.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/guardrails-dev/guardrails/internal/deployrender"
	"github.com/guardrails-dev/guardrails/internal/sandbox"
)

func main() {
	var (
		steps    = flag.String("objects", "0,10000,100000", "comma-separated object counts to measure at, ascending; the first is the baseline")
		webhook  = flag.String("webhook", "bin/webhook", "the webhook binary (make build)")
		gnuTime  = flag.String("time", "/usr/bin/time", "GNU time, which reports the peak RSS of the process it runs")
		dir      = flag.String("dir", "bin/auditperf", "the sandbox's directory")
		workers  = flag.Int("workers", 32, "concurrent creates")
		repeats  = flag.Int("reps", 3, "audit runs per step (the median is reported)")
		extraArg = flag.String("args", "--assume-mode enforce -o json", "arguments of webhook audit")
	)
	flag.Parse()
	counts, err := parseSteps(*steps)
	if err != nil {
		fail(err)
	}
	if err := run(counts, *webhook, *gnuTime, *dir, *workers, *repeats, strings.Fields(*extraArg)); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "auditperf:", err)
	os.Exit(1)
}

func parseSteps(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || len(out) > 0 && n < out[len(out)-1] {
			return nil, fmt.Errorf("--objects %q: want ascending counts", s)
		}
		out = append(out, n)
	}
	return out, nil
}

const namespaces = 20

func nsName(i int) string { return fmt.Sprintf("perf-%02d", i%namespaces) }

type sample struct {
	objects int
	wall    time.Duration
	cpu     time.Duration
	rss     int64 // bytes
	exit    int
}

func run(counts []int, webhook, gnuTime, dir string, workers, reps int, args []string) error {
	root, err := sandbox.FindRepoRoot()
	if err != nil {
		return err
	}
	bin, err := filepath.Abs(webhook)
	if err != nil {
		return err
	}
	ctx := context.Background()
	fmt.Fprintf(os.Stderr, "starting the sandbox in %s…\n", dir)
	sb, err := sandbox.Start(ctx, sandbox.Options{Dir: dir, WebhookBinary: bin, RepoRoot: root, Render: deployrender.Local})
	if err != nil {
		return err
	}
	defer sb.Stop()
	cfg := *sb.RESTConfig
	cfg.QPS, cfg.Burst = 2000, 4000
	cfg.WarningHandler = rest.NoWarnings{}
	cs, err := kubernetes.NewForConfig(&cfg)
	if err != nil {
		return err
	}
	for i := range namespaces {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsName(i)}}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	var samples []sample
	created := 0
	for _, n := range counts {
		if n > created {
			start := time.Now()
			fmt.Fprintf(os.Stderr, "creating objects %d..%d…\n", created, n)
			if err := create(ctx, cs, created, n, workers); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "  %d objects in %s\n", n-created, time.Since(start).Round(time.Second))
			created = n
		}
		if err := label(ctx, cs, true); err != nil {
			return err
		}
		var runs []sample
		for range reps {
			s, err := measure(gnuTime, bin, append([]string{"audit", "--kubeconfig", sb.Kubeconfig}, args...))
			if err != nil {
				return err
			}
			s.objects = n
			runs = append(runs, s)
		}
		if err := label(ctx, cs, false); err != nil {
			return err
		}
		m := median(runs)
		fmt.Fprintf(os.Stderr, "  %d objects: peak RSS %.1f MiB, wall %s, CPU %s (exit %d)\n", n, mib(m.rss), m.wall.Round(time.Millisecond), m.cpu.Round(time.Millisecond), m.exit)
		samples = append(samples, m)
	}
	report(samples)
	return nil
}

// create makes objects [from, to): 90 Pods and 10 Deployments per 100,
// one in eight without requests.
func create(ctx context.Context, cs kubernetes.Interface, from, to, workers int) error {
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= to {
					return
				}
				if err := createOne(ctx, cs, i); err != nil {
					errs <- fmt.Errorf("object %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func createOne(ctx context.Context, cs kubernetes.Interface, i int) error {
	ns := nsName(i)
	c := corev1.Container{Name: "app", Image: "registry.example/app:1.0",
		Env: []corev1.EnvVar{{Name: "INDEX", Value: strconv.Itoa(i)}}}
	if i%8 != 0 {
		c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")}
	}
	labels := map[string]string{"app": fmt.Sprintf("app-%d", i), "app.kubernetes.io/part-of": "perf"}
	spec := corev1.PodSpec{Containers: []corev1.Container{c}}
	var err error
	for attempt := range 5 {
		if i%10 == 9 {
			d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("d%06d", i), Namespace: ns, Labels: labels},
				Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}}
			_, err = cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
		} else {
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%06d", i), Namespace: ns, Labels: labels}, Spec: spec}
			_, err = cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		}
		if err == nil {
			return nil
		}
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	return err
}

// label puts a third of the namespaces in audit and a third in warn for
// the measurement (on), and removes the labels again (off) so that the
// next objects are created without the webhook.
func label(ctx context.Context, cs kubernetes.Interface, on bool) error {
	for i := range namespaces {
		mode := []string{"audit", "warn", ""}[i%3]
		if mode == "" {
			continue
		}
		patch := fmt.Sprintf(`{"metadata":{"labels":{"guardrails.dev/mode":%q}}}`, mode)
		if !on {
			patch = `{"metadata":{"labels":{"guardrails.dev/mode":null}}}`
		}
		if _, err := cs.CoreV1().Namespaces().Patch(ctx, nsName(i), types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			return err
		}
	}
	return nil
}

var maxRSS = regexp.MustCompile(`(?m)^maxrss=(\d+)$`)

// measure runs the command under GNU time with stdout discarded. Peak RSS
// comes from time's %M: Go's os/exec starts children with CLONE_VM, so a
// child's own ru_maxrss would include this harness's high-water mark.
func measure(gnuTime, bin string, args []string) (sample, error) {
	rep, err := os.CreateTemp("", "auditperf-time-*")
	if err != nil {
		return sample{}, err
	}
	rep.Close()
	defer os.Remove(rep.Name())
	cmd := exec.Command(gnuTime, append([]string{"--format", "maxrss=%M", "--output", rep.Name(), bin}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	_ = cmd.Run()
	s := sample{wall: time.Since(start)}
	if cmd.ProcessState == nil {
		return s, fmt.Errorf("%s: did not run: %s", bin, stderr.String())
	}
	s.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	s.exit = cmd.ProcessState.ExitCode()
	if s.exit != 0 && s.exit != 1 {
		return s, fmt.Errorf("webhook %s: exit %d: %s", strings.Join(args, " "), s.exit, stderr.String())
	}
	b, _ := os.ReadFile(rep.Name())
	m := maxRSS.FindSubmatch(b)
	if m == nil {
		return s, fmt.Errorf("no peak RSS from %s: %s", gnuTime, b)
	}
	kib, _ := strconv.ParseInt(string(m[1]), 10, 64)
	s.rss = kib * 1024
	return s, nil
}

func median(ss []sample) sample {
	pick := func(less func(a, b sample) bool) sample {
		c := append([]sample(nil), ss...)
		for i := range c {
			for j := i + 1; j < len(c); j++ {
				if less(c[j], c[i]) {
					c[i], c[j] = c[j], c[i]
				}
			}
		}
		return c[len(c)/2]
	}
	out := ss[0]
	out.rss = pick(func(a, b sample) bool { return a.rss < b.rss }).rss
	out.wall = pick(func(a, b sample) bool { return a.wall < b.wall }).wall
	out.cpu = pick(func(a, b sample) bool { return a.cpu < b.cpu }).cpu
	return out
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func report(ss []sample) {
	fmt.Println("| objects | peak RSS | × baseline | × previous step | wall | CPU |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	for i, s := range ss {
		prev := "–"
		if i > 0 {
			prev = fmt.Sprintf("%.2f", float64(s.rss)/float64(ss[i-1].rss))
		}
		fmt.Printf("| %d | %.1f MiB | %.2f | %s | %s | %s |\n", s.objects, mib(s.rss), float64(s.rss)/float64(ss[0].rss), prev,
			s.wall.Round(10*time.Millisecond), s.cpu.Round(10*time.Millisecond))
	}
}
