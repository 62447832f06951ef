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

.PHONY: load docker-build all build test unit e2e lint fmt vet readme vap bench control-plane run

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

unit: ## unit tests (no control plane needed)
	$(GO) test -count=1 ./...

e2e: control-plane build ## end-to-end tests against a real kube-apiserver + etcd (builds them when missing)
	KUBEBUILDER_ASSETS=$(abspath $(K8S_BIN)) GUARDRAILS_WEBHOOK_BINARY=$(abspath $(BIN)/webhook) \
		$(GO) test -tags e2e -count=1 -timeout $(E2E_TIMEOUT) $(E2E_PKGS)

test: lint unit e2e ## everything CI runs

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

LOAD_ARGS ?= --duration 10s --concurrency 16 --ingresses 10000
load: ## load harness: the webhook vs a trivial baseline on the same TLS server, reported as ratios (exit 1 only on failed requests or wrong verdicts)
	$(GO) run ./hack/load $(LOAD_ARGS)

bench: ## benchmarks of the rule set and the CLI
	$(GO) test -run '^$$' -bench . -benchmem ./internal/... ./cmd/...

readme: build ## regenerate the README rules table
	@$(BIN)/webhook rules --markdown > /tmp/rules.md
	@awk 'BEGIN{p=1} /<!-- rules:begin -->/{print; system("cat /tmp/rules.md"); p=0} /<!-- rules:end -->/{p=1} p' README.md > README.md.new && mv README.md.new README.md

vap: build ## regenerate deploy/components/api-server-fallback/policies.yaml (`webhook vap` of the embedded configuration)
	@$(BIN)/webhook vap > deploy/components/api-server-fallback/policies.yaml
