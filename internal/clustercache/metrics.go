package clustercache

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics, registered with controller-runtime's registry (served by the
// manager's metrics endpoint).
var (
	// cacheSynced is 1 while every informer of the cluster cache has synced
	// (the webhook is ready), 0 before that and after it stops.
	cacheSynced = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "guardrails_cache_synced",
		Help: "1 when every informer of the webhook's cluster cache has synced, else 0.",
	})
	// resourceSynced tells which kind holds the cache back (usually RBAC).
	resourceSynced = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "guardrails_cache_resource_synced",
		Help: "1 when the cluster cache's informer for a resource has synced, else 0.",
	}, []string{"resource"})
)

func init() {
	metrics.Registry.MustRegister(cacheSynced, resourceSynced)
}
