package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	var out, errb bytes.Buffer
	if code := run([]string{"--out", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "new CA") {
		t.Errorf("first run: %q", out.String())
	}
	for _, f := range []string{"ca.crt", "ca.key", "tls.crt", "tls.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	crt, _ := os.ReadFile(filepath.Join(dir, "tls.crt"))
	out.Reset()
	if code := run([]string{"--out", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), "kept") {
		t.Fatalf("second run: exit %d %q", code, out.String())
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "tls.crt")); !bytes.Equal(crt, again) {
		t.Error("a valid certificate was replaced without --force")
	}
	// A certificate for other names is not replaced without --force.
	if code := run([]string{"--out", dir, "--local"}, &out, &errb); code != 2 {
		t.Errorf("--local over service certs: exit %d", code)
	}
	if code := run([]string{"--out", dir, "--local", "--force", "--ip", "10.0.0.1"}, &out, &errb); code != 0 {
		t.Errorf("--local --force: exit %d: %s", code, errb.String())
	}
	for _, args := range [][]string{{}, {"--out", dir, "extra"}, {"--out", dir, "--ip", "nope"}} {
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestRunClient(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"--out", dir, "--client", "kube-apiserver"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	crt, err := os.ReadFile(filepath.Join(dir, "client.crt"))
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"--out", dir, "--client", "kube-apiserver"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "kept") {
		t.Fatalf("second run: %q", out.String())
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "client.crt")); !bytes.Equal(crt, again) {
		t.Error("a valid client certificate was replaced")
	}
}
