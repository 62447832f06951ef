// Package configreload owns the policy in force of `webhook serve`: it
// loads the configuration file, puts its policy in a policy.Current that
// the admission handlers and the audit read, and replaces it when the file
// changes, without a restart.
//
// The file is read every Options.Interval and compared by content, so
// every way a file changes is seen: an editor's in-place write or rename,
// and the kubelet's update of a mounted ConfigMap (it writes a new
// directory and swaps the ..data symlink atomically; the file path is a
// symlink through it). A changed file is validated before anything
// changes: an invalid one keeps the previous configuration in force, is
// logged with the exact error and counted in
// guardrails_config_reload_errors_total, once per distinct content, and
// guardrails_config_last_reload_successful is 0 until the file on disk is
// one in force again. A valid one is put in force at once
// (guardrails_config_reloads_total);
// requests already being judged finish under the policy they started
// with.
//
// Exemptions that have expired are logged at every load and when they
// expire while the configuration is in force; the policy ignores them
// from their expiry on either way.
package configreload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/go-logr/logr"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/metrics"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// Options tune a Reloader.
type Options struct {
	// Interval is how often the file is read; default 5s.
	Interval time.Duration
	// Rules replaces the catalogue (tests).
	Rules []*rules.Rule
	// Now replaces time.Now (tests): the policies' clock and the expiry
	// checks.
	Now func() time.Time
	// Log receives the reload messages.
	Log logr.Logger
	// OnChange, when set, is called with the old and the new configuration
	// after a reload (the server warns about settings that need a
	// restart).
	OnChange func(old, cur *config.Config)
}

// Reloader keeps a policy.Current in step with a configuration file.
type Reloader struct {
	path string
	o    Options
	cur  *policy.Current

	// sum is the content last read (valid or not), so that an invalid
	// file is reported once, not at every check.
	sum [sha256.Size]byte
	// inForce is the content of the configuration in force.
	inForce [sha256.Size]byte
	lastErr string
	// expired are the expired exemptions already logged.
	expired []string
}

// Load reads and validates the configuration at path ("" is the embedded
// default, which never changes) and returns a Reloader whose Current holds
// its policy. An invalid file is an error: the server must not start on a
// configuration it cannot read.
func Load(path string, o Options) (*Reloader, error) {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Reloader{path: path, o: o}
	var data []byte
	if path == "" {
		data = config.DefaultYAML()
	} else {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	cfg, err := config.Parse(data, source(path))
	if err != nil {
		return nil, err
	}
	r.sum = sha256.Sum256(data)
	r.inForce = r.sum
	r.cur = policy.NewCurrent(r.policyOf(cfg))
	metrics.ConfigLastReloadSuccessful.Set(1)
	r.logExpired(cfg)
	return r, nil
}

func source(path string) string {
	if path == "" {
		return "embedded default"
	}
	return path
}

func (r *Reloader) policyOf(cfg *config.Config) *policy.Policy {
	return policy.New(cfg, r.o.Rules...).WithClock(r.o.Now)
}

// Current is the policy in force.
func (r *Reloader) Current() *policy.Current { return r.cur }

// Start checks the file every Options.Interval until ctx is done (a
// controller-runtime manager runnable). With the embedded default it only
// watches for exemptions that expire.
func (r *Reloader) Start(ctx context.Context) error {
	t := time.NewTicker(r.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.Check()
		}
	}
}

// NeedLeaderElection reports false: every replica follows its own file.
func (r *Reloader) NeedLeaderElection() bool { return false }

// Check reads the file once and, when its content changed, validates it
// and puts it in force; it reports whether a new configuration is in
// force.
func (r *Reloader) Check() bool {
	defer func() { r.logExpired(r.cur.Load().Config()) }()
	if r.path == "" {
		return false
	}
	data, err := os.ReadFile(r.path)
	if err != nil {
		r.failed(fmt.Errorf("config %s: %w", r.path, err))
		return false
	}
	sum := sha256.Sum256(data)
	if bytes.Equal(sum[:], r.sum[:]) {
		if sum == r.inForce && r.lastErr != "" {
			// Readable again, with the content in force.
			r.lastErr = ""
			metrics.ConfigLastReloadSuccessful.Set(1)
		}
		return false
	}
	r.sum = sum
	cfg, err := config.Parse(data, r.path)
	if err != nil {
		r.failed(err)
		return false
	}
	old := r.cur.Load().Config()
	r.cur.Store(r.policyOf(cfg))
	r.inForce = sum
	r.lastErr = ""
	metrics.ConfigLastReloadSuccessful.Set(1)
	r.expired = nil // a new file: report its expired exemptions again
	metrics.ConfigReloads.Inc()
	r.o.Log.Info("configuration reloaded; the new one is in force", "config", r.path, "clusterMode", cfg.ClusterMode)
	if r.o.OnChange != nil {
		r.o.OnChange(old, cfg)
	}
	return true
}

// failed reports a file that cannot be put in force, once per distinct
// error (a missing file is retried at every check, but counted once).
func (r *Reloader) failed(err error) {
	metrics.ConfigLastReloadSuccessful.Set(0)
	if err.Error() == r.lastErr {
		return
	}
	r.lastErr = err.Error()
	metrics.ConfigReloadErrors.Inc()
	r.o.Log.Error(err, "configuration change not applied; the previous configuration stays in force", "config", r.path)
}

// logExpired logs the exemptions of cfg that have expired and were not
// logged yet.
func (r *Reloader) logExpired(cfg *config.Config) {
	for _, e := range cfg.ExpiredExemptions(r.o.Now()) {
		if slices.Contains(r.expired, e) {
			continue
		}
		r.expired = append(r.expired, e)
		r.o.Log.Info("exemption expired; remove it from the configuration", "config", source(r.path), "exemption", e)
	}
}
