# Clearance developer targets. `make test` is what CI runs.
GO ?= go
PKGS := ./...

.PHONY: run build test test-short lint vet fmt generate check-generated policy-test bench bench-opa

run:
	$(GO) run ./cmd/clearance serve

build:
	CGO_ENABLED=0 $(GO) build -o clearance ./cmd/clearance

# Unit and integration tests (real PostgreSQL and Redis on loopback, a real
# EVM via go-ethereum's simulated backend), plus vet and gofmt.
test: vet fmt-check
	$(GO) test -count=1 -timeout 25m -p 2 $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

generate:
	bash scripts/generate.sh

check-generated: generate
	git diff --exit-code -- gateway/gen

policy-test:
	$(GO) run ./cmd/clearance policy test policies/library

# Benchmarks against OPA's server (issue 8); writes docs/benchmarks.md.
bench:
	bash scripts/bench.sh
