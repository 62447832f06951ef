package main

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// TestRun runs the harness for about a second with two clients and checks
// that every request got the expected verdict and that the report is
// complete. It asserts nothing about timing.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{Duration: 500 * time.Millisecond, Round: 250 * time.Millisecond, Concurrency: 2, Ingresses: 2000, Bindings: 500, Hostile: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 0 {
		t.Fatalf("%d errors: %q", rep.Errors, rep.ErrorSamples)
	}

	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	has := func(m map[string]any, where string, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: no %q in %v", where, k, m)
			}
		}
	}
	has(doc, "report", "config", "overall", "kinds", "errors", "errorSamples")
	has(doc["config"].(map[string]any), "config", "duration", "round", "roundsPerTarget", "concurrency", "ingresses", "bindings", "gomaxprocs", "goVersion")
	kinds := doc["kinds"].([]any)
	var names []string
	for _, k := range append(kinds, doc["overall"]) {
		k := k.(map[string]any)
		name, _ := k["kind"].(string)
		names = append(names, name)
		has(k, name, "kind", "baseline", "guardrails", "ratios")
		for _, target := range []string{"baseline", "guardrails"} {
			s := k[target].(map[string]any)
			has(s, name+" "+target, "requests", "errors", "throughputPerSec", "p50Ms", "p90Ms", "p99Ms", "maxMs")
			if s["requests"].(float64) == 0 {
				t.Errorf("%s %s: no requests", name, target)
			}
		}
		has(k["ratios"].(map[string]any), name+" ratios", "p50", "p99", "throughput")
	}
	for _, target := range []string{"baseline", "guardrails"} {
		if cpu, _ := doc["overall"].(map[string]any)[target].(map[string]any)["cpuPerRequestUs"].(float64); cpu <= 0 {
			t.Errorf("overall %s: CPU per request %v", target, cpu)
		}
	}
	want := []string{"deployment-good", "deployment-bad", "ingress-annotated", "ingress-conflict",
		"clusterrolebinding", "namespace-update", "mutate-coredns", "clusterrole-widened", "overall"}
	if !slices.Equal(names, want) {
		t.Errorf("kinds %q, want %q", names, want)
	}
	// The hostile scenario: the normal clients with and without the
	// hostile ones, and the hostile requests.
	h, ok := doc["hostile"].(map[string]any)
	if !ok {
		t.Fatalf("no hostile report in %v", doc)
	}
	has(h, "hostile", "clients", "kind", "roundsPerSide", "normalAlone", "normalWithHostile", "normalWithHostileToBaseline",
		"hostile", "hostileToBaseline", "ratios", "baselineRatios")
	for _, side := range []string{"normalAlone", "normalWithHostile", "normalWithHostileToBaseline", "hostile", "hostileToBaseline"} {
		if s := h[side].(map[string]any); s["requests"].(float64) == 0 {
			t.Errorf("hostile %s: no requests", side)
		}
	}
	has(h["ratios"].(map[string]any), "hostile ratios", "p50", "p99", "throughput")

	// The text report names every kind.
	var sb strings.Builder
	printText(&sb, rep)
	for _, n := range append(want, "hostile to", "ingress-hostile") {
		if !strings.Contains(sb.String(), n) {
			t.Errorf("text report lacks %s:\n%s", n, sb.String())
		}
	}
}

// TestWrongVerdictIsAnError checks that the harness verifies verdicts:
// expecting the opposite answer from the real server is an error.
func TestWrongVerdictIsAnError(t *testing.T) {
	scs, err := scenarios(cluster{ingresses: 100, bindings: 200})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := startServer(context.Background(), cluster{ingresses: 100, bindings: 200}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.stop(); err != nil {
			t.Error(err)
		}
	}()
	for _, sc := range scs {
		if _, err := srv.do(context.Background(), &sc, false); err != nil {
			t.Errorf("%s: %v", sc.name, err)
		}
		if _, err := srv.do(context.Background(), &sc, true); err != nil {
			t.Errorf("baseline %s: %v", sc.name, err)
		}
		wrong := sc
		switch sc.name {
		case "deployment-good", "ingress-annotated":
			wrong.check = denied("resources-requests")
		case "mutate-coredns":
			wrong.check = patched("no-such-field")
		default:
			wrong.check = allowed
		}
		if _, err := srv.do(context.Background(), &wrong, false); err == nil {
			t.Errorf("%s: a wrong expected verdict went unnoticed", sc.name)
		}
		wrong = sc
		wrong.uid = "another-uid"
		if _, err := srv.do(context.Background(), &wrong, false); err == nil || !strings.Contains(err.Error(), "UID") {
			t.Errorf("%s: a UID mismatch went unnoticed: %v", sc.name, err)
		}
	}
	// The hostile request: admitted with warnings, checked.
	hs, err := hostileScenario()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.do(context.Background(), &hs, false); err != nil {
		t.Errorf("%s: %v", hs.name, err)
	}
	wrong := hs
	wrong.check = denied("ingress-annotation")
	if _, err := srv.do(context.Background(), &wrong, false); err == nil {
		t.Errorf("%s: a wrong expected verdict went unnoticed", hs.name)
	}

	// A path that is not served answers 404: an error.
	bad := scs[0]
	bad.path = "/nowhere"
	if _, err := srv.do(context.Background(), &bad, false); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("unserved path: %v", err)
	}
}

// TestRoundAnswersAreChecked checks that the answers of a round, kept and
// checked after it, count as errors when the verdict is wrong, and that
// with CheckInline the clients check them as they come.
func TestRoundAnswersAreChecked(t *testing.T) {
	c := cluster{ingresses: 100, bindings: 200}
	scs, err := scenarios(c)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := startServer(context.Background(), c, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.stop(); err != nil {
			t.Error(err)
		}
	}()
	wrong := slices.Clone(scs)
	for i := range wrong {
		wrong[i].check = func(*admissionv1.AdmissionResponse) error { return errors.New("wrong verdict") }
	}
	for _, inline := range []bool{false, true} {
		srv.checkInline = inline
		ss := srv.round(context.Background(), wrong, false, 2, 100*time.Millisecond)
		if len(ss) == 0 {
			t.Fatalf("inline %v: no requests", inline)
		}
		for _, s := range ss {
			if kept := s.answer != nil; kept == inline {
				t.Fatalf("inline %v: answer kept %v", inline, kept)
			}
		}
		for _, s := range checked(ss, wrong, false) {
			if s.err == nil || s.answer != nil {
				t.Fatalf("inline %v: %s: error %v, answer kept %v", inline, wrong[s.kind].name, s.err, s.answer != nil)
			}
		}
		// The baseline allows everything: its answers pass the check
		// whatever the scenario expects from Guardrails.
		for _, s := range checked(srv.round(context.Background(), wrong, true, 2, 100*time.Millisecond), wrong, true) {
			if s.err != nil {
				t.Fatalf("inline %v: baseline %s: %v", inline, wrong[s.kind].name, s.err)
			}
		}
	}
}
