// Package events records the findings the webhook admits as Kubernetes
// Events (`webhook serve --events`). In audit mode nothing is shown to
// the person who applied an object; the Events make those findings
// visible where people look — `kubectl get events`, `kubectl describe` —
// without access to the API server's audit log.
//
// Events are written by client-go's event recorder (tools/record), whose
// correlator bounds what reaches etcd:
//
//   - a token bucket per namespace (not per object, the recorder's
//     default): at most Burst events at once, then one every 1/QPS
//     seconds, so a busy namespace with many offending objects cannot
//     flood etcd;
//   - de-duplication: the same finding on the same object again only
//     bumps the count of the existing Event (a PATCH);
//   - aggregation: more than 10 different findings of one object within
//     10 minutes become one Event "(combined from similar events)".
//
// Recording never blocks an admission request: the recorder queues (and
// drops when the queue is full) and writes in the background.
package events

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Reasons of the Events, by the action the finding got.
const (
	// ReasonAudit: a finding recorded only (audit mode, or a rule
	// configured as audit).
	ReasonAudit = "GuardrailsAudit"
	// ReasonWarn: a finding returned as a warning.
	ReasonWarn = "GuardrailsWarn"
)

// Component is the Events' source (reportingComponent).
const Component = "guardrails-webhook"

// Limits of what reaches the API server, per namespace (events of
// cluster-scoped objects live in "default").
const (
	// Burst Events of one namespace are written at once…
	Burst = 50
	// …then QPS per second (one a minute).
	QPS = 1.0 / 60
	// MaxMessageLen caps an Event's message (the API server's limit
	// for events.k8s.io notes is 1 KiB).
	MaxMessageLen = 1024
)

// Recorder records admitted findings as Events. Start it with the
// manager (it is a manager.Runnable): stopping flushes nothing more and
// releases the recorder's goroutines.
type Recorder struct {
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
}

// New returns a Recorder writing through cs. host names the replica
// (reportingInstance, usually the pod name).
func New(cs kubernetes.Interface, host string) *Recorder {
	return NewForSink(&typedcorev1.EventSinkImpl{Interface: cs.CoreV1().Events("")}, host)
}

// NewForSink returns a Recorder writing to sink.
func NewForSink(sink record.EventSink, host string) *Recorder {
	b := record.NewBroadcaster(record.WithCorrelatorOptions(record.CorrelatorOptions{
		BurstSize:   Burst,
		QPS:         QPS,
		SpamKeyFunc: spamKey,
	}))
	b.StartRecordingToSink(sink)
	return &Recorder{
		broadcaster: b,
		recorder:    b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: Component, Host: host}),
	}
}

// spamKey puts every Event of one namespace in one token bucket (each
// replica has its own buckets).
func spamKey(e *corev1.Event) string {
	return e.Source.Component + "/" + e.Namespace
}

// Finding records one finding of the object ref refers to. line is the
// finding as the webhook writes it (`[rule-id] field: message (hint)`);
// action says whether it was audited or returned as a warning.
func (r *Recorder) Finding(ref *corev1.ObjectReference, action rules.Action, line string) {
	reason := ReasonWarn
	if action == rules.ActionAudit {
		reason = ReasonAudit
	}
	r.recorder.Event(ref, corev1.EventTypeWarning, reason, rules.Truncate(line, MaxMessageLen))
}

// Start blocks until ctx is done, then shuts the recorder down.
func (r *Recorder) Start(ctx context.Context) error {
	<-ctx.Done()
	r.broadcaster.Shutdown()
	return nil
}

// NeedLeaderElection: every replica records the findings it judged.
func (r *Recorder) NeedLeaderElection() bool { return false }
