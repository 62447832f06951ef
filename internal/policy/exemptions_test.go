package policy

import (
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

func mustParse(t *testing.T, y string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte("apiVersion: guardrails.dev/v1alpha1\nkind: Config\nclusterMode: enforce\n"+y), "test")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func podIn(ns string, requests bool) *corev1.Pod {
	c := corev1.Container{Name: "app"}
	if requests {
		c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: ns}, Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}
}

// TestExemptedOnlyWhenItLetsSomethingThrough: an exemption that matches a
// clean object let nothing through and is not reported; on an object the
// rule would report it is, with the count.
func TestExemptedOnlyWhenItLetsSomethingThrough(t *testing.T) {
	p := New(mustParse(t, `
rules:
  resources-requests:
    exemptions:
    - namespaces: [batch]
      reason: batch jobs size themselves
`))
	for _, tc := range []struct {
		name     string
		pod      *corev1.Pod
		exempted int
	}{
		{"clean object", podIn("batch", true), 0},
		{"missing requests", podIn("batch", false), 1},
		{"other namespace", podIn("web", false), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := p.Evaluate(&rules.Input{Object: tc.pod, Ref: rules.RefOf(tc.pod, "v1", "Pod")}, Requester{User: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Exempted) != tc.exempted {
				t.Fatalf("Exempted = %+v, want %d entries", res.Exempted, tc.exempted)
			}
			if tc.exempted > 0 {
				e := res.Exempted[0]
				if e.Rule != "resources-requests" || e.Exemption.ID != "rules.resources-requests.exemptions[0]" || e.Exemption.Reason != "batch jobs size themselves" || e.Findings != 2 {
					t.Errorf("Exempted[0] = %+v, want resources-requests by rules.resources-requests.exemptions[0], 2 findings (cpu, memory)", e)
				}
				for _, f := range res.Findings {
					if f.Rule == "resources-requests" {
						t.Errorf("exempted rule reported %+v", f)
					}
				}
			}
		})
	}
}

// TestExemptedRulePanicIsNotAnError: an exemption is also the way out of
// a rule that fails on an object: its panic is recorded as let through.
func TestExemptedRulePanicIsNotAnError(t *testing.T) {
	boom := &rules.Rule{ID: "resources-requests", DefaultAction: rules.ActionDeny, Kinds: []schema.GroupKind{{Kind: "Pod"}},
		Check: func(*rules.Input) []rules.Violation { panic("bug") }}
	cfg := mustParse(t, "exemptions:\n- namespaces: [batch]\n  reason: rule is broken\n")
	p := New(cfg, boom)
	pod := podIn("batch", false)
	res, err := p.Evaluate(&rules.Input{Object: pod, Ref: rules.RefOf(pod, "v1", "Pod")}, Requester{})
	if err != nil {
		t.Fatalf("Evaluate = %v, want no error for an exempted rule", err)
	}
	if len(res.Exempted) != 1 || res.Exempted[0].Exemption.ID != "exemptions[0]" {
		t.Errorf("Exempted = %+v, want the panicking rule by exemptions[0]", res.Exempted)
	}
	other := podIn("web", false)
	if _, err := p.Evaluate(&rules.Input{Object: other, Ref: rules.RefOf(other, "v1", "Pod")}, Requester{}); err == nil {
		t.Error("the panic of a rule that is not exempted was swallowed")
	}
}

// TestExpiryFollowsTheClock: an exemption stops at its expiry while the
// policy is in use, without a reload.
func TestExpiryFollowsTheClock(t *testing.T) {
	now := time.Date(2026, 2, 28, 23, 59, 59, 0, time.UTC)
	var mu sync.Mutex
	p := New(mustParse(t, "exemptions:\n- namespaces: [legacy]\n  reason: migration\n  expires: 2026-03-01\n")).WithClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	})
	r, _ := rules.Lookup("resources-requests")
	ref := rules.ObjectRef{Kind: "Pod", Namespace: "legacy", Name: "x"}
	if got := p.Action(r, ref, Requester{}); got != rules.ActionOff {
		t.Fatalf("before expiry: action %q, want off", got)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if got := p.Action(r, ref, Requester{}); got != rules.ActionDeny {
		t.Errorf("at 2026-03-01T00:00:00Z: action %q, want deny (the exemption expired)", got)
	}
}

// TestClockReadOnlyForExpiringMatch: deciding reads the clock only for a
// matching exemption that has an expiry, not once per decision.
func TestClockReadOnlyForExpiringMatch(t *testing.T) {
	reads := 0
	p := New(mustParse(t, "exemptions:\n- namespaces: [legacy]\n  reason: migration\n  expires: 2026-03-01\n- namespaces: [batch]\n  reason: no expiry\n")).WithClock(func() time.Time {
		reads++
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	})
	r, _ := rules.Lookup("resources-requests")
	for _, c := range []struct {
		ns    string
		want  rules.Action
		reads int
	}{
		{"shop", rules.ActionDeny, 0},  // matches no exemption
		{"batch", rules.ActionOff, 0},  // matches one without expiry
		{"legacy", rules.ActionOff, 1}, // matches one with an expiry
	} {
		reads = 0
		if got := p.Action(r, rules.ObjectRef{Kind: "Pod", Namespace: c.ns, Name: "x"}, Requester{}); got != c.want {
			t.Errorf("namespace %s: action %q, want %q", c.ns, got, c.want)
		}
		if reads != c.reads {
			t.Errorf("namespace %s: clock read %d times, want %d", c.ns, reads, c.reads)
		}
	}
}

func TestCurrent(t *testing.T) {
	a, b := New(config.Default()), New(config.Default())
	c := NewCurrent(a)
	if c.Load() != a {
		t.Fatal("Load does not return the policy given to NewCurrent")
	}
	c.Store(b)
	if c.Load() != b {
		t.Fatal("Load does not return the stored policy")
	}
}
