package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	ctrladmission "sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/admission"
	"github.com/guardrails-dev/guardrails/internal/clustercache"
	"github.com/guardrails-dev/guardrails/internal/config"
)

// BenchmarkScenarios runs each request kind of the load harness's mix
// through the server's handlers (no TLS, no HTTP connection) against the
// same static cluster as `go run ./hack/load --ingresses 10000 --bindings
// 10000`: "guardrails" (/validate or /mutate) and "decode-only" (the
// harness's baseline) side by side, so that the ratios per kind, the
// allocations and CPU profiles (-cpuprofile) read without the harness's
// clients and TLS.
//
// "paired" runs both in turn and reports the medians of the requests'
// times and their ratio.
//
//	go test ./hack/load -run '^$' -bench Scenarios -benchmem
func BenchmarkScenarios(b *testing.B) {
	c := cluster{ingresses: 10000, bindings: 10000}
	state, err := clustercache.NewStatic(clustercache.Options{}, clusterObjects(c)...)
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	validate, err := admission.NewWebhook(admission.NewValidator(cfg, state, admission.Options{}), logr.Discard())
	if err != nil {
		b.Fatal(err)
	}
	mutate, err := admission.NewWebhook(admission.NewMutator(cfg, state, admission.Options{}), logr.Discard())
	if err != nil {
		b.Fatal(err)
	}
	base, err := ctrladmission.StandaloneWebhook(&ctrladmission.Webhook{Handler: ctrladmission.HandlerFunc(
		func(context.Context, ctrladmission.Request) ctrladmission.Response { return ctrladmission.Allowed("") },
	)}, ctrladmission.StandaloneOptions{Logger: logr.Discard()})
	if err != nil {
		b.Fatal(err)
	}
	scs, err := scenarios(c)
	if err != nil {
		b.Fatal(err)
	}
	serve := func(h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	handler := func(sc *scenario) http.Handler {
		if sc.path == "/mutate" {
			return mutate
		}
		return validate
	}
	for _, sc := range scs {
		h := handler(&sc)
		w := serve(h, sc.path, sc.body)
		var ar admissionv1.AdmissionReview
		if err := json.Unmarshal(w.Body.Bytes(), &ar); err != nil || ar.Response == nil {
			b.Fatalf("%s: %v: %s", sc.name, err, w.Body)
		}
		if err := sc.check(ar.Response); err != nil {
			b.Fatalf("%s: %v", sc.name, err)
		}
		for _, t := range []struct {
			name string
			h    http.Handler
			path string
		}{{"guardrails", h, sc.path}, {"decode-only", base, BaselinePath}} {
			b.Run(sc.name+"/"+t.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if w := serve(t.h, t.path, sc.body); w.Code != http.StatusOK {
						b.Fatal(w.Code)
					}
				}
			})
		}
		// Both in turn, each request timed: the medians and their ratio
		// hold up on a shared machine, where a preempted request is an
		// outlier rather than a share of the mean.
		b.Run(sc.name+"/paired", func(b *testing.B) {
			var g, d []time.Duration
			for b.Loop() {
				t0 := time.Now()
				serve(h, sc.path, sc.body)
				t1 := time.Now()
				serve(base, BaselinePath, sc.body)
				g, d = append(g, t1.Sub(t0)), append(d, time.Since(t1))
			}
			reportPaired(b, g, d)
		})
	}
	// The kinds in turn, as the harness's clients send them: each
	// request finds the caches holding the previous kind's code and data.
	b.Run("mix/paired", func(b *testing.B) {
		var g, d []time.Duration
		for i := 0; b.Loop(); i++ {
			sc := &scs[i%len(scs)]
			t0 := time.Now()
			serve(handler(sc), sc.path, sc.body)
			t1 := time.Now()
			serve(base, BaselinePath, sc.body)
			g, d = append(g, t1.Sub(t0)), append(d, time.Since(t1))
		}
		reportPaired(b, g, d)
	})
}

// reportPaired reports the medians of the paired requests' times,
// Guardrails' (g) and the decode-only handler's (d), and their ratio.
func reportPaired(b *testing.B, g, d []time.Duration) {
	slices.Sort(g)
	slices.Sort(d)
	gm, dm := float64(g[len(g)/2]), float64(d[len(d)/2])
	b.ReportMetric(gm/1e3, "guardrails-p50-us")
	b.ReportMetric(dm/1e3, "decode-only-p50-us")
	b.ReportMetric(gm/dm, "p50-ratio")
}
