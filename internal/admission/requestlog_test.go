package admission

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
	onepass "github.com/guardrails-dev/guardrails/internal/review"
)

// TestLazyLogConstructorWritesTheSameLines: the lines a request's logger
// writes, through every way our code and controller-runtime's use it,
// are DefaultLogConstructor's, field for field, for a request with every
// field set (a field DefaultLogConstructor would start to read and the
// lazy logger does not copy makes them differ).
func TestLazyLogConstructorWritesTheSameLines(t *testing.T) {
	req := &admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "00000000-0000-4000-8000-000000000001", Kind: metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
		Resource: metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, SubResource: "scale",
		Name: "web", Namespace: "team-1", Operation: admissionv1.Update,
		UserInfo: authenticationv1.UserInfo{Username: "alice@example.com", UID: "u-1", Groups: []string{"developers"}},
	}}
	uses := []struct {
		name string
		use  func(logr.Logger)
	}{
		{"Info", func(l logr.Logger) { l.Info("received request", "n", 1) }},
		{"Error", func(l logr.Logger) { l.Error(errors.New("boom"), "unable to encode response") }},
		{"WithName", func(l logr.Logger) { l.WithName("guardrails").Info("findings", "rules", []string{"a", "b"}) }},
		{"WithValues", func(l logr.Logger) { l.WithValues("code", 403).V(0).Info("wrote response") }},
		{"WithCallDepth", func(l logr.Logger) { l.WithCallDepth(1).Info("deeper") }},
		{"V(1), not written at the info level", func(l logr.Logger) { l.V(1).Info("verbose") }},
	}
	lines := func(ctor func(logr.Logger, *admission.Request) logr.Logger, use func(logr.Logger)) []map[string]any {
		var buf bytes.Buffer
		base := zap.New(zap.JSONEncoder(), zap.WriteTo(&buf)).WithValues("webhook", ValidatePath)
		use(ctor(base, req))
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if l == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%v: %s", err, l)
			}
			delete(m, "ts")
			delete(m, "stacktrace") // names the frames between the caller and zap
			out = append(out, m)
		}
		return out
	}
	for _, u := range uses {
		t.Run(u.name, func(t *testing.T) {
			want := lines(admission.DefaultLogConstructor, u.use)
			got := lines(lazyLogConstructor, u.use)
			wantJSON, _ := json.Marshal(want)
			gotJSON, _ := json.Marshal(got)
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Errorf("lazy logger wrote\n%s\nDefaultLogConstructor's\n%s", gotJSON, wantJSON)
			}
			if strings.HasPrefix(u.name, "V(1)") {
				if len(want) != 0 {
					t.Errorf("V(1) line written: %s", wantJSON)
				}
			} else if !strings.Contains(string(wantJSON), `"requestID":"00000000-0000-4000-8000-000000000001"`) {
				t.Errorf("no request fields: %s", wantJSON)
			}
		})
	}
}

// TestLazyLogConstructorBuildsNothingUntilUsed: a request that logs
// nothing (asking only whether the logger is enabled) never has the
// request's fields added to the base logger.
func TestLazyLogConstructorBuildsNothingUntilUsed(t *testing.T) {
	sink := &countingSink{}
	l := lazyLogConstructor(logr.New(sink), &admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{Name: "web"}})
	if !l.Enabled() || l.V(1).Enabled() {
		t.Errorf("Enabled %v, V(1).Enabled %v; want the base's true, false", l.Enabled(), l.V(1).Enabled())
	}
	if sink.withValues != 0 {
		t.Fatalf("%d WithValues before any line", sink.withValues)
	}
	l.Info("one")
	l.Info("two")
	if sink.withValues != 1 {
		t.Errorf("%d WithValues after two lines, want 1", sink.withValues)
	}
}

// countingSink counts WithValues calls; enabled at level 0 only.
type countingSink struct{ withValues int }

func (s *countingSink) Init(logr.RuntimeInfo)          {}
func (s *countingSink) Enabled(level int) bool         { return level == 0 }
func (s *countingSink) Info(int, string, ...any)       {}
func (s *countingSink) Error(error, string, ...any)    {}
func (s *countingSink) WithValues(...any) logr.LogSink { s.withValues++; return s }
func (s *countingSink) WithName(string) logr.LogSink   { return s }

// BenchmarkRequestLogger measures a review through /validate with the
// server's logger (zap, JSON, info level; written to io.Discard), each
// request's logger built lazily (NewWebhook's) or at once
// (controller-runtime's DefaultLogConstructor): an Ingress without
// findings, which logs nothing, and a denied Deployment, which logs its
// findings.
//
//	go test ./internal/admission/ -run '^$' -bench RequestLogger -benchmem
func BenchmarkRequestLogger(b *testing.B) {
	log := zap.New(zap.JSONEncoder(), zap.WriteTo(io.Discard)).WithValues("webhook", ValidatePath)
	validator := NewValidator(config.Default(), testCluster(b), Options{})
	clean := editObjects(b, loadReview(b, "ingress-create.json"), func(obj map[string]any) {
		delete(obj["metadata"].(map[string]any), "annotations")
	})
	for _, tc := range []struct {
		name    string
		req     admission.Request
		allowed bool
	}{
		{"clean", clean, true},
		{"denied", loadReview(b, "deployment-create.json"), false},
	} {
		body := reviewBody(b, tc.req)
		for _, ctor := range []struct {
			name string
			fn   func(logr.Logger, *admission.Request) logr.Logger
		}{{"lazy", lazyLogConstructor}, {"eager", admission.DefaultLogConstructor}} {
			hook := &admission.Webhook{Handler: validator, LogConstructor: ctor.fn}
			if _, err := admission.StandaloneWebhook(hook, admission.StandaloneOptions{Logger: log}); err != nil {
				b.Fatal(err)
			}
			h := &onepass.Handler{Webhook: hook, Log: log}
			b.Run(tc.name+"/"+ctor.name, func(b *testing.B) {
				if _, resp := serve(b, h, body, "application/json"); resp.Allowed != tc.allowed {
					b.Fatalf("allowed=%v: %+v", resp.Allowed, resp.Result)
				}
				b.ReportAllocs()
				for b.Loop() {
					r := httptest.NewRequest(http.MethodPost, ValidatePath, bytes.NewReader(body))
					r.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatal(w.Code)
					}
				}
			})
		}
	}
}
