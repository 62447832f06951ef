package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckAssets(t *testing.T) {
	dir := t.TempDir()
	err := CheckAssets(dir)
	if err == nil || !strings.Contains(err.Error(), "no kube-apiserver in "+dir) || !strings.Contains(err.Error(), "make control-plane") {
		t.Fatalf("empty dir: %v", err)
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckAssets(dir); err != nil {
		t.Fatalf("both binaries present: %v", err)
	}
	if err := os.Chmod(filepath.Join(dir, "etcd"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckAssets(dir); err == nil || !strings.Contains(err.Error(), "no etcd") {
		t.Fatalf("etcd not executable: %v", err)
	}
}

func TestStartFailsFastWithoutBinaries(t *testing.T) {
	_, err := Start(context.Background(), Options{WebhookBinary: "webhook", AssetsDir: t.TempDir(), Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "make control-plane") {
		t.Fatalf("got %v", err)
	}
	if _, err := Start(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "WebhookBinary") {
		t.Fatalf("no webhook binary: %v", err)
	}
}

func TestFindRepoRoot(t *testing.T) {
	root, err := FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
}

func TestStopBeforeStartIsSafe(t *testing.T) {
	s := &Sandbox{}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}
