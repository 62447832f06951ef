package configreload

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/guardrails-dev/guardrails/internal/metrics"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

const head = "apiVersion: guardrails.dev/v1alpha1\nkind: Config\nclusterMode: enforce\n"

// configMapDir lays a file out the way the kubelet mounts a ConfigMap:
// dir/config.yaml -> ..data/config.yaml, ..data -> ..<timestamp>/, and
// swap replaces the content by writing a new timestamped directory and
// renaming a new ..data symlink over the old one (atomic).
type configMapDir struct {
	t   *testing.T
	dir string
	n   int
}

func newConfigMapDir(t *testing.T, content string) *configMapDir {
	d := &configMapDir{t: t, dir: t.TempDir()}
	d.swap(content)
	if err := os.Symlink(filepath.Join("..data", "config.yaml"), filepath.Join(d.dir, "config.yaml")); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *configMapDir) path() string { return filepath.Join(d.dir, "config.yaml") }

func (d *configMapDir) swap(content string) {
	d.t.Helper()
	d.n++
	ts := filepath.Join(d.dir, "..2026_01_01_00_00_0"+string(rune('0'+d.n)))
	if err := os.Mkdir(ts, 0o755); err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ts, "config.yaml"), []byte(content), 0o644); err != nil {
		d.t.Fatal(err)
	}
	tmp := filepath.Join(d.dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, "..data")); err != nil {
		d.t.Fatal(err)
	}
}

func logTo(buf *bytes.Buffer) logr.Logger {
	return funcr.New(func(prefix, args string) { buf.WriteString(prefix + " " + args + "\n") }, funcr.Options{})
}

func action(t *testing.T, p *policy.Policy, ns string) rules.Action {
	t.Helper()
	r, _ := rules.Lookup("resources-requests")
	return p.Action(r, rules.ObjectRef{Kind: "Deployment", Namespace: ns, Name: "web"}, policy.Requester{User: "alice"})
}

func TestReloadFollowsConfigMapSwaps(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	exempt := head + "exemptions:\n- namespaces: [legacy]\n  reason: migration\n  expires: 2026-07-01\n"
	d := newConfigMapDir(t, exempt)
	var log bytes.Buffer
	r, err := Load(d.path(), Options{Now: func() time.Time { return now }, Log: logTo(&log)})
	if err != nil {
		t.Fatal(err)
	}
	first := r.Current().Load()
	if got := action(t, first, "legacy"); got != rules.ActionOff {
		t.Fatalf("loaded: legacy is %q, want off (exempted)", got)
	}
	reloads, errs := testutil.ToFloat64(metrics.ConfigReloads), testutil.ToFloat64(metrics.ConfigReloadErrors)

	// Unchanged content: nothing happens.
	if r.Check() || r.Current().Load() != first {
		t.Fatal("an unchanged file was reloaded")
	}

	// An invalid file keeps the old configuration, once logged and counted.
	d.swap(head + "exemptions:\n- namespaces: [legacy]\n")
	for range 3 {
		if r.Check() {
			t.Fatal("an invalid file was put in force")
		}
	}
	if r.Current().Load() != first {
		t.Fatal("an invalid file replaced the policy")
	}
	if got := testutil.ToFloat64(metrics.ConfigReloadErrors) - errs; got != 1 {
		t.Errorf("reload errors counted %v times for one bad file, want 1", got)
	}
	if got := testutil.ToFloat64(metrics.ConfigLastReloadSuccessful); got != 0 {
		t.Errorf("guardrails_config_last_reload_successful = %v while the bad file stays, want 0", got)
	}
	if !strings.Contains(log.String(), "exemptions[0].reason: required") {
		t.Errorf("the log does not carry the exact error:\n%s", log.String())
	}

	// The same exemption, expired: after the swap it no longer exempts.
	d.swap(head + "exemptions:\n- namespaces: [legacy]\n  reason: migration\n  expires: 2026-05-01\n")
	if !r.Check() {
		t.Fatal("a valid change was not put in force")
	}
	if got := action(t, r.Current().Load(), "legacy"); got != rules.ActionDeny {
		t.Errorf("after the reload legacy is %q, want deny (the exemption expired)", got)
	}
	if got := testutil.ToFloat64(metrics.ConfigReloads) - reloads; got != 1 {
		t.Errorf("reloads counted %v, want 1", got)
	}
	if got := testutil.ToFloat64(metrics.ConfigLastReloadSuccessful); got != 1 {
		t.Errorf("guardrails_config_last_reload_successful = %v after a good reload, want 1", got)
	}
	if !strings.Contains(log.String(), "exemptions[0] (migration) expired on 2026-05-01: ignored") {
		t.Errorf("the expired exemption was not logged:\n%s", log.String())
	}
	// The policy that requests in flight hold is untouched.
	if got := action(t, first, "legacy"); got != rules.ActionOff {
		t.Errorf("the old policy changed: %q", got)
	}
}

// TestReloadSuccessfulAfterReadError: a file that cannot be read sets
// guardrails_config_last_reload_successful to 0, and the same content as
// the one in force, readable again, sets it back to 1 (nothing to reload).
func TestReloadSuccessfulAfterReadError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Load(p, Options{Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(metrics.ConfigLastReloadSuccessful); got != 1 {
		t.Fatalf("after Load: %v, want 1", got)
	}
	if err := os.Rename(p, p+".away"); err != nil {
		t.Fatal(err)
	}
	r.Check()
	if got := testutil.ToFloat64(metrics.ConfigLastReloadSuccessful); got != 0 {
		t.Errorf("file gone: %v, want 0", got)
	}
	if err := os.Rename(p+".away", p); err != nil {
		t.Fatal(err)
	}
	if r.Check() {
		t.Error("the same content was reloaded")
	}
	if got := testutil.ToFloat64(metrics.ConfigLastReloadSuccessful); got != 1 {
		t.Errorf("file back: %v, want 1", got)
	}
}

func TestLoadRejectsInvalidFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(head+"rules:\n  nope: {action: deny}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, Options{}); err == nil || !strings.Contains(err.Error(), `unknown rule id "nope"`) {
		t.Errorf("Load = %v, want the unknown rule id", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), Options{}); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestExpiryWhileInForceIsLogged(t *testing.T) {
	now := time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC)
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(head+"exemptions:\n- namespaces: [legacy]\n  reason: migration\n  expires: 2026-07-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	r, err := Load(p, Options{Now: func() time.Time { return now }, Log: logTo(&log)})
	if err != nil {
		t.Fatal(err)
	}
	r.Check()
	if strings.Contains(log.String(), "expired") {
		t.Fatalf("logged an expiry before it happened:\n%s", log.String())
	}
	now = now.Add(2 * time.Hour)
	r.Check()
	r.Check()
	if n := strings.Count(log.String(), "expired on 2026-07-01"); n != 1 {
		t.Errorf("the expiry was logged %d times, want 1:\n%s", n, log.String())
	}
	if got := action(t, r.Current().Load(), "legacy"); got != rules.ActionDeny {
		t.Errorf("after expiry legacy is %q, want deny", got)
	}
}
