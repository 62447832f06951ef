package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// LeaseOptions say where the replicas elect the one that audits: a
// coordination.k8s.io Lease, the lock controller-runtime's managers use.
type LeaseOptions struct {
	// Config is how to reach the API server.
	Config *rest.Config
	// Namespace and Name of the Lease.
	Namespace, Name string
	// Identity of this replica; default hostname_uuid.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod as in
	// controller-runtime (defaults 15s, 10s, 2s).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// inClusterNamespace is where a pod finds its own namespace.
const inClusterNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// OwnNamespace returns the namespace the process runs in: $POD_NAMESPACE,
// else the service account's namespace file of a pod; "" outside a
// cluster.
func OwnNamespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile(inClusterNamespace); err == nil {
		return string(b)
	}
	return ""
}

// whileLeader runs lead whenever this replica holds the Lease, until ctx is
// done. Unlike a controller-runtime manager with LeaderElection, losing
// the Lease does not end the process: lead's context is cancelled and the
// replica campaigns again, so that the admission server of the same
// process never stops because of the audit.
func whileLeader(ctx context.Context, lo LeaseOptions, log logr.Logger, lead func(context.Context)) error {
	if lo.Config == nil || lo.Namespace == "" || lo.Name == "" {
		return errors.New("audit: leader election needs a rest config, a namespace and a name")
	}
	if lo.Identity == "" {
		host, _ := os.Hostname()
		lo.Identity = host + "_" + string(uuid.NewUUID())
	}
	if lo.LeaseDuration == 0 {
		lo.LeaseDuration = 15 * time.Second
	}
	if lo.RenewDeadline == 0 {
		lo.RenewDeadline = 10 * time.Second
	}
	if lo.RetryPeriod == 0 {
		lo.RetryPeriod = 2 * time.Second
	}
	cfg := rest.CopyConfig(lo.Config)
	cfg = rest.AddUserAgent(cfg, "leader-election")
	// One hung request must not lose the lease (controller-runtime's
	// heuristic).
	cfg.Timeout = max(lo.RenewDeadline/2, time.Second)
	client, err := coordinationv1client.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("audit: lease client: %w", err)
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: lo.Namespace, Name: lo.Name},
		Client:     client,
		LockConfig: resourcelock.ResourceLockConfig{Identity: lo.Identity},
	}
	log = log.WithValues("lease", lo.Namespace+"/"+lo.Name, "identity", lo.Identity)
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   lo.LeaseDuration,
			RenewDeadline:   lo.RenewDeadline,
			RetryPeriod:     lo.RetryPeriod,
			ReleaseOnCancel: true,
			Name:            lo.Name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					log.Info("holding the audit lease: this replica audits")
					lead(ctx)
				},
				OnStoppedLeading: func() { log.Info("not holding the audit lease (any more)") },
			},
		})
		if err != nil {
			return fmt.Errorf("audit: leader election: %w", err)
		}
		le.Run(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(lo.RetryPeriod):
		}
	}
	return nil
}
