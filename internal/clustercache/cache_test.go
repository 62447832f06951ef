package clustercache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/client-go/rest"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// TestNewWithoutAPIServer builds the real informer-backed cache against an
// address where nothing listens: New must not need the API server, lookups
// must say "unavailable", and Start must return when its context ends.
func TestNewWithoutAPIServer(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:1", Timeout: time.Second}
	c, err := New(cfg, Options{SecretLookups: true, ResyncPeriod: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.resources() {
		if r == nil || r.store == nil || r.hasSynced == nil {
			t.Fatalf("resource not wired: %+v", r)
		}
	}
	if c.secrets == nil {
		t.Fatal("secrets informer missing with SecretLookups")
	}
	for name, err := range lookups(c) {
		if !errors.Is(err, rules.ErrUnavailable) {
			t.Errorf("%s on an unstarted cache: %v, want ErrUnavailable", name, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx) }()
	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	if c.WaitForSync(short) {
		t.Error("synced without an API server")
	}
	if c.ReadyCheck(nil) == nil {
		t.Error("ready without an API server")
	}
	if got := gaugeValue(t, cacheSynced); got != 0 {
		t.Errorf("guardrails_cache_synced = %v, want 0", got)
	}
	if err := c.Start(ctx); err == nil {
		t.Error("second Start succeeded")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return after its context ended")
	}
	if c.Synced() {
		t.Error("synced after stop")
	}
}

func TestNewNeedsConfig(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) succeeded")
	}
}

func TestSyncMetrics(t *testing.T) {
	c, err := NewStatic(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.reportSync() {
		t.Fatal("static cache not synced")
	}
	if got := gaugeValue(t, cacheSynced); got != 1 {
		t.Errorf("guardrails_cache_synced = %v, want 1", got)
	}
	if got := gaugeValue(t, resourceSynced.WithLabelValues("ingresses")); got != 1 {
		t.Errorf("guardrails_cache_resource_synced{resource=ingresses} = %v, want 1", got)
	}
}

func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}
