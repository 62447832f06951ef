package admission

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/audit"
	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/metrics"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// TestExemptedRequestLeavesATrail: a request an exemption lets through
// carries the audit annotation "exempted" (rule, reason, which exemption)
// and counts in guardrails_exemptions_applied_total; a request the
// exempted rule has nothing against carries neither.
func TestExemptedRequestLeavesATrail(t *testing.T) {
	cfg := withConfig(t, func(c *config.Config) {
		c.Exemptions = append(c.Exemptions, config.Exemption{Namespaces: []string{"team-enforce"}, Kinds: []string{"Deployment"}, Reason: "legacy app; JIRA-42"})
	})
	v := NewValidator(cfg, testCluster(t), Options{})
	req := inNamespace(t, loadReview(t, "deployment-create.json"), "team-enforce")
	counter := metrics.ExemptionsApplied.WithLabelValues("resources-requests", "exemptions[1]")
	before := counterValue(counter)

	resp := validate(t, v, req)
	wantAllowed(t, resp)
	want := "resources-requests: legacy app; JIRA-42 (exemptions[1])"
	if got := resp.AuditAnnotations[exemptedKey]; got != want {
		t.Errorf("audit annotation %q = %q, want %q (all: %v)", exemptedKey, got, want, resp.AuditAnnotations)
	}
	if got := counterValue(counter) - before; got != 1 {
		t.Errorf("guardrails_exemptions_applied_total{resources-requests, exemptions[1]} moved by %v, want 1", got)
	}

	clean := editObjects(t, req, func(obj map[string]any) {
		c := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
		c["resources"] = map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "64Mi"}}
	})
	resp = validate(t, v, clean)
	wantAllowed(t, resp)
	if _, ok := resp.AuditAnnotations[exemptedKey]; ok {
		t.Errorf("a clean object carries %q: %v", exemptedKey, resp.AuditAnnotations)
	}
	if got := counterValue(counter) - before; got != 1 {
		t.Errorf("the counter moved for a clean object: %v", got)
	}
}

// TestHandlersFollowTheCurrentPolicy: the handlers read the policy in
// force at each request, so a reload takes effect at the next request.
func TestHandlersFollowTheCurrentPolicy(t *testing.T) {
	cur := policy.NewCurrent(policy.New(config.Default()))
	v := NewValidatorFor(cur, testCluster(t), Options{})
	req := inNamespace(t, loadReview(t, "deployment-create.json"), "team-enforce")
	wantDenied(t, validate(t, v, req), memoryLine)
	cur.Store(policy.New(withConfig(t, func(c *config.Config) {
		c.Exemptions = append(c.Exemptions, config.Exemption{Names: []string{"web"}, Reason: "r"})
	})))
	wantAllowed(t, validate(t, v, req))
}

// TestReloadedClusterModeDecidesRBAC: the request's one policy decides
// both its mode (policy.ModeFor, with the reloaded clusterMode) and its
// findings: a cluster-admin RoleBinding in a warn namespace is denied
// under clusterMode enforce and warned about after a reload to warn.
func TestReloadedClusterModeDecidesRBAC(t *testing.T) {
	cur := policy.NewCurrent(policy.New(config.Default()))
	v := NewValidatorFor(cur, testCluster(t), Options{})
	req := rbacRequest(t, admissionv1.Create, "RoleBinding", "rolebindings", clusterAdminRB("team-warn"), nil)
	wantDenied(t, validate(t, v, req), "[rbac-cluster-admin]")
	cur.Store(policy.New(withConfig(t, func(c *config.Config) { c.ClusterMode = rules.ModeWarn })))
	wantAllowed(t, validate(t, v, req), "[rbac-cluster-admin]")
}

// fakePreviewer records the previews asked for and answers p.
type fakePreviewer struct {
	mu    sync.Mutex
	calls []string
	p     audit.Preview
}

func (f *fakePreviewer) Preview(_ context.Context, _ *policy.Policy, ns string, mode rules.Mode, o audit.PreviewOptions) audit.Preview {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, ns+"="+string(mode))
	p := f.p
	if len(p.Denied) > o.MaxDenied {
		p.Denied = p.Denied[:o.MaxDenied]
	}
	return p
}

// relabel turns the namespace-update review into a change of the mode
// label from old to cur ("" removes it).
func relabel(t *testing.T, old, cur string) admission.Request {
	t.Helper()
	req := loadReview(t, "namespace-update.json")
	set := func(raw []byte, v string) []byte {
		s := strings.Replace(string(raw), `"guardrails.dev/mode": "audit", `, "", 1)
		s = strings.Replace(s, `"guardrails.dev/mode": "enforce", `, "", 1)
		s = strings.Replace(s, `"guardrails.dev/mode":"audit",`, "", 1)
		s = strings.Replace(s, `"guardrails.dev/mode":"enforce",`, "", 1)
		if v != "" {
			s = strings.Replace(s, `"labels": {`, fmt.Sprintf(`"labels": {"guardrails.dev/mode": %q, `, v), 1)
			s = strings.Replace(s, `"labels":{`, fmt.Sprintf(`"labels":{"guardrails.dev/mode":%q,`, v), 1)
		}
		return []byte(s)
	}
	req.Object.Raw = set(req.Object.Raw, cur)
	req.OldObject.Raw = set(req.OldObject.Raw, old)
	if !strings.Contains(string(req.Object.Raw), "kubernetes.io/metadata.name") {
		t.Fatalf("relabel broke the object: %s", req.Object.Raw)
	}
	return req
}

func wouldDeny(n int) []audit.PreviewObject {
	out := make([]audit.PreviewObject, n)
	for i := range out {
		out[i] = audit.PreviewObject{
			Ref:   rules.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "team-enforce", Name: fmt.Sprintf("web-%02d", i)},
			Rules: []string{"resources-requests"},
		}
	}
	return out
}

func TestPreviewOnRaiseToEnforce(t *testing.T) {
	admin := func(req admission.Request) admission.Request { return asUser(req, "root", "system:masters") }
	for _, tc := range []struct {
		name     string
		old, cur string
		called   bool
	}{
		{"audit to enforce", "audit", "enforce", true},
		{"warn to enforce", "warn", "enforce", true},
		{"opt in as enforce", "", "enforce", true},
		{"audit to warn (nothing denied)", "audit", "warn", false},
		{"enforce stays", "enforce", "enforce", false},
		{"lowering", "enforce", "audit", false},
		{"invalid to enforce (served as enforce already)", "Enforce", "enforce", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakePreviewer{p: audit.Preview{Denied: wouldDeny(2), Total: 2, Judged: 7}}
			v := NewValidator(config.Default(), testCluster(t), Options{Preview: f})
			resp := validate(t, v, admin(relabel(t, tc.old, tc.cur)))
			if !resp.Allowed {
				t.Fatalf("denied: %+v", resp.Result)
			}
			if got := len(f.calls) > 0; got != tc.called {
				t.Fatalf("preview called: %v (%q), want %v", got, f.calls, tc.called)
			}
			if !tc.called {
				if len(resp.Warnings) > 0 {
					t.Errorf("warnings without a preview: %q", resp.Warnings)
				}
				return
			}
			if f.calls[0] != "team-enforce=enforce" {
				t.Errorf("preview of %q, want team-enforce=enforce", f.calls[0])
			}
			want := "[guardrails] mode enforce: 2 existing objects would be denied if created now: Deployment team-enforce/web-00 [resources-requests], Deployment team-enforce/web-01 [resources-requests]"
			if len(resp.Warnings) != 1 || resp.Warnings[0] != want {
				t.Errorf("warnings %q, want [%q]", resp.Warnings, want)
			}
		})
	}
	t.Run("a denied change gets no preview", func(t *testing.T) {
		f := &fakePreviewer{p: audit.Preview{Denied: wouldDeny(1), Total: 1}}
		v := NewValidator(config.Default(), testCluster(t), Options{Preview: f})
		// A tenant may raise the mode, but not to an invalid value.
		resp := validate(t, v, relabel(t, "audit", "Enforce"))
		if resp.Allowed || len(f.calls) > 0 {
			t.Errorf("allowed %v, preview calls %q: want denied without preview", resp.Allowed, f.calls)
		}
	})
	t.Run("no previewer", func(t *testing.T) {
		wantAllowed(t, validate(t, NewValidator(config.Default(), testCluster(t), Options{}), admin(relabel(t, "audit", "enforce"))))
	})
}

func TestPreviewWarnings(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
	for _, tc := range []struct {
		name  string
		p     audit.Preview
		wants []string // substrings, one per warning
	}{
		{"nothing", audit.Preview{Judged: 12}, nil},
		{"cut, nothing found", audit.Preview{Judged: 700, Cut: true}, []string{"the preview judged 700 objects (at most 100 of each kind, within 2s); there may be more: run `webhook audit -n shop --assume-mode enforce`"}},
		{"many", audit.Preview{Denied: wouldDeny(30), Total: 45, Judged: 300}, []string{
			"45 existing objects would be denied", "[guardrails] ... Deployment", "[guardrails] ... Deployment", "more", "run `webhook audit -n shop --assume-mode enforce` for the full list"}},
		{"forbidden", audit.Preview{Failed: []audit.KindError{{Resource: "pods", Err: forbidden}, {Resource: "deployments", Err: forbidden}}},
			[]string{"[guardrails] no preview of pods, deployments: the webhook may not list them (grant it with deploy/components/preview or deploy/components/audit)"}},
		{"found, cut", audit.Preview{Denied: wouldDeny(1), Total: 1, Cut: true}, []string{"at least 1 existing object would be denied", "there may be more"}},
		{"mirror pods unverified", audit.Preview{Judged: 3, UnverifiedMirrorPods: 2, NodeLookupErr: apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "cp-1", errors.New("no"))},
			[]string{"[guardrails] 2 pods claiming to be mirror pods counted like any pod: the webhook may not get nodes (grant it with deploy/components/preview or deploy/components/audit)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := previewWarnings("shop", tc.p)
			if len(got) != len(tc.wants) {
				t.Fatalf("%d warnings %q, want %d", len(got), got, len(tc.wants))
			}
			for i, w := range got {
				if !strings.Contains(w, tc.wants[i]) {
					t.Errorf("warning %d = %q, want it to contain %q", i, w, tc.wants[i])
				}
				if len(w) > MaxWarningLen {
					t.Errorf("warning %d is %d bytes, more than %d", i, len(w), MaxWarningLen)
				}
			}
			if tc.name == "many" {
				// Every object named is one of those denied, and the count
				// of the others closes the list.
				named := strings.Count(strings.Join(got, " "), "Deployment team-enforce/web-")
				if !strings.Contains(got[3], fmt.Sprintf("... and %d more", 45-named)) {
					t.Errorf("named %d objects; last line %q does not count the other %d", named, got[3], 45-named)
				}
			}
		})
	}
}
