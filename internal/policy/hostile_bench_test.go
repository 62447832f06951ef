package policy_test

import (
	"encoding/json"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/hostile"
	"github.com/guardrails-dev/guardrails/internal/inputview"
	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// BenchmarkHostileIngress measures the rule set on the largest Ingress a
// tenant can send: 250 KiB of unknown ingress-nginx annotations
// (hostile.Ingress). The "decode" sub-benchmark is the baseline of the
// same run: decoding the object's JSON, which every request pays anyway.
// Compare evaluate/decode.
//
//	go test ./internal/policy/ -run '^$' -bench HostileIngress -benchmem
func BenchmarkHostileIngress(b *testing.B) {
	js, err := json.Marshal(hostile.Ingress("team-a", "flood"))
	if err != nil {
		b.Fatal(err)
	}
	obj, ref, err := manifest.DecodeJSON(js)
	if err != nil {
		b.Fatal(err)
	}
	view := inputview.New()
	view.Complete = true
	p := policy.New(config.Default())
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := manifest.DecodeJSON(js); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("evaluate", func(b *testing.B) {
		b.ReportAllocs()
		var res policy.Result
		for b.Loop() {
			res, err = p.Evaluate(&rules.Input{Object: obj, Ref: ref, Cluster: view}, policy.Requester{User: "alice"})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(res.Findings)), "findings")
	})
}
