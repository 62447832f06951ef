package deployrender

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfileBuildLine: the image is built with exactly the `go build`
// line of `make build` (the Makefile's GO_BUILD), so that what CI tests is
// what ships.
func TestDockerfileBuildLine(t *testing.T) {
	root := repoRoot(t)
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var run []string
	var from []string
	sc := bufio.NewScanner(bytes.NewReader(df))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "FROM ") {
			from = append(from, line)
		}
		if strings.HasPrefix(line, "RUN ") && strings.Contains(line, "go build") {
			run = append(run, strings.TrimPrefix(line, "RUN "))
		}
	}
	if len(run) != 1 {
		t.Fatalf("Dockerfile: want one RUN line with go build, have %d", len(run))
	}
	// The Dockerfile passes the version as a build argument.
	docker := strings.ReplaceAll(run[0], "${VERSION}", "v9.9.9-test")

	cmd := exec.Command("make", "--no-print-directory", "-n", "build", "GO=go", "VERSION=v9.9.9-test", "BIN=/out")
	cmd.Dir = root
	// Under `make test` the parent's MAKEFLAGS/MAKELEVEL would make the
	// child print "Entering directory" lines.
	cmd.Env = append(os.Environ(), "MAKEFLAGS=", "MAKELEVEL=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make -n build: %v", err)
	}
	makeLine := strings.TrimSpace(string(out))
	if strings.Count(makeLine, "\n") != 0 {
		t.Fatalf("make -n build prints more than one command:\n%s", makeLine)
	}
	if docker != makeLine {
		t.Errorf("the Dockerfile and `make build` build differently:\nDockerfile: %s\nmake:       %s", docker, makeLine)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=v9.9.9-test"} {
		if !strings.Contains(docker, want) {
			t.Errorf("build line lacks %s", want)
		}
	}

	// Toolchain image = go.mod's Go version; final image distroless
	// static, non-root.
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	if len(from) != 2 || !strings.HasPrefix(from[0], "FROM golang:"+string(m[1])+" ") ||
		from[1] != "FROM gcr.io/distroless/static:nonroot" {
		t.Errorf("stages %q: want golang:%s then gcr.io/distroless/static:nonroot", from, m[1])
	}
	if !bytes.Contains(df, []byte("\nUSER 65532:65532\n")) || !bytes.Contains(df, []byte(`ENTRYPOINT ["/webhook"]`)) {
		t.Error("final stage: want USER 65532:65532 and ENTRYPOINT [\"/webhook\"]")
	}
}
