# Guardrails. `make run` tries it, `make test` tests it.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The one build line: the Dockerfile runs the same.
GO_BUILD = CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)"

BIN := bin

# The control plane of `make run` and the e2e suite: kube-apiserver and etcd
# built from source (hack/kube-apiserver, hack/etcd: the Go module proxy, no
# release downloads, no Docker), cached in bin/k8s.
K8S_VERSION  := v1.37.2
ETCD_VERSION := v3.6.16
K8S_BIN      := $(BIN)/k8s
# kube-apiserver reports its version like a release build (kubectl version).
K8S_LDFLAGS  := -s -w -X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 \
	-X k8s.io/component-base/version.gitTreeState=clean
# The e2e packages (build tag e2e: `make unit` does not run them).
E2E_PKGS     := $(if $(wildcard e2e),./e2e/...) ./internal/sandbox/...
E2E_TIMEOUT  ?= 20m

.PHONY: load docker-build all build test unit e2e lint fmt vet readme vap generate bench control-plane run perf-cli perf-profile corpus helm helm-check chart

all: build

build: ## build bin/webhook
	$(GO_BUILD) -o $(BIN)/webhook ./cmd/webhook

IMAGE ?= ghcr.io/guardrails-dev/guardrails:$(VERSION)
docker-build: ## build the container image (needs a Docker engine; runs the same go build line)
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

lint: fmt vet ## gofmt + go vet

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needs to run on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e $(E2E_PKGS)

unit: ## unit tests (no control plane needed; the chart's tests use bin/helm when it is there)
	HELM=$(if $(wildcard $(HELM)),$(abspath $(HELM))) $(GO) test -count=1 ./...

e2e: control-plane build ## end-to-end tests against a real kube-apiserver + etcd (builds them when missing)
	KUBEBUILDER_ASSETS=$(abspath $(K8S_BIN)) GUARDRAILS_WEBHOOK_BINARY=$(abspath $(BIN)/webhook) \
		HELM=$(if $(wildcard $(HELM)),$(abspath $(HELM))) \
		$(GO) test -tags e2e -count=1 -timeout $(E2E_TIMEOUT) $(E2E_PKGS)

test: lint helm-check unit e2e ## everything CI runs (builds bin/helm when missing)

# Helm, for the chart (deploy/helm/guardrails): built from the Go module
# proxy into bin/ when missing, pinned, with the version and the
# Kubernetes version (its client-go's, v0.37 -> 1.37) that `helm version`,
# `helm template` and `helm lint` report, as Helm's own Makefile sets them.
HELM_VERSION := v3.22.0
HELM         := $(BIN)/helm
HELM_LDFLAGS := -s -w -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37 \
	-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37
CHART        := deploy/helm/guardrails

helm: $(HELM) ## build bin/helm when missing

$(HELM):
	@echo "building helm $(HELM_VERSION) from the Go module proxy into $(dir $@) (several minutes the first time)…"
	@mkdir -p $(BIN)
	GOBIN=$(abspath $(BIN)) CGO_ENABLED=0 $(GO) install -trimpath -ldflags "$(HELM_LDFLAGS)" helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

helm-check: $(HELM) ## helm lint and helm template of the chart: default values, every certificate mode, every component
	$(HELM) lint --strict $(CHART)
	$(HELM) lint --strict $(CHART) --set certificate.mode=generated --set events.enabled=true --set secretLookups.enabled=true \
		--set preview.enabled=true --set audit.enabled=true --set audit.policyReports.enabled=true \
		--set monitoring.serviceMonitor.enabled=true --set monitoring.prometheusRule.enabled=true --set monitoring.dashboard.enabled=true
	@for args in "" "--set certificate.mode=generated" \
		"--set certificate.mode=existingSecret --set certificate.existingSecret.name=tls --set certificate.existingSecret.caBundle=$$(printf -- '-----BEGIN CERTIFICATE-----\n' | base64 -w0)"; do \
		echo "$(HELM) template guardrails $(CHART) -n guardrails-system $$args"; \
		$(HELM) template guardrails $(CHART) -n guardrails-system $$args > /dev/null || exit 1; \
	done

chart: ## copy deploy/'s files that the chart renders into its files/ (a test keeps them equal)
	cp internal/config/default.yaml $(CHART)/files/config.yaml
	cp deploy/base/webhooks.yaml $(CHART)/files/webhooks.yaml
	cp deploy/components/api-server-fallback/policies.yaml $(CHART)/files/api-server-fallback.yaml
	cp deploy/components/monitoring/prometheusrule.yaml $(CHART)/files/prometheusrule.yaml
	cp deploy/components/monitoring/dashboard.json $(CHART)/files/dashboard.json
	cp deploy/components/policy-reports/crds.yaml $(CHART)/files/policyreport-crds.yaml

control-plane: $(K8S_BIN)/kube-apiserver $(K8S_BIN)/etcd ## build kube-apiserver and etcd into bin/k8s when missing

$(K8S_BIN)/kube-apiserver: hack/kube-apiserver/go.mod hack/kube-apiserver/go.sum
	@echo "building kube-apiserver $(K8S_VERSION) from the Go module proxy (about 5 minutes the first time, cached in $(K8S_BIN))…"
	@mkdir -p $(K8S_BIN)
	cd hack/kube-apiserver && $(GO) build -buildvcs=false -ldflags "$(K8S_LDFLAGS)" -o $(abspath $@).tmp k8s.io/kubernetes/cmd/kube-apiserver
	@mv $@.tmp $@

$(K8S_BIN)/etcd: hack/etcd/go.mod hack/etcd/go.sum
	@echo "building etcd $(ETCD_VERSION) from the Go module proxy (about a minute the first time, cached in $(K8S_BIN))…"
	@mkdir -p $(K8S_BIN)
	cd hack/etcd && $(GO) build -buildvcs=false -ldflags "-s -w" -o $(abspath $@).tmp go.etcd.io/etcd/server/v3
	@mv $@.tmp $@

run: build control-plane ## try it: a local sandbox (kube-apiserver + etcd + the webhook); Ctrl-C stops it
	@$(BIN)/webhook dev $(RUN_ARGS)

LOAD_ARGS ?= --duration 5s --concurrency 1,16 --ingresses 0,10000,50000 --bindings 10000
load: ## load harness: the webhook vs a trivial baseline on the same TLS server, at 0/10k/50k cached Ingresses and 10k bindings, 1 and 16 clients, reported as ratios (exit 1 only on failed requests or wrong verdicts)
	$(GO) run ./hack/load $(LOAD_ARGS)

bench: ## benchmarks of the rule set and the CLI
	$(GO) test -run '^$$' -bench . -benchmem ./internal/... ./cmd/...

# The CLI against a peer (issue 14), never part of `make test`: kube-score
# built from the Go module proxy into bin/tools when missing, corpora
# generated by hack/perfcli into bin/perf (10k and 100k objects).
KUBE_SCORE_VERSION := v1.20.0
KUBE_SCORE         := $(BIN)/tools/kube-score
PERF_ARGS    ?=
PROFILE_ARGS ?=
perf-cli: build $(KUBE_SCORE) ## webhook check vs kube-score on generated 10k corpora (paired whole-process runs, medians) and 10k→100k scaling: ratios next to the goals
	$(GO) run ./hack/perfcli run --webhook $(BIN)/webhook --kube-score $(KUBE_SCORE) --dir $(BIN)/perf $(PERF_ARGS)

$(KUBE_SCORE):
	@echo "building kube-score $(KUBE_SCORE_VERSION) from the Go module proxy into $(dir $@) (about two minutes the first time)…"
	GOBIN=$(abspath $(dir $@)) $(GO) install github.com/zegl/kube-score/cmd/kube-score@$(KUBE_SCORE_VERSION)

perf-profile: ## CPU profile of webhook check on the generated 10k corpora (go tool pprof -top)
	$(GO) run ./hack/perfcli profile --dir $(BIN)/perf $(PROFILE_ARGS)

# Peak memory of `webhook audit` against the sandbox filled with generated
# objects (issue 12), never part of `make test`: minutes, most of them
# creating 100 000 objects.
AUDITPERF_ARGS ?=
perf-audit: build control-plane ## peak RSS of webhook audit at 0, 10k and 100k objects in the sandbox (hack/auditperf)
	$(GO) run ./hack/auditperf --webhook $(BIN)/webhook --dir $(BIN)/auditperf $(AUDITPERF_ARGS)

# The project's shared corpora (real-world manifests, the peers' own test
# cases) live next to the repository, not in it: users' clones have none,
# so this is never part of `make test`. Full outputs go to bin/corpus/.
SHARED ?= ../shared
corpus: ## run_realworld.py and run_peers.py of $(SHARED)/corpus against bin/webhook, when that directory exists
	@if [ ! -d "$(SHARED)/corpus" ]; then echo "corpus: $(SHARED)/corpus not found (only the project's workspace has it); nothing to run"; exit 0; fi; \
	$(MAKE) --no-print-directory build || exit 1; \
	mkdir -p $(BIN)/corpus; \
	echo "== real-world manifests: $(SHARED)/corpus/realworld/run_realworld.py $(BIN)/webhook (per project: $(BIN)/corpus/realworld.txt, findings: $(BIN)/corpus/realworld.json)"; \
	python3 $(SHARED)/corpus/realworld/run_realworld.py $(BIN)/webhook --json $(BIN)/corpus/realworld.json > $(BIN)/corpus/realworld.txt || { cat $(BIN)/corpus/realworld.txt; exit 1; }; \
	awk '/^TOTAL:/{p=1} p' $(BIN)/corpus/realworld.txt; \
	echo; echo "== peers' test cases: $(SHARED)/corpus/peers/run_peers.py $(BIN)/webhook (every case: $(BIN)/corpus/peers.txt)"; \
	python3 $(SHARED)/corpus/peers/run_peers.py $(BIN)/webhook > $(BIN)/corpus/peers.txt || { cat $(BIN)/corpus/peers.txt; exit 1; }; \
	grep -E '^(STRICTER|LOOSER|ERROR) ' $(BIN)/corpus/peers.txt || true; echo; \
	awk 'p; /^$$/{p=1}' $(BIN)/corpus/peers.txt

readme: build ## regenerate the README rules table and the chart README's values table (from values.yaml)
	@$(BIN)/webhook rules --markdown > /tmp/rules.md
	@awk 'BEGIN{p=1} /<!-- rules:begin -->/{print; system("cat /tmp/rules.md"); p=0} /<!-- rules:end -->/{p=1} p' README.md > README.md.new && mv README.md.new README.md
	@$(GO) run ./hack/chartdoc --chart $(CHART)

generate: ## regenerate internal/typedjson/decoders_gen.go (hack/gendecoders: the judged kinds' JSON decoders; a test fails when it is stale)
	$(GO) run ./hack/gendecoders

vap: build ## regenerate deploy/components/api-server-fallback/policies.yaml (`webhook vap` of the embedded configuration) and the chart's copy
	@$(BIN)/webhook vap > deploy/components/api-server-fallback/policies.yaml
	@cp deploy/components/api-server-fallback/policies.yaml $(CHART)/files/api-server-fallback.yaml
