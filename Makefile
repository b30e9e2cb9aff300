# azure_ea_exporter — build, test and benchmark.
#
#   make test    everything CI runs: lint, unit and integration tests (with the
#                fuzzers' seed corpora), coverage floor, end-to-end tests
#   make bench   benchmarks, with -count for benchstat
#   make fuzz    run each fuzz target for FUZZTIME

GO        ?= go
BINARY    := azure_ea_exporter
PKG       := github.com/azure-ea-exporter/azure_ea_exporter
VERSION   ?= $(shell cat VERSION 2>/dev/null || echo 0.0.0)
REVISION  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BRANCH    ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w \
	-X github.com/prometheus/common/version.Version=$(VERSION) \
	-X github.com/prometheus/common/version.Revision=$(REVISION) \
	-X github.com/prometheus/common/version.Branch=$(BRANCH) \
	-X github.com/prometheus/common/version.BuildUser=make \
	-X github.com/prometheus/common/version.BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)
FUZZTIME  ?= 30s
BENCHCOUNT ?= 6
EACLIENT_MIN_COVERAGE := 85

CHART_TESTS := deploy/helm/azure-ea-exporter/tests

.PHONY: all build test lint vet fmt staticcheck unit cover rules chart image e2e bench fuzz clean

all: lint build test

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY) .

test: lint rules unit chart cover

lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

unit:
	$(GO) test -race -count=1 ./...

# The Helm chart's strict tests: a Go module of their own, so the Kubernetes and
# prometheus-operator types stay out of the exporter's go.mod.
chart:
	cd $(CHART_TESTS) && $(GO) vet ./... && $(GO) test -count=1 ./...

# The container image (buildah by default; BUILDER=docker or podman).
image:
	scripts/build-image.sh

# The API client is what everything stands on: keep it well covered.
cover:
	@$(GO) test -count=1 -coverprofile=.cover.eaclient.out ./eaclient/ >/dev/null
	@pct=$$($(GO) tool cover -func=.cover.eaclient.out | awk '/^total:/ {sub("%","",$$3); print $$3}'); \
	rm -f .cover.eaclient.out; \
	echo "eaclient statement coverage: $$pct% (floor $(EACLIENT_MIN_COVERAGE)%)"; \
	awk -v p="$$pct" -v m="$(EACLIENT_MIN_COVERAGE)" 'BEGIN { exit (p+0 < m+0) }'

# The bundled Prometheus rules: syntax, and the unit tests of every alert.
# Without promtool (Debian's prometheus package) they are skipped, except in
# CI, which installs it.
rules:
	@if command -v promtool >/dev/null 2>&1; then \
	  promtool check rules rules/azure_ea.rules.yml && promtool test rules rules/azure_ea.rules_test.yml; \
	elif [ -n "$$CI" ]; then \
	  echo "promtool is not installed; .ci/run installs Debian's prometheus package"; exit 1; \
	else \
	  echo "SKIP rules: promtool is not installed (apt-get install prometheus)"; \
	fi

BENCHSTAT := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

# Benchmarks (see README "Sizing"): decode+aggregate from memory (reference
# encoding/json decoder against the scanner), streaming from the simulator
# over loopback, /metrics with 100k series; then full refreshes of 10k, 100k
# and 1M rows with the real binaries, measuring peak RSS.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) -timeout 60m ./eaclient/ ./collector/ ./internal/exposition/ ./internal/usagecsv/ | tee bench.out
	$(GO) run $(BENCHSTAT) -col /decoder -filter '/decoder:/' bench.out
	$(GO) run $(BENCHSTAT) -filter '-/decoder:/' bench.out
	@awk '/^BenchmarkUsageDecodeAggregate\/decoder=reference/ {for (i=1;i<=NF;i++) if ($$(i+1)=="MB/s") {r+=$$i; rn++}} \
	      /^BenchmarkUsageDecodeAggregate\/decoder=scanner/   {for (i=1;i<=NF;i++) if ($$(i+1)=="MB/s") {s+=$$i; sn++}} \
	      END { if (rn && sn) printf "\nscanner %.0f MB/s, reference %.0f MB/s: %.1fx the encoding/json baseline\n\n", s/sn, r/rn, (s/sn)/(r/rn) }' bench.out
	scripts/refresh-bench.sh --corpus both 10000 100000 1000000
	scripts/refresh-bench.sh --corpus generated --gzip 300000

fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -f $(BINARY) bench.out .cover.*.out
