package admission

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/metrics"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

const memoryLine = "[resources-requests] spec.template.spec.containers[0].resources.requests.memory: "

func validate(t *testing.T, v *Validator, req admission.Request) admission.Response {
	t.Helper()
	return v.Handle(context.Background(), req)
}

func wantDenied(t *testing.T, resp admission.Response, lines ...string) {
	t.Helper()
	if resp.Allowed {
		t.Fatalf("allowed, want denied; warnings %q", resp.Warnings)
	}
	if resp.Result == nil || resp.Result.Code != http.StatusForbidden || resp.Result.Reason != metav1.StatusReasonForbidden {
		t.Fatalf("status %+v, want 403 Forbidden", resp.Result)
	}
	got := strings.Split(resp.Result.Message, "\n")
	if len(got) != len(lines) {
		t.Fatalf("denial has %d lines, want %d:\n%s", len(got), len(lines), resp.Result.Message)
	}
	// Every listed finding is also a status cause: [rule] field: message
	// (a line too long has its message cut before the hint: denyLine).
	if d := resp.Result.Details; d == nil || len(d.Causes) < min(len(lines), MaxDenyLines) {
		t.Errorf("details %+v: want a cause per finding", d)
	} else {
		for i := 0; i < min(len(lines), MaxDenyLines); i++ {
			c := d.Causes[i]
			line := "[" + string(c.Type) + "] " + c.Field + ": " + c.Message
			if cut, _, found := strings.Cut(got[i], "... ("); found && len(got[i]) > maxDenyLineLen-8 {
				line = line[:min(len(line), len(cut))]
			}
			if !strings.HasPrefix(got[i], line) {
				t.Errorf("cause %d %+v does not match line %q", i, c, got[i])
			}
		}
	}
	for i, prefix := range lines {
		if !strings.HasPrefix(got[i], prefix) {
			t.Errorf("line %d = %q, want prefix %q", i, got[i], prefix)
		}
	}
}

func wantAllowed(t *testing.T, resp admission.Response, warningPrefixes ...string) {
	t.Helper()
	if !resp.Allowed {
		t.Fatalf("denied, want allowed: %+v", resp.Result)
	}
	if len(resp.Warnings) != len(warningPrefixes) {
		t.Fatalf("warnings %q, want %d", resp.Warnings, len(warningPrefixes))
	}
	for i, prefix := range warningPrefixes {
		if !strings.HasPrefix(resp.Warnings[i], prefix) {
			t.Errorf("warning %d = %q, want prefix %q", i, resp.Warnings[i], prefix)
		}
	}
}

func TestValidateNamespaceModes(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	base := loadReview(t, "deployment-create.json")

	t.Run("enforce denies", func(t *testing.T) {
		resp := validate(t, v, inNamespace(t, base, "team-enforce"))
		wantDenied(t, resp, memoryLine+`container "app": no memory request (`)
		if resp.AuditAnnotations != nil {
			t.Errorf("audit annotations %v in enforce mode", resp.AuditAnnotations)
		}
	})
	t.Run("invalid label enforces", func(t *testing.T) {
		wantDenied(t, validate(t, v, inNamespace(t, base, "team-invalid")), memoryLine)
	})
	t.Run("warn warns", func(t *testing.T) {
		resp := validate(t, v, inNamespace(t, base, "team-warn"))
		wantAllowed(t, resp, memoryLine+`container "app": no memory request`)
		if strings.Contains(resp.Warnings[0], "(set ") {
			t.Errorf("warning carries the hint: %q", resp.Warnings[0])
		}
	})
	t.Run("audit records", func(t *testing.T) {
		before := counterValue(metrics.DecisionsTotal.WithLabelValues("resources-requests", "audit", "audit"))
		resp := validate(t, v, inNamespace(t, base, "team-audit"))
		wantAllowed(t, resp)
		got := resp.AuditAnnotations["resources-requests"]
		if !strings.HasPrefix(got, "spec.template.spec.containers[0].resources.requests.memory: ") {
			t.Errorf("audit annotations %v", resp.AuditAnnotations)
		}
		for k := range resp.AuditAnnotations {
			if strings.Contains(k, "/") {
				t.Errorf("audit annotation key %q: the API server prefixes the webhook name and accepts no second slash", k)
			}
		}
		if after := counterValue(metrics.DecisionsTotal.WithLabelValues("resources-requests", "audit", "audit")); after != before+1 {
			t.Errorf("decisions metric %v -> %v", before, after)
		}
	})
	t.Run("no label is not judged", func(t *testing.T) {
		resp := validate(t, v, inNamespace(t, base, "team-none"))
		wantAllowed(t, resp)
		if resp.AuditAnnotations != nil {
			t.Errorf("audit annotations %v", resp.AuditAnnotations)
		}
	})
	t.Run("dry run is judged the same", func(t *testing.T) {
		req := inNamespace(t, base, "team-enforce")
		dry := true
		req.DryRun = &dry
		wantDenied(t, validate(t, v, req), memoryLine)
	})
}

func TestValidateRuleActionAuditInEnforceMode(t *testing.T) {
	cfg := withConfig(t, func(c *config.Config) {
		c.Rules["resources-requests"] = config.RuleConfig{Action: rules.ActionAudit}
	})
	v := NewValidator(cfg, testCluster(t), Options{})
	resp := validate(t, v, loadReview(t, "deployment-create.json"))
	wantAllowed(t, resp)
	if resp.AuditAnnotations["resources-requests"] == "" {
		t.Errorf("audit annotations %v", resp.AuditAnnotations)
	}
}

func TestValidateClusterScoped(t *testing.T) {
	req := loadReview(t, "clusterrolebinding-create.json")
	for _, tc := range []struct {
		mode  rules.Mode
		check func(t *testing.T, resp admission.Response)
	}{
		{"enforce", func(t *testing.T, resp admission.Response) {
			wantDenied(t, resp, "[rbac-cluster-admin] roleRef.name: ")
		}},
		{"warn", func(t *testing.T, resp admission.Response) {
			wantAllowed(t, resp, "[rbac-cluster-admin] roleRef.name: ")
		}},
		{"audit", func(t *testing.T, resp admission.Response) {
			wantAllowed(t, resp)
			if resp.AuditAnnotations["rbac-cluster-admin"] == "" {
				t.Errorf("audit annotations %v", resp.AuditAnnotations)
			}
		}},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			cfg := withConfig(t, func(c *config.Config) { c.ClusterMode = tc.mode })
			tc.check(t, validate(t, NewValidator(cfg, testCluster(t), Options{}), req))
		})
	}
}

func TestValidateNamespaceObject(t *testing.T) {
	// A Namespace is cluster-scoped: clusterMode applies, even though the
	// API server sets request.namespace to the namespace's own name.
	cfg := withConfig(t, func(c *config.Config) { c.ClusterMode = "enforce" })
	v := NewValidator(cfg, testCluster(t), Options{})
	req := loadReview(t, "namespace-update.json")

	wantDenied(t, validate(t, v, req), "[namespace-mode-label] metadata.labels[guardrails.dev/mode]: lowering")
	// system:masters is exempt from namespace-mode-label by the default config.
	wantAllowed(t, validate(t, v, asUser(req, "kubernetes-admin", "system:masters", "system:authenticated")))

	// Editing another label of a namespace whose mode label is already
	// invalid: the pre-existing finding comes back as a warning.
	bad := editObjects(t, req, func(obj map[string]any) {
		labels := obj["metadata"].(map[string]any)["labels"].(map[string]any)
		labels[rules.ModeLabel] = "Enforce"
	})
	bad = editObjects(t, bad, func(obj map[string]any) {}) // both objects carry it
	bad.Object.Raw = []byte(strings.Replace(string(bad.Object.Raw), `"metadata":{`, `"metadata":{"annotations":{"owner":"team-a"},`, 1))
	wantAllowed(t, validate(t, v, bad), "[namespace-mode-label] metadata.labels[guardrails.dev/mode]: namespace label")
}

func TestValidateExemptions(t *testing.T) {
	req := loadReview(t, "deployment-create.json")
	for _, tc := range []struct {
		name string
		ex   config.Exemption
		req  admission.Request
	}{
		{"namespace", config.Exemption{Namespaces: []string{"team-*"}, Reason: "test"}, req},
		{"name", config.Exemption{Names: []string{"web"}, Reason: "test"}, req},
		{"user", config.Exemption{Users: []string{"alice@example.com"}, Reason: "test"}, req},
		{"group", config.Exemption{Groups: []string{"developers"}, Reason: "test"}, req},
		{"per-rule user", config.Exemption{Users: []string{"ci-bot"}, Reason: "test"}, asUser(req, "ci-bot")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := withConfig(t, func(c *config.Config) {
				if tc.name == "per-rule user" {
					c.Rules["resources-requests"] = config.RuleConfig{Exemptions: []config.Exemption{tc.ex}}
					return
				}
				c.Exemptions = append(c.Exemptions, tc.ex)
			})
			wantAllowed(t, validate(t, NewValidator(cfg, testCluster(t), Options{}), tc.req))
		})
	}
	t.Run("not matching", func(t *testing.T) {
		cfg := withConfig(t, func(c *config.Config) {
			c.Exemptions = append(c.Exemptions, config.Exemption{Namespaces: []string{"other"}, Groups: []string{"developers"}, Reason: "test"})
		})
		wantDenied(t, validate(t, NewValidator(cfg, testCluster(t), Options{}), req), memoryLine)
	})
	t.Run("API server never blocked", func(t *testing.T) {
		// The default config exempts system:apiserver outright: no findings.
		wantAllowed(t, validate(t, NewValidator(config.Default(), testCluster(t), Options{}), asUser(req, apiServerUser, "system:masters")))
		// A config without that exemption still never blocks it.
		cfg := withConfig(t, func(c *config.Config) { c.Exemptions = nil })
		wantAllowed(t, validate(t, NewValidator(cfg, testCluster(t), Options{}), asUser(req, apiServerUser)), memoryLine)
	})
}

func TestValidateUpdate(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	t.Run("pre-existing findings warn", func(t *testing.T) {
		resp := validate(t, v, loadReview(t, "deployment-update-scale.json"))
		wantAllowed(t, resp, memoryLine)
		if !strings.Contains(resp.Warnings[0], "already there before this update") {
			t.Errorf("warning %q does not say the finding pre-exists", resp.Warnings[0])
		}
	})
	t.Run("old object judged only by the rules that deny the new one", func(t *testing.T) {
		// A rule that finds nothing in the new object (6 replicas) and
		// panics on the old one (2): the old object is not judged by it,
		// so the finding it already had is still only a warning.
		oldOnly := &rules.Rule{
			ID:            "boom-on-old",
			DefaultAction: rules.ActionDeny,
			Kinds:         []schema.GroupKind{{Group: "apps", Kind: "Deployment"}},
			Check: func(in *rules.Input) []rules.Violation {
				if d := in.Object.(*appsv1.Deployment); d.Spec.Replicas != nil && *d.Spec.Replicas == 2 {
					panic("judged the old object")
				}
				return nil
			},
		}
		v := NewValidator(config.Default(), testCluster(t), Options{Rules: append(rules.Catalogue(), oldOnly)})
		resp := validate(t, v, loadReview(t, "deployment-update-scale.json"))
		wantAllowed(t, resp, memoryLine)
		if !strings.Contains(resp.Warnings[0], "already there before this update") {
			t.Errorf("warning %q does not say the finding pre-exists", resp.Warnings[0])
		}
	})
	t.Run("introduced findings deny", func(t *testing.T) {
		wantDenied(t, validate(t, v, loadReview(t, "deployment-update-introduce.json")),
			memoryLine,
			"[resources-requests] spec.template.spec.containers[1].resources.requests.memory: ")
	})
	t.Run("old finding moved by a new container in front", func(t *testing.T) {
		// The new sidecar has its requests; the old container keeps its
		// old finding at a new index: nothing is introduced.
		req := loadReview(t, "deployment-update-scale.json")
		old := req.OldObject
		req = editObjects(t, req, func(obj map[string]any) {
			spec := dig(obj, "spec", "template", "spec").(map[string]any)
			spec["containers"] = append([]any{map[string]any{
				"name": "proxy", "image": "envoyproxy/envoy:v1.31.0",
				"resources": map[string]any{"requests": map[string]any{"cpu": "50m", "memory": "64Mi"}},
			}}, spec["containers"].([]any)...)
		})
		req.OldObject = old // only the new object gains the container
		resp := validate(t, v, req)
		if !resp.Allowed {
			t.Fatalf("denied: %s", resp.Result.Message)
		}
		if len(resp.Warnings) == 0 || !strings.Contains(resp.Warnings[0], "containers[1]") || !strings.Contains(resp.Warnings[0], "already there before this update") {
			t.Errorf("warnings %q", resp.Warnings)
		}
	})
	t.Run("object being deleted", func(t *testing.T) {
		req := editObjects(t, loadReview(t, "deployment-update-introduce.json"), func(obj map[string]any) {
			md := obj["metadata"].(map[string]any)
			md["deletionTimestamp"] = "2024-02-01T10:00:00Z"
			md["finalizers"] = []any{}
		})
		wantAllowed(t, validate(t, v, req))
	})
	t.Run("warn mode", func(t *testing.T) {
		resp := validate(t, v, inNamespace(t, loadReview(t, "deployment-update-introduce.json"), "team-warn"))
		wantAllowed(t, resp, memoryLine, "[resources-requests] spec.template.spec.containers[1]")
	})
}

func TestValidateNotJudged(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	base := loadReview(t, "deployment-create.json")
	cases := map[string]func(r *admission.Request){
		"DELETE": func(r *admission.Request) {
			r.Operation = admissionv1.Delete
			r.OldObject = r.Object
			r.Object.Raw = nil
		},
		"CONNECT":    func(r *admission.Request) { r.Operation = admissionv1.Connect },
		"scale":      func(r *admission.Request) { r.Operation = admissionv1.Update; r.SubResource = "scale" },
		"status":     func(r *admission.Request) { r.Operation = admissionv1.Update; r.SubResource = "status" },
		"other kind": func(r *admission.Request) { r.Kind = metav1.GroupVersionKind{Version: "v1", Kind: "ConfigMap"} },
		"custom kind": func(r *admission.Request) {
			r.Kind = metav1.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Deployment"}
		},
		"unknown version": func(r *admission.Request) {
			r.Kind = metav1.GroupVersionKind{Group: "apps", Version: "v1beta9", Kind: "Deployment"}
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			req := base
			edit(&req)
			wantAllowed(t, validate(t, v, req))
		})
	}
}

// boom is a rule that panics, for the failure-policy tests.
var boom = &rules.Rule{
	ID:            "boom",
	DefaultAction: rules.ActionDeny,
	Kinds:         []schema.GroupKind{{Group: "apps", Kind: "Deployment"}},
	Check:         func(*rules.Input) []rules.Violation { panic("index out of range [3] with length 3") },
}

func TestValidateInternalErrors(t *testing.T) {
	panicking := NewValidator(config.Default(), testCluster(t), Options{Rules: append(rules.Catalogue(), boom)})
	plain := NewValidator(config.Default(), testCluster(t), Options{})
	base := loadReview(t, "deployment-create.json")
	undecodable := editObjects(t, base, func(obj map[string]any) {
		obj["spec"].(map[string]any)["replicas"] = "many"
	})

	for _, tc := range []struct {
		name string
		v    *Validator
		req  admission.Request
		kind string
		what string
	}{
		{"panic", panicking, base, "panic", "rule boom failed: index out of range"},
		{"decode", plain, undecodable, "decode", "decode Deployment"},
	} {
		t.Run(tc.name+" fail", func(t *testing.T) {
			before := counterValue(metrics.InternalErrors.WithLabelValues(metrics.HandlerValidate, tc.kind, "denied"))
			resp := validate(t, tc.v, inNamespace(t, tc.req, "team-enforce"))
			if resp.Allowed || resp.Result.Code != http.StatusInternalServerError {
				t.Fatalf("want denied with 500, got %+v", resp.AdmissionResponse)
			}
			msg := resp.Result.Message
			for _, want := range []string{tc.what, string(tc.req.UID), `namespace "team-enforce" is Fail`} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if after := counterValue(metrics.InternalErrors.WithLabelValues(metrics.HandlerValidate, tc.kind, "denied")); after != before+1 {
				t.Errorf("internal errors metric %v -> %v", before, after)
			}
		})
		// The failure policy of the entry that serves the namespace:
		// failure-policy ignore, and warn and audit whatever that label
		// says (nothing is denied there).
		for _, ns := range []string{"team-ignore-warn", "kube-system", "team-warn", "team-audit"} {
			t.Run(tc.name+" ignore "+ns, func(t *testing.T) {
				before := counterValue(metrics.InternalErrors.WithLabelValues(metrics.HandlerValidate, tc.kind, "admitted"))
				resp := validate(t, tc.v, inNamespace(t, tc.req, ns))
				wantAllowed(t, resp, "[guardrails] internal error, object not checked")
				if !strings.Contains(resp.Warnings[0], tc.what) {
					t.Errorf("warning %q lacks %q", resp.Warnings[0], tc.what)
				}
				if after := counterValue(metrics.InternalErrors.WithLabelValues(metrics.HandlerValidate, tc.kind, "admitted")); after != before+1 {
					t.Errorf("internal errors metric %v -> %v", before, after)
				}
			})
		}
	}
	// Cluster-scoped objects are served by the failurePolicy Ignore entry
	// (the API server's fallback policies hold what must hold): an
	// internal error admits, with a warning.
	t.Run("panic on a cluster-scoped object", func(t *testing.T) {
		crbBoom := *boom
		crbBoom.Kinds = []schema.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}}
		v := NewValidator(config.Default(), testCluster(t), Options{Rules: []*rules.Rule{&crbBoom}})
		resp := validate(t, v, loadReview(t, "clusterrolebinding-create.json"))
		wantAllowed(t, resp, "[guardrails] internal error, object not checked (cluster-scoped objects; failure-policy ignore)")
	})
}

func TestValidateNamespaceLookup(t *testing.T) {
	base := loadReview(t, "deployment-create.json")
	t.Run("cache not synced", func(t *testing.T) {
		st := &faultyState{ClusterState: testCluster(t), nsErr: fmt.Errorf("%w: Namespace informer not synced", rules.ErrUnavailable)}
		resp := validate(t, NewValidator(config.Default(), st, Options{NamespaceWait: 100 * time.Millisecond}), base)
		if resp.Allowed || resp.Result.Code != http.StatusInternalServerError || !strings.Contains(resp.Result.Message, "not synced") {
			t.Fatalf("got %+v", resp.AdmissionResponse)
		}
	})
	t.Run("namespace appears within the wait", func(t *testing.T) {
		st := &faultyState{ClusterState: testCluster(t)}
		st.nsMissing.Store(3)
		resp := validate(t, NewValidator(config.Default(), st, Options{NamespaceWait: 5 * time.Second}), base)
		wantDenied(t, resp, memoryLine)
	})
	t.Run("namespace never appears", func(t *testing.T) {
		st := &faultyState{ClusterState: testCluster(t)}
		st.nsMissing.Store(1 << 30)
		start := time.Now()
		resp := validate(t, NewValidator(config.Default(), st, Options{NamespaceWait: 120 * time.Millisecond}), base)
		if resp.Allowed || resp.Result.Code != http.StatusInternalServerError || !strings.Contains(resp.Result.Message, "not in the webhook's cache") {
			t.Fatalf("got %+v", resp.AdmissionResponse)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("waited %v", d)
		}
	})
}

// manyContainers is the create review of a Deployment in ns with 200
// containers of image and no requests: 400 findings of one rule.
func manyContainers(t *testing.T, ns, image string) admission.Request {
	t.Helper()
	return editObjects(t, inNamespace(t, loadReview(t, "deployment-create.json"), ns), func(obj map[string]any) {
		spec := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		var cs []any
		for i := range 200 {
			cs = append(cs, map[string]any{"name": fmt.Sprintf("c%03d", i), "image": image})
		}
		spec["containers"] = cs
	})
}

func TestValidateCaps(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	many := func(ns string) admission.Request { return manyContainers(t, ns, "busybox\nINJECTED") }
	resp := validate(t, v, many("team-enforce"))
	lines := strings.Split(resp.Result.Message, "\n")
	if len(lines) != MaxDenyLines+1 {
		t.Fatalf("%d lines, want %d", len(lines), MaxDenyLines+1)
	}
	if want := "... and 390 more findings"; !strings.HasPrefix(lines[MaxDenyLines], want) {
		t.Errorf("last line %q, want prefix %q", lines[MaxDenyLines], want)
	}

	resp = validate(t, v, many("team-warn"))
	if len(resp.Warnings) != MaxWarnings+1 || !strings.HasPrefix(resp.Warnings[MaxWarnings], "[guardrails] ... and 390 more warnings") {
		t.Fatalf("warnings %q", resp.Warnings)
	}
	total := 0
	for _, w := range resp.Warnings {
		total += len(w)
		if len(w) > MaxWarningLen || strings.ContainsAny(w, "\n\r") {
			t.Errorf("warning too long or multi-line: %q", w)
		}
	}
	if total > 4096 {
		t.Errorf("warnings total %d bytes; the API server drops warnings past 4 KiB", total)
	}
}

func TestFormatting(t *testing.T) {
	f := rules.Finding{Rule: "ingress-annotation", Field: "metadata.annotations[x]", Message: "value \"a\nb\" breaks", Hint: "fix it"}
	if got, want := findingLine(f, true), `[ingress-annotation] metadata.annotations[x]: value "a b" breaks (fix it)`; got != want {
		t.Errorf("findingLine = %q, want %q", got, want)
	}
	if got := findingLine(rules.Finding{Rule: "r", Message: "m"}, true); got != "[r] m" {
		t.Errorf("no field: %q", got)
	}
}

// TestDenyLineKeepsTheHint: a denial line over maxDenyLineLen loses the
// end of its message, not the hint that says what to do; a hint too long
// to keep leaves the line cut like any other.
func TestDenyLineKeepsTheHint(t *testing.T) {
	long := strings.Repeat("by ClusterRoleBinding \"reader\" to User \"dev@example.com\"; ", 20)
	for _, tc := range []struct {
		name    string
		f       rules.Finding
		want    string // the line's end
		wantCut bool   // the message cut ("..." before the hint)
	}{
		{"short", rules.Finding{Rule: "r", Field: "rules[1]", Message: "wide", Hint: "narrow it"}, "[r] rules[1]: wide (narrow it)", false},
		{"long message", rules.Finding{Rule: "rbac-cluster-admin", Field: "rules[1]", Message: "ClusterRole would make ... bound " + long, Hint: "keep the role narrower while it is bound"}, "... (keep the role narrower while it is bound)", true},
		{"long message, no hint", rules.Finding{Rule: "r", Message: long}, "...", false},
		{"long hint", rules.Finding{Rule: "r", Message: long, Hint: long}, "...", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := denyLine(tc.f)
			if len(got) > maxDenyLineLen {
				t.Errorf("%d bytes, over %d", len(got), maxDenyLineLen)
			}
			if !strings.HasSuffix(got, tc.want) {
				t.Errorf("line %q\ndoes not end with %q", got, tc.want)
			}
			if tc.wantCut && !strings.HasPrefix(got, "[rbac-cluster-admin] rules[1]: ClusterRole would make") {
				t.Errorf("line %q lost its start", got)
			}
		})
	}
}

func TestValidateControllerPods(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	pod := editObjects(t, inNamespace(t, loadReview(t, "pod-coredns-create.json"), "team-enforce"), func(obj map[string]any) {
		md := obj["metadata"].(map[string]any)
		md["labels"] = map[string]any{"app": "web"}
		dig(obj, "spec", "containers", 0).(map[string]any)["resources"] = map[string]any{}
	})
	const podLine = "[resources-requests] spec.containers[0].resources.requests."
	// A ReplicaSet's pod: its template was judged on the ReplicaSet (or
	// predates the rule); denying it would stop replacements after a
	// node drain.
	resp := validate(t, v, pod)
	wantAllowed(t, resp, podLine+"cpu", podLine+"memory")
	if !strings.Contains(resp.Warnings[0], "(pod of ReplicaSet coredns-7db6d8ff4d; the template is judged on the ReplicaSet)") {
		t.Errorf("warning %q", resp.Warnings[0])
	}
	// The same with kube-controller-manager's own identity (controllers
	// without --use-service-account-credentials).
	kcm := pod
	kcm.UserInfo.Username = "system:kube-controller-manager"
	kcm.UserInfo.Groups = nil
	wantAllowed(t, validate(t, v, kcm), podLine+"cpu", podLine+"memory")
	// A tenant writing the same ownerReference by hand gains nothing.
	forged := pod
	forged.UserInfo.Username = "alice"
	forged.UserInfo.Groups = []string{"system:authenticated"}
	wantDenied(t, validate(t, v, forged), podLine+"cpu", podLine+"memory")
	// A bare pod, and a pod of a custom controller, are judged as pods.
	bare := editObjects(t, pod, func(obj map[string]any) { delete(obj["metadata"].(map[string]any), "ownerReferences") })
	wantDenied(t, validate(t, v, bare), podLine+"cpu", podLine+"memory")
	custom := editObjects(t, pod, func(obj map[string]any) {
		obj["metadata"].(map[string]any)["ownerReferences"] = []any{map[string]any{
			"apiVersion": "tekton.dev/v1", "kind": "TaskRun", "name": "build", "uid": "u", "controller": true,
		}}
	})
	wantDenied(t, validate(t, v, custom), podLine+"cpu", podLine+"memory")
}

// A rollout restart of a Deployment that predates the rule: the Deployment
// controller's new ReplicaSet must not be denied for the old template.
func TestValidateControllerReplicaSets(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	strip := func(req admission.Request) admission.Request {
		return editObjects(t, inNamespace(t, req, "team-enforce"), func(obj map[string]any) {
			// A tenant's web ReplicaSet: no add-on labels, no init container.
			obj["metadata"].(map[string]any)["labels"] = map[string]any{"app": "web"}
			dig(obj, "spec", "template", "metadata").(map[string]any)["labels"] = map[string]any{"app": "web"}
			delete(dig(obj, "spec", "template", "spec").(map[string]any), "initContainers")
			for _, c := range dig(obj, "spec", "template", "spec", "containers").([]any) {
				c.(map[string]any)["resources"] = map[string]any{}
			}
		})
	}
	const line = "[resources-requests] spec.template.spec.containers[0].resources.requests."
	resp := validate(t, v, strip(replicaSetOfDeployment(t, "system:serviceaccount:kube-system:deployment-controller")))
	wantAllowed(t, resp, line+"cpu", line+"memory")
	if !strings.Contains(resp.Warnings[0], "(replicaset of Deployment coredns; the template is judged on the Deployment)") {
		t.Errorf("warning %q", resp.Warnings[0])
	}
	wantDenied(t, validate(t, v, strip(replicaSetOfDeployment(t, "alice"))), line+"cpu", line+"memory")
}
