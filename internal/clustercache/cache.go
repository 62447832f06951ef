// Package clustercache is the webhook server's view of the cluster: a
// controller-runtime cache whose informers watch the few kinds the rules
// look up (Namespaces, Ingresses, IngressClasses, Roles, ClusterRoles,
// LimitRanges, PriorityClasses and, when asked, Secrets as metadata only),
// each trimmed by a transform to the fields the rules read (Ingresses and
// bindings to compact records shared with their indexes).
//
// Lookups read the informers' indexers directly (a map lookup under a read
// lock, no API call, no deep copy), so they are cheap enough to run on every
// admission request. The objects they return are shared with the cache and
// must not be modified. The Ingress conflict index (package ingressindex) is
// kept up to date from the Ingress informer's events, so IngressClaims is a
// map lookup whatever the number of Ingresses; likewise the binding index
// (package bindingindex) keeps bindings by the role they refer to.
//
// Until an informer has synced, every lookup on its kind returns an error
// wrapping rules.ErrUnavailable: the rules then warn that the check could
// not be made instead of passing silently on an empty cache.
package clustercache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/guardrails-dev/guardrails/internal/bindingindex"
	"github.com/guardrails-dev/guardrails/internal/ingressindex"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Options configure New. The zero value watches everything but Secrets.
type Options struct {
	// SecretLookups also watches Secrets, metadata only
	// (PartialObjectMetadata), so that ingress-tls can tell whether a TLS
	// secret exists. It needs list/watch on secrets cluster-wide.
	SecretLookups bool
	// ResyncPeriod is the informers' resync period (controller-runtime's
	// SyncPeriod); zero keeps controller-runtime's default (10h). A resync
	// replays cached objects; it never lists from the API server.
	ResyncPeriod time.Duration
	// SyncLogInterval is how often Start logs the kinds that have not synced
	// yet (typically missing RBAC). Zero means 30s.
	SyncLogInterval time.Duration
	// LiveReadTimeout bounds one read of the API server behind the
	// informers (a role missing from the cache, the bindings of a role
	// being written; see Cache.Bindings). Zero means 2s.
	LiveReadTimeout time.Duration
}

// RBACRules are the permissions the cache's informers need, exactly:
// get/list/watch, cluster-wide, on these resources. secrets is needed only
// with Options.SecretLookups (see RBACRulesFor). An informer lacking them
// never syncs, and the webhook stays unready.
var RBACRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"namespaces", "limitranges"}, Verbs: readVerbs},
	{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses", "ingressclasses"}, Verbs: readVerbs},
	{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "clusterroles", "rolebindings", "clusterrolebindings"}, Verbs: readVerbs},
	{APIGroups: []string{"scheduling.k8s.io"}, Resources: []string{"priorityclasses"}, Verbs: readVerbs},
}

// SecretsRBACRule is added to RBACRules when Options.SecretLookups is set.
// Metadata-only watching still needs list/watch on secrets: the API server
// authorizes the request, not the representation.
var SecretsRBACRule = rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: readVerbs}

var readVerbs = []string{"get", "list", "watch"}

// RBACRulesFor returns the permissions a cache built with opts needs.
func RBACRulesFor(opts Options) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, 0, len(RBACRules)+1)
	for _, r := range RBACRules {
		out = append(out, *r.DeepCopy())
	}
	if opts.SecretLookups {
		out = append(out, *SecretsRBACRule.DeepCopy())
	}
	return out
}

// kind describes one watched kind: how to key, trim and name it.
type kind struct {
	resource   string // plural resource, used in messages and metrics
	gvk        schema.GroupVersionKind
	namespaced bool
	newObj     func() client.Object
	transform  toolscache.TransformFunc
}

func kinds(opts Options) []kind {
	ks := []kind{
		{"namespaces", corev1.SchemeGroupVersion.WithKind("Namespace"), false, func() client.Object { return &corev1.Namespace{} }, TransformNamespace},
		{"ingresses", networkingv1.SchemeGroupVersion.WithKind("Ingress"), true, func() client.Object { return &networkingv1.Ingress{} }, TransformIngress},
		{"ingressclasses", networkingv1.SchemeGroupVersion.WithKind("IngressClass"), false, func() client.Object { return &networkingv1.IngressClass{} }, TransformIngressClass},
		{"roles", rbacv1.SchemeGroupVersion.WithKind("Role"), true, func() client.Object { return &rbacv1.Role{} }, TransformRole},
		{"clusterroles", rbacv1.SchemeGroupVersion.WithKind("ClusterRole"), false, func() client.Object { return &rbacv1.ClusterRole{} }, TransformClusterRole},
		{"rolebindings", rbacv1.SchemeGroupVersion.WithKind("RoleBinding"), true, func() client.Object { return &rbacv1.RoleBinding{} }, TransformRoleBinding},
		{"clusterrolebindings", rbacv1.SchemeGroupVersion.WithKind("ClusterRoleBinding"), false, func() client.Object { return &rbacv1.ClusterRoleBinding{} }, TransformClusterRoleBinding},
		{"limitranges", corev1.SchemeGroupVersion.WithKind("LimitRange"), true, func() client.Object { return &corev1.LimitRange{} }, TransformLimitRange},
		{"priorityclasses", schedulingv1.SchemeGroupVersion.WithKind("PriorityClass"), false, func() client.Object { return &schedulingv1.PriorityClass{} }, TransformPriorityClass},
	}
	if opts.SecretLookups {
		ks = append(ks, kind{"secrets", corev1.SchemeGroupVersion.WithKind("Secret"), true, func() client.Object {
			m := &metav1.PartialObjectMetadata{}
			m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
			return m
		}, TransformSecretMetadata})
	}
	return ks
}

// restMapper maps the watched kinds without discovery: they are built-in
// GA kinds, so New and the informers never wait on the discovery API.
func restMapper(ks []kind) meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for _, k := range ks {
		scope := meta.RESTScopeRoot
		if k.namespaced {
			scope = meta.RESTScopeNamespace
		}
		plural := k.gvk.GroupVersion().WithResource(k.resource)
		singular := k.gvk.GroupVersion().WithResource(strings.ToLower(k.gvk.Kind))
		m.AddSpecific(k.gvk, plural, singular, scope)
	}
	return m
}

// Cache is the webhook's view of the cluster. It implements
// rules.ClusterView. Build it with New, run Start (directly or as a
// controller-runtime manager runnable), and gate readiness on Synced.
type Cache struct {
	informers crcache.Cache // nil for a Cache built over plain stores (tests)
	opts      Options

	namespaces      *resource
	ingresses       *resource
	ingressClasses  *resource
	roles           *resource
	clusterRoles    *resource
	roleBindings    *resource
	crBindings      *resource
	limitRanges     *resource
	priorityClasses *resource
	secrets         *resource // nil without Options.SecretLookups

	index    *ingressindex.Index
	bindings *bindingindex.Index
	// live reads what the informers may not have seen yet from the API
	// server (see Bindings); nil over plain stores.
	live liveReader

	started atomic.Bool
	stopped atomic.Bool
}

var _ rules.ClusterView = (*Cache)(nil)

// resource is one watched kind: its store and whether it has synced. The
// synced flag latches: informers never un-sync.
type resource struct {
	name      string
	store     toolscache.Indexer
	hasSynced func() bool
	synced    atomic.Bool
}

func (r *resource) ready() bool {
	if r.synced.Load() {
		return true
	}
	if r.hasSynced != nil && r.hasSynced() {
		r.synced.Store(true)
		return true
	}
	return false
}

// defaultClassIndex indexes IngressClasses by their is-default-class
// annotation, so DefaultIngressClasses reads only the default ones.
const defaultClassIndex = "guardrails:is-default-class"

func defaultClassIndexFunc(obj any) ([]string, error) {
	ic, ok := obj.(*networkingv1.IngressClass)
	if !ok || !rules.IsDefaultIngressClass(ic) {
		return nil, nil
	}
	return []string{"true"}, nil
}

// New builds the cache and registers its informers, without contacting the
// API server: nothing is listed until Start.
func New(cfg *rest.Config, opts Options) (*Cache, error) {
	if cfg == nil {
		return nil, errors.New("clustercache: no rest config")
	}
	ks := kinds(opts)
	byObject := make(map[client.Object]crcache.ByObject, len(ks))
	for _, k := range ks {
		byObject[k.newObj()] = crcache.ByObject{Transform: k.transform}
	}
	co := crcache.Options{
		Mapper:           restMapper(ks),
		ByObject:         byObject,
		DefaultTransform: crcache.TransformStripManagedFields(),
	}
	if opts.ResyncPeriod > 0 {
		co.SyncPeriod = &opts.ResyncPeriod
	}
	inf, err := crcache.New(cfg, co)
	if err != nil {
		return nil, fmt.Errorf("clustercache: %w", err)
	}
	lr, err := newAPIReader(cfg, opts.LiveReadTimeout)
	if err != nil {
		return nil, fmt.Errorf("clustercache: %w", err)
	}
	c := &Cache{informers: inf, opts: opts, index: ingressindex.New(), bindings: bindingindex.New(), live: lr}
	ctx := context.Background()
	for _, k := range ks {
		i, err := inf.GetInformer(ctx, k.newObj(), crcache.BlockUntilSynced(false))
		if err != nil {
			return nil, fmt.Errorf("clustercache: informer for %s: %w", k.resource, err)
		}
		si, ok := i.(interface{ GetIndexer() toolscache.Indexer })
		if !ok {
			return nil, fmt.Errorf("clustercache: informer for %s (%T) exposes no indexer", k.resource, i)
		}
		r := &resource{name: k.resource, store: si.GetIndexer(), hasSynced: i.HasSynced}
		switch k.resource {
		case "ingresses":
			reg, err := i.AddEventHandler(c.ingressHandler())
			if err != nil {
				return nil, fmt.Errorf("clustercache: ingress event handler: %w", err)
			}
			// Synced once the handler has seen the initial list, i.e. the
			// conflict index is complete, not merely the store.
			r.hasSynced = reg.HasSynced
		case "ingressclasses":
			if err := i.AddIndexers(toolscache.Indexers{defaultClassIndex: defaultClassIndexFunc}); err != nil {
				return nil, fmt.Errorf("clustercache: ingressclass index: %w", err)
			}
		case "clusterroles":
			if err := i.AddIndexers(toolscache.Indexers{aggregatedRoleIndex: aggregatedRoleIndexFunc}); err != nil {
				return nil, fmt.Errorf("clustercache: clusterrole index: %w", err)
			}
		case "rolebindings", "clusterrolebindings":
			kind := rules.KindRoleBinding
			if k.resource == "clusterrolebindings" {
				kind = rules.KindClusterRoleBinding
			}
			reg, err := i.AddEventHandler(c.bindingHandler(kind))
			if err != nil {
				return nil, fmt.Errorf("clustercache: %s event handler: %w", k.resource, err)
			}
			// Synced once the binding index holds the initial list.
			r.hasSynced = reg.HasSynced
		}
		*c.slot(k.resource) = r
	}
	return c, nil
}

// Start runs the informers and blocks until ctx is done, like a
// controller-runtime manager runnable. It updates the sync metrics and logs
// the kinds still unsynced every Options.SyncLogInterval (a kind that never
// syncs usually lacks RBAC; see RBACRules).
func (c *Cache) Start(ctx context.Context) error {
	if c.informers == nil {
		return errors.New("clustercache: cache has no informers")
	}
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("clustercache: already started")
	}
	log := logf.FromContext(ctx).WithName("clustercache")
	c.reportSync()
	done := make(chan struct{})
	go func() {
		defer close(done)
		every := c.opts.SyncLogInterval
		if every <= 0 {
			every = 30 * time.Second
		}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		lastLog := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if c.reportSync() {
				log.Info("cluster cache synced", "ingresses", c.index.Len())
				return
			}
			if time.Since(lastLog) >= every {
				lastLog = time.Now()
				log.Info("cluster cache not synced yet; check the webhook's RBAC (get/list/watch) on these resources", "resources", c.unsynced())
			}
		}
	}()
	err := c.informers.Start(ctx)
	<-done
	c.stopped.Store(true)
	c.reportSync()
	return err
}

// NeedLeaderElection reports false: every webhook replica needs its own
// cache (controller-runtime's LeaderElectionRunnable).
func (c *Cache) NeedLeaderElection() bool { return false }

// WaitForSync blocks until every informer has synced (true) or ctx is done
// (false).
func (c *Cache) WaitForSync(ctx context.Context) bool {
	if c.Synced() {
		return true
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return c.Synced()
		case <-tick.C:
			if c.Synced() {
				return true
			}
		}
	}
}

// Synced reports whether every informer has synced (and the cache has not
// been stopped since). Use it for /readyz.
func (c *Cache) Synced() bool {
	if c.stopped.Load() {
		return false
	}
	for _, r := range c.resources() {
		if !r.ready() {
			return false
		}
	}
	return true
}

// ReadyCheck is a controller-runtime healthz.Checker: nil once synced.
func (c *Cache) ReadyCheck(*http.Request) error {
	if c.Synced() {
		return nil
	}
	return fmt.Errorf("cluster cache not synced: %v", c.unsynced())
}

// slot returns the field of c that holds the kind of that resource name
// (kinds lists them).
func (c *Cache) slot(resource string) **resource {
	switch resource {
	case "namespaces":
		return &c.namespaces
	case "ingresses":
		return &c.ingresses
	case "ingressclasses":
		return &c.ingressClasses
	case "roles":
		return &c.roles
	case "clusterroles":
		return &c.clusterRoles
	case "rolebindings":
		return &c.roleBindings
	case "clusterrolebindings":
		return &c.crBindings
	case "limitranges":
		return &c.limitRanges
	case "priorityclasses":
		return &c.priorityClasses
	case "secrets":
		return &c.secrets
	}
	panic("clustercache: no slot for " + resource)
}

func (c *Cache) resources() []*resource {
	rs := []*resource{c.namespaces, c.ingresses, c.ingressClasses, c.roles, c.clusterRoles, c.roleBindings, c.crBindings, c.limitRanges, c.priorityClasses}
	if c.secrets != nil {
		rs = append(rs, c.secrets)
	}
	return rs
}

func (c *Cache) unsynced() []string {
	var out []string
	for _, r := range c.resources() {
		if !r.ready() {
			out = append(out, r.name)
		}
	}
	return out
}

// reportSync sets the sync gauges and reports whether all kinds synced.
func (c *Cache) reportSync() bool {
	all := !c.stopped.Load()
	for _, r := range c.resources() {
		ok := r.ready() && !c.stopped.Load()
		resourceSynced.WithLabelValues(r.name).Set(boolGauge(ok))
		all = all && ok
	}
	cacheSynced.Set(boolGauge(all))
	return all
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
