package events

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// sink is an EventSink that keeps what the recorder writes.
type sink struct {
	mu      sync.Mutex
	created []*corev1.Event
	patches int
	seen    chan string // names of the involved objects, in order
}

func newSink() *sink { return &sink{seen: make(chan string, 10000)} }

func (s *sink) Create(e *corev1.Event) (*corev1.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := e.DeepCopy()
	c.ResourceVersion = "1"
	s.created = append(s.created, c)
	s.seen <- e.InvolvedObject.Name
	return c, nil
}

func (s *sink) Update(e *corev1.Event) (*corev1.Event, error) { return e, nil }

func (s *sink) Patch(e *corev1.Event, _ []byte) (*corev1.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.patches++
	s.seen <- e.InvolvedObject.Name
	return e.DeepCopy(), nil
}

// flush records a marker in a namespace of its own and waits until it
// reaches the sink: the recorder handles events in order, so everything
// recorded before has been written or dropped by then.
func flush(t *testing.T, r *Recorder, s *sink) {
	t.Helper()
	r.Finding(&corev1.ObjectReference{Kind: "ConfigMap", APIVersion: "v1", Namespace: "flush", Name: "marker"}, rules.ActionAudit, "marker")
	timeout := time.After(30 * time.Second)
	for {
		select {
		case name := <-s.seen:
			if name == "marker" {
				return
			}
		case <-timeout:
			t.Fatal("the recorder wrote nothing within 30s")
		}
	}
}

func deployment(ns, name string) *corev1.ObjectReference {
	return &corev1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name, UID: types.UID("uid-" + name)}
}

func (s *sink) events(ns string) []*corev1.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*corev1.Event
	for _, e := range s.created {
		if e.Namespace == ns {
			out = append(out, e)
		}
	}
	return out
}

func TestFindingEvent(t *testing.T) {
	s := newSink()
	r := NewForSink(s, "replica-0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = r.Start(ctx) }()

	line := "[resources-requests] spec.template.spec.containers[0].resources.requests.cpu: container \"web\": no cpu request (set resources.requests.cpu)"
	r.Finding(deployment("team-a", "web"), rules.ActionAudit, line)
	r.Finding(deployment("team-a", "api"), rules.ActionWarn, "[resources-implausible] x: "+strings.Repeat("é", 2000))
	flush(t, r, s)

	got := s.events("team-a")
	if len(got) != 2 {
		t.Fatalf("%d events, want 2: %+v", len(got), got)
	}
	e := got[0]
	if e.Reason != ReasonAudit || e.Type != corev1.EventTypeWarning || e.Message != line || e.Source.Component != Component || e.ReportingController != Component || e.ReportingInstance != "replica-0" {
		t.Errorf("event %+v", e)
	}
	if e.InvolvedObject != *deployment("team-a", "web") {
		t.Errorf("involvedObject %+v", e.InvolvedObject)
	}
	if got[1].Reason != ReasonWarn || len(got[1].Message) > MaxMessageLen || !strings.HasSuffix(got[1].Message, "...") {
		t.Errorf("warn event: reason %s, message of %d bytes", got[1].Reason, len(got[1].Message))
	}
	clusterScoped := &corev1.ObjectReference{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "wide"}
	r.Finding(clusterScoped, rules.ActionAudit, "[rbac-escalation] rules[0].verbs: wildcard")
	flush(t, r, s)
	if got := s.events("default"); len(got) != 1 || got[0].InvolvedObject.Name != "wide" {
		t.Errorf("cluster-scoped object: events in default %+v", got)
	}
}

// TestFindingEventsBounded: the same finding again bumps the count of one
// Event; a namespace that produces many findings gets Burst events, and
// another namespace is not starved by it.
func TestFindingEventsBounded(t *testing.T) {
	s := newSink()
	r := NewForSink(s, "replica-0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = r.Start(ctx) }()

	for range 5 {
		r.Finding(deployment("quiet", "web"), rules.ActionAudit, "[resources-requests] f: same")
	}
	flush(t, r, s)
	if got := s.events("quiet"); len(got) != 1 {
		t.Errorf("the same finding 5 times: %d events, want 1", len(got))
	}
	s.mu.Lock()
	patches := s.patches
	s.mu.Unlock()
	if patches != 4 {
		t.Errorf("%d patches (count updates), want 4", patches)
	}

	const flood = 3 * Burst
	for i := range flood {
		r.Finding(deployment("busy", fmt.Sprintf("app-%d", i)), rules.ActionAudit, "[resources-requests] f: no cpu request")
	}
	r.Finding(deployment("other", "web"), rules.ActionWarn, "[ingress-tls] spec.tls[0]: no secret")
	flush(t, r, s)
	if got := len(s.events("busy")); got != Burst {
		t.Errorf("%d findings in one namespace: %d events written, want the burst of %d", flood, got, Burst)
	}
	if got := len(s.events("other")); got != 1 {
		t.Errorf("another namespace: %d events, want 1", got)
	}
}
