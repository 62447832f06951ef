//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestEvents: with `webhook serve --events` (the suite's webhook runs
// with it), an audit-mode finding becomes a Kubernetes Event on the judged
// object: `kubectl get events` shows the rule and the field, the Event
// refers to the object by its UID (so `kubectl describe` lists it), a dry
// run records nothing, and the same finding again bumps the count of the
// one Event instead of adding another.
func TestEvents(t *testing.T) {
	need(t)
	const ns = "e2e-events-audit"
	createNamespace(t, ns, map[string]string{modeLabel: "audit"})
	field := "spec.template.spec.containers[0].resources.requests.cpu"

	dry := writeTemp(t, "dry.yaml", []byte(deployment(ns, "dry-only", map[string]string{"app": "dry-only"}, "", "")))
	mustNoWarnings(t, mustOK(t, admin(t, "apply", "--dry-run=server", "-f", dry)))

	file := writeTemp(t, "audited.yaml", []byte(deployment(ns, "audited", map[string]string{"app": "audited"}, "", "")))
	mustNoWarnings(t, mustOK(t, admin(t, "apply", "-f", file)))
	uid := jsonpath(t, ns, "deployment", "audited", "{.metadata.uid}")

	var r result
	if !eventually(60*time.Second, func() bool {
		r = admin(t, "get", "events", "-n", ns, "--field-selector", "involvedObject.name=audited")
		return r.ok() && strings.Contains(r.stdout, "[resources-requests] "+field)
	}) {
		t.Fatalf("no Event with the finding for the audited Deployment:\n%s\nwebhook log:\n%s", r, tail(webhookLog(), 20))
	}
	t.Logf("kubectl get events:\n%s", r.stdout)
	for _, want := range []string{"GuardrailsAudit", "deployment/audited", "[resources-requests] " + field + ": "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("kubectl get events lacks %q:\n%s", want, r.stdout)
		}
	}

	type event struct {
		Reason         string `json:"reason"`
		Type           string `json:"type"`
		Message        string `json:"message"`
		Count          int    `json:"count"`
		InvolvedObject struct {
			Kind, Name, Namespace, UID string
		} `json:"involvedObject"`
		Source struct {
			Component string `json:"component"`
		} `json:"source"`
	}
	events := func() []event {
		var list struct {
			Items []event `json:"items"`
		}
		out := mustOK(t, admin(t, "get", "events", "-n", ns, "-o", "json")).stdout
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatal(err)
		}
		return list.Items
	}
	var cpu *event
	for _, e := range events() {
		if e.InvolvedObject.Name == "dry-only" {
			t.Errorf("an Event for a dry run: %+v", e)
		}
		if e.InvolvedObject.Name == "audited" && strings.Contains(e.Message, field) {
			cpu = &e
		}
	}
	if cpu == nil {
		t.Fatal("the Event is not in kubectl get events -o json")
	}
	if cpu.Reason != "GuardrailsAudit" || cpu.Type != "Warning" || cpu.Source.Component != "guardrails-webhook" ||
		cpu.InvolvedObject.Kind != "Deployment" || cpu.InvolvedObject.Namespace != ns || cpu.InvolvedObject.UID != uid {
		t.Errorf("event %+v, want reason GuardrailsAudit about Deployment %s/audited uid %s", *cpu, ns, uid)
	}
	if d := mustOK(t, admin(t, "describe", "deployment", "audited", "-n", ns)).stdout; !strings.Contains(d, "GuardrailsAudit") || !strings.Contains(d, "[resources-requests]") {
		t.Errorf("kubectl describe lists no Guardrails event:\n%s", d)
	}

	// The same finding again (an update that keeps it): one Event, counted.
	mustOK(t, admin(t, "label", "deployment", "audited", "-n", ns, "touched=yes"))
	if !eventually(60*time.Second, func() bool {
		n, count := 0, 0
		for _, e := range events() {
			if e.InvolvedObject.Name == "audited" && strings.Contains(e.Message, field) {
				n++
				count = e.Count
			}
		}
		return n == 1 && count >= 2
	}) {
		t.Errorf("the repeated finding did not bump the count of one Event: %+v", events())
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
