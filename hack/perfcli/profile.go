package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// profileTest is added to cmd/webhook through a build overlay (go test
// -overlay), so that the CPU profile covers the binary's own entry point,
// run(args), while the repository carries no profiling code. It runs
// `webhook ARGS` ITERATIONS times with the report discarded.
const profileTest = `package main

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

func TestPerfCLIProfile(t *testing.T) {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("PERFCLI_ARGS")), &args); err != nil || len(args) == 0 {
		t.Fatalf("PERFCLI_ARGS: want a JSON list of webhook arguments (%v)", err)
	}
	iterations, err := strconv.Atoi(os.Getenv("PERFCLI_ITERATIONS"))
	if err != nil || iterations < 1 {
		t.Fatalf("PERFCLI_ITERATIONS: want a positive number (%v)", err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = devnull
	defer func() { os.Stdout = stdout; devnull.Close() }()
	for i := 0; i < iterations; i++ {
		if code := run(args); code != 0 && code != 1 {
			t.Fatalf("webhook %v: exit %d", args, code)
		}
	}
}
`

func profileCmd(args []string) error {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	mixes := fs.String("mix", mixPods+","+mixMixed, "corpora to profile, comma-separated: pods, mixed")
	n := fs.Int("n", 10000, "objects per corpus")
	iterations := fs.Int("iterations", 3, "runs of webhook check per profile (more samples)")
	top := fs.Int("top", 15, "lines of `go tool pprof -top`")
	dir := fs.String("dir", "bin/perf", "directory for corpora, the test binary and the profiles")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *iterations < 1 || *top < 1 {
		return usageError("profile: want -n, -iterations and -top >= 1")
	}
	for _, mix := range strings.Split(*mixes, ",") {
		if !validMix(mix) {
			return usageError(fmt.Sprintf("profile: -mix %q: want pods, mixed or pods,mixed", mix))
		}
	}
	gomod, err := execOutput("go", "env", "GOMOD")
	if err != nil || gomod == "" || gomod == os.DevNull {
		return fmt.Errorf("run from the repository (go env GOMOD: %q, %v)", gomod, err)
	}
	root := filepath.Dir(gomod)
	absDir, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(absDir, 0o755); err != nil {
		return err
	}

	// Build cmd/webhook's test binary with the profiling test added.
	tmp, err := os.MkdirTemp("", "perfcli-overlay-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	testFile := filepath.Join(tmp, "profile_test.go")
	if err := os.WriteFile(testFile, []byte(profileTest), 0o644); err != nil {
		return err
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {
		filepath.Join(root, "cmd", "webhook", "zz_perfcli_profile_test.go"): testFile,
	}})
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		return err
	}
	testBin := filepath.Join(absDir, "webhook-profile.test")
	build := exec.Command("go", "test", "-overlay", overlayFile, "-c", "-o", testBin, "./cmd/webhook")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the profiling test binary: %w", err)
	}

	for _, mix := range strings.Split(*mixes, ",") {
		path := corpusPath(absDir, mix, *n)
		c, err := writeCorpus(path, mix, *n)
		if err != nil {
			return err
		}
		prof := strings.TrimSuffix(path, ".yaml") + ".cpu.pprof"
		argv, _ := json.Marshal([]string{"check", "-f", path})
		cmd := exec.Command(testBin, "-test.run", "^TestPerfCLIProfile$", "-test.count", "1", "-test.cpuprofile", prof)
		cmd.Env = append(os.Environ(), "PERFCLI_ARGS="+string(argv), "PERFCLI_ITERATIONS="+strconv.Itoa(*iterations))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("profiling webhook check on %s: %w\n%s", path, err, out.String())
		}
		fmt.Printf("== webhook check -f %s (%d objects: %s; %s), %d runs; profile %s\n\n", filepath.Base(path), c.Objects, c, mib(c.Bytes), *iterations, prof)
		for _, sortBy := range []string{"-flat", "-cum"} {
			pp := exec.Command("go", "tool", "pprof", "-top", sortBy, "-nodecount", strconv.Itoa(*top), testBin, prof)
			pp.Dir = root
			text, err := pp.Output()
			if err != nil {
				return fmt.Errorf("go tool pprof %s: %w", prof, err)
			}
			fmt.Printf("go tool pprof -top %s -nodecount %d\n%s\n", sortBy, *top, text)
		}
	}
	return nil
}

// execOutput runs a command and returns its standard output without the
// trailing newline.
func execOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	return strings.TrimSuffix(string(out), "\n"), err
}
