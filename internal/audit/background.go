package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"

	"github.com/guardrails-dev/guardrails/internal/metrics"
	"github.com/guardrails-dev/guardrails/internal/policy"
)

// Publisher receives every complete background audit (the PolicyReports of
// internal/policyreport).
type Publisher interface {
	Publish(ctx context.Context, t *Tally, at time.Time) error
}

// BackgroundOptions configure the background audit.
type BackgroundOptions struct {
	// Interval between the start of two audits.
	Interval time.Duration
	// MaxResults is the number of objects with findings kept per
	// namespace for the Publisher; default 100.
	MaxResults int
	// Publisher, when set, receives every complete audit.
	Publisher Publisher
	// Lease elects the one replica that audits; nil audits without
	// election (a single replica, tests).
	Lease *LeaseOptions
	// WaitForSync blocks until the cluster state is synced (false: ctx
	// ended first).
	WaitForSync func(context.Context) bool
	// PageSize of the LIST calls; default DefaultPageSize.
	PageSize int64
	Log      logr.Logger
}

// Background audits the cluster every interval under the policy in force
// and publishes the results as gauges (guardrails_audit_violations,
// guardrails_audit_last_completed_timestamp_seconds, ...) and through the
// Publisher. It is a controller-runtime runnable that every replica runs:
// only the holder of the Lease audits.
type Background struct {
	a   *Auditor
	cur *policy.Current
	o   BackgroundOptions
	// gauges are the label sets of guardrails_audit_violations set by
	// the last audit, so that the next one removes those that are gone.
	gauges map[[3]string]bool
}

// NewBackground returns the background audit of a over the policy in cur.
func NewBackground(a *Auditor, cur *policy.Current, o BackgroundOptions) *Background {
	if o.MaxResults <= 0 {
		o.MaxResults = 100
	}
	return &Background{a: a, cur: cur, o: o, gauges: map[[3]string]bool{}}
}

// NeedLeaderElection reports false: the audit elects its leader itself
// (a lost Lease must not stop the process's admission server).
func (b *Background) NeedLeaderElection() bool { return false }

// Start audits, as the leader, every interval until ctx is done.
func (b *Background) Start(ctx context.Context) error {
	metrics.AuditInterval.Set(b.o.Interval.Seconds())
	if b.o.Lease == nil {
		b.loop(ctx)
		return nil
	}
	return whileLeader(ctx, *b.o.Lease, b.o.Log, b.loop)
}

// loop audits at once, then every interval, until ctx is done. The
// replica that stops leading drops its violation gauges: only the leader
// reports them.
func (b *Background) loop(ctx context.Context) {
	defer b.clearGauges()
	if b.o.WaitForSync != nil && !b.o.WaitForSync(ctx) {
		return
	}
	for {
		start := time.Now()
		if err := b.RunOnce(ctx); err != nil && ctx.Err() == nil {
			b.o.Log.Error(err, "background audit failed; the gauges keep the last complete audit")
		}
		wait := b.o.Interval - time.Since(start)
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(wait, time.Second)):
		}
	}
}

// RunOnce runs one complete audit and publishes it. A kind that cannot be
// listed fails the audit: publishing a partial audit would report its
// violations as fixed.
func (b *Background) RunOnce(ctx context.Context) error {
	start := time.Now()
	pol := b.cur.Load()
	tally := NewTally(b.o.MaxResults)
	st, err := b.a.Run(ctx, pol, Options{PageSize: b.o.PageSize}, func(o *Object) error {
		if o.Err != nil {
			b.o.Log.Error(o.Err, "a rule failed on an object", "kind", o.Ref.Kind, "namespace", o.Ref.Namespace, "name", o.Ref.Name)
		}
		tally.Add(o)
		return nil
	})
	if err == nil && len(st.Failed) > 0 {
		err = joinKindErrors(st.Failed)
	}
	if err != nil {
		metrics.AuditRuns.WithLabelValues("failed").Inc()
		return err
	}
	end := time.Now()
	b.setGauges(tally)
	metrics.AuditObjects.Set(float64(st.Judged))
	metrics.AuditDuration.Set(end.Sub(start).Seconds())
	metrics.AuditLastCompleted.Set(float64(end.Unix()))
	metrics.AuditRuns.WithLabelValues("completed").Inc()
	b.o.Log.Info("background audit complete", "judged", st.Judged, "owned", st.Owned, "unserved", st.Unserved, "bootstrap", st.Bootstrap,
		"namespaces", len(tally.byNS), "duration", end.Sub(start).Round(time.Millisecond).String())
	if b.o.Publisher != nil {
		if err := b.o.Publisher.Publish(ctx, tally, end); err != nil {
			return err
		}
	}
	return nil
}

func joinKindErrors(es []KindError) error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return fmt.Errorf("could not list every kind: %w", errors.Join(errs...))
}

// setGauges sets guardrails_audit_violations from t, removing the label
// sets of the previous audit that have no finding any more.
func (b *Background) setGauges(t *Tally) {
	now := map[[3]string]bool{}
	for _, n := range t.Namespaces() {
		for k, c := range n.Counts {
			key := [3]string{k.Rule, n.Namespace, string(k.Severity)}
			now[key] = true
			metrics.AuditViolations.WithLabelValues(key[:]...).Set(float64(c))
		}
	}
	for key := range b.gauges {
		if !now[key] {
			metrics.AuditViolations.DeleteLabelValues(key[:]...)
		}
	}
	b.gauges = now
}

func (b *Background) clearGauges() {
	for key := range b.gauges {
		metrics.AuditViolations.DeleteLabelValues(key[:]...)
	}
	b.gauges = map[[3]string]bool{}
}
