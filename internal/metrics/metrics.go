// Package metrics defines the Prometheus metrics of the Guardrails server.
// They are registered in controller-runtime's registry, which the manager
// serves on the metrics address (--metrics-bind-address) next to the
// controller-runtime and Go runtime metrics. The cache sync gauges
// (guardrails_cache_synced, guardrails_cache_resource_synced) are
// internal/clustercache's.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Handler names used as the "handler" label.
const (
	HandlerValidate = "validate"
	HandlerMutate   = "mutate"
)

// Results used as the "result" label of RequestsTotal.
const (
	// ResultAllowed: admitted without findings that change the answer.
	ResultAllowed = "allowed"
	// ResultWarned: admitted with warnings.
	ResultWarned = "warned"
	// ResultDenied: rejected by deny findings.
	ResultDenied = "denied"
	// ResultPatched: admitted with a JSON patch (mutate).
	ResultPatched = "patched"
	// ResultSkipped: not judged (DELETE, CONNECT, subresource, namespace
	// without mode, unknown kind, object being deleted).
	ResultSkipped = "skipped"
	// ResultError: an internal error decided the answer (failure policy).
	ResultError = "error"
)

var (
	// RequestsTotal counts admission requests by handler, operation and
	// result.
	RequestsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "guardrails_admission_requests_total",
		Help: "Admission requests by handler (validate, mutate), operation and result (allowed, warned, denied, patched, skipped, error).",
	}, []string{"handler", "operation", "result"})

	// DecisionsTotal counts findings by rule, namespace mode and the
	// effective action they got (deny, warn, audit; mutate for mutations).
	DecisionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "guardrails_decisions_total",
		Help: "Findings by rule, mode (enforce, warn, audit) and effective action (deny, warn, audit, mutate).",
	}, []string{"rule", "mode", "action"})

	// RequestDuration observes the time spent in the handler (decode,
	// rules, response), by handler. The buckets reach past the webhooks'
	// timeouts (3s and 5s), so that a p99 near them can be told apart.
	RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "guardrails_admission_duration_seconds",
		Help:    "Time spent answering one admission request, by handler.",
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"handler"})

	// InternalErrors counts internal errors by handler and kind (panic,
	// decode, lookup) and by what the failure policy made of them
	// (outcome: denied, admitted).
	InternalErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "guardrails_internal_errors_total",
		Help: "Internal errors by handler, kind (panic, decode, lookup) and outcome (denied, admitted).",
	}, []string{"handler", "kind", "outcome"})

	// ServingCertificateExpiry is the expiry (notAfter, Unix seconds) of
	// the serving certificate the webhook server presents, read from the
	// certificate as loaded by the server's certificate watcher: it moves
	// when a renewed certificate is picked up from disk.
	ServingCertificateExpiry = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "guardrails_serving_certificate_expiry_timestamp_seconds",
		Help: "Expiry (notAfter) of the serving certificate the webhook presents, in seconds since the Unix epoch; follows certificate rotation.",
	})
)

var (
	// ExemptionsApplied counts, by rule and exemption (named by its place
	// in the configuration file, e.g. rules.resources-requests.exemptions[0]),
	// the requests an exemption let through: the rule would have reported
	// findings.
	ExemptionsApplied = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "guardrails_exemptions_applied_total",
		Help: "Requests an exemption of the configuration let through (the rule would have reported findings), by rule and exemption (its place in the file).",
	}, []string{"rule", "exemption"})

	// ConfigReloads counts configurations loaded and put in force after a
	// change of the file.
	ConfigReloads = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "guardrails_config_reloads_total",
		Help: "Configuration file changes loaded and put in force.",
	})

	// ConfigReloadErrors counts changed configuration files that could not
	// be loaded (the previous configuration stays in force).
	ConfigReloadErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "guardrails_config_reload_errors_total",
		Help: "Configuration file changes that failed to load or validate; the previous configuration stays in force.",
	})

	// ConfigLastReloadSuccessful is 1 while the configuration file on
	// disk is the one in force, 0 while it cannot be put in force (does
	// not validate, cannot be read): the alert on a failed reload holds
	// as long as the bad file does, as Prometheus' own
	// prometheus_config_last_reload_successful.
	ConfigLastReloadSuccessful = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "guardrails_config_last_reload_successful",
		Help: "1 when the configuration file on disk is the one in force, 0 while a change of it cannot be put in force (the previous configuration stays).",
	})
)

// Background audit (webhook serve --audit-interval), set by the replica
// that holds the audit lease.
var (
	// AuditViolations is the number of findings of the last complete audit
	// by rule, namespace ("" for cluster-scoped objects) and severity (the
	// action in the namespace's mode: deny, warn, audit).
	AuditViolations = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "guardrails_audit_violations",
		Help: "Findings of the last complete background audit, by rule, namespace (empty for cluster-scoped objects) and severity in the namespace's mode (deny, warn, audit).",
	}, []string{"rule", "namespace", "severity"})

	// AuditLastCompleted is the time the last complete audit finished.
	AuditLastCompleted = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "guardrails_audit_last_completed_timestamp_seconds",
		Help: "Unix time at which the last complete background audit finished.",
	})

	// AuditObjects is the number of objects the last complete audit judged.
	AuditObjects = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "guardrails_audit_objects",
		Help: "Objects judged by the last complete background audit.",
	})

	// AuditDuration is how long the last complete audit took.
	AuditDuration = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "guardrails_audit_duration_seconds",
		Help: "Duration of the last complete background audit.",
	})

	// AuditInterval is the background audit's interval (--audit-interval)
	// on every replica that runs it, 0 when it is off: the alert on an
	// audit that stopped completing compares the last completion with it.
	AuditInterval = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "guardrails_audit_interval_seconds",
		Help: "Interval of the background audit (--audit-interval); 0 when it is off.",
	})

	// AuditRuns counts audit runs by result (completed, failed).
	AuditRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "guardrails_audit_runs_total",
		Help: "Background audit runs by result (completed, failed).",
	}, []string{"result"})
)

func init() {
	crmetrics.Registry.MustRegister(RequestsTotal, DecisionsTotal, RequestDuration, InternalErrors,
		ExemptionsApplied, ConfigReloads, ConfigReloadErrors, ConfigLastReloadSuccessful,
		AuditViolations, AuditLastCompleted, AuditObjects, AuditDuration, AuditInterval, AuditRuns, ServingCertificateExpiry)
}
