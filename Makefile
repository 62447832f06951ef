# Guardrails. `make run` tries it, `make test` tests it.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The one build line: the Dockerfile runs the same.
GO_BUILD = CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)"

BIN := bin

.PHONY: all build test unit lint fmt vet readme bench

all: build

build: ## build bin/webhook
	$(GO_BUILD) -o $(BIN)/webhook ./cmd/webhook

lint: fmt vet ## gofmt + go vet

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needs to run on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit: ## unit tests
	$(GO) test -count=1 ./...

test: lint unit ## everything CI runs

bench: ## benchmarks of the rule set and the CLI
	$(GO) test -run '^$$' -bench . -benchmem ./internal/... ./cmd/...

readme: build ## regenerate the README rules table
	@$(BIN)/webhook rules --markdown > /tmp/rules.md
	@awk 'BEGIN{p=1} /<!-- rules:begin -->/{print; system("cat /tmp/rules.md"); p=0} /<!-- rules:end -->/{p=1} p' README.md > README.md.new && mv README.md.new README.md
