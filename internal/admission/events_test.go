package admission

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// recordedEvent is one call of EventRecorder.Finding.
type recordedEvent struct {
	ref    corev1.ObjectReference
	action rules.Action
	line   string
}

type fakeEvents struct{ got []recordedEvent }

func (f *fakeEvents) Finding(ref *corev1.ObjectReference, action rules.Action, line string) {
	f.got = append(f.got, recordedEvent{*ref, action, line})
}

// TestValidateEvents: with an EventRecorder, every audit and warn finding
// of an admitted request becomes one Event on the judged object (with its
// UID, which the API server sets before validating admission); denied
// requests and dry runs record none.
func TestValidateEvents(t *testing.T) {
	base := editObjects(t, loadReview(t, "deployment-create.json"), func(obj map[string]any) {
		obj["metadata"].(map[string]any)["uid"] = "6b1f0e0a-0000-4000-8000-000000000001"
	})
	wantRef := corev1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: types.UID("6b1f0e0a-0000-4000-8000-000000000001")}
	dry := true
	for _, tc := range []struct {
		name   string
		ns     string
		dryRun bool
		action rules.Action // "" when no event is expected
	}{
		{name: "audit", ns: "team-audit", action: rules.ActionAudit},
		{name: "warn", ns: "team-warn", action: rules.ActionWarn},
		{name: "enforce denies: no event", ns: "team-enforce"},
		{name: "dry run: no event", ns: "team-audit", dryRun: true},
		{name: "no mode: no event", ns: "team-none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &fakeEvents{}
			v := NewValidator(config.Default(), testCluster(t), Options{Events: ev})
			req := inNamespace(t, base, tc.ns)
			if tc.dryRun {
				req.DryRun = &dry
			}
			validate(t, v, req)
			if tc.action == "" {
				if len(ev.got) != 0 {
					t.Errorf("events %+v, want none", ev.got)
				}
				return
			}
			if len(ev.got) != 1 {
				t.Fatalf("events %+v, want one (the missing memory request)", ev.got)
			}
			e := ev.got[0]
			want := wantRef
			want.Namespace = tc.ns
			if e.ref != want || e.action != tc.action {
				t.Errorf("event on %+v (%s), want %+v (%s)", e.ref, e.action, want, tc.action)
			}
			if !strings.HasPrefix(e.line, "[resources-requests] spec.template.spec.containers[0].resources.requests.memory: ") || !strings.Contains(e.line, "(set ") {
				t.Errorf("line %q: want the rule, the field and the hint", e.line)
			}
		})
	}

	t.Run("cluster-scoped object", func(t *testing.T) {
		cfg := withConfig(t, func(c *config.Config) { c.ClusterMode = rules.ModeAudit })
		ev := &fakeEvents{}
		v := NewValidator(cfg, testCluster(t), Options{Events: ev})
		req := loadReview(t, "clusterrolebinding-create.json")
		notDry := false
		req.DryRun = &notDry // the fixture is a dry run
		wantAllowed(t, validate(t, v, req))
		if len(ev.got) == 0 {
			t.Fatal("no event")
		}
		for _, e := range ev.got {
			if e.ref.Namespace != "" || e.ref.Kind != "ClusterRoleBinding" || e.action != rules.ActionAudit || !strings.HasPrefix(e.line, "[rbac-") {
				t.Errorf("event %+v", e)
			}
		}
	})
}

// TestValidateEventsCapped: a request with many findings records
// MaxEventsPerRequest Events and one with the count of the rest.
func TestValidateEventsCapped(t *testing.T) {
	req := editObjects(t, inNamespace(t, loadReview(t, "deployment-create.json"), "team-audit"), func(obj map[string]any) {
		spec := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		c := spec["containers"].([]any)[0].(map[string]any)
		var cs []any
		for i := range 8 {
			cc := map[string]any{}
			for k, v := range c {
				cc[k] = v
			}
			cc["name"] = fmt.Sprintf("app-%d", i)
			delete(cc, "resources")
			cs = append(cs, cc)
		}
		spec["containers"] = cs
	})
	ev := &fakeEvents{}
	v := NewValidator(config.Default(), testCluster(t), Options{Events: ev})
	wantAllowed(t, validate(t, v, req))
	if len(ev.got) != MaxEventsPerRequest+1 {
		t.Fatalf("%d events, want %d and the count", len(ev.got), MaxEventsPerRequest+1)
	}
	if last := ev.got[MaxEventsPerRequest].line; last != "[guardrails] ... and 6 more findings (run `webhook check` on the manifest for the full list)" {
		t.Errorf("last event %q", last)
	}
}
