package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// writeLarge writes n objects as one multi-document YAML stream, a mix of
// a typical application repository: 40% Deployments with requests, 20%
// Services, 10% ConfigMaps, 10% Ingresses with distinct hosts, 10% Roles,
// 10% RoleBindings. The Deployment at every badEvery-th object lacks
// requests, and so does the Ingress after it claim a shared host. It
// returns the number of bytes written.
//
// With noCrossObject, the Ingresses, Roles and RoleBindings are Deployments
// instead: no object is kept for cross-object rules.
func writeLarge(w io.Writer, n, badEvery int, noCrossObject bool) int64 {
	bw := bufio.NewWriter(w)
	cw := &countingWriter{w: bw}
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("team-%d", i%200)
		kind := i % 10
		if noCrossObject && kind >= 7 {
			kind = 0
		}
		switch kind {
		case 0, 1, 2, 3:
			req := "        resources:\n          requests: {cpu: 100m, memory: 128Mi}\n"
			if badEvery > 0 && i%badEvery == 0 {
				req = ""
			}
			fmt.Fprintf(cw, `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-%d
  namespace: %s
  labels: {app.kubernetes.io/name: app-%d, app.kubernetes.io/part-of: shop}
spec:
  replicas: 2
  selector:
    matchLabels: {app.kubernetes.io/name: app-%d}
  template:
    metadata:
      labels: {app.kubernetes.io/name: app-%d}
    spec:
      containers:
      - name: app
        image: ghcr.io/example/app:1.%d.0
        ports: [{containerPort: 8080}]
        env: [{name: MODE, value: production}, {name: LOG_LEVEL, value: info}]
%s`, i, ns, i, i, i, i%50, req)
		case 4, 5:
			fmt.Fprintf(cw, `---
apiVersion: v1
kind: Service
metadata: {name: app-%d, namespace: %s, labels: {app.kubernetes.io/name: app-%d}}
spec:
  selector: {app.kubernetes.io/name: app-%d}
  ports: [{name: http, port: 80, targetPort: 8080}]
`, i, ns, i, i)
		case 6:
			fmt.Fprintf(cw, `---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-%d, namespace: %s}
data:
  config.yaml: |
    server:
      port: 8080
      timeout: 30s
    features: [search, checkout, recommendations]
`, i, ns)
		case 7:
			host := fmt.Sprintf("app-%d.example.com", i)
			if badEvery > 0 && i%badEvery == 7 {
				host = "shared.example.com"
			}
			fmt.Fprintf(cw, `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-%d
  namespace: %s
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
spec:
  ingressClassName: nginx
  tls:
  - hosts: [%s]
    secretName: app-%d-tls
  rules:
  - host: %s
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: app-%d, port: {number: 80}}}
`, i, ns, host, i, host, i)
		case 8:
			fmt.Fprintf(cw, `---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader-%d, namespace: %s}
rules:
- apiGroups: [""]
  resources: [configmaps, services]
  verbs: [get, list, watch]
`, i, ns)
		case 9:
			fmt.Fprintf(cw, `---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-%d, namespace: %s}
subjects:
- {kind: ServiceAccount, name: app-%d, namespace: %s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader-%d}
`, i, ns, i, ns, i-1)
		}
	}
	bw.Flush()
	return cw.n
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func largeInput(tb testing.TB, n, badEvery int, noCrossObject bool) (string, int64) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "large.yaml")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	size := writeLarge(f, n, badEvery, noCrossObject)
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, size
}

// BenchmarkCheckLarge runs the whole pipeline (both passes, all rules,
// JSON report) over 20k objects; MB/s is input text per second.
func BenchmarkCheckLarge(b *testing.B) {
	path, size := largeInput(b, 20_000, 100, false)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := &checkOptions{files: []string{path}, output: "json"}
		err := runCheck(o, strings.NewReader(""), io.Discard, io.Discard)
		if ee, ok := err.(*exitError); !ok || ee.code != 1 {
			b.Fatalf("want exit 1, got %v", err)
		}
	}
}

// TestCheckLargeMemory checks 100k objects and logs the peak live heap
// next to the input size. Without objects for cross-object rules the heap
// must stay flat (streaming: one document at a time); with them it holds
// the input view (Roles, the Ingress claim index) and the findings.
func TestCheckLargeMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	for _, tc := range []struct {
		name          string
		noCrossObject bool
		maxGrowth     int64
	}{
		{"no cross-object kinds", true, 16 << 20},
		{"30% Ingresses, Roles and RoleBindings", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, size := largeInput(t, 100_000, 1000, tc.noCrossObject)
			growth := measureCheck(t, path, size)
			if tc.maxGrowth > 0 && growth > tc.maxGrowth {
				t.Errorf("peak live heap grew by %.1f MiB on %.1f MiB of input: not streaming", float64(growth)/(1<<20), float64(size)/(1<<20))
			}
		})
	}
}

func measureCheck(t *testing.T, path string, size int64) int64 {
	// The live heap after each GC (runtime/metrics) is what the program
	// holds; HeapAlloc also counts garbage not yet collected.
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()

	var peak, peakAlloc atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			if v := s[1].Value.Uint64(); v > peakAlloc.Load() {
				peakAlloc.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	o := &checkOptions{files: []string{path}, output: "json"}
	err := runCheck(o, strings.NewReader(""), io.Discard, io.Discard)
	elapsed := time.Since(start)
	close(stop)
	<-done
	if ee, ok := err.(*exitError); !ok || ee.code != 1 {
		t.Fatalf("want exit 1, got %v", err)
	}
	growth := int64(peak.Load()) - int64(base)
	t.Logf("100k objects, %.1f MiB of YAML: %v; peak live heap %.1f MiB (%.1f MiB above the start), peak heap incl. garbage %.1f MiB",
		float64(size)/(1<<20), elapsed.Round(time.Millisecond), float64(peak.Load())/(1<<20), float64(growth)/(1<<20), float64(peakAlloc.Load())/(1<<20))
	return growth
}
